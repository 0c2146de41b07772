"""The store: SQLAlchemy models, repositories and Alembic migrations.

The bottom layer: imports nothing from service, slack or commands. Callers get
frozen records, never live ORM objects. Start with ``Store.from_url(url)`` or
``Store.for_data_dir(path)``, then ``store.migrate()``.
"""

from bot.store.audit import AuditEvent, AuditRepo
from bot.store.batches import (
    Batch,
    BatchRepo,
    BatchSpec,
    Target,
    TargetSpec,
    TargetUpdate,
    config_hash,
    idempotency_key,
    new_batch_id,
)
from bot.store.db import Store, normalize_url
from bot.store.identities import Identity, IdentityRepo
from bot.store.messages import MessageRepo, SlackMessage
from bot.store.states import (
    FINAL_BATCH_STATES,
    BatchState,
    IllegalTransition,
    LaunchMode,
    TargetState,
    check_transition,
)
from bot.store.subscriptions import Subscription, SubscriptionRepo

__all__ = [
    "FINAL_BATCH_STATES",
    "AuditEvent",
    "AuditRepo",
    "Batch",
    "BatchRepo",
    "BatchSpec",
    "BatchState",
    "Identity",
    "IdentityRepo",
    "IllegalTransition",
    "LaunchMode",
    "MessageRepo",
    "SlackMessage",
    "Store",
    "Subscription",
    "SubscriptionRepo",
    "Target",
    "TargetSpec",
    "TargetState",
    "TargetUpdate",
    "check_transition",
    "config_hash",
    "idempotency_key",
    "new_batch_id",
    "normalize_url",
]
