"""Batch and target states, and the one table of legal batch transitions.

Every state change of a batch goes through :func:`check_transition` (the
repository also enforces it in SQL with a compare-and-set), so no caller can
move a cancelled batch back to launching by accident.
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import Conflict


class BatchState(StrEnum):
    PLANNED = "planned"
    AWAITING_APPROVAL = "awaiting_approval"
    LAUNCHING = "launching"
    LAUNCHED = "launched"
    CANCELLED = "cancelled"
    FAILED = "failed"
    COMPLETE = "complete"


class TargetState(StrEnum):
    PLANNED = "planned"
    LAUNCHED = "launched"
    FAILED = "failed"
    SKIPPED = "skipped"


class LaunchMode(StrEnum):
    BATCH_API = "batch-api"
    PER_SESSION = "per-session"


FINAL_BATCH_STATES: frozenset[BatchState] = frozenset(
    {BatchState.CANCELLED, BatchState.FAILED, BatchState.COMPLETE}
)

TRANSITIONS: dict[BatchState, frozenset[BatchState]] = {
    BatchState.PLANNED: frozenset(
        {
            BatchState.AWAITING_APPROVAL,
            BatchState.LAUNCHING,
            BatchState.CANCELLED,
            BatchState.FAILED,
        }
    ),
    BatchState.AWAITING_APPROVAL: frozenset(
        {BatchState.LAUNCHING, BatchState.CANCELLED, BatchState.FAILED}
    ),
    BatchState.LAUNCHING: frozenset({BatchState.LAUNCHED, BatchState.CANCELLED, BatchState.FAILED}),
    BatchState.LAUNCHED: frozenset({BatchState.COMPLETE, BatchState.CANCELLED, BatchState.FAILED}),
    BatchState.CANCELLED: frozenset(),
    BatchState.FAILED: frozenset(),
    BatchState.COMPLETE: frozenset(),
}


class IllegalTransition(Conflict):
    """A batch was asked to move to a state its current state cannot reach."""

    def __init__(self, batch_id: str, current: BatchState, wanted: BatchState) -> None:
        self.batch_id = batch_id
        self.current = current
        self.wanted = wanted
        super().__init__(f"Batch `{batch_id}` is {current.value}; it cannot become {wanted.value}.")


def sources_of(wanted: BatchState) -> frozenset[BatchState]:
    """States from which ``wanted`` is reachable (used for the SQL compare-and-set)."""
    return frozenset(s for s, targets in TRANSITIONS.items() if wanted in targets)


def check_transition(batch_id: str, current: BatchState, wanted: BatchState) -> None:
    """Raise :class:`IllegalTransition` unless ``current -> wanted`` is in :data:`TRANSITIONS`."""
    if wanted not in TRANSITIONS[current]:
        raise IllegalTransition(batch_id, current, wanted)
