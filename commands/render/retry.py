"""Renderer for `/fw retry BATCH`: the retry's plan, with the same Launch / Cancel buttons
(or the approval request) as a launch, and a line naming the batch it retries."""

from __future__ import annotations

from bot.domain import BatchState
from bot.service.launch.retry import RetryTicket
from commands.render import batch as render
from commands.reply import Reply


def retry_line(ticket: RetryTicket) -> str:
    """``Retry of `b7k2q`: 31 failed, 5 complete without expected outputs.``"""
    original = ticket.original.id
    if ticket.failed is None or ticket.missing_outputs is None:
        return f"Retry of `{original}`, planned earlier: the sessions it failed."
    parts = []
    if ticket.failed:
        parts.append(f"{ticket.failed:,} failed")
    if ticket.missing_outputs:
        parts.append(f"{ticket.missing_outputs:,} complete without expected outputs")
    return f"Retry of `{original}`: " + ", ".join(parts) + "."


def retry_plan(ticket: RetryTicket) -> Reply:
    """The plan of a retry, to confirm (or for a project admin to approve) like a launch."""
    line = retry_line(ticket)
    if ticket.batch.state is BatchState.AWAITING_APPROVAL:
        return render.ask_for_approval(ticket.plan, ticket.batch, ticket.same_launch, retry_of=line)
    if ticket.batch.state is BatchState.PLANNED:
        return render.ask_to_confirm(ticket.plan, ticket.batch, ticket.same_launch, retry_of=line)
    return render.already_recorded(ticket.batch)
