"""The one door every permission-checked use case goes through.

A use case is a public service method tied to the :class:`UseCase` it runs by
``@use_case`` (``bot.service.use_cases`` declares the access each needs). Its body passes
the :class:`Door` before it touches Flywheel or the store: the door resolves the project
(a label someone typed, or a stored batch's), authorizes by the declared access, and
answers someone with no role on the project exactly what a made-up name gets. However
many checks a call makes, it leaves one audit row, written when it ends: its refusal if
any check refused, else its allowed decision. A call that returns without a decision of
a use case it declares is a bug, raised as :class:`UncheckedUseCase`, so a new method that
forgets the door fails the first test that runs it.

A rule only one use case has (only the requester may confirm; nobody approves their own
batch) refuses through :meth:`Door.refuse`: that refusal is the call's one row.

A method on the ``UseCases`` protocols that is no use case says why with ``@unchecked``
(tests/service/test_door_declarations.py requires one or the other).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

from bot.domain import Actor, Batch, ProjectRef
from bot.errors import NotFound
from bot.service.use_cases import NEEDS, Access, UseCase

if TYPE_CHECKING:  # the Authorizer marks `capabilities` @unchecked: imports this module
    from bot.service.access import Authorizer

F = TypeVar("F", bound=Callable[..., Any])

USE_CASES_ATTR = "__use_cases__"
UNCHECKED_ATTR = "__unchecked__"


class UncheckedUseCase(RuntimeError):
    """A use case ran without the door's decision on a use case it declares: a bug."""


def use_case(*declared: UseCase) -> Callable[[F], F]:
    """Tie a service method to the use cases it runs, and run each call as one: its checks
    must decide on one of ``declared``, and the call leaves one audit row."""
    if not declared:
        raise TypeError("@use_case needs the UseCase(s) the method runs")

    def tie(method: F) -> F:
        @functools.wraps(method)
        def run(*args: Any, **kwargs: Any) -> Any:
            with _one_row(frozenset(declared), method.__qualname__):
                return method(*args, **kwargs)

        setattr(run, USE_CASES_ATTR, declared)
        return cast(F, run)

    return tie


def unchecked(why: str) -> Callable[[F], F]:
    """Mark a method adapters may call that is no permission-checked use case, saying why
    (who is asking, before there is an actor; the actor's own data)."""
    if not why.strip():
        raise TypeError("@unchecked needs the reason")

    def mark(method: F) -> F:
        setattr(method, UNCHECKED_ATTR, why)
        return method

    return mark


def declared_use_cases(method: object) -> tuple[UseCase, ...]:
    return tuple(getattr(method, USE_CASES_ATTR, ()))


def why_unchecked(method: object) -> str | None:
    why = getattr(method, UNCHECKED_ATTR, None)
    return why if isinstance(why, str) else None


class Door:
    """The checks a use case's body passes first, each by the access its use case declares
    in ``NEEDS``. Called only inside an ``@use_case`` method that declares the use case."""

    def __init__(self, access: Authorizer) -> None:
        self._access = access

    def site(self, actor: Actor, use_case: UseCase, *, target: str = "") -> None:
        """A use case on no project (the gear catalogue, your own trail): the channel policy
        and the declared access (anyone with an account, or a fwbot admin)."""
        _expect(use_case)
        self._access.authorize(actor, use_case, target=target)

    def project(
        self, actor: Actor, use_case: UseCase, label: str, *, target: str | None = None
    ) -> ProjectRef:
        """The project someone typed, if they may run ``use_case`` on it; to someone with no
        role on it (and no fwbot admin) it does not exist: a made-up label's answer."""
        _expect(use_case)
        return self._access.project_for(actor, use_case, label, target=target)

    def batch(self, actor: Actor, use_case: UseCase, batch: Batch) -> None:
        """A stored batch's use case, on its project. A use case that needs ``MANAGE`` lets
        the batch's launcher in; to someone with no role on the project the batch does not
        exist: the answer a made-up batch id gets (``BatchRepo.get_existing``)."""
        _expect(use_case)
        manages = NEEDS[use_case] is Access.MANAGE
        self._access.authorize(
            actor,
            use_case,
            project=project_of(batch),
            target=batch.id,
            launcher=batch.requester_email if manages else None,
            unknown_to_outsiders=NotFound("batch", batch.id),
        )

    def refuse(
        self,
        actor: Actor,
        use_case: UseCase,
        message: str,
        *,
        reason: str,
        project_label: str | None = None,
        target: str = "",
        hint: str | None = None,
    ) -> NoReturn:
        """A rule of this use case alone refuses: the call's one audit row says so."""
        _expect(use_case)
        self._access.refuse(
            actor,
            message,
            use_case=use_case,
            reason=reason,
            project_label=project_label,
            target=target,
            hint=hint,
        )


def project_of(batch: Batch) -> ProjectRef:
    """The project a stored batch runs on, as the access check needs it."""
    return ProjectRef(project_id=batch.project_id, label=batch.project_label, group="")


# -- one audit row per call ---------------------------------------------------------


@dataclass(frozen=True)
class _Decision:
    use_case: UseCase
    refused: bool
    write: Callable[[], None]


@dataclass
class _Run:
    name: str
    declared: set[UseCase]
    decisions: list[_Decision] = field(default_factory=list)
    open: bool = True
    # Work handed to another thread carries the caller's context (request ids): a launch
    # in the worker pool is not part of the click that started it.
    thread: int = field(default_factory=threading.get_ident)

    def row(self) -> _Decision | None:
        """Its refusal if a check refused, else its decision on a use case it declares."""
        for wanted in (
            lambda d: d.refused,
            lambda d: d.use_case in self.declared,
            lambda d: True,
        ):
            found = next((d for d in self.decisions if wanted(d)), None)
            if found is not None:
                return found
        return None


_RUN: ContextVar[_Run | None] = ContextVar("fwbot_use_case_run", default=None)


def _current() -> _Run | None:
    """The use case this thread is running, if any."""
    run = _RUN.get()
    if run is None or not run.open or run.thread != threading.get_ident():
        return None
    return run


def decided(use_case: UseCase, *, refused: bool, write: Callable[[], None]) -> None:
    """An Authorizer decision: kept for the call's one row inside a use case, else (a
    check outside any, in a test) written at once."""
    run = _current()
    if run is None:
        write()
        return
    run.decisions.append(_Decision(use_case, refused, write))


@contextmanager
def _one_row(declared: frozenset[UseCase], name: str) -> Iterator[None]:
    outer = _current()
    if outer is not None:  # run by another use case (cancel drops a plan)
        outer.declared |= declared
        yield
        return
    run = _Run(name, set(declared))
    token = _RUN.set(run)
    try:
        yield
    finally:
        run.open = False
        _RUN.reset(token)
        row = run.row()
        if row is not None:
            row.write()
    if not any(d.use_case in run.declared for d in run.decisions):
        raise UncheckedUseCase(f"{name} returned without deciding {sorted(run.declared)}")


def _expect(use_case: UseCase) -> None:
    run = _current()
    if run is None:
        raise UncheckedUseCase(f"the door was asked about {use_case} outside any @use_case")
    if use_case not in run.declared:
        raise UncheckedUseCase(f"{run.name} decides {use_case}, which it does not declare")
