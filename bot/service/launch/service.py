"""The launch use cases: preview, request, confirm, approve, cancel a plan, status, resume.

A request records the batch (state ``planned``, or ``awaiting_approval`` above the
policy's limits) with an idempotency key, so asking twice returns the same batch.
Confirming moves it to ``launching`` with a compare-and-set, so a double click
launches once; the launch itself runs in the worker pool.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import NoReturn

from bot.domain import (
    QUEUED_JOB_STATES,
    Actor,
    Batch,
    BatchSpec,
    BatchState,
    IllegalTransition,
    JobRecord,
    JobState,
    LaunchMode,
    SameLaunchUnderWay,
    TargetState,
    batch_tag,
)
from bot.domain.batch_life import BatchLife, Change, Phase, Refusal, phase_of
from bot.domain.claims import Rerun
from bot.errors import Conflict, FlywheelRefused, FlywheelUnavailable, UsageError
from bot.flywheel.gateway import FlywheelGateway
from bot.observe.context import ContextThreadPool
from bot.service.access import Authorizer
from bot.service.accounts.acting import LauncherKeys, ServiceKeyOnly
from bot.service.door import Door, unchecked, use_case
from bot.service.launch.background import BackgroundLaunches
from bot.service.launch.overlap import ClaimedMeanwhile, LaunchedSincePlan, Overlap, Overlaps
from bot.service.launch.plan import Planner
from bot.service.launch.plan_builder import PlanBuilder, target_spec
from bot.service.launch.plan_model import LaunchPlan, LaunchRequest, Skipped
from bot.service.launch.progress import BatchView
from bot.service.launch.reporting import BatchReporter
from bot.service.launch.retry import Retrier, RetryTicket
from bot.service.use_cases import UseCase
from bot.service.workers import WorkerPool
from bot.store.batches import BatchRepo

log = logging.getLogger(__name__)

CLAIM_ROUNDS = 3  # a click checks the overlap again this often when other launches race it
MAX_RELAUNCHES = 20  # a request repeated after this many ended batches is refused


class CancelStep(StrEnum):
    DROPPED = "dropped"  # a plan nobody launched: dropped
    PREVIEW = "preview"  # launched or launching: what `yes` would cancel (or stop)
    DONE = "done"  # its pending jobs cancelled (or being cancelled, in the background)
    STOPPING = "stopping"  # a launch under way: it stops, its queued jobs are cancelled


@dataclass(frozen=True)
class CancelOutcome:
    """What `/fw cancel BATCH` did: one type whatever the step, so callers render by step.

    ``cancelled`` is None while the cancellation runs in the background. For a batch still
    launching, ``not_launched`` counts its sessions not launched yet (they never will be)
    and ``pending`` the jobs it already made that are still queued."""

    batch: Batch
    step: CancelStep
    pending: int = 0
    running: int = 0
    finished: int = 0
    cancelled: int | None = None
    not_launched: int = 0


@dataclass(frozen=True)
class LaunchTicket:
    """A recorded request: the batch, the plan it came from, and whether it is new."""

    batch: Batch
    plan: LaunchPlan
    created: bool
    # The same launch asked by someone else, not over yet (newest first): the confirm says so.
    same_launch: tuple[Batch, ...] = ()


class LaunchService:
    def __init__(
        self,
        gateway: FlywheelGateway,
        planner: Planner,
        background: BackgroundLaunches,
        reporter: BatchReporter,
        batches: BatchRepo,
        access: Authorizer,
        workers: WorkerPool,
        *,
        unit_of_work: Callable[[], AbstractContextManager[None]],
        keys: LauncherKeys | None = None,
    ) -> None:
        self._gateway = gateway
        self._keys: LauncherKeys = keys or ServiceKeyOnly()  # a batch's jobs: its launcher's
        self._planner = planner
        self._background = background  # confirmed batches launch there
        self._reporter = reporter
        self._batches = batches
        self._door = Door(access)
        self._workers = workers
        self._unit_of_work = unit_of_work  # each use case's changes in one transaction
        self._overlaps = Overlaps(gateway, batches, self._keys)
        self._retrier = Retrier(
            gateway, batches, access, unit_of_work=unit_of_work, keys=self._keys
        )

    # -- planning ----------------------------------------------------------------
    @use_case(UseCase.LAUNCH_PREVIEW)  # the planner passes the door: Authorizer.project_for
    def preview(self, actor: Actor, request: LaunchRequest) -> LaunchPlan:
        """`dry-run`: the plan and nothing else (read access is enough)."""
        plan = self._planner.plan(actor, request, use_case=UseCase.LAUNCH_PREVIEW)
        return self._without_launching(plan, PlanBuilder.spec(actor, plan))

    @use_case(UseCase.LAUNCH_REQUEST)  # the planner passes the door, as for a preview
    def request(self, actor: Actor, request: LaunchRequest) -> LaunchTicket:
        """Plan, then record the batch before anything is launched."""
        plan = self._planner.plan(actor, request, use_case=UseCase.LAUNCH_REQUEST)
        plan = self._without_launching(plan, PlanBuilder.spec(actor, plan))
        if plan.missing_inputs:
            raise UsageError(
                f"`{plan.project.label}` lacks what the config needs: "
                + ", ".join(plan.missing_inputs)
                + ".",
                hint="Upload the file to the project, or change `inputs` in the saved config.",
            )
        if not plan.to_launch and plan.unmatched and not plan.skipped:
            first = plan.unmatched[0]
            raise UsageError(
                f"Nothing to launch: none of the {len(plan.matched):,} matching "
                f"{plan.targets_word} has the inputs the config asks for "
                f"(e.g. {first.target.subject_label} {first.target.label}: "
                f"{first.reason}).".replace("  ", " "),
                hint="`dry-run` shows how each input matched; change `inputs` in the saved config.",
            )
        if not plan.to_launch:
            batches = plan.skipped_batches()
            where = f" (batch {', '.join(f'`{b}`' for b in batches[:3])})" if batches else ""
            raise Conflict(
                f"Nothing to launch: all {len(plan.matched):,} matching sessions already have a "
                f"run of {plan.gear.summary.name} {plan.gear.summary.version} with this "
                f"config{where}.",
                hint=(f"Follow it with `/fw status {batches[0]}`." if batches else None),
            )
        spec = PlanBuilder.spec(actor, plan)
        targets = [target_spec(s) for s in plan.to_launch]
        with self._unit_of_work():  # the plan read Flywheel; the store is written at once
            batch, created = self._batches.create_or_get(spec, targets)
            for _ in range(MAX_RELAUNCHES):
                if created or not batch.is_final:
                    break
                # The same request was made before and that batch is over (dropped, failed,
                # or finished and `skip: none` asks for a rerun): a new batch, not a repeat.
                spec = replace(spec, key_extra=f"after:{batch.id}")
                batch, created = self._batches.create_or_get(spec, targets)
            same = self._same_launch(batch)
        return LaunchTicket(batch=batch, plan=plan, created=created, same_launch=tuple(same))

    def _without_launching(self, plan: LaunchPlan, spec: BatchSpec) -> LaunchPlan:
        """Leave out the targets another batch is launching right now (its jobs are not
        in Flywheel yet, so the planner could not see them), unless the plan reruns."""
        if plan.rerun is Rerun.ALL or not plan.to_launch:
            return plan
        specs = [target_spec(t) for t in plan.to_launch]
        busy = self._overlaps.launching(spec, specs)
        if not busy:
            return plan
        keys = [t.key for t in specs]
        return replace(
            plan,
            to_launch=tuple(t for t, k in zip(plan.to_launch, keys, strict=True) if k not in busy),
            skipped=plan.skipped
            + tuple(
                Skipped(t, "launching", busy[k])
                for t, k in zip(plan.to_launch, keys, strict=True)
                if k in busy
            ),
        )

    @use_case(UseCase.RETRY_REQUEST, UseCase.LAUNCH_REQUEST)
    def retry(self, actor: Actor, batch_id: str) -> RetryTicket:
        """`/fw retry BATCH`: a new batch (``retry_of`` the original) of the sessions it
        failed or left without expected outputs, recorded for the same confirm as a launch.
        The batch's launcher or a project admin may ask, with launch access to its project."""
        original = self._batches.get_existing(batch_id)
        self._door.batch(actor, UseCase.RETRY_REQUEST, original)  # its launcher, or an admin
        self._door.batch(actor, UseCase.LAUNCH_REQUEST, original)  # who may launch there now
        return self._retrier.request(actor, original)

    def _same_launch(self, batch: Batch) -> list[Batch]:
        if not batch.launch_key:  # recorded before launch keys existed
            return []
        return self._batches.same_launch(batch.launch_key, besides=batch.id)

    def _refuse_if_twin_under_way(self, batch: Batch) -> None:
        under_way = [b for b in self._same_launch(batch) if b.is_under_way]
        if under_way:
            raise _same_launch_running(batch, under_way[0])

    @unchecked("the actor's own batches, from the store: what is done with one is checked")
    def latest(self, actor: Actor, states: list[BatchState] | None = None) -> Batch:
        """The actor's most recent batch (in one of ``states``): `/fw confirm` with no id."""
        found = self._batches.find(requester_email=actor.email, states=states, limit=1)
        if not found:
            which = " or ".join(s.value.replace("_", " ") for s in states or [])
            raise UsageError(
                f"You have no {which + ' ' if which else ''}batch.",
                hint="Start one with `/fw launch GEAR project=PROJECT`.",
            )
        return found[0]

    # -- deciding ------------------------------------------------------------------
    @use_case(UseCase.LAUNCH_CONFIRM)
    def confirm(self, actor: Actor, batch_id: str, *, others: bool = False) -> Batch:
        """The requester's Launch click. Repeats and double clicks return the same batch.
        Runs other batches launched since the plan are left out only when the requester
        said so (``others``: "launch the other M"); otherwise the click asks."""
        # Authorizing may read Flywheel (a cold roles cache): before the unit of work, which
        # holds the database's write lock from its first statement.
        seen = self._batches.get_existing(batch_id)
        self._door.batch(actor, UseCase.LAUNCH_CONFIRM, seen)
        return self._decide(actor, seen, self._check_confirm, others=others)

    def _check_confirm(self, actor: Actor, batch: Batch) -> Change:
        """Who may click Launch on ``batch`` (the batch's life says), audited if refused."""
        return self._by_life(actor, UseCase.LAUNCH_CONFIRM, batch, BatchLife.confirm)

    def _by_life(
        self,
        actor: Actor,
        use_case: UseCase,
        batch: Batch,
        move: Callable[[BatchLife, str], Change],
    ) -> Change:
        try:
            return move(BatchLife(batch), actor.email)
        except Refusal as no:
            self._door.refuse(
                actor,
                use_case,
                no.message,
                reason=no.reason,
                project_label=batch.project_label,
                target=batch.id,
            )

    @use_case(UseCase.LAUNCH_APPROVE)
    def approve(self, actor: Actor, batch_id: str, *, others: bool = False) -> Batch:
        """A project admin (not the requester) lets a large or costly batch launch."""
        # The requester passes this check, to be told below that someone else must approve.
        # Before the unit of work: authorizing may read Flywheel.
        seen = self._batches.get_existing(batch_id)
        self._door.batch(actor, UseCase.LAUNCH_APPROVE, seen)
        return self._decide(actor, seen, self._check_approve, others=others)

    def _check_approve(self, actor: Actor, batch: Batch) -> Change:
        return self._by_life(actor, UseCase.LAUNCH_APPROVE, batch, BatchLife.approve)

    def _decide(
        self,
        actor: Actor,
        seen: Batch,
        check: Callable[[Actor, Batch], Change],
        *,
        others: bool,
    ) -> Batch:
        """Launch (or approve) a plan once: check who may, then which of its runs other
        batches hold (read before the unit of work: it may ask Flywheel), then, in one
        unit, move it to launching and claim its runs. A batch that claimed some of them
        in between rolls the unit back and the check runs again."""
        batch_id = seen.id
        for round_ in range(CLAIM_ROUNDS):
            if round_:
                seen = self._batches.get_existing(batch_id)  # as the race left it
            if seen.is_under_way:
                return seen
            check(actor, seen)
            self._refuse_if_twin_under_way(seen)  # the same jobs: say so, keep the plan
            overlap = self._overlaps.of(seen)
            if overlap.standing and (not others or not overlap.rest):
                self._launched_since_plan(seen, overlap)
            try:
                with self._unit_of_work():
                    batch = self._batches.get_existing(batch_id)  # again, in the unit
                    if batch.is_under_way:
                        return batch
                    batch, started = self._start(batch, check(actor, batch), overlap)
            except ClaimedMeanwhile:
                continue
            if started:  # after the commit: the launcher must see the batch launching
                self._background.launch(batch.id)
            return batch
        raise Conflict(
            f"Other launches kept claiming the sessions of batch `{batch_id}`.",
            hint=f"Try `/fw confirm {batch_id}` again in a moment.",
        )

    def _launched_since_plan(self, batch: Batch, overlap: Overlap) -> NoReturn:
        """Say which runs other batches launched since the plan; with nothing left to
        launch, the plan is dropped (it would launch nothing)."""
        if overlap.rest:
            raise LaunchedSincePlan(batch, overlap)
        with contextlib.suppress(IllegalTransition):  # dropped meanwhile: still nothing
            batch = self._batches.apply(BatchLife(batch).drop(None))
        raise LaunchedSincePlan(batch, overlap, dropped=True)

    @use_case(UseCase.LAUNCH_DROP)
    def cancel_plan(self, actor: Actor, batch_id: str) -> Batch:
        """Drop a batch nobody launched yet (the Cancel / Reject button)."""
        seen = self._batches.get_existing(batch_id)  # authorized before the unit of work
        self._door.batch(actor, UseCase.LAUNCH_DROP, seen)
        with self._unit_of_work():
            return self._cancel_plan(batch_id, actor.email)

    def _cancel_plan(self, batch_id: str, by: str) -> Batch:
        return self._batches.apply(BatchLife(self._batches.get_existing(batch_id)).drop(by))

    @use_case(UseCase.LAUNCH_DROP, UseCase.CANCEL_PREVIEW, UseCase.CANCEL_JOBS)
    def cancel(self, actor: Actor, batch_id: str, *, confirmed: bool) -> CancelOutcome:
        """`/fw cancel BATCH`: drop a plan, stop a launch under way, or cancel a launched
        batch's pending jobs (first a preview of what, then, ``confirmed``, the deed)."""
        batch = self._batches.get_existing(batch_id)
        if batch.is_plan:
            return CancelOutcome(self.cancel_plan(actor, batch_id), CancelStep.DROPPED)
        self._door.batch(actor, UseCase.CANCEL_JOBS if confirmed else UseCase.CANCEL_PREVIEW, batch)
        if batch.state is BatchState.LAUNCHING:
            stopped = self._stop_launch(actor, batch, confirmed=confirmed)
            if stopped is not None:
                return stopped
            batch = self._batches.get_existing(batch_id)  # the launch ended meanwhile
        return self._cancel_jobs(batch, confirmed=confirmed)

    def _stop_launch(self, actor: Actor, batch: Batch, *, confirmed: bool) -> CancelOutcome | None:
        """A batch still launching: the preview says what stopping it does; confirmed, the
        request goes to the store, where the launcher (in whichever process holds the
        launch, or this one's run if none does) reads it, launches nothing more and cancels
        the jobs it made. None when the launch ended before the request was recorded."""
        try:
            with self._keys.as_launcher(batch):
                jobs: list[JobRecord] | None = self._gateway.jobs_tagged(batch_tag(batch.id))
        except FlywheelUnavailable:
            if not confirmed:
                raise
            jobs = None  # Flywheel is down: the request is recorded all the same
        counts = self._launch_counts(batch.id, jobs)
        if phase_of(batch) is Phase.STOPPING:  # asked already: say what is happening
            return CancelOutcome(batch, CancelStep.STOPPING, **counts)
        if not confirmed:
            return CancelOutcome(batch, CancelStep.PREVIEW, **counts)
        if not self._batches.request_cancel(batch.id, actor.email):
            return None
        self._background.notice_cancel(batch.id)  # this process's run stops at once
        self._background.launch(batch.id)  # nobody holds the launch: a run here stops it
        return CancelOutcome(self._batches.get_existing(batch.id), CancelStep.STOPPING, **counts)

    def _launch_counts(self, batch_id: str, jobs: list[JobRecord] | None) -> dict[str, int]:
        """A launch under way: its sessions not launched yet, and its jobs by state (from the
        store alone when Flywheel could not say: each launched session's job still queued)."""
        planned = self._batches.targets(batch_id, [TargetState.PLANNED])
        if jobs is None:
            launched = self._batches.target_counts(batch_id)[TargetState.LAUNCHED]
            return {"pending": launched, "not_launched": len(planned)}
        made = {j.session_id for j in jobs}
        queued = sum(1 for j in jobs if j.state in QUEUED_JOB_STATES)
        running = sum(1 for j in jobs if j.state is JobState.RUNNING)
        return {
            "pending": queued,
            "running": running,
            "finished": len(jobs) - queued - running,
            "not_launched": sum(1 for t in planned if t.session_id not in made),
        }

    def _cancel_jobs(self, batch: Batch, *, confirmed: bool) -> CancelOutcome:
        """A launched batch: its pending jobs, previewed, then cancelled."""
        if batch.is_final:
            raise Conflict(f"Batch `{batch.id}` is {batch.state.value}: nothing is pending.")
        with self._keys.as_launcher(batch):  # a plain user cancels only jobs it made
            return self._cancel_launched(batch, confirmed=confirmed)

    def _cancel_launched(self, batch: Batch, *, confirmed: bool) -> CancelOutcome:
        jobs = self._gateway.jobs_tagged(batch_tag(batch.id))
        pending = [j.job_id for j in jobs if j.state in QUEUED_JOB_STATES]
        if not confirmed:
            running = sum(1 for j in jobs if j.state is JobState.RUNNING)
            finished = len(jobs) - len(pending) - running
            return CancelOutcome(batch, CancelStep.PREVIEW, len(pending), running, finished)
        if not pending:
            raise Conflict(
                f"Batch `{batch.id}` has no pending jobs left; running ones finish on their own."
            )
        if batch.launch_mode is LaunchMode.BATCH_API and batch.flywheel_batch_id:
            try:
                cancelled = self._gateway.cancel_batch(batch.flywheel_batch_id)  # one request
            except FlywheelRefused as err:
                if err.status != 400:  # 400: the Flywheel batch is no longer running
                    raise
            else:
                self._reporter.publish(batch.id)
                return CancelOutcome(batch, CancelStep.DONE, len(pending), cancelled=cancelled)
        self._workers.submit(f"cancel {batch.id}", lambda: self._cancel_each(batch.id, pending))
        return CancelOutcome(batch, CancelStep.DONE, len(pending))

    def _cancel_each(self, batch_id: str, job_ids: list[str]) -> None:
        with ContextThreadPool(
            self._background.timing.cancel_concurrency, thread_name_prefix="fwbot-cancel"
        ) as pool:
            list(pool.map(self._gateway.cancel_job, job_ids))
        self._reporter.publish(batch_id)

    @use_case(UseCase.STATUS_SHOW)
    def status(self, actor: Actor, batch_id: str) -> BatchView:
        """One batch's progress for anyone who may read its project."""
        batch = self._batches.get_existing(batch_id)
        self._door.batch(actor, UseCase.STATUS_SHOW, batch)
        return self._reporter.view(batch_id)

    # -- running -------------------------------------------------------------------
    def _start(self, batch: Batch, change: Change, overlap: Overlap) -> tuple[Batch, bool]:
        """Move the batch to launching and claim its runs; True when this call did (the
        caller launches it once its unit of work has committed). Refused while someone
        else's batch that makes the same jobs is under way: a session is never launched
        twice. Runs the overlap found standing are left out (the requester agreed); a
        claim held by a batch it had not seen raises ``ClaimedMeanwhile``."""
        self._refuse_if_twin_under_way(batch)
        try:
            started = self._batches.apply(change)
            log.info("batch %s %s by %s", batch.id, change.events[0].kind.value, change.by)
        except SameLaunchUnderWay as race:  # confirmed at the same moment as its twin
            twins = [b for b in self._same_launch(batch) if b.is_under_way]
            if twins:
                raise _same_launch_running(batch, twins[0]) from race
            raise
        except IllegalTransition:
            current = self._batches.get_existing(batch.id)
            if current.is_under_way:
                return current, False  # someone else's click won the race: one launch only
            raise
        held = self._batches.claim_runs(batch.id, overlap.claims(), take_over=overlap.free)
        if held:
            if len(held) == len(overlap.targets) or any(
                overlap.standing.get(key) != holder for key, holder in held.items()
            ):
                raise ClaimedMeanwhile(batch.id)
            self._batches.skip_targets(
                batch.id,
                {
                    overlap.targets[key].id: f"launched by batch `{holder}` since the plan"
                    for key, holder in held.items()
                },
            )
            started = self._batches.get_existing(batch.id)
        return started, True


def _same_launch_running(batch: Batch, twin: Batch) -> Conflict:
    return Conflict(
        f"Batch `{batch.id}` would launch the same jobs as batch `{twin.id}`, which "
        f"{twin.requester_email} launched already ({twin.state.value}); it was not launched "
        "again.",
        hint=f"Follow that one with `/fw status {twin.id}`, or drop yours with "
        f"`/fw cancel {batch.id}`.",
    )
