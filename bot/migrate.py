"""`fwbot migrate`: bring the database to the newest schema, and say from which revision.

``fwbot serve`` does the same at every start; this is for an admin who wants the schema
ready before the first start (``fwbot check`` says the database is not migrated), or
a deploy step that migrates before rolling out replicas. Replicas and this command take
turns on PostgreSQL's advisory lock (``Store.migrate``), so running it beside a starting
bot is safe.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.engine import make_url

from bot.errors import FwbotError
from bot.settings import load_settings
from bot.store.db import Store, normalize_url


def run_migrate(args: argparse.Namespace) -> int:
    """0 once the schema is at the newest revision; 2 with one line when it cannot be."""
    try:
        settings = load_settings()
    except FwbotError as err:
        print(f"fwbot migrate: {err.user_text()}", file=sys.stderr)
        return 2
    url = settings.resolved_database_url()
    shown = make_url(normalize_url(url)).render_as_string(hide_password=True)
    store: Store | None = None
    try:
        store = Store.from_url(url)  # a SQLite file's directory is made here
        before = store.schema_revision()
        store.migrate()
        after = store.schema_revision()
    except Exception as exc:  # unreachable server, bad credentials: one line, no traceback
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
        print(f"fwbot migrate: cannot migrate {shown}: {reason}", file=sys.stderr)
        return 2
    finally:
        if store is not None:
            store.dispose()
    if before == after:
        print(f"fwbot migrate: {shown} is already at the newest revision ({after})")
    else:
        print(f"fwbot migrate: {shown} migrated from {before or 'an empty database'} to {after}")
    return 0
