"""The migrations build exactly the models' schema, on both databases."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, inspect

from bot.store import Store
from bot.store.models import Base


def diffs(store: Store, metadata: MetaData) -> list[Any]:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(ctx, metadata))


def test_migrations_match_the_models(store: Store) -> None:
    assert diffs(store, Base.metadata) == []


def test_the_comparison_notices_a_model_change(store: Store) -> None:
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["batches"].append_column(Column("priority", String(10)))
    found = diffs(store, changed)
    assert [d[0] for d in found] == ["add_column"]


def test_downgrade_to_base_and_back(store: Store) -> None:
    with store.engine.begin() as conn:
        command.downgrade(store.alembic_config(conn), "base")
    assert set(inspect(store.engine).get_table_names()) == {"alembic_version"}
    store.migrate()
    assert set(inspect(store.engine).get_table_names()) >= set(Base.metadata.tables)
    assert diffs(store, Base.metadata) == []
