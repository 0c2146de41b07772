"""`/fw retry BATCH`: the sessions a batch failed, relaunched as a new batch linked to it.

Flywheel retries a failed job only once (``POST /jobs/{id}/retry``; a second retry is
refused), and never a job that completed without its outputs, so a retry makes new
analyses instead: a new batch with the original's gear version, config, inputs, VM size
and label (plus `` (retry N)``), recorded with ``retry_of`` and then confirmed, approved
and launched exactly like `/fw launch` (the same buttons, checks and idempotency key).

Which sessions: those whose launch failed, those whose latest job failed, and those whose
job completed without the batch's expected outputs. A session that has since got a run of
the same gear and version that is pending, running, or complete with its outputs (another
retry, someone's script) is skipped, so nothing runs twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from bot.domain import (
    ACTIVE_JOB_STATES,
    Actor,
    Batch,
    BatchSpec,
    BatchState,
    FileRef,
    GearDetail,
    InputFile,
    JobRecord,
    JobState,
    ProjectRef,
    SessionRef,
    Target,
    TargetRef,
    TargetState,
    batch_tag,
)
from bot.domain.claims import outputs_present
from bot.domain.runs import ProjectRun
from bot.errors import Conflict
from bot.flywheel.gateway import FlywheelGateway
from bot.service.access import Authorizer
from bot.service.accounts.acting import LauncherKeys, ServiceKeyOnly
from bot.service.configs.model import InputRef, SavedConfig
from bot.service.door import Door
from bot.service.launch.plan_builder import PlanBuilder, target_spec
from bot.service.launch.plan_model import LaunchPlan, Skipped
from bot.service.launch.progress import latest_jobs
from bot.service.use_cases import UseCase
from bot.store.batches import BatchRepo

RETRY_SUFFIX = re.compile(r" \(retry (\d+)\)$")


@dataclass(frozen=True)
class RetryTicket:
    """A recorded retry: the new batch, the plan it shows, and what it retries."""

    batch: Batch
    plan: LaunchPlan
    created: bool
    original: Batch
    # sessions whose launch or job failed, and those complete without the expected outputs
    # (None: a retry planned earlier, shown again from the store, which keeps no reasons)
    failed: int | None
    missing_outputs: int | None
    same_launch: tuple[Batch, ...] = ()


@dataclass(frozen=True)
class _Candidates:
    """The original batch's sessions, sorted by why (or whether) to run them again."""

    failed: list[Target]
    missing_outputs: list[Target]
    active: int
    cancelled: int
    good: int


class Retrier:
    def __init__(
        self,
        gateway: FlywheelGateway,
        batches: BatchRepo,
        access: Authorizer,
        *,
        unit_of_work: Callable[[], AbstractContextManager[None]],
        keys: LauncherKeys | None = None,
    ) -> None:
        self._gateway = gateway
        self._batches = batches
        self._door = Door(access)
        self._policy = access.policy
        self._unit_of_work = unit_of_work
        self._keys: LauncherKeys = keys or ServiceKeyOnly()
        self._builder = PlanBuilder(access.policy)

    def request(self, actor: Actor, original: Batch) -> RetryTicket:
        """Plan and record the retry of ``original`` (the caller checked the actor may)."""
        _check_retryable(original)
        retries = self._batches.find(retry_of=original.id, limit=100)
        open_plan = self._open_retry(actor, original, retries)
        if open_plan is not None:
            return open_plan
        self._check_policy(actor, original)
        gear = self._same_gear(original)
        candidates = self._candidates(original)
        wanted = [*candidates.failed, *candidates.missing_outputs]
        if not wanted:
            raise Conflict(_nothing_to_retry(original, candidates))
        skipped = self._since_run_again(original, wanted)
        if len(skipped) == len({t.session_id for t in wanted}):
            raise Conflict(
                f"Nothing to retry in `{original.id}`: its {len(wanted):,} failed sessions have "
                "been run again since (pending, running or complete with outputs).",
                hint="`/fw status project="
                + original.project_label
                + f" gear={original.gear_name}` shows each session's latest run.",
            )
        launched_retries = sum(1 for r in retries if r.launched_at is not None)
        draft = _draft(
            original,
            original,
            gear,
            label=_retry_label(original.analysis_label, launched_retries),
            matched=[_session(t) for t in wanted],
            to_launch=[_session(t) for t in wanted if t.session_id not in skipped],
            skipped=[
                Skipped(_session(t), run.state, run.fwbot_batch)
                for t in wanted
                if (run := skipped.get(t.session_id)) is not None
            ],
        )
        plan = self._builder.plan(draft)
        ended_retries = sum(1 for r in retries if r.is_final)
        key_extra = f"retry-of:{original.id}:{ended_retries + 1}"
        batch, created, same = self._record(
            PlanBuilder.spec(actor, plan, retry_of=original, key_extra=key_extra), plan
        )
        return RetryTicket(
            batch=batch,
            plan=plan,
            created=created,
            original=original,
            failed=sum(1 for t in candidates.failed if t.session_id not in skipped),
            missing_outputs=sum(
                1 for t in candidates.missing_outputs if t.session_id not in skipped
            ),
            same_launch=tuple(same),
        )

    def _check_policy(self, actor: Actor, original: Batch) -> None:
        """The lab policy may have dropped the gear from the project since the original."""
        if not self._policy.gear_allowed(original.project_label, original.gear_name):
            self._door.refuse(
                actor,
                UseCase.RETRY_REQUEST,
                f"The lab policy no longer allows `{original.gear_name}` on "
                f"`{original.project_label}`.",
                reason="gear not allowed by policy",
                project_label=original.project_label,
                target=original.id,
            )

    def _same_gear(self, original: Batch) -> GearDetail:
        gear = self._gateway.get_gear(original.gear_name, original.gear_version)
        if gear is None:
            raise Conflict(
                f"{original.gear_name} {original.gear_version}, which batch `{original.id}` "
                "ran, is no longer on the site; a retry must run the same version.",
                hint=f"Launch it anew: `/fw launch {original.gear_name} "
                f"project={original.project_label}`.",
            )
        return gear

    def _record(self, spec: BatchSpec, plan: LaunchPlan) -> tuple[Batch, bool, list[Batch]]:
        """The retry batch (made once per key), and others launching the same jobs."""
        targets = [target_spec(s) for s in plan.to_launch]
        with self._unit_of_work():
            batch, created = self._batches.create_or_get(spec, targets)
            same = (
                self._batches.same_launch(batch.launch_key, besides=batch.id)
                if batch.launch_key
                else []
            )
        return batch, created, same

    # -- internals ---------------------------------------------------------------------
    def _open_retry(
        self, actor: Actor, original: Batch, retries: Sequence[Batch]
    ) -> RetryTicket | None:
        """A retry of ``original`` not over yet: the actor's own plan is shown again (the
        same confirm); anything else under way or planned by someone else is a conflict,
        so two retries never launch the same sessions."""
        for retry in retries:
            if retry.is_final:
                continue
            if retry.is_plan and retry.requester_email.casefold() == actor.email.casefold():
                return self._ticket_of(retry, original)
            who = retry.requester_email
            if retry.is_plan:
                raise Conflict(
                    f"{who} already asked to retry `{original.id}` as batch `{retry.id}` "
                    f"({retry.state.value.replace('_', ' ')}).",
                    hint=f"They can launch it, or drop it with `/fw cancel {retry.id}`.",
                )
            raise Conflict(
                f"Batch `{retry.id}` is already retrying `{original.id}` ({retry.state.value}).",
                hint=f"Follow it with `/fw status {retry.id}`; retry `{retry.id}` once it ends.",
            )
        return None

    def _ticket_of(self, retry: Batch, original: Batch) -> RetryTicket:
        """The plan of a recorded retry, rebuilt from the store (no Flywheel request)."""
        sessions = [_session(t) for t in self._batches.targets(retry.id)]
        gear = self._gateway.get_gear(retry.gear_name, retry.gear_version)
        if gear is None:
            raise Conflict(f"{retry.gear_name} {retry.gear_version} is no longer on the site.")
        draft = _draft(
            retry, original, gear, label=retry.analysis_label, matched=sessions, to_launch=sessions
        )
        return RetryTicket(
            batch=retry,
            plan=self._builder.plan(draft),
            created=False,
            original=original,
            failed=None,
            missing_outputs=None,
        )

    def _candidates(self, original: Batch) -> _Candidates:
        """Each target by the latest job of its session in the batch (a Flywheel retry of a
        job supersedes it); launch failures from the store."""
        targets = self._batches.targets(original.id)
        latest: dict[str, JobRecord] = {}
        level = targets[0].target_type if targets else "session"  # one level per batch
        if any(t.state is TargetState.LAUNCHED for t in targets):
            with self._keys.as_launcher(original):  # its jobs: its launcher's to read
                latest = latest_jobs(self._gateway.jobs_tagged(batch_tag(original.id)), level)
        failed: list[Target] = []
        missing: list[Target] = []
        active = cancelled = good = 0
        for target in targets:
            if target.state is TargetState.FAILED:
                failed.append(target)
                continue
            if target.state is TargetState.CANCELLED:
                cancelled += 1
                continue
            if target.state is not TargetState.LAUNCHED:
                continue
            found = latest.get(target.key)
            if found is None:
                continue  # its job is gone from Flywheel: nothing to judge it by
            job = found
            if job.state is JobState.FAILED:
                failed.append(target)
            elif job.state in ACTIVE_JOB_STATES:
                active += 1
            elif job.state is JobState.CANCELLED:
                cancelled += 1
            elif job.state is JobState.COMPLETE:
                if outputs_present(job.saved_files, original.expect_outputs):
                    good += 1
                else:
                    missing.append(target)
        return _Candidates(failed, missing, active, cancelled, good)

    def _since_run_again(self, original: Batch, wanted: list[Target]) -> dict[str, ProjectRun]:
        """Sessions among ``wanted`` that now have a run of the same gear and version that
        is pending, running or complete with the expected outputs (any launcher)."""
        ids = {t.session_id for t in wanted}
        found: dict[str, ProjectRun] = {}
        for run in self._gateway.project_runs(original.project_id):
            if (
                run.session_id not in ids
                or run.gear_name != original.gear_name
                or run.gear_version != original.gear_version
            ):
                continue
            good = run.state is JobState.COMPLETE and outputs_present(
                list(run.saved_files), original.expect_outputs
            )
            if run.state in ACTIVE_JOB_STATES or good:
                assert run.session_id is not None
                found[run.session_id] = run
        return found


def _check_retryable(original: Batch) -> None:
    if original.is_plan:
        raise Conflict(
            f"Batch `{original.id}` was never launched; there is nothing to retry.",
            hint=f"Launch it with `/fw confirm {original.id}`, or drop it with "
            f"`/fw cancel {original.id}`.",
        )
    if original.state is BatchState.LAUNCHING:
        raise Conflict(
            f"Batch `{original.id}` is still launching; retry it once it is launched.",
            hint=f"`/fw status {original.id}` shows how far it got.",
        )


def _nothing_to_retry(original: Batch, found: _Candidates) -> str:
    parts = [f"{found.good:,} complete with expected outputs"]
    if found.active:
        parts.append(f"{found.active:,} still pending or running")
    if found.cancelled:
        parts.append(f"{found.cancelled:,} cancelled")
    return (
        f"Nothing to retry in `{original.id}`: no session failed or lacks its outputs ("
        + ", ".join(parts)
        + ")."
    )


def _retry_label(label: str, launched_retries: int) -> str:
    """``QSIPrep_… (retry 1)``; a retry of a retry counts on: ``… (retry 2)``."""
    match = RETRY_SUFFIX.search(label)
    base = RETRY_SUFFIX.sub("", label)
    before = int(match.group(1)) if match else 0
    return f"{base} (retry {before + launched_retries + 1})"


def _saved_config(batch: Batch) -> SavedConfig:
    """The config as the batch ran it (the file may have changed since: the batch wins)."""
    return SavedConfig(
        name=batch.config_name or batch.gear_name,
        gear=batch.gear_name,
        version=batch.gear_version,
        size=batch.size,  # type: ignore[arg-type]  # a size the config once validated
        config=dict(batch.config),
        inputs={k: InputRef(project_file=str(v.get("name"))) for k, v in batch.inputs.items()},
        expect_outputs=list(batch.expect_outputs),
        description=f"as batch {batch.id} ran it",
    ).with_source(f"as batch `{batch.retry_of or batch.id}` ran it")


def _draft(
    ran: Batch,
    original: Batch,
    gear: GearDetail,
    *,
    label: str,
    matched: list[SessionRef],
    to_launch: list[SessionRef],
    skipped: list[Skipped] | None = None,
) -> LaunchPlan:
    """The plan of a retry, as ``ran`` (the original, or the retry recorded) runs it."""
    first = matched[0] if matched else None
    return LaunchPlan(
        gear=gear,
        project=ProjectRef(project_id=ran.project_id, label=ran.project_label, group=""),
        saved=_saved_config(ran),
        config=dict(ran.config),
        inputs={k: FileRef.model_validate(v) for k, v in ran.inputs.items()},
        label=label,
        size=ran.size,
        vm_tag=ran.vm_tag,
        selection=f"the sessions batch `{original.id}` failed or left without outputs",
        matched=tuple(matched),
        to_launch=tuple(to_launch),
        skipped=tuple(skipped or ()),
        missing_inputs=(),
        target_type=first.target_type if isinstance(first, TargetRef) else "session",
    )


def _session(target: Target) -> SessionRef:
    """A recorded target as the plan shows it: its level, container and the files it was
    given (a retry runs on the same containers with the same files)."""
    return TargetRef(
        session_id=target.session_id,
        label=target.session_label,
        subject_label=target.subject_label,
        target_type=target.target_type,
        target_id=target.key,
        target_label=target.target_label,
        inputs={k: InputFile.model_validate(v) for k, v in target.inputs.items()},
    )
