"""One pass over one batch's targets: what the process holding the batch's lease does.

An analysis gear launches as one new analysis per target (``concurrency`` requests in
flight); a utility gear goes through the batch API (``batch_api.py``) unless the site has
none. Transient errors (429, 5xx, dropped connections) are retried until the deadline: a
429 in place after the pause Flywheel asks (it did nothing), anything else in retry rounds
with exponential backoff and full jitter, each round after one tag check, since the lost
answer may hide a job that was made. A target fails only for Flywheel's refusal (a 4xx)
or when the deadline passes.

The run stops early when the bot stops, its lease is lost, or someone asks to cancel
(``cancel_seen``, set by this process's `/fw cancel` or read from the store by the
heartbeat and once per round). Every wait goes through the injected ``clock`` and
``sleep``, so a test can run a 30-minute deadline in a moment.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from bot.domain import (
    ANALYSIS_CATEGORY,
    Batch,
    FileRef,
    JobSpec,
    LaunchMode,
    ModeSetting,
    Target,
    TargetState,
    after_launch,
    batch_tag,
)
from bot.domain.batch_life import Phase, phase_of
from bot.domain.claims import run_key
from bot.errors import FlywheelBusy, FlywheelUnavailable
from bot.flywheel.gateway import FlywheelGateway, LaunchRejected
from bot.observe import metrics
from bot.observe.context import ContextThreadPool
from bot.service.launch.batch_api import BatchApiLaunch, Proposed
from bot.service.launch.launch_stop import LaunchStop
from bot.service.launch.lease import Lease
from bot.service.launch.marks import Recorder, TargetMarks
from bot.service.launch.reporting import BatchReporter
from bot.service.launch.timing import LaunchTiming
from bot.store.batches import BatchRepo

log = logging.getLogger(__name__)

Sleep = Callable[[float], bool]
"""Wait up to the given seconds; True when woken because the bot is stopping."""


@dataclass(frozen=True)
class LaunchTools:
    """What every run needs, built once by the launcher."""

    gateway: FlywheelGateway
    batches: BatchRepo
    reporter: BatchReporter
    stopping: threading.Event
    timing: LaunchTiming
    clock: Callable[[], float]
    sleep: Sleep
    mode: ModeSetting = "auto"
    concurrency: int = 8


class LaunchRun:
    def __init__(self, tools: LaunchTools, lease: Lease) -> None:
        self._t = tools
        self._lease = lease
        self.cancel_seen = threading.Event()
        self._marks = TargetMarks(tools.gateway, tools.batches)
        self._batch_api = BatchApiLaunch(
            tools.gateway, tools.batches, self._marks, partial(job_spec, analysis=False)
        )
        self._stop = LaunchStop(
            tools.gateway,
            tools.batches,
            self._marks,
            tools.reporter,
            concurrency=tools.timing.cancel_concurrency,
        )

    def run(self, batch: Batch) -> None:
        """Launch what is planned, then finish the batch (or stop it, if asked)."""
        t = self._t
        if phase_of(batch) is Phase.STOPPING:  # asked while nobody held the launch
            self._stop.stop(batch)
            return
        with ContextThreadPool(1, thread_name_prefix="fwbot-gear") as pool:
            gear_kind = pool.submit(self._is_analysis_gear, batch)  # read during the tag check
            found = self._marks.reconcile(batch)
        t.reporter.publish(batch.id, t.reporter.view(batch.id, found))
        pending = self._claimed(batch, t.batches.targets(batch.id, [TargetState.PLANNED]))
        if pending:
            try:
                self._launch(batch, pending, gear_kind.result())
            except FlywheelUnavailable as err:
                if not self.cancel_requested():
                    # Nothing is lost: the targets stay planned and the next run checks the tag.
                    log.warning("launch of %s interrupted: %s", batch.id, err.message)
                    return
        if self._lease.lost:
            return  # another process holds the launch now
        if self.cancel_requested():
            self._stop.stop(t.batches.get_existing(batch.id))
            return
        self._finish(batch.id)

    def cancel_requested(self) -> bool:
        """Whether someone asked to cancel the launch (read from the store, where any
        replica's `/fw cancel` writes it, until this run has seen it)."""
        if self.cancel_seen.is_set():
            return True
        if self._t.batches.cancel_requested_by(self._lease.batch_id) is None:
            return False
        self.cancel_seen.set()
        return True

    def _launch(self, batch: Batch, pending: list[Target], analysis: bool | None) -> None:
        if analysis is None:
            self._marks.failed(pending, f"gear {batch.gear_name} {batch.gear_version} is gone")
        elif not analysis and self._use_batch_api(batch):
            proposed = self._batch_api.launch(batch, pending, must_stop=self._must_stop)
            if proposed is Proposed.UNSUPPORTED:
                self._launch_each(batch, pending, analysis=False)
        else:
            self._launch_each(batch, pending, analysis=analysis)

    def _must_stop(self) -> bool:
        return self._t.stopping.is_set() or self.cancel_requested()

    def _claimed(self, batch: Batch, pending: Sequence[Target]) -> list[Target]:
        """The targets whose runs this batch holds, claiming those nobody holds (a batch
        confirmed before run claims existed); a run another batch holds is left out,
        whatever the confirm saw: the store, not this process, says who launches it."""
        batches = self._t.batches
        keys = {run_key(batch, t.key, t.inputs): t for t in pending}
        taken = batches.claim_runs(batch.id, {k: t.key for k, t in keys.items()})
        if taken:
            log.warning("%s: %d runs are another batch's; not launching them", batch.id, len(taken))
            batches.skip_targets(
                batch.id,
                {keys[k].id: f"not launched: batch `{h}` holds this run" for k, h in taken.items()},
            )
        return [t for k, t in keys.items() if k not in taken]

    def _is_analysis_gear(self, batch: Batch) -> bool | None:
        """The gear's category decides where its jobs write; None if the version is gone."""
        gear = self._t.gateway.get_gear(batch.gear_name, batch.gear_version)
        return None if gear is None else gear.summary.category == ANALYSIS_CATEGORY

    def _use_batch_api(self, batch: Batch) -> bool:
        if self._t.mode != "auto":
            return self._t.mode == "batch-api"
        return batch.launch_mode is not LaunchMode.PER_SESSION

    # -- one analysis per target ---------------------------------------------------------
    def _launch_each(self, batch: Batch, pending: Sequence[Target], *, analysis: bool) -> None:
        """One analysis (or utility job) per target, ``concurrency`` requests at a time, in
        rounds: the transient failures of a round are retried after a backoff and a tag
        check, until none remain, the deadline passes, the bot stops, the lease is lost or
        a cancel is requested (read from the store once per round)."""
        if batch.launch_mode is not LaunchMode.PER_SESSION:
            self._t.batches.record_launch(batch.id, launch_mode=LaunchMode.PER_SESSION)
        deadline = self._t.clock() + self._t.timing.deadline
        remaining = list(pending)
        errors: dict[int, str] = {}  # target id -> its last transient error
        stalled = 0  # rounds in a row in which nothing got through: the backoff's exponent
        while remaining:
            failed = self._launch_round(batch, remaining, analysis=analysis, deadline=deadline)
            if self._t.stopping.is_set() or self._lease.lost or self.cancel_requested():
                return  # what is left stays planned for the next run (or the stop path)
            stalled = stalled + 1 if failed and len(failed) == len(remaining) else 0
            errors.update(failed)
            remaining = [t for t in remaining if t.id in failed]
            if remaining:
                found = self._after_backoff(batch, remaining, errors, deadline, stalled)
                if found is None:
                    return
                remaining, stalled = found

    def _after_backoff(
        self,
        batch: Batch,
        remaining: list[Target],
        errors: dict[int, str],
        deadline: float,
        stalled: int,
    ) -> tuple[list[Target], int] | None:
        """Wait, then ask Flywheel which of ``remaining`` it has after all; None when the
        run must stop (the deadline passed, a stop, a cancel, a lost lease)."""
        while True:
            left = deadline - self._t.clock()
            if left <= 0:
                self._give_up(batch, remaining, errors)
                return None
            if self._pause(min(self._t.timing.backoff(max(stalled - 1, 0)), left)):
                return None
            if not self._lease.held():
                return None
            try:
                return self._marks.still_planned(batch, remaining), stalled
            except FlywheelUnavailable as err:
                log.warning("%s: tag check before a retry failed: %s", batch.id, err.message)
                stalled += 1

    def _launch_round(
        self, batch: Batch, targets: Sequence[Target], *, analysis: bool, deadline: float
    ) -> dict[int, str]:
        """Launch each target once (429s aside); returns the transient errors by target id."""
        recorder = Recorder(self._t.batches)
        one = partial(
            self._launch_target, batch, analysis=analysis, recorder=recorder, deadline=deadline
        )
        try:
            with ContextThreadPool(self._t.concurrency, thread_name_prefix="fwbot-launch") as pool:
                outcomes = list(pool.map(one, targets))
        finally:
            recorder.flush()
        return {t.id: e for t, e in zip(targets, outcomes, strict=True) if e}

    def _give_up(self, batch: Batch, targets: Sequence[Target], errors: dict[int, str]) -> None:
        """The deadline passed: fail what Flywheel does not have after all. If even the tag
        check fails, the targets stay planned: failing them could hide a job that was made."""
        try:
            targets = self._marks.still_planned(batch, targets)
        except FlywheelUnavailable as err:
            log.warning("launch of %s stopped at the deadline: %s", batch.id, err.message)
            return
        span = self._t.timing.deadline_words
        self._marks.failed(
            targets,
            None,
            {t.id: f"Flywheel kept failing for {span}: {errors.get(t.id, '?')}" for t in targets},
        )

    def _launch_target(
        self, batch: Batch, target: Target, analysis: bool, recorder: Recorder, deadline: float
    ) -> str | None:
        """Launch one target; returns a transient error to retry, None when settled.

        A 429 means Flywheel did nothing, so the same request goes again after the pause it
        asks for (until the deadline). Any other failure may hide a job that was made (a
        lost answer): the caller checks the batch tag before trying that target again."""
        spec = job_spec(batch, target, analysis=analysis)
        attempt = 0
        while self._may_go_on():
            try:
                launched = self._t.gateway.launch_one(spec)
            except LaunchRejected as err:
                self._marks.failed([target], err.detail)
                return None
            except FlywheelBusy as err:
                left = deadline - self._t.clock()
                if left <= 0:
                    return err.message
                wait = err.retry_after
                if wait is None:
                    wait = self._t.timing.backoff(attempt)
                attempt += 1
                if self._pause(min(wait, self._t.timing.max_busy_wait, left)):
                    return None
                continue
            except FlywheelUnavailable as err:
                return err.message
            recorder.launched(target, launched)
            metrics.jobs_launched(LaunchMode.PER_SESSION.value)
            return None
        return None

    # -- stopping ------------------------------------------------------------------------
    def _may_go_on(self) -> bool:
        """Launch another target: the bot is not stopping, nobody asked to cancel (as far
        as this run has seen), and the lease is still this process's."""
        if self._t.stopping.is_set() or self.cancel_seen.is_set():
            return False
        return self._lease.held()

    def _pause(self, seconds: float) -> bool:
        """Wait ``seconds`` (a backoff, a Retry-After) on the injected clock and sleep;
        True as soon as the launch must stop instead: the bot stops, or a cancel came."""
        end = self._t.clock() + seconds
        while not self.cancel_seen.is_set():
            left = end - self._t.clock()
            if left <= 0:
                return self._t.stopping.is_set()
            if self._t.sleep(min(left, self._t.timing.pause_slice)):
                return True
        return True

    def _finish(self, batch_id: str) -> None:
        batches, reporter = self._t.batches, self._t.reporter
        counts = batches.target_counts(batch_id)
        if counts.get(TargetState.PLANNED, 0):
            return  # stopped part-way: stays launching until the next run
        final = after_launch(counts.get(TargetState.LAUNCHED, 0))
        if batches.finish_launch(batch_id, final) is None:  # a cancel came first: stopping
            self._stop.stop(batches.get_existing(batch_id))
            return
        view = reporter.publish(batch_id, reporter.view_just_launched(batch_id))
        reporter.publish_failures(view)


def job_spec(batch: Batch, target: Target, *, analysis: bool) -> JobSpec:
    """The job for one target: the batch's inputs (project files) and the files the plan
    picked for this target, exactly as recorded before the launch."""
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
