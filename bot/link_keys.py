"""`fwbot link-key` and `fwbot rotate-link-keys`: the encryption keys of linked accounts.

``link-key`` prints a new Fernet key for ``FWBOT_LINK_ENCRYPTION_KEYS``. To rotate: put a
new key first in that setting (``NEW,OLD``), restart the replicas, run
``rotate-link-keys`` (every stored key is re-encrypted under the first key; the old key
still decrypts meanwhile), then drop the old key. Nothing here prints a linked key.
"""

from __future__ import annotations

import argparse
import sys

from bot.errors import FwbotError
from bot.flywheel.gateway import FlywheelGateway
from bot.service.accounts import Keybox, new_encryption_key
from bot.service.accounts.service import Accounts
from bot.settings import load_settings
from bot.store.db import Store


def run_link_key(args: argparse.Namespace) -> int:
    print(new_encryption_key())
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    """0 once every linked key is sealed under the first encryption key."""
    try:
        settings = load_settings()
        secret = settings.secret("link_encryption_keys")
        if not secret:
            raise FwbotError(
                "FWBOT_LINK_ENCRYPTION_KEYS is not set: there is nothing to rotate to.",
                hint="Put the new key first, the old one after: NEW,OLD.",
            )
        store = Store.from_url(settings.resolved_database_url())
        store.migrate()
        accounts = Accounts(
            store.linked_accounts,
            store.audit,
            keybox=Keybox(secret),
            mode=settings.accounts,
            service_key=settings.secret("flywheel_api_key"),
            connect=_no_flywheel,
        )
        rotated, total = accounts.rotate()
        store.dispose()
    except FwbotError as err:
        print(f"fwbot rotate-link-keys: {err.user_text()}", file=sys.stderr)
        return 2
    print(f"{rotated} of {total} linked keys re-encrypted under the first key.")
    return 0


def _no_flywheel(api_key: str) -> FlywheelGateway:
    """Rotation only re-encrypts what the store holds: it never talks to Flywheel."""
    raise RuntimeError("rotate-link-keys makes no Flywheel call")
