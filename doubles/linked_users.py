"""Link a workspace's people to their Flywheel accounts before a real fwbot process starts,
as each would with ``/fw link``: their own key (localfw knows every user's), checked with
Flywheel, sealed with the process's own ``FWBOT_LINK_ENCRYPTION_KEYS`` in its database.

On a site that filters permission lists, fwbot's plain key cannot see other people's
roles, so a bot process in a test acts for linked people, as a lab's bot would."""

from __future__ import annotations

from typing import Protocol

from bot.flywheel.sdk_gateway import SdkGateway
from bot.service.accounts import Accounts, Keybox, principal_of
from bot.store.db import Store


class KnowsKeys(Protocol):
    """A local Flywheel, in this process (``LocalFlywheel``) or another (bench's remote)."""

    sdk_api_key: str

    def sdk_key_for_email(self, email: str) -> str | None: ...


def link_workspace(env: dict[str, str], flywheel: KnowsKeys, users: dict[str, str]) -> int:
    """Link each Slack user (id -> email) the local Flywheel knows; returns how many."""
    url = env.get("FWBOT_DATABASE_URL") or env.get("DATABASE_URL")
    store = Store.from_url(url) if url else Store.for_data_dir(env["FWBOT_DATA_DIR"])
    store.migrate()
    accounts = Accounts(
        store.linked_accounts,
        store.audit,
        keybox=Keybox(env["FWBOT_LINK_ENCRYPTION_KEYS"]),
        mode="both",
        service_key=flywheel.sdk_api_key,
        connect=SdkGateway.connect,
    )
    linked = 0
    try:
        for slack_id, email in users.items():
            key = flywheel.sdk_key_for_email(email)
            if key is not None:
                accounts.link(principal_of(slack_id, ""), key)
                linked += 1
    finally:
        store.dispose()
    return linked

