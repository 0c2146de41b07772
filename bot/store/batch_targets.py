"""A batch's per-session targets: read, counted and updated as the launch goes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update

from bot.domain.batches import (
    Target,
    TargetState,
)
from bot.store.models import BatchRow, BatchTargetRow, utcnow
from bot.store.repo import StoreBacked, TargetUpdate, target_from_row


class BatchTargets(StoreBacked):
    """Each batch's targets."""

    def targets(self, batch_id: str, states: Iterable[TargetState] | None = None) -> list[Target]:
        stmt = select(BatchTargetRow).where(BatchTargetRow.batch_id == batch_id)
        if states is not None:
            stmt = stmt.where(BatchTargetRow.state.in_([s.value for s in states]))
        with self._store.reading() as s:
            return [target_from_row(r) for r in s.scalars(stmt.order_by(BatchTargetRow.id))]

    def target_counts(self, batch_id: str) -> dict[TargetState, int]:
        """Targets per state, every state present (zero when none)."""
        stmt = (
            select(BatchTargetRow.state, func.count())
            .where(BatchTargetRow.batch_id == batch_id)
            .group_by(BatchTargetRow.state)
        )
        counts = dict.fromkeys(TargetState, 0)
        with self._store.reading() as s:
            for state, n in s.execute(stmt):
                counts[TargetState(state)] = n
        return counts

    def update_targets(self, updates: Sequence[TargetUpdate]) -> int:
        """Bulk update by target id; one executemany per distinct set of changed fields."""
        now = utcnow()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for u in updates:
            params: dict[str, Any] = {"id": u.target_id, "updated_at": now}
            for name in ("state", "job_id", "analysis_id", "error", "attempt"):
                value = getattr(u, name)
                if value is not None:
                    params[name] = value.value if isinstance(value, TargetState) else value
            groups.setdefault(tuple(sorted(params)), []).append(params)
        with self._store.session() as s:
            for rows in groups.values():
                s.execute(update(BatchTargetRow), rows)
        return len(updates)

    def skip_targets(self, batch_id: str, reasons: Mapping[int, str]) -> None:
        """Leave targets out of a batch before it launches (another batch holds their
        runs): each ``skipped`` with its reason, counted with the batch's skipped targets
        rather than with those it launches."""
        if not reasons:
            return
        now = utcnow()
        rows = [
            {"id": tid, "state": TargetState.SKIPPED.value, "error": why, "updated_at": now}
            for tid, why in reasons.items()
        ]
        with self._store.session() as s:
            s.execute(update(BatchTargetRow), rows)
            s.execute(
                update(BatchRow)
                .where(BatchRow.id == batch_id)
                .values(
                    target_count=BatchRow.target_count - len(rows),
                    skipped_count=BatchRow.skipped_count + len(rows),
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
