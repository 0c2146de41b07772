"""Where each batch's Slack messages live (channel, ts, thread_ts), so the
progress message is updated in place and its thread continues after a restart.

A record may have no message of its own: a post that went nowhere (a batch asked for in
the console, a process with nobody to tell), a shared file, a channel that refuses posts.
It is still kept, so the post counts as settled; its ``ts`` is then None, stored as
``NO_MESSAGE`` (the column predates the distinction and is NOT NULL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.store._sql import upsert
from bot.store.models import SlackMessageRow, utcnow

if TYPE_CHECKING:
    from bot.store.db import Store

NO_MESSAGE = "-"  # the stored ts of a record with no Slack message


@dataclass(frozen=True)
class SlackMessage:
    batch_id: str
    kind: str  # e.g. progress, summary
    channel: str
    ts: str | None  # None: no Slack message (see above)
    thread_ts: str | None
    created_at: datetime
    updated_at: datetime


def _message(row: SlackMessageRow) -> SlackMessage:
    return SlackMessage(
        batch_id=row.batch_id,
        kind=row.kind,
        channel=row.channel,
        ts=None if row.ts == NO_MESSAGE else row.ts,
        thread_ts=row.thread_ts,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class MessageRepo:
    """One message per (batch, kind, channel)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def save(
        self, batch_id: str, kind: str, channel: str, ts: str | None, thread_ts: str | None = None
    ) -> SlackMessage:
        """Remember (or re-point) the message for this batch, kind and channel (``ts``
        None: settled with no message of its own)."""
        now = utcnow()
        values = {
            "batch_id": batch_id,
            "kind": kind,
            "channel": channel,
            "ts": NO_MESSAGE if ts is None else ts,
            "thread_ts": thread_ts,
            "created_at": now,
            "updated_at": now,
        }
        key = ["batch_id", "kind", "channel"]
        with self._store.session() as s:
            upsert(s, SlackMessageRow, values, key, ["ts", "thread_ts", "updated_at"])
        found = self.get(batch_id, kind, channel)
        assert found is not None
        return found

    def get(self, batch_id: str, kind: str, channel: str | None = None) -> SlackMessage | None:
        """The message of this kind; with no channel, the first one recorded."""
        stmt = select(SlackMessageRow).where(
            SlackMessageRow.batch_id == batch_id, SlackMessageRow.kind == kind
        )
        if channel is not None:
            stmt = stmt.where(SlackMessageRow.channel == channel)
        with self._store.reading() as s:
            row = s.scalars(stmt.order_by(SlackMessageRow.id).limit(1)).first()
            return _message(row) if row is not None else None

    def for_batch(self, batch_id: str) -> list[SlackMessage]:
        stmt = (
            select(SlackMessageRow)
            .where(SlackMessageRow.batch_id == batch_id)
            .order_by(SlackMessageRow.id)
        )
        with self._store.reading() as s:
            return [_message(r) for r in s.scalars(stmt)]
