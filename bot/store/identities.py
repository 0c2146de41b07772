"""Slack user -> Flywheel user cache, so each command does not cost a Slack
`users.info` and a Flywheel user lookup; entries expire after a TTL so a
changed email or a removed Flywheel account is noticed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from bot.store._sql import upsert
from bot.store.models import IdentityRow, utcnow

if TYPE_CHECKING:
    from bot.store.db import Store


@dataclass(frozen=True)
class Identity:
    slack_user_id: str
    email: str
    flywheel_user_id: str | None
    display_name: str
    resolved_at: datetime


def _identity(row: IdentityRow) -> Identity:
    return Identity(
        slack_user_id=row.slack_user_id,
        email=row.email,
        flywheel_user_id=row.flywheel_user_id,
        display_name=row.display_name,
        resolved_at=row.resolved_at,
    )


class IdentityRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def put(
        self,
        slack_user_id: str,
        *,
        email: str,
        flywheel_user_id: str | None,
        display_name: str = "",
        resolved_at: datetime | None = None,
    ) -> Identity:
        """Insert or refresh (one upsert, safe when two requests resolve the same user)."""
        values = {
            "slack_user_id": slack_user_id,
            "email": email,
            "flywheel_user_id": flywheel_user_id,
            "display_name": display_name,
            "resolved_at": resolved_at or utcnow(),
        }
        with self._store.session() as s:
            upsert(
                s,
                IdentityRow,
                values,
                ["slack_user_id"],
                [k for k in values if k != "slack_user_id"],
            )
            row = s.get(IdentityRow, slack_user_id, populate_existing=True)
            assert row is not None
            return _identity(row)

    def get(self, slack_user_id: str) -> Identity | None:
        with self._store.reading() as s:
            row = s.get(IdentityRow, slack_user_id)
            return _identity(row) if row is not None else None

    def get_fresh(
        self, slack_user_id: str, ttl: timedelta, *, now: datetime | None = None
    ) -> Identity | None:
        """The cached identity, or None when missing or resolved longer than ``ttl`` ago."""
        ident = self.get(slack_user_id)
        if ident is None or ident.resolved_at < (now or utcnow()) - ttl:
            return None
        return ident

    def forget(self, slack_user_id: str) -> bool:
        with self._store.session() as s:
            result = s.execute(
                delete(IdentityRow).where(IdentityRow.slack_user_id == slack_user_id)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
