"""Slack message locations per batch."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from bot.store import Store
from tests.store.factories import spec, targets


def test_progress_message_survives_and_can_be_repointed(store: Store) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(1))
    saved = store.messages.save(batch.id, "progress", "C1", "1700000000.000100")
    assert store.messages.get(batch.id, "progress") == saved
    moved = store.messages.save(batch.id, "progress", "C1", "1700000000.000200", "1700000000.0001")
    assert moved.ts == "1700000000.000200" and moved.thread_ts == "1700000000.0001"
    store.messages.save(batch.id, "summary", "C1", "1700000001.000000")
    store.messages.save(batch.id, "progress", "C2", "1700000002.000000")
    assert [(m.kind, m.channel) for m in store.messages.for_batch(batch.id)] == [
        ("progress", "C1"),
        ("summary", "C1"),
        ("progress", "C2"),
    ]
    assert store.messages.get(batch.id, "progress", "C2") is not None
    assert store.messages.get(batch.id, "digest") is None


def test_messages_need_an_existing_batch(store: Store) -> None:
    # Foreign keys are on for SQLite as well.
    with pytest.raises(IntegrityError):
        store.messages.save("bnope", "progress", "C1", "1.0")
