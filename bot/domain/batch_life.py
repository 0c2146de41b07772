"""A batch's life as one aggregate: who may move it, from where, to where, and what it says.

``BatchLife`` wraps a stored batch and answers each thing that can happen to it with a
``Change`` (the phase it leaves, the phase it reaches, and the events it makes) or a
refusal. It decides and nothing else: the store applies a change with one
compare-and-set on the phase it leaves (``BatchRepo.apply``), so two racing callers
cannot both win, and the service writes the refusals to the audit trail.

The phases are the stored states plus one: ``STOPPING``, a batch still launching with a
cancel requested (``cancel_requested_at``). It is a real phase of the table below, not a
``WHERE`` clause someone has to remember: a launch that is stopping can only end
cancelled, never launched.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.batches import (
    PLAN_STATES,
    TRANSITIONS,
    Batch,
    BatchState,
    IllegalTransition,
    after_launch,
    when_jobs_end,
)
from bot.errors import Conflict


class Phase(StrEnum):
    PLANNED = "planned"
    AWAITING_APPROVAL = "awaiting_approval"
    LAUNCHING = "launching"
    STOPPING = "stopping"  # launching, with a cancel requested: it ends cancelled
    LAUNCHED = "launched"
    CANCELLED = "cancelled"
    FAILED = "failed"
    COMPLETE = "complete"

    @property
    def state(self) -> BatchState:
        """The stored state of this phase (stopping is stored as launching + a request)."""
        return BatchState.LAUNCHING if self is Phase.STOPPING else BatchState(self.value)


LIFE: dict[Phase, frozenset[Phase]] = {
    Phase.PLANNED: frozenset({Phase.LAUNCHING, Phase.CANCELLED, Phase.FAILED}),
    Phase.AWAITING_APPROVAL: frozenset({Phase.LAUNCHING, Phase.CANCELLED, Phase.FAILED}),
    Phase.LAUNCHING: frozenset({Phase.STOPPING, Phase.LAUNCHED, Phase.FAILED}),
    Phase.STOPPING: frozenset({Phase.CANCELLED}),
    Phase.LAUNCHED: frozenset({Phase.COMPLETE, Phase.CANCELLED, Phase.FAILED}),
    Phase.CANCELLED: frozenset(),
    Phase.FAILED: frozenset(),
    Phase.COMPLETE: frozenset(),
}


def legal_in_the_store(came: Phase, to: Phase) -> bool:
    """Every move of the life is a legal move of the stored state (or keeps it: stopping);
    tests/domain/test_batch_life.py checks the whole table."""
    return to.state is came.state or to.state in TRANSITIONS[came.state]


def phase_of(batch: Batch) -> Phase:
    if batch.state is BatchState.LAUNCHING and batch.cancel_requested_at is not None:
        return Phase.STOPPING
    return Phase(batch.state.value)


class Event(StrEnum):
    CONFIRMED = "confirmed"
    APPROVED = "approved"
    DROPPED = "dropped"
    CANCEL_REQUESTED = "cancel requested"
    LAUNCHED = "launched"
    LAUNCH_FAILED = "launch failed"
    STOPPED = "stopped"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class LifeEvent:
    kind: Event
    batch_id: str
    by: str | None = None  # who did it (None: the launcher)


@dataclass(frozen=True)
class Change:
    """A move of one batch from ``came_from`` to ``to``; the store applies it only if the
    batch is still in ``came_from``."""

    batch_id: str
    came_from: Phase
    to: Phase
    events: tuple[LifeEvent, ...]
    by: str | None = None
    approver: str | None = None


class Refusal(Conflict):
    """A person may not make this move (the service audits it as a refusal)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class BatchLife:
    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.phase = phase_of(batch)

    def confirm(self, by: str) -> Change:
        """The requester's Launch click: a plan that needs no approval starts launching."""
        b = self.batch
        if not _same(b.requester_email, by):
            raise Refusal(
                f"Only {b.requester_email} can launch batch `{b.id}`: they asked for it.",
                reason="not the requester",
            )
        if self.phase is Phase.AWAITING_APPROVAL:
            raise Conflict(
                f"Batch `{b.id}` is waiting for a project admin to approve it.",
                hint=f"An admin of the project can click Approve, or type `/fw approve {b.id}`.",
            )
        return self._move(Phase.PLANNED, Phase.LAUNCHING, Event.CONFIRMED, by)

    def approve(self, by: str) -> Change:
        """Someone other than the requester lets a plan waiting for approval launch."""
        b = self.batch
        if self.phase is not Phase.AWAITING_APPROVAL:
            raise Conflict(f"Batch `{b.id}` is {b.state.value}; there is nothing to approve.")
        if _same(b.requester_email, by):
            raise Refusal(
                f"You asked for batch `{b.id}`; someone else must approve it.",
                reason="requester cannot approve",
            )
        change = self._move(Phase.AWAITING_APPROVAL, Phase.LAUNCHING, Event.APPROVED, by)
        return Change(**{**change.__dict__, "approver": by})

    def drop(self, by: str | None) -> Change:
        """A plan nobody launched is dropped (Cancel, Reject, or nothing left to launch)."""
        if self.batch.state not in PLAN_STATES:
            raise Conflict(
                f"Batch `{self.batch.id}` is {self.batch.state.value}; only a batch not yet "
                "launched can be dropped this way."
            )
        return self._move(self.phase, Phase.CANCELLED, Event.DROPPED, by)

    def request_cancel(self, by: str) -> Change | None:
        """`/fw cancel` while launching: the launch becomes stopping (None: it is already)."""
        if self.phase is Phase.STOPPING:
            return None
        return self._move(Phase.LAUNCHING, Phase.STOPPING, Event.CANCEL_REQUESTED, by)

    def finish(self, launched_targets: int) -> Change:
        """The launcher settled every target: launched, or failed when none launched."""
        to = Phase(after_launch(launched_targets).value)
        event = Event.LAUNCHED if to is Phase.LAUNCHED else Event.LAUNCH_FAILED
        return self._move(Phase.LAUNCHING, to, event, None)

    def end(self, cancelled_jobs: int) -> Change:
        """Every job of a launched batch has ended: complete, or cancelled if any job was."""
        to = Phase(when_jobs_end(cancelled_jobs).value)
        event = Event.CANCELLED if to is Phase.CANCELLED else Event.COMPLETE
        return self._move(Phase.LAUNCHED, to, event, None)

    def stop(self) -> Change:
        """A stopping launch has cancelled what it made: the batch ends cancelled."""
        by = self.batch.cancel_requested_by
        return self._move(Phase.STOPPING, Phase.CANCELLED, Event.STOPPED, by)

    def _move(self, came_from: Phase, to: Phase, event: Event, by: str | None) -> Change:
        if self.phase is not came_from or to not in LIFE[came_from]:
            raise IllegalTransition(self.batch.id, self.batch.state, to.state)
        return Change(self.batch.id, came_from, to, (LifeEvent(event, self.batch.id, by),), by)


def _same(email: str, other: str) -> bool:
    return email.casefold() == other.casefold()
