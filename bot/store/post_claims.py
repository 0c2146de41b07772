"""Exactly-once posts across replicas: a post is claimed by key before it is made.

Keys name what is posted, e.g. ``digest:<subscription id>:2026-11-30`` or
``stuck:<batch id>``. The claim is an INSERT on the primary key, so of two replicas
racing for the same key exactly one wins, on SQLite and PostgreSQL alike. A claim whose
owner died before posting (no ``posted_at`` after ``lease``) may be taken over; a posted
one never is. Release a claim when the post failed for good, so another attempt can
make it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.models import PostClaimRow, utcnow
from bot.store.repo import StoreBacked

DEFAULT_LEASE = timedelta(minutes=10)


class PostClaims(StoreBacked):
    def claim(
        self,
        key: str,
        owner: str,
        *,
        lease: timedelta = DEFAULT_LEASE,
        now: datetime | None = None,
    ) -> bool:
        """True when ``owner`` now holds ``key`` and should post; False when it was
        posted already or another live owner holds it."""
        now = now or utcnow()
        with self._store.session() as s:
            try:
                with s.begin_nested():
                    s.add(PostClaimRow(key=key, owner=owner, claimed_at=now, posted_at=None))
                    s.flush()
                return True
            except IntegrityError:
                pass
            taken = s.execute(
                update(PostClaimRow)
                .where(
                    PostClaimRow.key == key,
                    PostClaimRow.posted_at.is_(None),
                    PostClaimRow.claimed_at < now - lease,
                )
                .values(owner=owner, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]

    def posted(self, key: str, owner: str, *, now: datetime | None = None) -> None:
        """The post was made: the key is never claimed again."""
        with self._store.session() as s:
            s.execute(
                update(PostClaimRow)
                .where(PostClaimRow.key == key, PostClaimRow.owner == owner)
                .values(posted_at=now or utcnow())
                .execution_options(synchronize_session=False)
            )

    def release(self, key: str, owner: str) -> None:
        """Give up an unposted claim (the post failed), so a later attempt can make it."""
        with self._store.session() as s:
            s.execute(
                delete(PostClaimRow).where(
                    PostClaimRow.key == key,
                    PostClaimRow.owner == owner,
                    PostClaimRow.posted_at.is_(None),
                )
            )

    def was_posted(self, key: str) -> bool:
        with self._store.reading() as s:
            at = s.scalar(select(PostClaimRow.posted_at).where(PostClaimRow.key == key))
            return at is not None
