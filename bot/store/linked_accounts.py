"""Linked Flywheel accounts: who linked which Flywheel user, with their key as ciphertext.

The store never sees a plaintext key: the service encrypts before ``put`` and decrypts
after ``get`` (``bot.service.accounts.keybox``), so a database dump or a backup holds
nothing anyone can use without fwbot's encryption key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from bot.store._sql import upsert
from bot.store.models import LinkedAccountRow, utcnow

if TYPE_CHECKING:
    from bot.store.db import Store


@dataclass(frozen=True)
class LinkedAccount:
    principal: str  # "slack:<user id>" or "console:<email>"
    flywheel_user_id: str
    email: str
    display_name: str
    site: str
    key_ciphertext: str
    linked_at: datetime


def _linked(row: LinkedAccountRow) -> LinkedAccount:
    return LinkedAccount(
        principal=row.principal,
        flywheel_user_id=row.flywheel_user_id,
        email=row.email,
        display_name=row.display_name,
        site=row.site,
        key_ciphertext=row.key_ciphertext,
        linked_at=row.linked_at,
    )


class LinkedAccountRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def put(
        self,
        principal: str,
        *,
        flywheel_user_id: str,
        email: str,
        display_name: str,
        site: str,
        key_ciphertext: str,
    ) -> LinkedAccount:
        """Link or re-link (one upsert: the newest key wins)."""
        values = {
            "principal": principal,
            "flywheel_user_id": flywheel_user_id,
            "email": email,
            "display_name": display_name,
            "site": site,
            "key_ciphertext": key_ciphertext,
            "linked_at": utcnow(),
        }
        with self._store.session() as s:
            upsert(
                s, LinkedAccountRow, values, ["principal"], [k for k in values if k != "principal"]
            )
            row = s.get(LinkedAccountRow, principal, populate_existing=True)
            assert row is not None
            return _linked(row)

    def get(self, principal: str) -> LinkedAccount | None:
        with self._store.reading() as s:
            row = s.get(LinkedAccountRow, principal)
            return _linked(row) if row is not None else None

    def all(self) -> list[LinkedAccount]:
        with self._store.reading() as s:
            rows = s.scalars(select(LinkedAccountRow).order_by(LinkedAccountRow.principal))
            return [_linked(r) for r in rows]

    def count(self) -> int:
        with self._store.reading() as s:
            return len(list(s.scalars(select(LinkedAccountRow.principal))))

    def delete(self, principal: str, *, only_ciphertext: str | None = None) -> bool:
        """Unlink. With ``only_ciphertext``, only if the row still holds that key: a key
        found dead must not remove a newer one its owner linked meanwhile."""
        query = delete(LinkedAccountRow).where(LinkedAccountRow.principal == principal)
        if only_ciphertext is not None:
            query = query.where(LinkedAccountRow.key_ciphertext == only_ciphertext)
        with self._store.session() as s:
            return bool(s.execute(query).rowcount)  # type: ignore[attr-defined]

    def replace_ciphertext(self, principal: str, old: str, new: str) -> bool:
        """Re-encrypt one row under the newest encryption key (rotation), compare-and-set."""
        query = (
            update(LinkedAccountRow)
            .where(LinkedAccountRow.principal == principal)
            .where(LinkedAccountRow.key_ciphertext == old)
            .values(key_ciphertext=new)
        )
        with self._store.session() as s:
            return bool(s.execute(query).rowcount)  # type: ignore[attr-defined]
