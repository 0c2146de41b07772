"""A use case's changes in one transaction, on SQLite and PostgreSQL; its audit rows
survive a rollback."""

from __future__ import annotations

import pytest

from bot.domain import BatchState
from bot.store import Store
from tests.store.factories import spec, targets


class Refused(Exception):
    pass


def test_a_unit_commits_every_change_together(store: Store) -> None:
    with store.unit_of_work():
        batch, _ = store.batches.create_or_get(spec(), targets(3))
        store.batches.transition(batch.id, BatchState.LAUNCHING)

    assert store.batches.get_existing(batch.id).state is BatchState.LAUNCHING


def test_an_error_rolls_back_the_unit_but_keeps_its_audit_rows(store: Store) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(3))

    with pytest.raises(Refused), store.unit_of_work():
        store.batches.transition(batch.id, BatchState.LAUNCHING)
        store.audit.record_decision(
            actor_email="vera@lab.org", action="launch.confirm", outcome="refused"
        )
        raise Refused

    assert store.batches.get_existing(batch.id).state is BatchState.PLANNED
    [event] = store.audit.recent()
    assert (event.actor_email, event.outcome) == ("vera@lab.org", "refused")


def test_audit_rows_wait_for_the_unit_to_end(store: Store) -> None:
    with store.unit_of_work():
        store.audit.record_decision(actor_email="a@lab.org", action="gears.list", outcome="allowed")
        assert store.audit.recent() == []  # not yet: written after the unit, on its own

    assert [e.action for e in store.audit.recent()] == ["gears.list"]


def test_a_unit_inside_a_unit_is_part_of_it(store: Store) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(2))

    with pytest.raises(Refused), store.unit_of_work():
        with store.unit_of_work():
            store.batches.transition(batch.id, BatchState.CANCELLED)
        raise Refused

    assert store.batches.get_existing(batch.id).state is BatchState.PLANNED
