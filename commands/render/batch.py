"""Renderers for launches and batches: the plan preview, the confirm buttons, and the
progress message that is updated in place. Counts first, so a phone shows the news.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.domain import Batch, BatchState
from bot.service.launch.overlap import LaunchedSincePlan
from bot.service.launch.plan_model import LaunchPlan
from bot.service.launch.progress import BatchView
from bot.service.launch.service import CancelOutcome, CancelStep
from commands.buttons import ButtonAction, button_value
from commands.render.blocks import Block, context, escape, line_sections, section
from commands.render.message import reply
from commands.render.plan_inputs import input_facts
from commands.reply import Reply

SESSIONS_SHOWN = 5
BAR_WIDTH = 10  # cells; each is an emoji square, so 10 fit a phone's line
FAILURES_SHOWN = 40

PLAN_TITLE = "*{gear}* `{version}` on *{project}*"
PLAN_COUNTS = "*{launch:,}* to launch · {skipped} · ~{hours:,.0f} VM-hours"
DRY_RUN_NOTE = "Dry run: nothing was launched. Drop `dry-run` to launch."
CONFIRM_NOTE = "Only you can see this. Launch `{batch}`?"
ALREADY = "Batch `{batch}` already covers this request ({state})."
APPROVAL_NOTE = (
    "{requester} asks to launch `{batch}`; a project admin must approve because {reasons}."
)
LAUNCHING = (
    "Launching `{batch}`: {count:,} jobs of {gear} on {project}. Progress follows in {where}."
)
APPROVED = "{approver} approved `{batch}`. Launching {count:,} jobs of {gear} on {project}."
DROPPED = "Batch `{batch}` was dropped{by}; nothing was launched."
CANCEL_PREVIEW = (
    "Cancel {pending:,} pending jobs of `{batch}` ({gear} on {project})? "
    "{running:,} running will finish; {finished:,} already ended."
)
CANCEL_NOTHING = "Batch `{batch}` has no pending jobs; {running:,} running will finish."
CANCELLED = "Cancelled {count:,} pending jobs of `{batch}`."
CANCELLING = "Cancelling {count:,} pending jobs of `{batch}`…"
STOP_PREVIEW = (
    "Stop launching `{batch}` ({gear} on {project})? {not_launched:,} sessions not launched "
    "yet will not be; {pending:,} jobs already created would be cancelled."
)
STOPPING = (
    "Stopping the launch of `{batch}`: {not_launched:,} sessions not launched yet will not "
    "be; {pending:,} jobs already created are being cancelled."
)
RUNNING_FINISH = " {running:,} running will finish."
STATE_WORDS = {
    BatchState.PLANNED: "planned, not launched",
    BatchState.AWAITING_APPROVAL: "waiting for approval",
    BatchState.LAUNCHING: "launching",
    BatchState.LAUNCHED: "launched",
    BatchState.COMPLETE: "finished",
    BatchState.CANCELLED: "cancelled",
    BatchState.FAILED: "failed to launch",
}


def _skipped(plan: LaunchPlan) -> str:
    by_state = plan.skipped_by_state()  # already run, or left out for their inputs
    if not by_state:
        return "none skipped"
    parts = ", ".join(f"{n:,} {state}" for state, n in sorted(by_state.items()))
    return f"{sum(by_state.values()):,} skipped ({parts})"


def _session_lines(plan: LaunchPlan) -> tuple[list[str], str]:
    shown = [f"{s.subject_label} {s.label}".strip() for s in plan.to_launch[:SESSIONS_SHOWN]]
    rest = len(plan.to_launch) - len(shown)
    return shown, (f"and {rest:,} more" if rest > 0 else "")


def _plan_facts(plan: LaunchPlan) -> list[str]:
    facts = [
        f"config `{plan.saved.name}` ({plan.saved.source})",
        f"{plan.targets_word}: {plan.selection} ({len(plan.matched):,} matched)",
        f"label `{plan.label}`",
    ]
    if plan.size:
        facts.append(f"size {plan.size} (`{plan.vm_tag}`)")
    if plan.rerun_word == "rerun":
        facts.append("rerun: launched again where a run of the same work exists")
    if plan.missing_inputs:
        facts.append("missing: " + ", ".join(plan.missing_inputs))
    return facts


def _plan_blocks(plan: LaunchPlan) -> list[Block]:
    summary = plan.gear.summary
    shown, rest = _session_lines(plan)
    title = PLAN_TITLE.format(
        gear=escape(summary.name),
        version=escape(summary.version),
        project=escape(plan.project.label),
    )
    counts = PLAN_COUNTS.format(
        launch=len(plan.to_launch), skipped=_skipped(plan), hours=plan.vm_hours
    )
    first = ", ".join(escape(s) for s in shown) + (f" {rest}" if rest else "")
    inputs = input_facts(plan)  # inputs and target level: their own section, not capped
    return [
        section(f"{title}\n{counts}\n{first}" if shown else f"{title}\n{counts}"),
        context(*(escape(f) for f in _plan_facts(plan))),
        *([section("\n".join(f"• {escape(f)}" for f in inputs))] if inputs else []),
    ]


def _plan_console(plan: LaunchPlan) -> list[str]:
    summary = plan.gear.summary
    shown, rest = _session_lines(plan)
    lines = [
        f"{summary.name} {summary.version} on {plan.project.label}",
        PLAN_COUNTS.replace("*", "").format(
            launch=len(plan.to_launch), skipped=_skipped(plan), hours=plan.vm_hours
        ),
    ]
    if shown:
        lines.append("  " + ", ".join(shown) + (f" {rest}" if rest else ""))
    lines.extend(f"  {fact}" for fact in _plan_facts(plan))
    lines.extend(f"  {fact}" for fact in input_facts(plan))
    return lines


def _button(text: str, action: ButtonAction, batch: Batch, style: str | None = None) -> Block:
    """A button whose click runs ``action`` on ``batch`` (``commands/clicks.py``)."""
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action.value,
        "value": button_value(action, batch.id, batch.requester_email),
    }
    if style:
        button["style"] = style
    return button


def preview(plan: LaunchPlan) -> Reply:
    """`dry-run`: the plan, and nothing launched."""
    blocks = [*_plan_blocks(plan), context(DRY_RUN_NOTE)]
    text = "\n".join([*_plan_console(plan), "", DRY_RUN_NOTE])
    return reply(_fallback(plan), blocks, text)


def same_launch_note(others: Sequence[Batch]) -> str | None:
    """Someone else asked for exactly this launch: say who and where it stands, so two
    people do not both wait for (or both pay for) the same jobs."""
    if not others:
        return None
    first = others[0]
    if first.is_under_way:
        where = f"is already {first.state.value} as batch `{first.id}`"
        then = "launching yours would be refused"
    else:
        where = f"is already planned as batch `{first.id}` ({STATE_WORDS[first.state]})"
        then = "whichever of you launches first runs it; the other is then refused"
    more = f" (and {len(others) - 1} more)" if len(others) > 1 else ""
    return f"Heads-up: the same launch{more} {where}, asked by {first.requester_email}: {then}."


def ask_to_confirm(
    plan: LaunchPlan,
    batch: Batch,
    same_launch: Sequence[Batch] = (),
    *,
    retry_of: str | None = None,
) -> Reply:
    """The requester's Launch / Cancel pair (ephemeral: only they can click it).
    ``retry_of``: the line saying which batch this one retries (`/fw retry`)."""
    note = CONFIRM_NOTE.format(batch=batch.id)
    if retry_of:
        note = f"{retry_of} {note}"
    heads_up = same_launch_note(same_launch)
    buttons = {
        "type": "actions",
        "block_id": f"confirm-{batch.id}",
        "elements": [
            _button(f"Launch {len(plan.to_launch):,} jobs", ButtonAction.CONFIRM, batch, "primary"),
            _button("Cancel", ButtonAction.CANCEL_PLAN, batch, "danger"),
        ],
    }
    warning = [section(escape(heads_up))] if heads_up else []
    blocks = [*_plan_blocks(plan), *warning, context(note), buttons]
    text = "\n".join(
        [
            *_plan_console(plan),
            *([heads_up] if heads_up else []),
            *([retry_of] if retry_of else []),
            "",
            f"Launch: `{ButtonAction.CONFIRM.typed(batch.id)}`   "
            f"drop it: `{ButtonAction.CANCEL_PLAN.typed(batch.id)}`",
        ]
    )
    return reply(_fallback(plan), blocks, text)


def ask_for_approval(
    plan: LaunchPlan,
    batch: Batch,
    same_launch: Sequence[Batch] = (),
    *,
    retry_of: str | None = None,
) -> Reply:
    """Posted in the channel, so a project admin can see it and click Approve.
    ``retry_of``: the line saying which batch this one retries (`/fw retry`)."""
    note = APPROVAL_NOTE.format(
        requester=batch.requester_email, batch=batch.id, reasons="; ".join(plan.approval_reasons)
    )
    if retry_of:
        note = f"{retry_of}\n{note}"
    heads_up = same_launch_note(same_launch)
    if heads_up:
        note = f"{note}\n{heads_up}"
    buttons = {
        "type": "actions",
        "block_id": f"approve-{batch.id}",
        "elements": [
            _button("Approve", ButtonAction.APPROVE, batch, "primary"),
            _button("Reject", ButtonAction.CANCEL_PLAN, batch, "danger"),
        ],
    }
    blocks = [*_plan_blocks(plan), section(escape(note)), buttons]
    text = "\n".join(
        [
            *_plan_console(plan),
            "",
            note,
            f"A project admin approves with `{ButtonAction.APPROVE.typed(batch.id)}`; "
            f"drop it: `{ButtonAction.CANCEL_PLAN.typed(batch.id)}`",
        ]
    )
    return reply(note, blocks, text, ephemeral=False)


def already_recorded(batch: Batch) -> Reply:
    message = ALREADY.format(batch=batch.id, state=STATE_WORDS[batch.state])
    hint = f"Follow it with `/fw status {batch.id}`."
    return reply(
        f"{message} {hint}", [section(escape(message)), context(hint)], f"{message}\n{hint}"
    )


def launching(batch: Batch, *, approved: bool = False) -> Reply:
    where = "this channel" if batch.channel_id else "the batch's progress lines"
    fields = {
        "batch": batch.id,
        "count": batch.target_count,
        "gear": batch.gear_name,
        "project": batch.project_label,
        "where": where,
        "approver": batch.approver_email or "",
    }
    message = (APPROVED if approved else LAUNCHING).format(**fields)
    return reply(message, [section(escape(message))], message, ephemeral=not approved)


def launched_since_plan(refusal: LaunchedSincePlan, *, approving: bool = False) -> Reply:
    """The Launch (or Approve) click found runs other batches launched since the plan:
    how many, by whom, and a button for the rest; or the plan, dropped, had none left."""
    batch = refusal.batch
    message = refusal.message
    if refusal.dropped:
        text = f"{message}\n{refusal.hint}" if refusal.hint else message
        return reply(message, [section(escape(text))], text)
    action = ButtonAction.APPROVE_OTHERS if approving else ButtonAction.CONFIRM_OTHERS
    verb = "Approve" if approving else "Launch"
    buttons = {
        "type": "actions",
        "block_id": f"others-{batch.id}",
        "elements": [
            _button(f"{verb} the other {refusal.rest:,}", action, batch, "primary"),
            _button("Drop it", ButtonAction.CANCEL_PLAN, batch, "danger"),
        ],
    }
    text = (
        f"{message}\n{verb} the rest: `{action.typed(batch.id)}`   "
        f"drop it: `{ButtonAction.CANCEL_PLAN.typed(batch.id)}`"
    )
    return reply(message, [section(escape(message)), buttons], text, ephemeral=not approving)


def dropped(batch: Batch, by: str | None = None) -> Reply:
    """``by``: who dropped it (the Reject button replaces the approval request with this)."""
    message = DROPPED.format(batch=batch.id, by=f" by {by}" if by else "")
    return reply(message, [section(escape(message))], message)


def cancel_outcome(outcome: CancelOutcome, *, by: str) -> Reply:
    """`/fw cancel` and its buttons, whatever step the service reached."""
    if outcome.step is CancelStep.PREVIEW:
        return cancel_preview(outcome)
    if outcome.step is CancelStep.DONE:
        return cancel_done(outcome)
    if outcome.step is CancelStep.STOPPING:
        return cancel_stopping(outcome)
    return dropped(outcome.batch, by=by)


def cancel_preview(preview: CancelOutcome) -> Reply:
    """How many pending jobs `yes` would cancel; running ones finish either way. For a
    batch still launching: what stopping the launch would leave out and cancel."""
    b = preview.batch
    if b.state is BatchState.LAUNCHING:
        return _stop_preview(preview)
    if not preview.pending:
        message = CANCEL_NOTHING.format(batch=b.id, running=preview.running)
        return reply(message, [section(escape(message))], message)
    message = CANCEL_PREVIEW.format(
        batch=b.id,
        pending=preview.pending,
        gear=b.gear_name,
        project=b.project_label,
        running=preview.running,
        finished=preview.finished,
    )
    buttons = {
        "type": "actions",
        "block_id": f"cancel-{b.id}",
        "elements": [
            _button(
                f"Cancel {preview.pending:,} pending jobs", ButtonAction.CANCEL_JOBS, b, "danger"
            )
        ],
    }
    text = f"{message}\nCancel them: `{ButtonAction.CANCEL_JOBS.typed(b.id)}`"
    return reply(message, [section(escape(message)), buttons], text)


def _stop_preview(preview: CancelOutcome) -> Reply:
    b = preview.batch
    message = STOP_PREVIEW.format(
        batch=b.id,
        gear=b.gear_name,
        project=b.project_label,
        not_launched=preview.not_launched,
        pending=preview.pending,
    )
    if preview.running:
        message += RUNNING_FINISH.format(running=preview.running)
    buttons = {
        "type": "actions",
        "block_id": f"cancel-{b.id}",
        "elements": [_button("Stop the launch", ButtonAction.CANCEL_JOBS, b, "danger")],
    }
    text = f"{message}\nStop it: `{ButtonAction.CANCEL_JOBS.typed(b.id)}`"
    return reply(message, [section(escape(message)), buttons], text)


def cancel_stopping(stopping: CancelOutcome) -> Reply:
    """`/fw cancel BATCH yes` while the batch is launching: what happens now."""
    b = stopping.batch
    message = STOPPING.format(
        batch=b.id, not_launched=stopping.not_launched, pending=stopping.pending
    )
    if stopping.running:
        message += RUNNING_FINISH.format(running=stopping.running)
    hint = f"`/fw status {b.id}` shows the batch."
    return reply(
        f"{message} {hint}", [section(escape(message)), context(hint)], f"{message}\n{hint}"
    )


def cancel_done(done: CancelOutcome) -> Reply:
    count = done.cancelled if done.cancelled is not None else done.pending
    template = CANCELLED if done.cancelled is not None else CANCELLING
    message = template.format(batch=done.batch.id, count=count)
    hint = f"`/fw status {done.batch.id}` shows the batch."
    return reply(
        f"{message} {hint}", [section(escape(message)), context(hint)], f"{message}\n{hint}"
    )


def _fallback(plan: LaunchPlan) -> str:
    summary = plan.gear.summary
    return (
        f"{summary.name} {summary.version} on {plan.project.label}: "
        f"{len(plan.to_launch):,} to launch, {_skipped(plan)}"
    )


# -- progress --------------------------------------------------------------------
# The bar's parts by job state, in this order; only complete cells are green, so a
# batch whose jobs all failed or were cancelled never looks done.
BAR_PARTS = (
    ("complete", "🟩"),
    ("failed", "🟥"),
    ("cancelled", "✖️"),
    ("running", "🟦"),
    ("queued", "⬜"),
)


def bar_counts(view: BatchView) -> list[tuple[str, int]]:
    """Jobs per bar part; launched jobs not seen in Flywheel yet count as queued."""
    total = view.launched or view.targets
    seen = view.complete + view.failed + view.cancelled + view.running
    return [
        ("complete", view.complete),
        ("failed", view.failed),
        ("cancelled", view.cancelled),
        ("running", view.running),
        ("queued", max(total - seen, view.queued, 0)),
    ]


def progress_bar(counts: Sequence[tuple[str, int]], width: int = BAR_WIDTH) -> str:
    """``width`` cells split between the parts in proportion, each part with jobs getting
    at least one cell (so 3 failed of 1,329 still shows red); nothing: all queued."""
    symbols = dict(BAR_PARTS)
    total = sum(n for _, n in counts)
    if total <= 0:
        return symbols["queued"] * width
    shares = [(name, n * width / total) for name, n in counts]
    cells = {name: int(share) for name, share in shares}
    for name, n in counts:
        if n > 0 and cells[name] == 0:
            cells[name] = 1
    # too many cells: take from the part that has the most beyond its share
    while sum(cells.values()) > width:
        name = max(
            (name for name, _ in shares if cells[name] > 1),
            key=lambda k: cells[k] - dict(shares)[k],
        )
        cells[name] -= 1
    # too few: give to the part whose share was cut the most
    while sum(cells.values()) < width:
        name = max((name for name, n in counts if n > 0), key=lambda k: dict(shares)[k] - cells[k])
        cells[name] += 1
    return "".join(symbols[name] * cells[name] for name, _ in counts)


def percent_complete(complete: int, total: int) -> int:
    """Whole percent of jobs complete, rounded down: 100 only when every job is."""
    if total <= 0:
        return 0
    return 100 if complete >= total else min(99, complete * 100 // total)


def duration(span: timedelta) -> str:
    """``2 h 14 min``, ``11 min``, ``3 d 4 h``; under a minute: ``under a minute``."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def timing(view: BatchView) -> str:
    """How long it has run (or took), and roughly how long is left."""
    elapsed = view.elapsed
    if elapsed is None:
        return ""
    if view.all_final:
        return f"took {duration(elapsed)}"
    eta = view.eta
    left = f", about {duration(eta)} left" if eta is not None else ""
    return f"running {duration(elapsed)}{left}"


def project_url(view: BatchView) -> str:
    """The project's page in Flywheel's web UI ("" when the site is unknown)."""
    if not view.site_url:
        return ""
    return f"{view.site_url.rstrip('/')}/#/projects/{view.batch.project_id}"


def job_url(view: BatchView, job_id: str | None) -> str:
    """One job's page (its log) in Flywheel's web UI."""
    if not view.site_url or not job_id:
        return ""
    return f"{view.site_url.rstrip('/')}/#/jobs/{job_id}"


def flywheel_link(view: BatchView) -> str:
    """mrkdwn link to the project in Flywheel."""
    url = project_url(view)
    return f"<{url}|{escape(view.batch.project_label)} in Flywheel>" if url else ""


def progress_line(view: BatchView) -> str:
    """One line a phone shows: bar, percent complete, counts by state, time."""
    counts = bar_counts(view)
    total = view.launched or view.targets
    percent = percent_complete(view.complete, total)
    parts = [f"{progress_bar(counts)} {percent}% · {view.complete:,}/{total:,} complete"]
    if view.failed:
        parts.append(f"{view.failed:,} failed")
    if view.cancelled:
        parts.append(f"{view.cancelled:,} cancelled")
    running, queued = dict(counts)["running"], dict(counts)["queued"]
    if running:
        parts.append(f"{running:,} running")
    if queued and not view.all_final:
        parts.append(f"{queued:,} queued")
    if view.launch_failed:
        parts.append(f"{view.launch_failed:,} not launched")
    if view.launch_cancelled:
        parts.append(f"{view.launch_cancelled:,} cancelled before launch")
    if view.complete_without_outputs:
        parts.append(f"{view.complete_without_outputs:,} complete without expected outputs")
    when = timing(view)
    if when:
        parts.append(when)
    return " · ".join(parts)


def _heading(view: BatchView) -> str:
    b = view.batch
    state = STATE_WORDS[b.state]
    return f"{b.gear_name} {b.gear_version} on {b.project_label} · batch {b.id} · {state}"


def progress(view: BatchView) -> Reply:
    """The batch's channel message (updated in place) and `/fw status BATCH`."""
    b = view.batch
    heading = _heading(view)
    line = progress_line(view)
    who = f"launched by {b.requester_email}" + (
        f", approved by {b.approver_email}" if b.approver_email else ""
    )
    if b.cancel_requested_by:
        who += f", launch cancelled by {b.cancel_requested_by}"
    extra = f"{b.skipped_count:,} sessions skipped as already run" if b.skipped_count else ""
    url = project_url(view)
    blocks = [
        section(f"*{escape(heading)}*\n{escape(line)}"),
        context(
            escape(who), escape(f"label {b.analysis_label}"), escape(extra), flywheel_link(view)
        ),
    ]
    text = "\n".join(filter(None, [heading, line, who, extra, f"Flywheel: {url}" if url else ""]))
    return reply(f"{heading}: {line}", blocks, text, ephemeral=False)


def failures(view: BatchView) -> Reply:
    """Sessions that failed to launch, for the message's thread."""
    lines = [f"{f.subject_label} {f.session_label}: {f.reason}" for f in view.failures]
    title = f"*{len(lines):,} sessions failed to launch*"
    blocks = line_sections([escape(line) for line in lines], title=title, max_lines=FAILURES_SHOWN)
    text = "\n".join([title.strip("*"), *(f"  {line}" for line in lines)])
    return reply(f"{len(lines):,} sessions failed to launch", blocks, text, ephemeral=False)
