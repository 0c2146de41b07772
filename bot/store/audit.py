"""The audit trail: every permission decision, allowed or refused, and every
error, so the lab's admin can read who did what (`/fw history`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, insert, select

from bot.domain.audit import AuditEvent, Outcome
from bot.store.models import AUDIT_OUTCOMES, AuditEventRow, utcnow

if TYPE_CHECKING:
    from bot.store.db import Store

def _event(row: AuditEventRow) -> AuditEvent:
    outcome: Outcome = row.outcome  # type: ignore[assignment]  # CHECK constraint
    return AuditEvent(
        id=row.id,
        at=row.at,
        actor_email=row.actor_email,
        actor_slack_id=row.actor_slack_id,
        action=row.action,
        project_label=row.project_label,
        target=row.target,
        outcome=outcome,
        reason=row.reason,
        details=dict(row.details),
    )


class AuditRepo:
    """Append-only: events are recorded and read, never changed."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record(
        self,
        *,
        actor_email: str,
        action: str,
        outcome: Outcome,
        actor_slack_id: str | None = None,
        project_label: str | None = None,
        target: str = "",
        reason: str = "",
        details: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEvent:
        if outcome not in AUDIT_OUTCOMES:
            raise ValueError(f"audit outcome must be one of {AUDIT_OUTCOMES}, not {outcome!r}")
        stmt = (
            insert(AuditEventRow)
            .values(
                at=at or utcnow(),
                actor_email=actor_email,
                actor_slack_id=actor_slack_id,
                action=action,
                project_label=project_label,
                target=target,
                outcome=outcome,
                reason=reason,
                details=details or {},
            )
            .returning(AuditEventRow)
        )
        with self._store.session() as s:
            row = s.scalars(stmt).one()
            return _event(row)

    def record_decision(self, **event: Any) -> None:
        """``record``, but after the current unit of work (if any) has ended: a decision is
        audited whether or not the use case that asked for it commits."""
        self._store.after_unit(lambda: self._write_decision(event))

    def _write_decision(self, event: dict[str, Any]) -> None:
        self.record(**event)

    def recent(
        self,
        limit: int = 20,
        *,
        project_label: str | None = None,
        actor_email: str | None = None,
        hide_allowed: Collection[str] = (),
    ) -> list[AuditEvent]:
        """Newest first (ties broken by insertion order), optionally for one project or actor.

        ``hide_allowed`` names actions whose *allowed* events are noise to a reader (routine
        reads); their refusals still show.
        """
        stmt = select(AuditEventRow).order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
        if project_label is not None:
            stmt = stmt.where(AuditEventRow.project_label == project_label)
        if actor_email is not None:
            stmt = stmt.where(AuditEventRow.actor_email == actor_email)
        if hide_allowed:
            stmt = stmt.where(
                ~and_(AuditEventRow.outcome == "allowed", AuditEventRow.action.in_(hide_allowed))
            )
        with self._store.reading() as s:
            return [_event(r) for r in s.scalars(stmt.limit(limit))]
