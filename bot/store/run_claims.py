"""Run claims: which batch holds each run, so no run is launched by two batches.

A claim is an INSERT on the run's key (the primary key). Two transactions inserting the
same key cannot both succeed: on PostgreSQL the second waits for the first and then
fails, on SQLite the write lock orders them; the loser reads the winner. A claim moves to
another batch only by a compare-and-set on its holder, once the caller has made sure the
holder's run there no longer stands (``bot.domain.claims.run_stands``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import RunClaimRow, utcnow
from bot.store.repo import StoreBacked

CHUNK = 500  # keys per IN (...) list: well under SQLite's and PostgreSQL's limits
INSERT_ATTEMPTS = 4  # a racing batch may win some keys between the read and the insert


class RunClaims(StoreBacked):
    """Claims on runs, held by batches."""

    def claim_holders(self, run_keys: Sequence[str]) -> dict[str, str]:
        """The batch holding each claimed key (keys nobody holds are left out)."""
        with self._store.reading() as s:
            return _holders(s, run_keys)

    def claim_runs(
        self,
        batch_id: str,
        targets: Mapping[str, str],
        *,
        take_over: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Claim each run for ``batch_id`` (``targets``: run key -> target key).

        ``take_over`` names claims the caller found no longer standing (run key -> their
        holder then): each passes to this batch only if that holder still has it.
        Returns the runs another batch holds after all (run key -> holder): the caller
        must not launch them."""
        if not targets:
            return {}
        with self._store.session() as s:
            holders = self._insert_missing(s, batch_id, targets)
            for key, was in (take_over or {}).items():
                if holders.get(key) == was and _take(s, key, was, batch_id):
                    holders[key] = batch_id
        return {k: h for k, h in holders.items() if h != batch_id}

    @staticmethod
    def _insert_missing(s: Session, batch_id: str, targets: Mapping[str, str]) -> dict[str, str]:
        """Insert the keys nobody holds; returns every key's holder."""
        for _ in range(INSERT_ATTEMPTS):
            holders = _holders(s, list(targets))
            missing = [k for k in targets if k not in holders]
            if not missing:
                return holders
            now = utcnow()
            rows = [
                {"run_key": k, "batch_id": batch_id, "target_key": targets[k], "claimed_at": now}
                for k in missing
            ]
            try:
                with s.begin_nested():
                    s.execute(insert(RunClaimRow), rows)
            except IntegrityError:
                continue  # another batch claimed some of them meanwhile: read again
            holders.update(dict.fromkeys(missing, batch_id))
            return holders
        raise RuntimeError(f"batch {batch_id}: run claims kept racing; try again")


def _holders(s: Session, run_keys: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(run_keys), CHUNK):
        chunk = run_keys[start : start + CHUNK]
        stmt = select(RunClaimRow.run_key, RunClaimRow.batch_id).where(
            RunClaimRow.run_key.in_(chunk)
        )
        found.update({key: holder for key, holder in s.execute(stmt)})
    return found


def _take(s: Session, run_key: str, holder: str, batch_id: str) -> bool:
    stmt = (
        update(RunClaimRow)
        .where(RunClaimRow.run_key == run_key, RunClaimRow.batch_id == holder)
        .values(batch_id=batch_id, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(s.execute(stmt).rowcount)  # type: ignore[attr-defined]
