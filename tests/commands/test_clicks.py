"""A click answers exactly as typing its command does: same service call, same reply.

Each button's use case (``commands.clicks``) is run next to ``dispatch`` of the command
the button stands for, over a launch service that records its calls and returns (or
raises) one given outcome. So a change to a typed command's handling (``cancel.run``,
``batch_actions.confirm``) that the click does not follow fails here.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any, cast

import pytest

from bot.domain import Actor, Batch, BatchState
from bot.errors import Conflict, FlywheelRefused, NotFound, PermissionDenied
from bot.service import UseCases
from bot.service.launch.progress import BatchView
from bot.service.launch.service import CancelOutcome, CancelStep
from commands.buttons import ButtonAction, ButtonValue
from commands.clicks import run_click
from commands.context import CommandContext
from commands.dispatch import dispatch
from commands.registry import REGISTRY
from tests.snapshots import inputs

BATCH_ID = inputs.BATCH_ID
CLICKER = Actor(email="tsatterthwaite@pennlinc.example", slack_user_id="U02TED")
DROPPED = CancelOutcome(replace(inputs.BATCH, state=BatchState.CANCELLED), CancelStep.DROPPED)

Outcome = Batch | CancelOutcome | BatchView | Exception
RETRY_REGISTERED = any(c.spec.name == "retry" for c in REGISTRY.commands)


@dataclass
class RecordingLaunches:
    """Stands in for ``LaunchService``: records each call, answers with ``outcome``."""

    outcome: Outcome
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    def _answer(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((name, args, kwargs))
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome

    def confirm(self, actor: Actor, batch_id: str, *, others: bool = False) -> Any:
        return self._answer("confirm", actor, batch_id, **({"others": True} if others else {}))

    def approve(self, actor: Actor, batch_id: str, *, others: bool = False) -> Any:
        return self._answer("approve", actor, batch_id, **({"others": True} if others else {}))

    def cancel(self, actor: Actor, batch_id: str, *, confirmed: bool) -> Any:
        return self._answer("cancel", actor, batch_id, confirmed=confirmed)

    def status(self, actor: Actor, batch_id: str) -> Any:
        return self._answer("status", actor, batch_id)

    def __getattr__(self, name: str) -> Any:
        """Any other use case (``/fw retry``'s): recorded and answered the same way."""
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._answer(name, *args, **kwargs)


class SharedKeyOnly:
    """No linked accounts: every click goes out with fwbot's own key."""

    def speaking_as(self, actor: Actor) -> AbstractContextManager[None]:
        return nullcontext()


def context(outcome: Outcome) -> tuple[CommandContext, RecordingLaunches]:
    launches = RecordingLaunches(outcome)
    services = cast(
        UseCases,
        type("StubUseCases", (), {"launches": launches, "linking": SharedKeyOnly()})(),
    )
    return CommandContext(CLICKER, services), launches


ERRORS: list[Exception] = [
    NotFound("batch", BATCH_ID),
    PermissionDenied(f"Only {inputs.REQUESTER} can launch batch `{BATCH_ID}`: they asked for it."),
    Conflict(f"Batch `{BATCH_ID}` is waiting for a project admin to approve it.", hint="Wait."),
    FlywheelRefused(403, "user does not have permission"),
]
CASES: list[tuple[ButtonAction, Outcome]] = [
    (ButtonAction.CONFIRM, inputs.LAUNCHING),
    (ButtonAction.APPROVE, inputs.APPROVED),
    (ButtonAction.CANCEL_PLAN, DROPPED),  # Cancel on a plan, Reject on an approval request
    (ButtonAction.CANCEL_PLAN, inputs.CANCEL_PREVIEW),  # a stale Cancel on a launched batch
    (ButtonAction.CANCEL_JOBS, inputs.CANCEL_DONE),
    (ButtonAction.CANCEL_JOBS, replace(inputs.CANCEL_DONE, cancelled=None)),
    (ButtonAction.STATUS, inputs.PROGRESS_COMPLETE),
    *((action, error) for action in ButtonAction for error in ERRORS),
]


@pytest.mark.parametrize(
    ("action", "outcome"),
    CASES,
    ids=[f"{a.name}-{type(o).__name__}" for a, o in CASES],
)
def test_a_click_calls_and_answers_like_its_typed_command(
    action: ButtonAction, outcome: Outcome
) -> None:
    if action is ButtonAction.RETRY and not RETRY_REGISTERED:
        pytest.skip("`/fw retry` is not registered yet")
    typed_ctx, typed = context(outcome)
    click_ctx, clicked = context(outcome)

    expected = dispatch(action.typed(BATCH_ID), typed_ctx)
    answer = run_click(ButtonValue(batch=BATCH_ID, action=action), click_ctx)

    if action is ButtonAction.STATUS:  # answered beside the summary, to the clicker only
        expected = replace(expected, ephemeral=True)
    assert answer == expected
    assert clicked.calls == typed.calls and len(clicked.calls) == 1
    assert clicked.calls[0][1] == (CLICKER, BATCH_ID)  # as the clicker, never the requester


def test_each_button_runs_its_own_use_case() -> None:
    outcomes: dict[ButtonAction, Outcome] = {
        ButtonAction.CONFIRM: inputs.LAUNCHING,
        ButtonAction.APPROVE: inputs.APPROVED,
        ButtonAction.CANCEL_PLAN: DROPPED,
        ButtonAction.CANCEL_JOBS: inputs.CANCEL_DONE,
        ButtonAction.STATUS: inputs.PROGRESS_COMPLETE,
    }
    called = {}
    for action, outcome in outcomes.items():
        ctx, launches = context(outcome)
        run_click(ButtonValue(batch=BATCH_ID, action=action), ctx)
        [(name, _, kwargs)] = launches.calls
        called[action] = (name, kwargs)

    assert called == {
        ButtonAction.CONFIRM: ("confirm", {}),
        ButtonAction.APPROVE: ("approve", {}),
        ButtonAction.CANCEL_PLAN: ("cancel", {"confirmed": False}),
        ButtonAction.CANCEL_JOBS: ("cancel", {"confirmed": True}),
        ButtonAction.STATUS: ("status", {}),
    }


def test_the_status_button_shows_the_batch_to_the_clicker_only() -> None:
    ctx, _ = context(inputs.PROGRESS_COMPLETE)

    answer = run_click(ButtonValue(batch=BATCH_ID, action=ButtonAction.STATUS), ctx)

    assert answer.ephemeral and not answer.error
    assert f"batch {BATCH_ID}" in answer.text


def test_a_refusal_is_an_error_reply_that_leaves_the_buttons() -> None:
    ctx, _ = context(NotFound("batch", BATCH_ID))

    answer = run_click(ButtonValue(batch=BATCH_ID, action=ButtonAction.CONFIRM), ctx)

    assert answer.error and answer.ephemeral
    assert f"No batch named `{BATCH_ID}`" in answer.text
    assert "Type `/fw confirm help` for its usage." in answer.text


def test_a_bug_propagates_to_the_adapter_as_from_dispatch() -> None:
    ctx, _ = context(RuntimeError("boom"))

    with pytest.raises(RuntimeError, match="boom"):
        run_click(ButtonValue(batch=BATCH_ID, action=ButtonAction.APPROVE), ctx)
