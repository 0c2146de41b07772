"""Link a workspace's people to their Flywheel accounts before a real fwbot process starts,
as each would with ``/fw link``: their own key (localfw knows every user's), checked with
Flywheel, sealed with the process's own ``FWBOT_LINK_ENCRYPTION_KEYS`` in its database.

On a site that filters permission lists, fwbot's plain key cannot see other people's
roles, so a bot process in a test acts for linked people, as a lab's bot would."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from bot.flywheel.sdk_gateway import SdkGateway
from bot.service.accounts import Accounts, Keybox, new_encryption_key, principal_of
from bot.store.db import Store


class KnowsKeys(Protocol):
    """A local Flywheel, in this process (``LocalFlywheel``) or another (bench's remote)."""

    @property
    def sdk_api_key(self) -> str: ...

    def sdk_key_for_email(self, email: str) -> str | None: ...


def link_workspace(env: dict[str, str], flywheel: KnowsKeys, users: dict[str, str]) -> int:
    """Link each Slack user (id -> email) the local Flywheel knows, in the database of the
    process ``env`` configures; returns how many."""
    url = env.get("FWBOT_DATABASE_URL") or env.get("DATABASE_URL")
    store = Store.from_url(url) if url else Store.for_data_dir(env["FWBOT_DATA_DIR"])
    store.migrate()
    try:
        accounts = new_accounts(store, flywheel, env["FWBOT_LINK_ENCRYPTION_KEYS"])
        return link_people(accounts, flywheel, {email: sid for sid, email in users.items()})
    finally:
        store.dispose()


def new_accounts(store: Store, flywheel: KnowsKeys, encryption_key: str | None = None) -> Accounts:
    """Linked accounts (both modes) on ``flywheel``, sealed with ``encryption_key`` (a
    fresh one by default)."""
    return Accounts(
        store.linked_accounts,
        store.audit,
        keybox=Keybox(encryption_key or new_encryption_key()),
        mode="both",
        service_key=flywheel.sdk_api_key,
        connect=SdkGateway.connect,
    )


def link_people(
    accounts: Accounts, flywheel: KnowsKeys, users: Mapping[str, str | None]
) -> int:
    """Link each person (email -> Slack id, None for a console user) the local Flywheel
    knows, with their own key; returns how many."""
    linked = 0
    for email, slack_id in users.items():
        key = flywheel.sdk_key_for_email(email)
        if key is not None:
            accounts.link(principal_of(slack_id, "" if slack_id else email), key)
            linked += 1
    return linked
