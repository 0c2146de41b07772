"""The request id: one per Slack command or click, carried wherever its work goes.

A ``ContextVar`` follows the code within a thread; work handed to another thread (the
answer pool, the service's worker pool) takes it along through ``carry``, which runs
the callable in a copy of the caller's context. Log records get it from the logging
filter in ``bot.observe.logs``, so a command's lines, its Flywheel calls and its Slack
posts can be found with one grep. Work the bot starts on its own (a scheduler pass, a
resumed launch) gets its own id with a prefix saying what it is (``watch-…``).
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

NO_REQUEST = "-"
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "fwbot_request_id", default=NO_REQUEST
)


def new_request_id(prefix: str = "req") -> str:
    """A short id, unique enough to grep for: ``req-3f9c2a1b7d``."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def current_request_id() -> str:
    """The id of the work this thread is doing, or ``-`` outside any."""
    return _request_id.get()


@contextmanager
def request_scope(request_id: str | None = None, *, prefix: str = "req") -> Iterator[str]:
    """Run the ``with`` body under ``request_id`` (a new one when None), then restore."""
    token = _request_id.set(request_id or new_request_id(prefix))
    try:
        yield _request_id.get()
    finally:
        _request_id.reset(token)


def carry(fn: Callable[[], T]) -> Callable[[], T]:
    """``fn`` bound to the caller's context, for handing to another thread."""
    context = contextvars.copy_context()
    return lambda: context.run(fn)


def scoped(prefix: str, fn: Callable[..., T]) -> Callable[..., T]:
    """``fn`` run under a fresh id each call (scheduler jobs: one id per pass)."""

    def run(*args: Any, **kwargs: Any) -> T:
        with request_scope(prefix=prefix):
            return fn(*args, **kwargs)

    return run


class ContextThreadPool(ThreadPoolExecutor):
    """A ``ThreadPoolExecutor`` whose tasks run in a copy of the submitter's context, so
    the request id follows a command's fan-out (planning reads, launch requests)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        context = contextvars.copy_context()  # one copy per task: a Context runs in one thread
        return super().submit(context.run, fn, *args, **kwargs)
