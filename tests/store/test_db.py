"""Store construction, engine settings and the unit-of-work session."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.polling import PATIENCE
from bot.store import Store, normalize_url
from bot.store.db import SQLITE_FILENAME


def test_data_dir_store_is_a_sqlite_file_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = Store.for_data_dir(tmp_path / "nested" / "data")
    store.migrate()
    try:
        assert (tmp_path / "nested" / "data" / SQLITE_FILENAME).is_file()
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        store.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.sqlite3", "sqlite:///x.sqlite3"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


def test_database_url_picks_postgresql_with_psycopg() -> None:
    store = Store.from_url("postgres://nobody@127.0.0.1:1/none")  # no connection is made
    assert (store.dialect, store.engine.dialect.driver) == ("postgresql", "psycopg")


def test_migrate_twice_is_a_no_op(store: Store) -> None:
    store.migrate()
    with store.session() as s:
        assert s.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD


# The newest migration's revision: each file in versions/ is named after its revision.
HEAD = max(
    p.name.split("_")[0]
    for p in (Path(__file__).parents[2] / "bot/store/migrations/versions").glob("0*.py")
)


def test_nested_sessions_share_one_transaction(store: Store) -> None:
    with store.session() as outer, store.session() as inner:
        assert inner is outer
    with store.session() as later:
        assert later is not outer


def test_session_commits_or_rolls_back(store: Store) -> None:
    store.identities.put("U1", email="a@lab.org", flywheel_user_id=None)
    with pytest.raises(RuntimeError), store.session():
        store.identities.put("U2", email="b@lab.org", flywheel_user_id=None)
        raise RuntimeError("boom")
    assert store.identities.get("U1") is not None
    assert store.identities.get("U2") is None


def test_reads_do_not_wait_for_a_writer_on_sqlite(sqlite_store: Store) -> None:
    """Lookups on the Slack ack path (identities, batches) must not queue behind launch
    bookkeeping: a read completes while another thread holds the write lock."""
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with sqlite_store.session():
            sqlite_store.audit.record(actor_email="a@lab.org", action="launch", outcome="allowed")
            holding.set()
            release.wait(3 * PATIENCE)  # longer than the reader is given

    def reader(out: list[object]) -> None:
        out.append(sqlite_store.identities.get_fresh("U1", timedelta(hours=1)))
        out.append(sqlite_store.audit.recent())

    write = threading.Thread(target=writer)
    write.start()
    assert holding.wait(PATIENCE)
    seen: list[object] = []
    read = threading.Thread(target=reader, args=(seen,))
    read.start()
    read.join(PATIENCE)
    finished_while_locked = not read.is_alive()
    release.set()
    write.join(PATIENCE)
    read.join(PATIENCE)

    assert finished_while_locked
    assert seen == [None, []]  # and it saw only committed data


def test_replicas_migrating_an_empty_postgresql_together_both_start(pg_admin_url: str) -> None:
    """Two replicas of a new deployment start at once: they take turns (an advisory lock),
    so neither fails on the other's half-made tables."""
    import secrets

    from sqlalchemy import create_engine

    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    stores = [
        Store.from_url(pg_admin_url, connect_args={"options": f"-csearch_path={schema}"})
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def start(store: Store) -> None:
        barrier.wait()
        try:
            store.migrate()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=start, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with stores[0].session() as s:
            assert s.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        for store in stores:
            store.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
