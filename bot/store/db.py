"""The `Store`: one engine, one session factory, migrations, and the repositories.

SQLite (a file under the data directory) is the default; PostgreSQL is used
when the URL says so. ``store.session()`` is a unit of work: nested calls in
the same thread/task join the outer transaction, so a service can group
several repository calls atomically while each call also works on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from bot.store.audit import AuditRepo
    from bot.store.batches import BatchRepo
    from bot.store.identities import IdentityRepo
    from bot.store.linked_accounts import LinkedAccountRepo
    from bot.store.messages import MessageRepo
    from bot.store.post_claims import PostClaims
    from bot.store.subscriptions import SubscriptionRepo

log = logging.getLogger(__name__)
SQLITE_FILENAME = "fwbot.sqlite3"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x66776274  # "fwbt": the advisory lock replicas take turns on to migrate


def normalize_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` forms hosting platforms
    hand out, and use psycopg 3 (the only PostgreSQL driver installed)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


READ_ONLY_OPTION = "fwbot_read_only"


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` transactions.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; we
    take it over (SQLAlchemy's documented recipe). IMMEDIATE takes the write
    lock up front, so concurrent writers queue on the busy timeout instead of
    failing with "database is locked" when a read turns into a write.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Reads (Store.reading) begin deferred: under WAL they never wait for a writer.
        read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Store:
    """Database access for fwbot; construct one per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._readers = sessionmaker(
            engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )
        self._current: ContextVar[Session | None] = ContextVar(
            f"fwbot_store_{id(self)}", default=None
        )
        self._after_unit: ContextVar[list[Callable[[], None]] | None] = ContextVar(
            f"fwbot_after_unit_{id(self)}", default=None
        )
        self._in_unit: ContextVar[bool] = ContextVar(f"fwbot_in_unit_{id(self)}", default=False)

    @classmethod
    def from_url(cls, url: str, **engine_kwargs: Any) -> Store:
        """``sqlite:///path`` (parent directory created) or ``postgresql://...``."""
        url = normalize_url(url)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, **engine_kwargs)
            _configure_sqlite(engine)
        else:
            engine_kwargs.setdefault("pool_pre_ping", True)
            engine = create_engine(url, **engine_kwargs)
        return cls(engine)

    @classmethod
    def for_data_dir(cls, path: Path | str) -> Store:
        """The default: ``<data dir>/fwbot.sqlite3``."""
        return cls.from_url(f"sqlite:///{(Path(path) / SQLITE_FILENAME).as_posix()}")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def alembic_config(self, connection: Connection) -> Config:
        """An in-memory Alembic config bound to ``connection`` (no alembic.ini)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = connection
        return cfg

    def migrate(self, revision: str = "head") -> None:
        """Run Alembic upgrade programmatically, with the migrations shipped in the package.

        On PostgreSQL, replicas starting together take turns: a transaction-scoped advisory
        lock is held while migrating, so the second finds the schema at head instead of
        failing on the first one's half-made tables."""
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            command.upgrade(self.alembic_config(conn), revision)

    def schema_revision(self) -> str:
        """The Alembic revision the database is at ("" for an empty database)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return ", ".join(sorted(MigrationContext.configure(conn).get_current_heads()))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Commit on success, roll back on error; joins an enclosing ``session()``."""
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        with self._sessions() as sess:
            token = self._current.set(sess)
            try:
                with sess.begin():
                    yield sess
            finally:
                self._current.reset(token)

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """One use case's changes in one transaction: every repository call inside joins
        it; it commits at the end, or rolls back on an error.

        Work handed to :meth:`after_unit` (audit rows) runs after it, in a transaction of
        its own, so the audit row of a refusal survives the rollback its exception causes
        (and on SQLite never waits on the unit's own write lock)."""
        if self._current.get() is not None:  # inside another unit: be part of it
            yield
            return
        after: list[Callable[[], None]] = []
        token = self._after_unit.set(after)
        unit = self._in_unit.set(True)
        try:
            with self.session():
                yield
        finally:
            self._in_unit.reset(unit)
            self._after_unit.reset(token)
            for work in after:
                try:
                    work()
                except Exception:  # one lost audit row must not hide the use case's outcome
                    log.exception("work after a unit of work failed")

    def in_unit_of_work(self) -> bool:
        """Whether the calling context is inside ``unit_of_work`` (which must not wait on
        Flywheel: on SQLite it holds the one write lock from its first statement)."""
        return self._in_unit.get()

    def after_unit(self, work: Callable[[], None]) -> None:
        """Run ``work`` once the current unit of work has ended (now, outside one)."""
        pending = self._after_unit.get()
        if pending is None:
            work()
        else:
            pending.append(work)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads: on SQLite it takes no write lock, so lookups on
        the Slack ack path never queue behind launch bookkeeping. Joins an enclosing
        ``session()``; never write through it."""
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        with self._readers() as sess, sess.begin():
            yield sess

    def ping(self) -> None:
        """``SELECT 1`` on a pooled connection, for readiness: raises when the database
        cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()

    @cached_property
    def batches(self) -> BatchRepo:
        from bot.store.batches import BatchRepo

        return BatchRepo(self)

    @cached_property
    def audit(self) -> AuditRepo:
        from bot.store.audit import AuditRepo

        return AuditRepo(self)

    @cached_property
    def identities(self) -> IdentityRepo:
        from bot.store.identities import IdentityRepo

        return IdentityRepo(self)

    @cached_property
    def linked_accounts(self) -> LinkedAccountRepo:
        from bot.store.linked_accounts import LinkedAccountRepo

        return LinkedAccountRepo(self)

    @cached_property
    def messages(self) -> MessageRepo:
        from bot.store.messages import MessageRepo

        return MessageRepo(self)

    @cached_property
    def subscriptions(self) -> SubscriptionRepo:
        from bot.store.subscriptions import SubscriptionRepo

        return SubscriptionRepo(self)

    @cached_property
    def post_claims(self) -> PostClaims:
        from bot.store.post_claims import PostClaims

        return PostClaims(self)
