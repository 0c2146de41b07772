"""Events on subscribed channels: a batch ended (``done`` / ``failed``) or is ``stuck``.

fwbot's own batches reach here through ``BatchEvents`` (``SubscriptionEvents``), called
by the batch watcher once per event. Runs launched outside fwbot (scripts, the web UI,
gear rules) are found by ``OutsideRuns`` on a scheduler pass: for each project some
channel follows, the analyses of its sessions with their jobs (a few paged requests,
never one per session), fwbot's own jobs left out, grouped into batches
(``bot.service.subscriptions.runs``). Every post is claimed once per channel, batch and
kind (``event:<channel>:<batch>:<kind>``), so replicas and later passes never repeat it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from bot.domain import JobState
from bot.domain.runs import ProjectRun
from bot.domain.subscriptions import EventKind, Subscription
from bot.errors import FwbotError
from bot.flywheel.gateway import FlywheelGateway
from bot.service.launch.progress import BatchView
from bot.service.subscriptions.ports import (
    EventNotice,
    FailedRun,
    SubscriptionNotifier,
)
from bot.service.subscriptions.posting import ChannelPosts
from bot.service.subscriptions.runs import (
    Labels,
    RunGroup,
    StuckAfter,
    failed_run,
    is_stuck,
    outside_groups,
)
from bot.store.subscriptions import SubscriptionRepo

log = logging.getLogger(__name__)

FAILURES_LISTED = 5  # an event names the first few failures; the digest's CSV has them all
STUCK_LISTED = 10
# Outside batches that ended longer ago than this are history, not news (a bot started
# after a long stop does not post about last month's runs).
RECENT = timedelta(days=2)


def event_key(channel: str, batch: str, kind: str) -> str:
    return f"event:{channel}:{batch}:{kind}"


def ended_kind(failed: int) -> EventKind:
    """``failed`` when any job failed, else ``done`` (complete, perhaps some cancelled)."""
    return "failed" if failed else "done"


class SubscriptionEvents:
    """``BatchEvents``: fwbot's batch ended or has stuck jobs -> the channels subscribed to
    its project (and gear) that asked for that event."""

    def __init__(
        self,
        subscriptions: SubscriptionRepo,
        posts: ChannelPosts,
        notifier: SubscriptionNotifier,
    ) -> None:
        self._subscriptions = subscriptions
        self._posts = posts
        self._notifier = notifier

    def batch_ended(self, view: BatchView) -> None:
        batch = view.batch
        failures = tuple(getattr(view, "failed_jobs", ())) + tuple(view.failures)
        kind = ended_kind(view.failed + view.launch_failed)
        notice = _notice(
            view,
            kind,
            failures=tuple(
                FailedRun(
                    gear_name=batch.gear_name,
                    gear_version=batch.gear_version,
                    subject_label=f.subject_label,
                    session_label=f.session_label,
                    reason=f.reason,
                    launched_by=batch.requester_email,
                    batch=batch.id,
                    ended=None,
                    analysis_id="",
                )
                for f in failures[:FAILURES_LISTED]
            ),
        )
        self._tell(batch.project_label, batch.gear_name, batch.id, notice)

    def batch_stuck(self, view: BatchView, stuck_sessions: Sequence[str]) -> None:
        batch = view.batch
        notice = _notice(view, "stuck", stuck_sessions=tuple(stuck_sessions))
        self._tell(batch.project_label, batch.gear_name, batch.id, notice)

    def _tell(self, project: str, gear: str, batch: str, notice: EventNotice) -> None:
        for sub in self._subscriptions.matching(project, gear, notice.kind):
            to = sub.posts_to
            post = partial(self._notifier.post_event, to, notice)
            self._posts.once(event_key(sub.channel, batch, notice.kind), to, post)


def _notice(view: BatchView, kind: EventKind, **more: Any) -> EventNotice:
    """What a subscription post says of a batch, by the same counts as its summary."""
    batch = view.batch
    return EventNotice(
        kind=kind,
        project_label=batch.project_label,
        gear_name=batch.gear_name,
        gear_version=batch.gear_version,
        batch_id=batch.id,
        launched_by=batch.requester_email,
        launched_at=getattr(view, "started_at", None) or batch.launched_at or batch.created_at,
        total=view.targets,
        complete=view.complete,
        failed=view.failed + view.launch_failed,
        cancelled=view.cancelled + view.launch_cancelled,
        active=view.active,
        **more,
    )


class OutsideRuns:
    """The scheduler pass that finds batches launched outside fwbot on followed projects."""

    def __init__(
        self,
        gateway: FlywheelGateway,
        subscriptions: SubscriptionRepo,
        posts: ChannelPosts,
        notifier: SubscriptionNotifier,
        *,
        clock: Callable[[], datetime],
        stuck_after: StuckAfter,
        recent: timedelta = RECENT,
    ) -> None:
        self._gateway = gateway
        self._subscriptions = subscriptions
        self._posts = posts
        self._notifier = notifier
        self._clock = clock
        self._stuck_after = stuck_after
        self._recent = recent
        self._project_ids: dict[str, str] = {}

    def tick(self) -> int:
        """One pass over every followed project; returns how many events were posted."""
        watching: dict[str, list[Subscription]] = {}
        for sub in self._subscriptions.active():
            if sub.watches:
                watching.setdefault(sub.project_label, []).append(sub)
        posted = 0
        for project_label, subs in watching.items():
            try:
                posted += self._project(project_label, subs)
            except FwbotError as err:  # Flywheel down: the next pass tries again
                log.warning("outside runs of %s not read: %s", project_label, err.message)
        return posted

    def _project(self, label: str, subs: list[Subscription]) -> int:
        project_id = self._project_id(label)
        if project_id is None:
            return 0
        now = self._clock()
        groups = outside_groups(self._gateway.project_runs(project_id))
        labels: Labels | None = None
        posted = 0
        for group in groups:
            for sub in subs:
                if sub.gear is not None and sub.gear != group.gear_name:
                    continue
                for kind in self._kinds(group, sub, now):
                    key = event_key(sub.channel, group.short_key, kind)
                    if not self._posts.claim(key):
                        continue
                    if kind in ("failed", "stuck") and labels is None:
                        labels = self._labels(project_id)
                    notice = self._notice(label, group, kind, now, labels or {})
                    to = sub.posts_to
                    post = partial(self._notifier.post_event, to, notice)
                    if self._posts.finish(key, to, post):
                        posted += 1
        return posted

    def _kinds(self, group: RunGroup, sub: Subscription, now: datetime) -> list[EventKind]:
        kinds: list[EventKind] = []
        ended = group.ended_at
        if ended is not None and ended >= sub.created_at and now - ended <= self._recent:
            kind = ended_kind(group.count(JobState.FAILED))
            if sub.wants(kind):
                kinds.append(kind)
        if sub.wants("stuck") and any(is_stuck(r, now, self._stuck_after) for r in group.runs):
            kinds.append("stuck")
        return kinds

    def _notice(
        self, project: str, group: RunGroup, kind: EventKind, now: datetime, labels: Labels
    ) -> EventNotice:
        failed: list[ProjectRun] = [r for r in group.runs if r.state is JobState.FAILED]
        stuck = [r for r in group.runs if is_stuck(r, now, self._stuck_after)]
        return EventNotice(
            kind=kind,
            project_label=project,
            gear_name=group.gear_name,
            gear_version=group.gear_version,
            batch_id=None,
            launched_by=group.origin,
            launched_at=group.launched_at,
            total=len(group.runs),
            complete=group.count(JobState.COMPLETE),
            failed=len(failed),
            cancelled=group.count(JobState.CANCELLED),
            active=group.active,
            stuck_sessions=tuple(_session_name(r, labels) for r in stuck[:STUCK_LISTED]),
            failures=tuple(failed_run(r, labels) for r in failed[:FAILURES_LISTED]),
            outside=True,
            flywheel_batch=group.flywheel_batch,
        )

    def _project_id(self, label: str) -> str | None:
        if label not in self._project_ids:
            project = self._gateway.find_project(label)
            if project is None:
                log.warning("followed project %s is not on Flywheel (any more?)", label)
                return None
            self._project_ids[label] = project.project_id
        return self._project_ids[label]

    def _labels(self, project_id: str) -> Labels:
        return session_labels(self._gateway, project_id)


def session_labels(gateway: FlywheelGateway, project_id: str) -> Labels:
    """Session id -> (subject label, session label): one paged read of the project."""
    return {s.session_id: (s.subject_label, s.label) for s in gateway.project_sessions(project_id)}


def _session_name(run: ProjectRun, labels: Labels) -> str:
    subject, session = labels.get(run.session_id or "", ("", run.session_id or "?"))
    return f"{subject} {session}".strip()
