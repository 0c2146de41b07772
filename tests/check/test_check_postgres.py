"""`fwbot check`'s database line on PostgreSQL: each case in a schema of its own
(``search_path`` in the URL), dropped afterwards; the server is the ``postgres`` marker's."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.store.db import Store
from tests.check.doctor import Doctor, closed_port


@pytest.fixture
def pg_schema_url(pg_admin_url: str) -> Iterator[str]:
    """The server's URL with a fresh, empty schema as its search path."""
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{pg_admin_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_an_empty_postgres_database_fails_and_says_how_to_migrate(
    doctor: Doctor, pg_schema_url: str
) -> None:
    doctor.env["FWBOT_DATABASE_URL"] = pg_schema_url

    result = doctor.run()

    assert result.code == 1
    line = result.line("database")
    assert line.startswith("✘ database: postgresql+psycopg://postgres@127.0.0.1:")
    assert "no fwbot schema (not migrated)" in line
    assert "fix: run `fwbot migrate` (or start `fwbot serve`: it migrates the database" in line
    store = Store.from_url(pg_schema_url)
    try:
        with store.engine.connect() as conn:  # check created nothing
            tables = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
            ).scalar_one()
    finally:
        store.dispose()
    assert tables == 0


@pytest.mark.postgres
def test_a_migrated_postgres_database_passes(doctor: Doctor, pg_schema_url: str) -> None:
    store = Store.from_url(pg_schema_url)
    store.migrate()
    store.dispose()
    doctor.env["DATABASE_URL"] = pg_schema_url  # the name hosting platforms set

    result = doctor.run()

    assert result.code == 0
    assert "schema at the newest revision" in result.line("database")
    assert result.line("database").startswith("✔ database: postgresql+psycopg://")


def test_an_unreachable_postgres_fails_without_showing_its_password(doctor: Doctor) -> None:
    port = closed_port()
    password = "pw-s3cret-9z"
    doctor.env["FWBOT_DATABASE_URL"] = f"postgresql://fwbot:{password}@127.0.0.1:{port}/fwbot"

    result = doctor.run()

    assert result.code == 1
    line = result.line("database")
    assert line.startswith(
        f"✘ database: cannot open postgresql+psycopg://fwbot@127.0.0.1:{port}/fwbot: "
    )
    assert "fix: check FWBOT_DATABASE_URL" in line
    assert password not in result.out
