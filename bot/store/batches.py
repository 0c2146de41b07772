"""Batches and their per-session targets, split by job: records (create, read,
transition), targets, claims (launch lease, summary claim) and run claims (one batch
per run). ``BatchRepo`` is their
union, which is what the store hands out as ``store.batches``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.domain.batches import new_batch_id
from bot.store.batch_claims import BatchClaims
from bot.store.batch_records import BatchRecords
from bot.store.batch_targets import BatchTargets
from bot.store.repo import StoreBacked, TargetUpdate
from bot.store.run_claims import RunClaims

if TYPE_CHECKING:
    from bot.store.db import Store

__all__ = ["BatchRepo", "TargetUpdate"]


class BatchRepo(BatchRecords, BatchTargets, BatchClaims, RunClaims):
    """Batches and targets. Every method is its own transaction unless called
    inside an enclosing ``store.session()``."""

    def __init__(self, store: Store, id_factory: Callable[[], str] = new_batch_id) -> None:
        StoreBacked.__init__(self, store)
        self._new_id = id_factory
