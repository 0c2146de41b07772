"""Buttons: ``handle_click`` called directly with fakes for ack and respond, then through
the real bolt app over signed HTTP (ack, run the use case, answer by response_url). The
launch flows themselves are in tests/e2e/test_launch_e2e.py."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from slack_bolt import Ack, BoltContext, Respond

from bot.domain import Actor, BatchState
from bot.service import Services, UseCases
from bot.slack.answers import Answering, AnswerPool
from bot.slack.listeners.actions import handle_click
from bot.slack.runner import HttpServer
from bot.store.db import Store
from commands.buttons import BROKEN_BUTTON, ButtonAction, ButtonValue
from doubles.mock_slack import MockSlack
from doubles.signing import block_actions_form, post_form
from tests.fakes import FakeFlywheelGateway
from tests.fixtures.slack import SIGNING_SECRET, Click
from tests.store.factories import spec, targets

REQUESTER = "ada@lab.org"  # tests.store.factories.spec's requester
ADA = Actor(email=REQUESTER, slack_user_id="U01ADA", channel_id="C01LAB")


# -- handle_click, imported and called as bolt would -----------------------------------------
@dataclass
class Recorder:
    """Stands in for bolt's ``ack`` and ``respond``: records each call's keyword arguments."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append({"args": args, **kwargs})


def call_handle_click(
    services: UseCases, action_id: str, value: str, *, actor: Actor = ADA, is_ephemeral: bool
) -> tuple[Recorder, Recorder, Recorder]:
    """``handle_click`` with the arguments bolt injects; returns ack, respond and the
    error handler's late respond (``context.respond``)."""
    ack, respond, late = Recorder(), Recorder(), Recorder()
    context = BoltContext(
        {"response_url": "https://hooks.slack.test/x", "respond": late, "user_id": "U01ADA"}
    )
    body = {"type": "block_actions", "container": {"is_ephemeral": is_ephemeral}}
    action = {"type": "button", "action_id": action_id, "value": value}
    pool = AnswerPool(threads=1, backlog=0)
    handle_click(
        cast(Ack, ack),
        body,
        action,
        cast(Respond, respond),
        context,
        Answering(services, pool, lambda client, user, channel: actor),
    )
    pool.shutdown(wait=True)
    return ack, respond, late


def planned_batch(store: Store, gateway: FakeFlywheelGateway) -> str:
    """A batch ``REQUESTER`` (read-write on its project) planned and did not launch yet."""
    gateway.roles["p-gear_testing"] = {REQUESTER: "read-write"}
    batch, _ = store.batches.create_or_get(spec(), targets(3))
    assert batch.state is BatchState.PLANNED
    return batch.id


def state_of(store: Store, batch_id: str) -> BatchState:
    batch = store.batches.get(batch_id)
    assert batch is not None
    return batch.state


def test_a_worked_click_acks_first_and_replaces_the_message(
    slack_services: Services, slack_gateway: FakeFlywheelGateway, sqlite_store: Store
) -> None:
    batch_id = planned_batch(sqlite_store, slack_gateway)
    value = ButtonValue(batch=batch_id, action=ButtonAction.CANCEL_PLAN, requester=REQUESTER)

    ack, respond, late = call_handle_click(
        slack_services, "fw_cancel_plan", value.as_value(), is_ephemeral=True
    )

    assert ack.calls == [{"args": ()}]
    [answer] = respond.calls
    assert answer["text"] == f"Batch `{batch_id}` was dropped by {REQUESTER}; nothing was launched."
    assert answer["replace_original"] is True and answer["response_type"] == "ephemeral"
    assert late.calls == []
    assert state_of(sqlite_store, batch_id) is BatchState.CANCELLED
    [row] = [e for e in sqlite_store.audit.recent(10) if e.action == "launch.cancel"]
    assert (row.outcome, row.actor_email, row.target) == ("allowed", REQUESTER, batch_id)


def test_an_old_bare_batch_id_value_still_works(
    slack_services: Services, slack_gateway: FakeFlywheelGateway, sqlite_store: Store
) -> None:
    batch_id = planned_batch(sqlite_store, slack_gateway)

    _, respond, _ = call_handle_click(
        slack_services, "fw_cancel_plan", batch_id, is_ephemeral=False
    )

    [answer] = respond.calls
    assert answer["replace_original"] is True and answer["response_type"] == "in_channel"
    assert state_of(sqlite_store, batch_id) is BatchState.CANCELLED


def test_a_refused_click_is_answered_on_the_side(
    slack_services: Services, slack_gateway: FakeFlywheelGateway, sqlite_store: Store
) -> None:
    batch_id = planned_batch(sqlite_store, slack_gateway)
    slack_gateway.roles["p-gear_testing"]["eve@lab.org"] = "read-write"  # a colleague's click
    other = Actor(email="eve@lab.org", slack_user_id="U0EVE")
    value = ButtonValue(batch=batch_id, action=ButtonAction.CONFIRM, requester=REQUESTER)

    _, respond, _ = call_handle_click(
        slack_services, "fw_confirm", value.as_value(), actor=other, is_ephemeral=True
    )

    [answer] = respond.calls
    assert f"Only {REQUESTER} can launch batch `{batch_id}`" in answer["text"]
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"
    assert state_of(sqlite_store, batch_id) is BatchState.PLANNED


def test_a_broken_button_goes_to_the_error_handlers_late_path(
    slack_services: Services, sqlite_store: Store
) -> None:
    ack, respond, late = call_handle_click(
        slack_services, "fw_confirm", "b7k2q; drop table", is_ephemeral=True
    )

    assert len(ack.calls) == 1 and respond.calls == []
    [answer] = late.calls
    assert BROKEN_BUTTON in answer["text"]
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"
    assert sqlite_store.batches.find() == []


def test_a_bug_after_the_ack_is_reported_not_raised(
    slack_services: Services, slack_gateway: FakeFlywheelGateway, sqlite_store: Store
) -> None:
    batch_id = planned_batch(sqlite_store, slack_gateway)
    broken = cast(UseCases, type("Broken", (), {"launches": None})())  # a bug of ours

    ack, respond, late = call_handle_click(broken, "fw_confirm", batch_id, is_ephemeral=True)

    assert len(ack.calls) == 1 and respond.calls == []
    [answer] = late.calls
    assert "Something went wrong on our side (ref `" in answer["text"]


# -- the real bolt app over signed HTTP ---------------------------------------------------------
def test_a_click_is_acked_empty_and_answered_by_response_url(click: Click) -> None:
    call = click("fw_confirm", "bzzzz")

    assert call.http.status == 200 and call.http.body == ""
    answer = call.answer()
    assert "No batch named `bzzzz`" in answer["text"]
    # a refusal or mistake never replaces the message the button was on
    assert answer["replace_original"] is False
    assert answer["response_type"] == "ephemeral"


def test_a_bare_batch_id_posted_before_the_json_value_is_still_read(click: Click) -> None:
    answer = click("fw_confirm", "", value="bzzzz").answer()

    assert "No batch named `bzzzz`" in answer["text"]


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        ("fw_confirm", "b7k2q; drop table"),
        ("fw_confirm", ""),
        ("fw_confirm", "B7K2Q"),
        ("fw_confirm", "b" + "a" * 20),
        ("fw_confirm", '{"batch":"B7K2Q","action":"fw_confirm"}'),
        ("fw_confirm", '{"batch":"b7k2q","action":"fw_approve"}'),
        ("fw_confirm", '{"batch":"b7k2q","action":"fw_confirm"' + " " * 2000 + "}"),
        ("fw_explode", "b7k2q"),
    ],
)
def test_a_value_or_action_we_never_made_gets_a_short_error(
    click: Click, sqlite_store: Store, action_id: str, value: str
) -> None:
    answer = click(action_id, "", value=value).answer()

    assert BROKEN_BUTTON in answer["text"]
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"
    assert sqlite_store.batches.find() == []


def test_an_unsigned_or_forged_click_gets_401_and_runs_nothing(
    slack_http: HttpServer, mock_slack: MockSlack
) -> None:
    value = ButtonValue(batch="b7k2q", action=ButtonAction.CONFIRM).as_value()
    form = block_actions_form("fw_confirm", value, response_url=mock_slack.response_url("x"))

    forged = post_form(slack_http.url, form, "not-the-signing-secret")
    tampered = post_form(slack_http.url, form, SIGNING_SECRET, tamper=True)

    assert (forged.status, tampered.status) == (401, 401)
    assert mock_slack.calls() == [] and mock_slack.responses() == []


def test_the_clicker_is_resolved_like_a_typer(click: Click, mock_slack: MockSlack) -> None:
    click("fw_cancel_plan", "bzzzz").answer()

    assert [c.args["user"] for c in mock_slack.calls("users.info")] == ["U0ALICE"]
    assert json.dumps(mock_slack.responses()[0].body).count("bzzzz") >= 1
