"""One way to finish a plan and the batch it records, for `/fw launch` and `/fw retry`.

The planner (matching targets on Flywheel) and the retrier (a batch's failed targets)
find targets differently; what comes after is the same and lives here: the cost per job,
the lab's approval rule, the ``BatchSpec`` the store records and its targets.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain import Actor, Batch, BatchSpec, BatchState, SessionRef, TargetRef, TargetSpec
from bot.service.launch.plan_model import LaunchPlan
from bot.service.policy import Policy

# Typical hours per session, by gear family: enough to show the order of magnitude of a
# launch's cost before anyone clicks. Unknown gears count one hour.
TYPICAL_HOURS = {
    "qsiprep": 3.0,
    "qsirecon": 1.5,
    "fmriprep": 6.0,
    "mriqc": 0.5,
    "xcpengine": 1.0,
    "dcm2niix": 0.1,
    "curate-bids": 0.25,
}


class PlanBuilder:
    """Turns what a planner found into a costed ``LaunchPlan``, and a plan into its batch."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    def plan(self, draft: LaunchPlan) -> LaunchPlan:
        """``draft`` with its cost per job and the reasons it needs approval, if any."""
        plan = replace(draft, hours_per_job=typical_hours(draft.gear.summary.name))
        reasons = []
        threshold = self._policy.approval_threshold(plan.project.label)
        if len(plan.to_launch) > threshold:
            reasons.append(f"{len(plan.to_launch):,} jobs is over the {threshold:,}-job limit")
        if plan.size is not None and plan.size in self._policy.vm_sizes_needing_approval:
            reasons.append(f"size `{plan.size}` needs approval")
        return replace(plan, approval_reasons=tuple(reasons))

    @staticmethod
    def spec(
        actor: Actor, plan: LaunchPlan, *, retry_of: Batch | None = None, key_extra: str = ""
    ) -> BatchSpec:
        """The batch ``plan`` records for ``actor``, waiting for approval if it needs it.
        A retry records exactly what its original ran (config, inputs, config name)."""
        like = retry_of
        return BatchSpec(
            gear_name=plan.gear.summary.name,
            gear_version=plan.gear.summary.version,
            gear_id=like.gear_id if like else plan.gear.summary.gear_id,
            project_id=plan.project.project_id,
            project_label=plan.project.label,
            analysis_label=plan.label,
            requester_email=actor.email,
            requester_slack_id=actor.slack_user_id,
            channel_id=actor.channel_id,
            config=dict(like.config) if like else plan.config,
            inputs=dict(like.inputs) if like else _dumped(plan),
            config_name=like.config_name if like else plan.saved.name,
            size=plan.size,
            vm_tag=plan.vm_tag,
            state=BatchState.AWAITING_APPROVAL if plan.needs_approval else BatchState.PLANNED,
            skipped_count=len(plan.skipped) + len(plan.unmatched),
            key_extra=key_extra,
            expect_outputs=tuple(plan.saved.expect_outputs),
            retry_of=like.id if like else None,
            rerun=plan.rerun,
        )


def _dumped(plan: LaunchPlan) -> dict[str, dict[str, object]]:
    return {name: ref.model_dump() for name, ref in plan.inputs.items()}


def typical_hours(gear_name: str) -> float:
    return next((h for family, h in TYPICAL_HOURS.items() if family in gear_name), 1.0)


def target_spec(target: SessionRef) -> TargetSpec:
    """A planned target as the store records it: its level, container and the files the
    plan picked for it (with their versions), before anything is launched."""
    if not isinstance(target, TargetRef):
        return TargetSpec(
            session_id=target.session_id,
            session_label=target.label,
            subject_label=target.subject_label,
        )
    return TargetSpec(
        session_id=target.session_id,
        session_label=target.label,
        subject_label=target.subject_label,
        target_type=target.target_type,
        target_id=target.key,
        target_label=target.target_label,
        inputs={name: f.model_dump(exclude_none=True) for name, f in target.inputs.items()},
    )
