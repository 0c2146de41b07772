"""The store: SQLAlchemy models, repositories and Alembic migrations.

It maps rows to the domain's records (``bot.domain``: ``Batch``, ``Target``,
``AuditEvent`` ...) and back; callers get frozen records, never live ORM objects.
It imports nothing from service, slack or commands. Start with
``Store.from_url(url)`` or ``Store.for_data_dir(path)``, then ``store.migrate()``.
"""

from bot.store.audit import AuditRepo
from bot.store.batches import BatchRepo, TargetUpdate
from bot.store.db import Store, normalize_url
from bot.store.identities import Identity, IdentityRepo
from bot.store.messages import MessageRepo, SlackMessage
from bot.store.subscriptions import SubscriptionRepo

__all__ = [
    "AuditRepo",
    "BatchRepo",
    "Identity",
    "IdentityRepo",
    "MessageRepo",
    "SlackMessage",
    "Store",
    "SubscriptionRepo",
    "TargetUpdate",
    "normalize_url",
]
