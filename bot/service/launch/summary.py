"""The completion summary: once per batch, across restarts and replicas.

When a batch's last job has ended the watcher moves it to a final state; then, in the
same pass, this claims the final batches whose summary is not posted yet
(``claim_batches_needing_summary``: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two
replicas never claim the same one), makes sure the batch message shows it finished,
posts the summary in its thread, tells ``BatchEvents`` (subscribed channels), and marks
it posted. A post that does not get through gives the claim back for the next pass; a
process that dies between posting and marking leaves a claim that lapses after
``SUMMARY_LEASE``, and the next claimer finds the post recorded in the store
(``slack_messages`` kind ``summary``) and does not post it again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from bot.domain import TargetState
from bot.domain.delivery import NOT_DELIVERED, NotDelivered
from bot.errors import FwbotError
from bot.service.launch.progress import BatchView
from bot.service.launch.reporting import BatchReporter
from bot.service.notify import BatchEvents
from bot.store.batches import BatchRepo

log = logging.getLogger(__name__)

SUMMARY_LEASE = timedelta(minutes=15)
CLAIM_LIMIT = 20  # batches summarized per pass
# A batch that ended longer ago than this is not announced (e.g. batches that ended
# before summaries existed, on the first start of a bot that has them).
TOO_OLD = timedelta(days=1)


class SummaryPoster:
    def __init__(
        self,
        reporter: BatchReporter,
        batches: BatchRepo,
        events: BatchEvents,
        owner: str,
    ) -> None:
        self._reporter = reporter
        self._batches = batches
        self._events = events
        self._owner = owner

    def post_due(self, fresh: Mapping[str, BatchView] | None = None) -> int:
        """Summarize every final batch not summarized yet that this process can claim;
        returns how many were settled. ``fresh``: views of batches the caller has just
        read from Flywheel (their jobs need not be read again)."""
        settled = 0
        claimed = self._batches.claim_batches_needing_summary(
            CLAIM_LIMIT, self._owner, lease=SUMMARY_LEASE
        )
        for batch in claimed:
            try:
                view = self._summarize(batch.id, (fresh or {}).get(batch.id))
            except FwbotError as err:  # Flywheel down: the claim goes back, next pass
                log.warning("batch %s: summary postponed: %s", batch.id, err.message)
                self._batches.release_summary_claim(batch.id, self._owner)
                continue
            except Exception:
                log.exception("batch %s: summary failed; it is tried again", batch.id)
                self._batches.release_summary_claim(batch.id, self._owner)
                continue
            if isinstance(view, NotDelivered):
                self._batches.release_summary_claim(batch.id, self._owner)
                continue
            if isinstance(view, BatchView):
                self._tell_subscribers(view)
            self._batches.mark_summary_posted(batch.id)
            self._reporter.forget(batch.id)  # ended and told: nothing more to show
            settled += 1
        return settled

    def _summarize(self, batch_id: str, fresh: BatchView | None) -> BatchView | NotDelivered | None:
        """The view that was announced; None: nothing to announce (settled all the same);
        ``NOT_DELIVERED``: try again."""
        batch = self._batches.get_existing(batch_id)
        # finished_at is the store's wall-clock time, so it is compared with the wall clock
        if batch.finished_at is not None and batch.finished_at < datetime.now(UTC) - TOO_OLD:
            log.info("batch %s ended long ago; no summary", batch_id)
            return None
        counts = self._batches.target_counts(batch_id)
        if not counts.get(TargetState.LAUNCHED) and not counts.get(TargetState.FAILED):
            return None  # a plan dropped before anything was launched: nothing to say
        view = fresh if fresh is not None and fresh.batch.is_final else None
        view = view or self._reporter.view(batch_id)
        self._reporter.publish(batch_id, view)  # the message itself says it ended
        if view.active:
            # a launch cancelled while it ran ends at once, but its running jobs finish:
            # the summary waits for them (the message follows them meanwhile)
            return NOT_DELIVERED
        if not self._reporter.post_summary(view):
            return NOT_DELIVERED
        return view

    def _tell_subscribers(self, view: BatchView) -> None:
        try:
            self._events.batch_ended(view)
        except Exception:
            log.exception("batch %s: telling subscribed channels it ended failed", view.batch.id)
