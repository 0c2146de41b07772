"""The service's own worker pool: long work (launching 1,000 jobs) never runs on
Slack's listener threads, and a stop request lets it end at a safe point."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bot.observe.context import NO_REQUEST, carry, current_request_id, scoped

log = logging.getLogger(__name__)


class WorkerPool:
    def __init__(self, threads: int = 4) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fwbot-work")
        self.stopping = threading.Event()
        self._futures: set[Future[None]] = set()
        self._lock = threading.Lock()

    def submit(self, name: str, fn: Callable[[], None]) -> Future[None]:
        """Run ``fn`` in the pool, under the caller's request id (its log lines, Flywheel
        calls and Slack posts keep the id of the command that started it; work started by
        no command gets an id of its own); its exception is logged, never lost."""

        def run() -> None:
            try:
                fn()
            except Exception:
                log.exception("background task %s failed", name)
                raise

        task = carry(run) if current_request_id() != NO_REQUEST else scoped("task", run)
        future = self._executor.submit(task)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def wait_idle(self, timeout: float | None = None) -> None:
        """Block until everything submitted so far has finished (tests, the demo)."""
        with self._lock:
            pending = list(self._futures)
        for future in pending:
            future.exception(timeout=timeout)

    def shutdown(self, *, wait: bool = True) -> None:
        """Ask running work to stop at its next safe point, then wait for it."""
        self.stopping.set()
        self._executor.shutdown(wait=wait, cancel_futures=True)
