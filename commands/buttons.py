"""The buttons fwbot puts on its messages: which action each one is, and what its value says.

A button carries ``action_id`` (a ``ButtonAction``) and ``value``, a ``ButtonValue``
serialized as compact JSON::

    {"batch":"b7k2q","action":"fw_confirm","requester":"analyst@lab.example"}

``requester`` is who asked for the batch (an email, or a Slack user id); it is
informational only: permissions are checked by the services against the stored
batch, never against anything a click carries.

Buttons posted before the value became JSON carry the bare batch id (``b7k2q``);
``read_click`` still accepts those, with the action taken from ``action_id``.
Anything else is refused with ``BROKEN_BUTTON``.
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum
from typing import Annotated, NoReturn

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from bot.errors import UsageError

logger = logging.getLogger(__name__)

MAX_VALUE = 2000  # Slack's cap on a button's value
LOGGED_CHARS = 40  # at most this much of a value we never made goes to the log
BATCH_PATTERN = r"^b[a-z0-9]{4,8}$"
BARE_BATCH = re.compile(BATCH_PATTERN)
BROKEN_BUTTON = "That button does not name a batch fwbot knows how to read."
BROKEN_HINT = "Type the command instead, e.g. `/fw status` for your latest batch."


class ButtonAction(StrEnum):
    """A button's ``action_id``. The strings are on messages already posted: never change one."""

    CONFIRM = "fw_confirm"  # Launch, on the requester's plan
    APPROVE = "fw_approve"  # Approve, on the approval request
    CANCEL_PLAN = "fw_cancel_plan"  # Cancel on the plan, Reject on the approval request
    CANCEL_JOBS = "fw_cancel_jobs"  # Cancel N pending jobs, on the cancel preview
    RETRY = "fw_retry"  # Retry failed, on the completion summary
    STATUS = "fw_status"  # Status, on the completion summary and the stuck alert
    CONFIRM_OTHERS = "fw_confirm_others"  # Launch the other N, when some ran since the plan
    APPROVE_OTHERS = "fw_approve_others"  # Approve the other N, likewise

    def typed(self, batch_id: str) -> str:
        """The /fw command a click is equivalent to (the console shows it to type)."""
        return f"/fw {TYPED[self].format(batch=batch_id)}"

    @property
    def replaces_message(self) -> bool:
        """A click that worked replaces the message its button sat on (the plan becomes
        "Launching ..."); the summary's buttons answer beside it, only to the clicker,
        and the summary stays for everyone."""
        return self not in ANSWERED_ASIDE


TYPED = {
    ButtonAction.CONFIRM: "confirm {batch}",
    ButtonAction.APPROVE: "approve {batch}",
    ButtonAction.CANCEL_PLAN: "cancel {batch}",
    ButtonAction.CANCEL_JOBS: "cancel {batch} yes",
    ButtonAction.RETRY: "retry {batch}",
    ButtonAction.STATUS: "status {batch}",
    ButtonAction.CONFIRM_OTHERS: "confirm {batch} others",
    ButtonAction.APPROVE_OTHERS: "approve {batch} others",
}
ANSWERED_ASIDE = frozenset({ButtonAction.RETRY, ButtonAction.STATUS})

BatchId = Annotated[str, StringConstraints(pattern=BATCH_PATTERN)]
# an email, or a Slack user id
Requester = Annotated[
    str, StringConstraints(max_length=254, pattern=r"^(?:[^\s@]+@[^\s@]+|[UW][A-Z0-9]{2,20})$")
]


class ButtonValue(BaseModel):
    """What a button's ``value`` says: the batch, the action, and who asked for the batch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    batch: BatchId
    action: ButtonAction
    requester: Requester | None = None

    def as_value(self) -> str:
        """Compact JSON for the button's ``value`` (well under Slack's 2,000 characters)."""
        value = self.model_dump_json(exclude_none=True)
        if len(value) > MAX_VALUE:  # cannot happen with the field limits above
            raise ValueError(f"button value of {len(value):,} characters")
        return value


def button_value(action: ButtonAction, batch_id: str, requester: str | None = None) -> str:
    """``ButtonValue(...).as_value()`` for a renderer. A requester that is neither an email
    nor a Slack id is left out rather than failing the message (it is informational)."""
    try:
        return ButtonValue(batch=batch_id, action=action, requester=requester).as_value()
    except ValidationError:
        if requester is None:
            raise
    return ButtonValue(batch=batch_id, action=action).as_value()


def read_click(action_id: str, value: str) -> ButtonValue:
    """Read one clicked button; raises ``UsageError(BROKEN_BUTTON)`` for one we never made.

    Accepts the JSON value (its action must be the clicked ``action_id``) and, for
    messages posted before it existed, a bare batch id.
    """
    action = _action(action_id)
    if action is None:
        _broken(action_id, value, "unknown action_id")
    text = value.strip()
    if len(text) > MAX_VALUE:
        _broken(action_id, value, f"{len(text):,} characters")
    if BARE_BATCH.fullmatch(text):  # posted before the JSON value
        return ButtonValue(batch=text, action=action)
    try:
        parsed = ButtonValue.model_validate_json(text)
    except ValidationError as err:
        # the error types only: pydantic's messages echo the input
        reasons = sorted({e["type"] for e in err.errors(include_url=False, include_input=False)})
        _broken(action_id, value, ", ".join(reasons))
    if parsed.action is not action:
        _broken(action_id, value, f"value is for {parsed.action.value}")
    return parsed


def _action(action_id: str) -> ButtonAction | None:
    try:
        return ButtonAction(action_id)
    except ValueError:
        return None


def _broken(action_id: str, value: str, why: str) -> NoReturn:
    logger.warning(
        "unusable click (%s): action_id=%r value=%r",
        why[:LOGGED_CHARS],
        action_id[:LOGGED_CHARS],
        value[:LOGGED_CHARS],
    )
    raise UsageError(BROKEN_BUTTON, hint=BROKEN_HINT)
