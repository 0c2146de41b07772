"""What a button click runs: the use case of the command it stands for, called directly.

Each action calls the same service method as its typed command and renders the
outcome with the same renderer, so permission checks, audit rows and answers
(errors included, with the same "Type `/fw … help`" pointer) are those of typing
``ButtonAction.typed(batch)``. No command text is built or parsed.

- Launch (``fw_confirm``): ``/fw confirm BATCH``, ``launches.confirm``
- Approve (``fw_approve``): ``/fw approve BATCH``, ``launches.approve``
- Launch the other N / Approve the other N (``fw_confirm_others``, ``fw_approve_others``),
  when other batches launched some of the plan's sessions since it was made:
  ``/fw confirm BATCH others``, ``/fw approve BATCH others``
- Cancel on a plan, Reject on an approval request (``fw_cancel_plan``): ``/fw cancel BATCH``,
  ``launches.cancel(confirmed=False)`` (drops a batch not yet launched)
- Cancel N pending jobs (``fw_cancel_jobs``): ``/fw cancel BATCH yes``,
  ``launches.cancel(confirmed=True)``
- Status (``fw_status``, on the completion summary and the stuck alert): ``/fw status BATCH``,
  ``launches.status``; answered only to the clicker, beside the message
- Retry failed (``fw_retry``, on the completion summary): ``/fw retry BATCH``,
  ``launches.retry``; answered beside the message
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.errors import FwbotError
from commands.buttons import ButtonAction, ButtonValue
from commands.context import CommandContext
from commands.render import batch as render
from commands.render.errors import error_reply
from commands.reply import Reply
from commands.subcommands import batch_actions, cancel, status
from commands.subcommands import retry as retry_command

ClickHandler = Callable[[str, CommandContext], Reply]


def run_click(value: ButtonValue, ctx: CommandContext) -> Reply:
    """Answer one click as ``ctx.actor``; a ``FwbotError`` becomes its short error reply.

    Other exceptions propagate, as from ``dispatch``: the adapter owns that path.
    """
    use_case, command = CLICKS[value.action]
    try:
        with ctx.services.linking.speaking_as(ctx.actor):  # the clicker's own key, if linked
            return use_case(value.batch, ctx)
    except FwbotError as err:
        return error_reply(err, command)


def confirm(batch_id: str, ctx: CommandContext) -> Reply:
    """Launch: ``/fw confirm BATCH``."""
    return batch_actions.launch_plan(ctx, batch_id)


def confirm_others(batch_id: str, ctx: CommandContext) -> Reply:
    """Launch the other N: ``/fw confirm BATCH others``."""
    return batch_actions.launch_plan(ctx, batch_id, others=True)


def approve(batch_id: str, ctx: CommandContext) -> Reply:
    """Approve: ``/fw approve BATCH``."""
    return batch_actions.approve_plan(ctx, batch_id)


def approve_others(batch_id: str, ctx: CommandContext) -> Reply:
    """Approve the other N: ``/fw approve BATCH others``."""
    return batch_actions.approve_plan(ctx, batch_id, others=True)


def cancel_plan(batch_id: str, ctx: CommandContext) -> Reply:
    """Cancel (the plan) and Reject (the approval request): ``/fw cancel BATCH``."""
    outcome = ctx.services.launches.cancel(ctx.actor, batch_id, confirmed=False)
    return render.cancel_outcome(outcome, by=ctx.actor.email)


def cancel_jobs(batch_id: str, ctx: CommandContext) -> Reply:
    """Cancel N pending jobs: ``/fw cancel BATCH yes``."""
    outcome = ctx.services.launches.cancel(ctx.actor, batch_id, confirmed=True)
    return render.cancel_outcome(outcome, by=ctx.actor.email)


def show_status(batch_id: str, ctx: CommandContext) -> Reply:
    """Status: ``/fw status BATCH``, seen by the clicker only."""
    return replace(
        render.progress(ctx.services.launches.status(ctx.actor, batch_id)), ephemeral=True
    )


def retry(batch_id: str, ctx: CommandContext) -> Reply:
    """Retry failed: ``/fw retry BATCH``, ``launches.retry``: the new batch's plan with its
    Launch button for the clicker (or, when it needs approval, the request in the channel)."""
    return retry_command.retry(batch_id, ctx)


# action -> (use case, the command whose help an error points to)
CLICKS: dict[ButtonAction, tuple[ClickHandler, str]] = {
    ButtonAction.CONFIRM: (confirm, batch_actions.CONFIRM.name),
    ButtonAction.APPROVE: (approve, batch_actions.APPROVE.name),
    ButtonAction.CONFIRM_OTHERS: (confirm_others, batch_actions.CONFIRM.name),
    ButtonAction.APPROVE_OTHERS: (approve_others, batch_actions.APPROVE.name),
    ButtonAction.CANCEL_PLAN: (cancel_plan, cancel.SPEC.name),
    ButtonAction.CANCEL_JOBS: (cancel_jobs, cancel.SPEC.name),
    ButtonAction.STATUS: (show_status, status.SPEC.name),
    ButtonAction.RETRY: (retry, retry_command.SPEC.name),
}
