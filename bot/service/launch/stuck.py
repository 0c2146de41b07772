"""The stuck-jobs alert: once per batch, when jobs wait or run far longer than their gear
should take.

How long is too long is a setting per gear with a default (``FWBOT_STUCK_AFTER``,
``FWBOT_STUCK_AFTER_BY_GEAR``), measured from when Flywheel queued the job, on Flywheel's
own job times. The alert is claimed before it is posted (``post_claims`` key
``stuck:<batch>``: an INSERT on a primary key, so of several replicas exactly one posts
it), posted in the batch message's thread, told to ``BatchEvents`` (subscribed
channels), and marked posted: it never comes back for that batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain import BatchState
from bot.service.launch.progress import BatchView, StuckReport, find_stuck
from bot.service.launch.reporting import BatchReporter
from bot.service.notify import BatchEvents
from bot.store.post_claims import PostClaims

log = logging.getLogger(__name__)

DEFAULT_STUCK_AFTER = timedelta(hours=12)


@dataclass(frozen=True)
class StuckRule:
    """How long a gear's job may be pending or running before it counts as stuck.

    ``by_gear`` keys match a gear whose name equals or contains them (``fmriprep``
    covers ``fmriprep-hpc``); the longest matching key wins, else ``default``."""

    default: timedelta = DEFAULT_STUCK_AFTER
    by_gear: Mapping[str, timedelta] = field(default_factory=dict)

    def after(self, gear_name: str) -> timedelta:
        if gear_name in self.by_gear:
            return self.by_gear[gear_name]
        matches = [key for key in self.by_gear if key and key in gear_name]
        return self.by_gear[max(matches, key=len)] if matches else self.default


def stuck_key(batch_id: str) -> str:
    return f"stuck:{batch_id}"


class StuckWatch:
    def __init__(
        self,
        reporter: BatchReporter,
        claims: PostClaims,
        events: BatchEvents,
        owner: str,
        stuck_after: Callable[[str], timedelta] | None = None,
    ) -> None:
        """``stuck_after``: the gear's name -> how long is too long (``StuckRule.after``)."""
        self._reporter = reporter
        self._claims = claims
        self._events = events
        self._owner = owner
        self._stuck_after = stuck_after or StuckRule().after

    def check(self, view: BatchView) -> StuckReport | None:
        """Alert once if the batch has stuck jobs; the report when this call alerted."""
        if view.batch.state is not BatchState.LAUNCHED:
            return None
        report = find_stuck(view, self._stuck_after(view.batch.gear_name))
        if report is None:
            return None
        key = stuck_key(view.batch.id)
        if not self._claims.claim(key, self._owner):
            return None  # alerted already, or another replica is alerting now
        try:
            delivered = self._reporter.post_stuck(view, report)
        except Exception:
            self._claims.release(key, self._owner)
            raise
        if not delivered:
            self._claims.release(key, self._owner)  # Slack refused: the next pass tries again
            return None
        try:
            self._events.batch_stuck(view, report.session_labels)
        except Exception:
            log.exception(
                "batch %s: telling subscribed channels of stuck jobs failed", view.batch.id
            )
        self._claims.posted(key, self._owner)
        return report
