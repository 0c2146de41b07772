"""Turning a recorded batch into Flywheel jobs, exactly once per session.

An analysis gear launches as one new analysis per session (a few requests in flight at
a time, as many as the ``launch_concurrency`` setting); only utility gears go through
the batch API, whose premade jobs Flywheel runs exactly as given.

The batch and its targets are in the store before the first call to Flywheel.
Every job carries the tag ``fwbot:<batch id>``, so before launching anything the
launcher asks Flywheel which sessions already have a job with that tag (a job
whose creation succeeded even though its answer was lost, or a launch cut short
by a restart) and marks those launched instead of launching them again.

Transient errors (429, 5xx, dropped connections) are retried until a deadline (the
``launch_deadline`` setting): a 429 in place after the pause Flywheel asks (it did
nothing), anything else in retry rounds with exponential backoff and full jitter, each
round after one tag check, since the lost answer may hide a job that was made. A target
fails only for Flywheel's refusal (a 4xx) or when the deadline passes.

`/fw cancel` during the launch is a request in the store (``cancel_requested_by``), so the
process holding the launch learns it wherever it runs: from its heartbeat (every
``RENEW_EVERY`` seconds), once per retry round, and at once when the request was made in
this process. It then launches nothing more, cancels the jobs it made that are still
queued, and ends the batch ``cancelled``; a run that finds the request already recorded
(the bot had died) does the same instead of launching.

A utility gear's batch-API proposal is announced in the store before it is made (the
intent, with fwbot's pending Flywheel batches of that moment), so a proposal whose answer
was lost is found again on resume and run, never left runnable beside a second one.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial

from bot.domain import (
    ANALYSIS_CATEGORY,
    QUEUED_JOB_STATES,
    Batch,
    BatchState,
    FileRef,
    IllegalTransition,
    JobRecord,
    JobSpec,
    JobState,
    LaunchedJob,
    LaunchMode,
    ModeSetting,
    Target,
    TargetState,
    after_launch,
    batch_tag,
)
from bot.domain.claims import run_key
from bot.errors import FlywheelBusy, FlywheelRefused, FlywheelUnavailable
from bot.flywheel.gateway import BatchApiUnsupported, FlywheelGateway, LaunchRejected
from bot.observe import metrics
from bot.observe.context import ContextThreadPool
from bot.service.accounts.acting import LauncherKeys, ServiceKeyOnly
from bot.service.launch.reporting import BatchReporter
from bot.store.batches import BatchRepo, TargetUpdate

log = logging.getLogger(__name__)

DEADLINE = 1800.0  # seconds: transient errors are retried this long, then the target fails
FIRST_BACKOFF = 1.0  # seconds before the first retry round; doubles each round nothing got
MAX_BACKOFF = 60.0  # through, up to this; the pause is drawn in [0, that) (full jitter)
MAX_BUSY_WAIT = 60.0  # seconds; a longer Retry-After is capped
RENEW_EVERY = 5.0  # seconds between heartbeats of the launch lease (see BatchRepo.claim_launch)
PAUSE_SLICE = 0.1  # seconds: a pause (backoff, Retry-After) looks for a cancel this often
CANCEL_CONCURRENCY = 8  # job cancellations in flight at once


class Launcher:
    def __init__(
        self,
        gateway: FlywheelGateway,
        batches: BatchRepo,
        reporter: BatchReporter,
        stopping: threading.Event,
        *,
        mode: ModeSetting = "auto",
        concurrency: int = 8,
        owner: str = "fwbot",
        deadline: float = DEADLINE,
        clock: Callable[[], float] = time.monotonic,
        keys: LauncherKeys | None = None,
    ) -> None:
        self._gateway = gateway
        self._keys: LauncherKeys = keys or ServiceKeyOnly()  # the launcher's own key
        self._batches = batches
        self._reporter = reporter
        self._stopping = stopping
        self._mode = mode
        self._concurrency = concurrency
        self._owner = owner
        self._deadline = deadline
        self._clock = clock
        self._renewed: dict[str, float] = {}
        self._lost: set[str] = set()
        self._cancelling: set[str] = set()  # batches whose cancel this process has seen
        self._lock = threading.Lock()

    def run(self, batch_id: str) -> float | None:
        """Launch whatever of the batch is not launched yet; safe to call again after a stop.

        Only one process launches a batch at a time: the run starts by claiming it in the
        store and gives it back at the end, so replicas resuming launches never overlap.
        Returns None, or, when another process holds the launch, the seconds until its
        lease lapses unless renewed: the caller tries again then, so a launch whose process
        died (kill -9) is taken over as soon as its lease allows, not a watcher pass later.
        """
        batch = self._batches.get_existing(batch_id)
        if batch.state is not BatchState.LAUNCHING:
            return None
        if not self._batches.claim_launch(batch_id, self._owner):
            left = self._batches.launch_lease_left(batch_id)
            log.info("batch %s is being launched by another process", batch_id)
            return left
        self._renewed[batch_id] = time.monotonic()
        self._lost.discard(batch_id)
        with self._lock:
            self._cancelling.discard(batch_id)  # the store says, read just below
        done = threading.Event()
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(batch_id, done), name="fwbot-lease", daemon=True
        )
        heartbeat.start()
        try:
            batch = self._batches.get_existing(batch_id)  # as the previous holder left it
            with self._keys.as_launcher(batch):  # its jobs' origin: the person, if linked
                self._run(batch)
        finally:
            done.set()
            heartbeat.join()
            self._batches.release_launch(batch_id, self._owner)
            with self._lock:
                self._cancelling.discard(batch_id)
        return None

    def notice_cancel(self, batch_id: str) -> None:
        """A cancel of the batch was just recorded in this process: if this process is
        launching it, stop now rather than at the next heartbeat."""
        with self._lock:
            self._cancelling.add(batch_id)

    def _heartbeat(self, batch_id: str, done: threading.Event) -> None:
        """Renew the lease every few seconds while this run lives, whatever it is doing
        (a long backoff, requests hanging on a slow Flywheel): only a dead process lets
        its lease lapse, so a restarted bot takes over within the lease (25 s). Each beat
        also reads whether someone asked to cancel the launch (from any replica)."""
        while not done.wait(RENEW_EVERY):
            if not self._still_ours(batch_id):
                return
            self._cancel_requested(batch_id)

    def _run(self, batch: Batch) -> None:
        batch_id = batch.id
        if batch.cancel_requested_at is not None:  # asked while nobody held the launch
            self._stop_launch(batch)
            return
        with ContextThreadPool(1, thread_name_prefix="fwbot-gear") as pool:
            gear_kind = pool.submit(self._is_analysis_gear, batch)  # read during the tag check
            found = self._reconcile(batch)
        self._reporter.publish(batch_id, self._reporter.view(batch_id, found))
        pending = self._claimed(batch, self._batches.targets(batch_id, [TargetState.PLANNED]))
        if pending:
            try:
                analysis = gear_kind.result()
                if analysis is None:
                    self._fail(pending, f"gear {batch.gear_name} {batch.gear_version} is gone")
                elif not analysis and self._use_batch_api(batch):
                    self._launch_as_batch(batch, pending)
                else:
                    self._launch_each(batch, pending, analysis=analysis)
            except FlywheelUnavailable as err:
                if not self._cancel_requested(batch_id):
                    # Nothing is lost: the targets stay planned and the next run checks the tag.
                    log.warning("launch of %s interrupted: %s", batch_id, err.message)
                    return
        if batch_id in self._lost:
            return  # another process holds the launch now
        if self._cancel_requested(batch_id):
            self._stop_launch(self._batches.get_existing(batch_id))
            return
        self._finish(batch_id)

    def _claimed(self, batch: Batch, pending: Sequence[Target]) -> list[Target]:
        """The targets whose runs this batch holds, claiming those nobody holds (a batch
        confirmed before run claims existed); a run another batch holds is left out,
        whatever the confirm saw: the store, not this process, says who launches it."""
        keys = {run_key(batch, t.key, t.inputs): t for t in pending}
        taken = self._batches.claim_runs(batch.id, {k: t.key for k, t in keys.items()})
        if taken:
            log.warning("%s: %d runs are another batch's; not launching them", batch.id, len(taken))
            self._batches.skip_targets(
                batch.id,
                {keys[k].id: f"not launched: batch `{h}` holds this run" for k, h in taken.items()},
            )
        return [t for k, t in keys.items() if k not in taken]

    # -- the two ways to launch ------------------------------------------------
    def _is_analysis_gear(self, batch: Batch) -> bool | None:
        """The gear's category decides where its jobs write; None if the version is gone."""
        gear = self._gateway.get_gear(batch.gear_name, batch.gear_version)
        return None if gear is None else gear.summary.category == ANALYSIS_CATEGORY

    def _use_batch_api(self, batch: Batch) -> bool:
        if self._mode != "auto":
            return self._mode == "batch-api"
        return batch.launch_mode is not LaunchMode.PER_SESSION

    def _launch_as_batch(self, batch: Batch, pending: Sequence[Target]) -> None:
        """Premade jobs in one Flywheel batch, then one call to run it (utility gears only:
        Flywheel runs premade jobs exactly as given).

        The intent is written before the proposal is made, so a proposal whose answer was
        lost (or whose maker died) is found on resume and run instead of a second one."""
        proposal = batch.flywheel_batch_id if batch.launch_mode is LaunchMode.BATCH_API else None
        if proposal is not None and self._gateway.batch_state(proposal) != "pending":
            proposal = None  # run (its jobs were found by tag) or over: propose the rest anew
        try:
            if proposal is None and batch.proposal_intent_open:
                proposal = self._find_lost_proposal(batch)
            if proposal is None:
                if self._cancel_requested(batch.id):
                    return
                proposal = self._propose(batch, pending)
        except BatchApiUnsupported:
            log.info("%s: no batch API on this site, launching per session", batch.id)
            self._batches.record_launch(batch.id, launch_mode=LaunchMode.PER_SESSION)
            self._launch_each(batch, pending, analysis=False)
            return
        except LaunchRejected as err:
            self._batches.record_proposal_intent(batch.id, None)  # Flywheel made nothing
            self._fail(pending, err.detail)
            return
        if self._stopping.is_set() or self._cancel_requested(batch.id):
            return  # proposed, not run: the next run starts it (or the cancel leaves it)
        self._run_proposal(batch, pending, proposal)

    def _propose(self, batch: Batch, pending: Sequence[Target]) -> str:
        """Write the intent (with fwbot's pending Flywheel batches of this moment), then
        propose the jobs and record the proposal's id; a lost answer leaves the intent."""
        before = [b.batch_id for b in self._gateway.own_batches() if b.state == "pending"]
        self._batches.record_proposal_intent(batch.id, before)
        proposal = self._gateway.create_batch(
            [self._spec(batch, t, analysis=False) for t in pending]
        )
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
        self._mark(pending, jobs)

    def _launch_each(self, batch: Batch, pending: Sequence[Target], *, analysis: bool) -> None:
        """One analysis (or utility job) per session, ``concurrency`` requests at a time,
        in rounds: the transient failures of a round are retried after a backoff and a tag
        check, until none remain, the deadline passes, the bot stops, the lease is lost or
        a cancel is requested (read from the store once per round)."""
        if batch.launch_mode is not LaunchMode.PER_SESSION:
            self._batches.record_launch(batch.id, launch_mode=LaunchMode.PER_SESSION)
        deadline = self._clock() + self._deadline
        remaining = list(pending)
        errors: dict[int, str] = {}  # target id -> its last transient error
        stalled = 0  # rounds in a row in which nothing got through: the backoff's exponent
        while remaining:
            failed = self._launch_round(batch, remaining, analysis=analysis, deadline=deadline)
            if self._stopping.is_set() or batch.id in self._lost:
                return  # what is left stays planned for the next run
            if self._cancel_requested(batch.id):
                return  # the caller stops the launch
            stalled = stalled + 1 if failed and len(failed) == len(remaining) else 0
            errors.update(failed)
            remaining = [t for t in remaining if t.id in failed]
            while remaining:  # wait, then ask Flywheel which of them it has after all
                left = deadline - self._clock()
                if left <= 0:
                    self._give_up(batch, remaining, errors)
                    return
                if self._pause(batch.id, min(_backoff(max(stalled - 1, 0)), left)):
                    return
                if not self._still_ours(batch.id):
                    return
                try:
                    remaining = self._still_planned(batch, remaining)
                    break
                except FlywheelUnavailable as err:
                    log.warning("%s: tag check before a retry failed: %s", batch.id, err.message)
                    stalled += 1

    def _launch_round(
        self, batch: Batch, targets: Sequence[Target], *, analysis: bool, deadline: float
    ) -> dict[int, str]:
        """Launch each target once (429s aside); returns the transient errors by target id."""
        recorder = _Recorder(self._batches)
        one = partial(
            self._launch_target, batch, analysis=analysis, recorder=recorder, deadline=deadline
        )
        try:
            with ContextThreadPool(self._concurrency, thread_name_prefix="fwbot-launch") as pool:
                outcomes = list(pool.map(one, targets))
        finally:
            recorder.flush()
        return {t.id: e for t, e in zip(targets, outcomes, strict=True) if e}

    def _still_planned(self, batch: Batch, targets: Sequence[Target]) -> list[Target]:
        self._reconcile(batch)
        still = {t.id for t in self._batches.targets(batch.id, [TargetState.PLANNED])}
        return [t for t in targets if t.id in still]

    def _give_up(self, batch: Batch, targets: Sequence[Target], errors: dict[int, str]) -> None:
        """The deadline passed: fail what Flywheel does not have after all. If even the tag
        check fails, the targets stay planned: failing them could hide a job that was made."""
        try:
            targets = self._still_planned(batch, targets)
        except FlywheelUnavailable as err:
            log.warning("launch of %s stopped at the deadline: %s", batch.id, err.message)
            return
        span = _span(self._deadline)
        self._fail(
            targets,
            None,
            {t.id: f"Flywheel kept failing for {span}: {errors.get(t.id, '?')}" for t in targets},
        )

    def _launch_target(
        self, batch: Batch, target: Target, analysis: bool, recorder: _Recorder, deadline: float
    ) -> str | None:
        """Launch one session; returns a transient error to retry, None when settled.

        A 429 means Flywheel did nothing, so the same request goes again after the pause it
        asks for (until the deadline). Any other failure may hide a job that was made (a
        lost answer): the caller checks the batch tag before trying that session again."""
        spec = self._spec(batch, target, analysis=analysis)
        attempt = 0
        while self._may_go_on(batch.id):
            try:
                launched = self._gateway.launch_one(spec)
            except LaunchRejected as err:
                self._fail([target], err.detail)
                return None
            except FlywheelBusy as err:
                left = deadline - self._clock()
                if left <= 0:
                    return err.message
                pause = err.retry_after if err.retry_after is not None else _backoff(attempt)
                attempt += 1
                if self._pause(batch.id, min(pause, MAX_BUSY_WAIT, left)):
                    return None
                continue
            except FlywheelUnavailable as err:
                return err.message
            recorder.launched(target, launched)
            metrics.jobs_launched(LaunchMode.PER_SESSION.value)
            return None
        return None

    # -- bookkeeping -------------------------------------------------------------
    def _may_go_on(self, batch_id: str) -> bool:
        """Launch another session: the bot is not stopping, nobody asked to cancel (as far
        as this process has seen), and the lease is still this process's."""
        if self._stopping.is_set() or batch_id in self._cancelling:
            return False
        return self._still_ours(batch_id)

    def _pause(self, batch_id: str, seconds: float) -> bool:
        """Wait ``seconds`` (a backoff, a Retry-After); True as soon as the launch must stop
        instead: the bot stops, or a cancel was requested."""
        end = time.monotonic() + seconds
        while batch_id not in self._cancelling:
            left = end - time.monotonic()
            if left <= 0:
                return self._stopping.is_set()
            if self._stopping.wait(min(left, PAUSE_SLICE)):
                return True
        return True

    def _cancel_requested(self, batch_id: str) -> bool:
        """Whether someone asked to cancel the launch (read from the store, where any
        replica's `/fw cancel` writes it, until this process has seen it)."""
        if batch_id in self._cancelling:
            return True
        if self._batches.cancel_requested_by(batch_id) is None:
            return False
        with self._lock:
            self._cancelling.add(batch_id)
        return True

    def _still_ours(self, batch_id: str) -> bool:
        """Renew the launch lease every few seconds; a lost lease stops this run."""
        with self._lock:
            if batch_id in self._lost:
                return False
            if time.monotonic() - self._renewed.get(batch_id, 0.0) < RENEW_EVERY:
                return True
            self._renewed[batch_id] = time.monotonic()
        if self._batches.claim_launch(batch_id, self._owner):
            return True
        log.warning("batch %s: launch lease lost to another process; stopping here", batch_id)
        with self._lock:
            self._lost.add(batch_id)
        return False

    def _reconcile(self, batch: Batch) -> list[JobRecord] | None:
        """Mark launched every planned target that already has a job with the batch's tag;
        returns the batch's jobs it read (None: nothing planned, nothing read)."""
        planned = self._batches.targets(batch.id, [TargetState.PLANNED])
        if not planned:
            return None
        found = self._gateway.jobs_tagged(batch_tag(batch.id))
        self._mark_found(planned, found)
        return found

    def _mark_found(self, planned: Sequence[Target], found: Sequence[JobRecord]) -> None:
        level = planned[0].target_type if planned else "session"
        self._mark(
            planned,
            [
                LaunchedJob(
                    session_id=j.session_id or "",
                    job_id=j.job_id,
                    analysis_id=j.analysis_id,
                    target_id=j.target_of(level),
                )
                for j in found
            ],
        )

    def _mark(self, targets: Sequence[Target], launched: Sequence[LaunchedJob]) -> None:
        """Targets launched, matched by their container (a job's ``parents`` at the
        targets' level; a session target's is its session)."""
        by_key = {t.key: t for t in targets}
        updates = [
            TargetUpdate(
                target_id=by_key[key].id,
                state=TargetState.LAUNCHED,
                job_id=job.job_id,
                analysis_id=job.analysis_id,
            )
            for job in launched
            if (key := job.target_id or job.session_id) in by_key
        ]
        if updates:
            self._batches.update_targets(updates)

    def _fail(
        self, targets: Sequence[Target], reason: str | None, reasons: dict[int, str] | None = None
    ) -> None:
        updates = [
            TargetUpdate(
                target_id=t.id,
                state=TargetState.FAILED,
                error=reason or (reasons or {}).get(t.id) or "launch failed",
            )
            for t in targets
        ]
        if updates:
            self._batches.update_targets(updates)

    def _finish(self, batch_id: str) -> None:
        counts = self._batches.target_counts(batch_id)
        if counts.get(TargetState.PLANNED, 0):
            return  # stopped part-way: stays launching until the next run
        final = after_launch(counts.get(TargetState.LAUNCHED, 0))
        if self._batches.finish_launch(batch_id, final) is None:  # a cancel came first
            self._stop_launch(self._batches.get_existing(batch_id))
            return
        view = self._reporter.publish(batch_id, self._reporter.view_just_launched(batch_id))
        self._reporter.publish_failures(view)

    def _stop_launch(self, batch: Batch) -> None:
        """`/fw cancel` during the launch: nothing more is launched, the jobs already made
        that are still queued are cancelled (running ones finish), the sessions not launched
        end ``cancelled``, and so does the batch. Safe to repeat: if Flywheel fails part-way
        the batch stays launching, with its request, and the next run finishes the stop."""
        try:
            jobs = self._gateway.jobs_tagged(batch_tag(batch.id))
            # a job made for a session still planned (its answer was lost) is cancelled too
            self._mark_found(self._batches.targets(batch.id, [TargetState.PLANNED]), jobs)
            queued = [j.job_id for j in jobs if j.state in QUEUED_JOB_STATES]
            cancelled: set[str] = set()
            if queued:
                workers = min(CANCEL_CONCURRENCY, len(queued))
                with ContextThreadPool(workers, thread_name_prefix="fwbot-cancel") as pool:
                    done = pool.map(self._cancel_job, queued)
                    cancelled = {j for j, ok in zip(queued, done, strict=True) if ok}
        except FlywheelUnavailable as err:
            log.warning("stopping the launch of %s interrupted: %s", batch.id, err.message)
            return
        who = batch.cancel_requested_by or self._batches.cancel_requested_by(batch.id) or "?"
        self._batches.update_targets(
            [
                TargetUpdate(
                    target_id=t.id,
                    state=TargetState.CANCELLED,
                    error=f"not launched: {who} cancelled the launch",
                )
                for t in self._batches.targets(batch.id, [TargetState.PLANNED])
            ]
        )
        with contextlib.suppress(IllegalTransition):  # stopped already (a repeated run)
            self._batches.transition(batch.id, BatchState.CANCELLED)
        log.info("launch of %s stopped: %s cancelled it", batch.id, who)
        now = [  # the jobs as they are now, without asking Flywheel again
            j.model_copy(update={"state": JobState.CANCELLED}) if j.job_id in cancelled else j
            for j in jobs
        ]
        view = self._reporter.publish(batch.id, self._reporter.view(batch.id, now))
        self._reporter.publish_failures(view)

    def _cancel_job(self, job_id: str) -> bool:
        try:
            return self._gateway.cancel_job(job_id)
        except FlywheelRefused as err:  # not fwbot's to cancel after all: it runs its course
            log.warning("cannot cancel job %s: %s", job_id, err.message)
            return False

    @staticmethod
    def _spec(batch: Batch, target: Target, *, analysis: bool) -> JobSpec:
        """The job for one target: the batch's inputs (project files) and the files the
        plan picked for this target, exactly as recorded before the launch."""
        inputs = {name: FileRef.model_validate(ref) for name, ref in batch.inputs.items()}
        inputs.update({name: FileRef.model_validate(ref) for name, ref in target.inputs.items()})
        tags = [batch_tag(batch.id), *([batch.vm_tag] if batch.vm_tag else [])]
        return JobSpec(
            gear_id=batch.gear_id,
            session_id=target.session_id,
            label=batch.analysis_label,
            config=batch.config,
            inputs=inputs,
            tags=tags,
            analysis=analysis,
            target_type=target.target_type,
            target_id=target.key,
        )


def _backoff(attempt: int) -> float:
    """Full jitter: anywhere up to the doubled pause, so retries spread out."""
    return random.uniform(0.0, min(MAX_BACKOFF, FIRST_BACKOFF * 2.0 ** min(attempt, 32)))


def _span(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


class _Recorder:
    """Launched targets written to the store in groups, not one transaction per session.

    Safe because nothing rests on the write alone: after a crash the targets not yet
    written are still planned, and the next run's tag check finds their jobs first."""

    EVERY = 64

    def __init__(self, batches: BatchRepo) -> None:
        self._batches = batches
        self._updates: list[TargetUpdate] = []
        self._lock = threading.Lock()

    def launched(self, target: Target, job: LaunchedJob) -> None:
        update = TargetUpdate(
            target_id=target.id,
            state=TargetState.LAUNCHED,
            job_id=job.job_id,
            analysis_id=job.analysis_id,
        )
        with self._lock:
            self._updates.append(update)
            if len(self._updates) < self.EVERY:
                return
            ready, self._updates = self._updates, []
        self._batches.update_targets(ready)

    def flush(self) -> None:
        with self._lock:
            ready, self._updates = self._updates, []
        if ready:
            self._batches.update_targets(ready)
