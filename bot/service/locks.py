"""A lock per key (a batch, a channel) that exists only while someone holds or waits for it.

A dict of locks filled with ``setdefault`` keeps one lock per key for the process's
life: one per batch ever reported, one per channel ever posted to. These are dropped
when their last user lets go, so a bot that runs for months keeps only the keys in use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class KeyedLocks(Generic[K]):
    """``with locks.hold(key):`` serializes the work on one key; ``reentrant`` locks may
    be held again by the thread that holds them (a publish inside a summary)."""

    def __init__(self, *, reentrant: bool = False) -> None:
        self._new: Callable[[], AbstractContextManager[bool]] = (
            threading.RLock if reentrant else threading.Lock
        )
        self._guard = threading.Lock()
        self._held: dict[K, tuple[AbstractContextManager[bool], int]] = {}

    @contextmanager
    def hold(self, key: K) -> Iterator[None]:
        with self._guard:
            lock, users = self._held.get(key) or (self._new(), 0)
            self._held[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._held[key]
                if users == 1:
                    del self._held[key]
                else:
                    self._held[key] = (lock, users - 1)

    def __len__(self) -> int:
        """How many keys have a lock now (held or waited for)."""
        with self._guard:
            return len(self._held)
