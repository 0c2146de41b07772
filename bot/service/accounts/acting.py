"""Talking to Flywheel as whoever fwbot is acting for.

Every service holds one gateway, this one. A call made inside ``acting(...)`` goes out
with that person's own key (their linked account), so Flywheel itself decides which
projects exist for them, shows them their own permission entry, and records them as
the origin of the jobs they launch; any other call goes out with fwbot's service
account. The choice lives in a ``ContextVar``, so it follows the work into the pools
that copy the caller's context (the answer pool, the worker pool, the gateway's
fan-out), and never leaks into work that starts on its own (the scheduler).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain import Batch, JobRecord
from bot.errors import IdentityError, KeyRejected
from bot.flywheel.gateway import FlywheelGateway


class LinkExpired(IdentityError):
    """A person's linked key was refused (401): the link is gone, they must link again."""

    def __init__(self) -> None:
        super().__init__(
            "Your linked Flywheel API key no longer works (Flywheel refused it), so fwbot "
            "has forgotten it.",
            hint="Link again with a current key: `/fw link`.",
        )


@dataclass(frozen=True)
class ActingFor:
    """Whose key the calls in this context use."""

    principal: str  # "slack:U…" or "console:…": the linked account
    flywheel_user_id: str
    gateway: FlywheelGateway
    ciphertext: str  # which stored key this gateway was built from


_acting: contextvars.ContextVar[ActingFor | None] = contextvars.ContextVar(
    "fwbot_acting_for", default=None
)


def acting_for() -> ActingFor | None:
    """Whom the current work acts for (None: fwbot's service account)."""
    return _acting.get()


@contextmanager
def acting(who: ActingFor | None) -> Iterator[None]:
    """Run the ``with`` body's Flywheel calls with ``who``'s key (None: the service
    account's), then restore."""
    token = _acting.set(who)
    try:
        yield
    finally:
        _acting.reset(token)


@contextmanager
def as_service_account() -> Iterator[None]:
    """Channel work (watcher, digests, runs made outside fwbot) is fwbot's own, whoever
    happened to start it."""
    with acting(None):
        yield


def for_the_rest_as_service_account() -> None:
    """The rest of the enclosing ``acting(...)`` (a command's ``speaking_as``) uses fwbot's
    service account: how a fwbot admin reads a project their own key is not shown. The
    enclosing block's exit restores what came before it."""
    _acting.set(None)


class ActingGateway:
    """A ``FlywheelGateway`` that forwards each call to the gateway of whoever fwbot acts
    for; a linked key refused with 401 is reported (``on_rejected``: the link is dropped
    and its owner told) and answered with ``LinkExpired``."""

    def __init__(
        self,
        service: FlywheelGateway,
        on_rejected: Callable[[ActingFor], None] = lambda who: None,
        *,
        inside_unit: Callable[[], bool] = lambda: False,
        on_call_inside_unit: Callable[[str], None] = lambda name: None,
    ) -> None:
        self.service = service
        self._on_rejected = on_rejected
        self._inside_unit = inside_unit
        self._on_call_inside_unit = on_call_inside_unit

    def _check_outside_unit(self, name: str) -> None:
        """A Flywheel call inside a unit of work holds the database's write lock for as
        long as Flywheel takes to answer: reads and authorization come before the unit."""
        if self._inside_unit():
            self._on_call_inside_unit(name)

    def set_rejection_handler(self, on_rejected: Callable[[ActingFor], None]) -> None:
        self._on_rejected = on_rejected

    def service_account(self) -> str | None:
        """fwbot's own Flywheel user, whoever the current call acts for."""
        return self.service.service_account()

    def jobs_tagged(self, tag: str) -> list[JobRecord]:
        """A batch's jobs whoever launched them: the person's own (``/users/self/jobs``
        shows a key only the jobs it made) and the service account's (a batch started
        before its launcher linked, or finished with the service account after they
        unlinked). Reading one side only would launch the other side's sessions again."""
        self._check_outside_unit("jobs_tagged")
        who = _acting.get()
        theirs = self._as(who, "jobs_tagged")(tag) if who is not None else []
        found = {job.job_id: job for job in theirs}
        for job in self.service.jobs_tagged(tag):
            found.setdefault(job.job_id, job)
        return list(found.values())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        who = _acting.get()
        if who is None:
            method = getattr(self.service, name)
            if not callable(method):
                return method

            def service_call(*args: Any, **kwargs: Any) -> Any:
                self._check_outside_unit(name)
                return method(*args, **kwargs)

            return service_call
        return self._as(who, name)

    def _as(self, who: ActingFor, name: str) -> Any:
        method = getattr(who.gateway, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            self._check_outside_unit(name)
            try:
                return method(*args, **kwargs)
            except KeyRejected as exc:
                self._on_rejected(who)
                raise LinkExpired() from exc

        return call


class LauncherKeys(Protocol):
    """Whose key a batch's own work uses (``Accounts.as_launcher``)."""

    def as_launcher(self, batch: Batch) -> AbstractContextManager[None]: ...


class ServiceKeyOnly:
    """No linked accounts: a batch's work uses whatever key the context already has."""

    def as_launcher(self, batch: Batch) -> AbstractContextManager[None]:
        return nullcontext()
