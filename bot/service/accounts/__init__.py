"""Who fwbot acts as on Flywheel: a person's linked key, or the lab's service account."""

from bot.service.accounts.acting import (
    ActingFor,
    ActingGateway,
    LauncherKeys,
    LinkExpired,
    ServiceKeyOnly,
    acting,
    acting_for,
    as_service_account,
)
from bot.service.accounts.keybox import Keybox, KeyboxError, new_encryption_key
from bot.service.accounts.service import (
    LINK_HINT,
    Accounts,
    AccountsMode,
    LinkRefused,
    actor_principal,
    principal_of,
)

__all__ = [
    "LINK_HINT",
    "Accounts",
    "AccountsMode",
    "ActingFor",
    "ActingGateway",
    "Keybox",
    "KeyboxError",
    "LauncherKeys",
    "LinkExpired",
    "LinkRefused",
    "ServiceKeyOnly",
    "acting",
    "acting_for",
    "actor_principal",
    "as_service_account",
    "new_encryption_key",
    "principal_of",
]
