"""Launching a utility gear's batch through Flywheel's batch API: propose, then run.

Flywheel runs premade jobs exactly as given, so only utility gears go this way. The
intent is written in the store before the proposal is made (with fwbot's pending Flywheel
batches of that moment), so a proposal whose answer was lost (or whose maker died) is
found again on resume and run, never left runnable beside a second one.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from enum import Enum

from bot.domain import Batch, JobSpec, LaunchMode, Target, batch_tag
from bot.errors import FlywheelRefused
from bot.flywheel.gateway import BatchApiUnsupported, FlywheelGateway, LaunchRejected
from bot.observe import metrics
from bot.service.launch.marks import TargetMarks
from bot.store.batches import BatchRepo

log = logging.getLogger(__name__)


class Proposed(Enum):
    SETTLED = "settled"  # run, refused, or left for the next run (a stop, a cancel)
    UNSUPPORTED = "unsupported"  # no batch API on this site: launch per session


class BatchApiLaunch:
    def __init__(
        self,
        gateway: FlywheelGateway,
        batches: BatchRepo,
        marks: TargetMarks,
        job_spec: Callable[[Batch, Target], JobSpec],
    ) -> None:
        self._gateway = gateway
        self._batches = batches
        self._marks = marks
        self._job_spec = job_spec

    def launch(
        self, batch: Batch, pending: Sequence[Target], *, must_stop: Callable[[], bool]
    ) -> Proposed:
        """Premade jobs in one Flywheel batch, then one call to run it; ``must_stop`` says
        the bot stops or someone asked to cancel (a proposal made is then left unrun)."""
        proposal = batch.flywheel_batch_id if batch.launch_mode is LaunchMode.BATCH_API else None
        if proposal is not None and self._gateway.batch_state(proposal) != "pending":
            proposal = None  # run (its jobs were found by tag) or over: propose the rest anew
        try:
            if proposal is None and batch.proposal_intent_open:
                proposal = self._find_lost_proposal(batch)
            if proposal is None:
                if must_stop():
                    return Proposed.SETTLED
                proposal = self._propose(batch, pending)
        except BatchApiUnsupported:
            log.info("%s: no batch API on this site, launching per session", batch.id)
            self._batches.record_launch(batch.id, launch_mode=LaunchMode.PER_SESSION)
            return Proposed.UNSUPPORTED
        except LaunchRejected as err:
            self._batches.record_proposal_intent(batch.id, None)  # Flywheel made nothing
            self._marks.failed(pending, err.detail)
            return Proposed.SETTLED
        if not must_stop():  # else proposed, not run: the next run starts it
            self._run_proposal(batch, pending, proposal)
        return Proposed.SETTLED

    def _propose(self, batch: Batch, pending: Sequence[Target]) -> str:
        """Write the intent (with fwbot's pending Flywheel batches of this moment), then
        propose the jobs and record the proposal's id; a lost answer leaves the intent."""
        before = [b.batch_id for b in self._gateway.own_batches() if b.state == "pending"]
        self._batches.record_proposal_intent(batch.id, before)
        proposal = self._gateway.create_batch([self._job_spec(batch, t) for t in pending])
        self._batches.record_launch(
            batch.id, launch_mode=LaunchMode.BATCH_API, flywheel_batch_id=proposal
        )
        return proposal

    def _find_lost_proposal(self, batch: Batch) -> str | None:
        """The proposal an earlier run made but never heard back about: among fwbot's own
        Flywheel batches (``GET /batch``; Flywheel shows no proposal's jobs there), the
        pending premade ones that existed neither before the intent nor in any fwbot batch.

        Exactly one, and no other batch launching with an intent of its own: it is this
        batch's, recorded (and then run). Several, or another open intent, cannot be told
        apart; they are left as they are (Flywheel cancels only running batches, and fwbot
        never runs a proposal it has not recorded) and a new proposal is made."""
        known = set(batch.proposals_before or ())
        fresh = [
            b.batch_id
            for b in self._gateway.own_batches()
            if b.state == "pending" and b.premade and b.batch_id not in known
        ]
        recorded = self._batches.recorded_proposals(fresh)
        fresh = [b for b in fresh if b not in recorded]
        if not fresh:
            return None  # the proposal was never made
        rivals = self._batches.open_proposal_intents(besides=batch.id)
        if len(fresh) == 1 and not rivals:
            log.info("%s: found its proposal %s, whose answer was lost", batch.id, fresh[0])
            self._batches.record_launch(
                batch.id, launch_mode=LaunchMode.BATCH_API, flywheel_batch_id=fresh[0]
            )
            return fresh[0]
        log.warning(
            "%s: cannot tell which of fwbot's pending Flywheel batches %s is its lost proposal "
            "(other launches with an unanswered proposal: %s); leaving them pending, "
            "never run, and proposing anew",
            batch.id,
            ", ".join(fresh),
            ", ".join(rivals) or "none",
        )
        return None

    def _run_proposal(self, batch: Batch, pending: Sequence[Target], proposal: str) -> None:
        """Run the recorded proposal and mark its sessions launched. Its jobs carry the
        batch's tag; a proposal whose jobs do not (someone else's, taken for ours) is
        cancelled at once, before any of them can start, and its sessions are not marked."""
        jobs = self._gateway.start_batch(proposal)
        tag = batch_tag(batch.id)
        if jobs and all(j.tags and tag not in j.tags for j in jobs):
            log.error("%s: proposal %s was not this batch's; cancelling it", batch.id, proposal)
            with contextlib.suppress(FlywheelRefused):
                self._gateway.cancel_batch(proposal)
            return
        metrics.jobs_launched(LaunchMode.BATCH_API.value, len(jobs))
        self._marks.launched(pending, jobs)
