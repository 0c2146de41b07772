"""Button action ids and values: what renderers put on a button, and what a click may carry."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import ValidationError

from bot.errors import UsageError
from commands.buttons import (
    BROKEN_BUTTON,
    MAX_VALUE,
    ButtonAction,
    ButtonValue,
    button_value,
    read_click,
)
from commands.render import batch as render
from tests.snapshots import inputs


def test_action_ids_keep_the_strings_on_messages_already_posted() -> None:
    assert {a.value for a in ButtonAction} == {
        "fw_confirm",
        "fw_approve",
        "fw_cancel_plan",
        "fw_cancel_jobs",
        "fw_retry",
        "fw_status",
        "fw_confirm_others",
        "fw_approve_others",
    }


def test_each_action_names_the_command_to_type_instead() -> None:
    assert ButtonAction.CONFIRM.typed("b7k2q") == "/fw confirm b7k2q"
    assert ButtonAction.APPROVE.typed("b7k2q") == "/fw approve b7k2q"
    assert ButtonAction.CANCEL_PLAN.typed("b7k2q") == "/fw cancel b7k2q"
    assert ButtonAction.CANCEL_JOBS.typed("b7k2q") == "/fw cancel b7k2q yes"
    assert ButtonAction.RETRY.typed("b7k2q") == "/fw retry b7k2q"
    assert ButtonAction.STATUS.typed("b7k2q") == "/fw status b7k2q"


def test_only_the_summary_buttons_answer_beside_their_message() -> None:
    """Launch, Approve and the cancels replace their message; Status and Retry failed
    leave the completion summary in the channel and answer the clicker alone."""
    aside = {a for a in ButtonAction if not a.replaces_message}
    assert aside == {ButtonAction.RETRY, ButtonAction.STATUS}


# -- the value ----------------------------------------------------------------------------
def test_a_value_is_compact_json_and_reads_back() -> None:
    value = ButtonValue(batch="b7k2q", action=ButtonAction.CONFIRM, requester="ada@lab.org")

    text = value.as_value()

    assert text == '{"batch":"b7k2q","action":"fw_confirm","requester":"ada@lab.org"}'
    assert ButtonValue.model_validate_json(text) == value
    assert read_click("fw_confirm", text) == value


def test_the_requester_may_be_a_slack_id_or_absent() -> None:
    by_id = ButtonValue(batch="b7k2q", action=ButtonAction.APPROVE, requester="U01ADA")
    anonymous = ButtonValue(batch="b7k2q", action=ButtonAction.APPROVE)

    assert read_click("fw_approve", by_id.as_value()).requester == "U01ADA"
    assert anonymous.as_value() == '{"batch":"b7k2q","action":"fw_approve"}'
    assert read_click("fw_approve", anonymous.as_value()) == anonymous


def test_the_longest_value_fwbot_can_make_fits_slack() -> None:
    email = "a" * 64 + "@" + "b" * 189
    value = ButtonValue(batch="b" + "z" * 8, action=ButtonAction.CANCEL_JOBS, requester=email)

    assert len(value.as_value()) < MAX_VALUE


@pytest.mark.parametrize(
    "fields",
    [
        {"batch": "B7K2Q", "action": "fw_confirm"},
        {"batch": "b7k2q; drop table", "action": "fw_confirm"},
        {"batch": "b7k", "action": "fw_confirm"},
        {"batch": "b7k2q", "action": "fw_explode"},
        {"batch": "b7k2q", "action": "fw_confirm", "requester": "not an email"},
        {"batch": "b7k2q", "action": "fw_confirm", "requester": "x" * 300 + "@lab.org"},
        {"batch": "b7k2q", "action": "fw_confirm", "extra": 1},
        {"action": "fw_confirm"},
    ],
)
def test_a_value_fwbot_would_never_make_is_invalid(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ButtonValue.model_validate_json(json.dumps(fields))


def test_a_renderer_leaves_out_a_requester_that_would_not_validate() -> None:
    assert button_value(ButtonAction.CONFIRM, "b7k2q", "console user") == (
        '{"batch":"b7k2q","action":"fw_confirm"}'
    )
    with pytest.raises(ValidationError):
        button_value(ButtonAction.CONFIRM, "not-a-batch", "ada@lab.org")


# -- reading a click ------------------------------------------------------------------------
@pytest.mark.parametrize("action", list(ButtonAction))
def test_an_old_bare_batch_id_is_still_read(action: ButtonAction) -> None:
    """Messages posted before the JSON value carry the batch id alone."""
    assert read_click(action.value, "b7k2q") == ButtonValue(batch="b7k2q", action=action)
    assert read_click(action.value, " b7k2q\n").batch == "b7k2q"


GARBAGE = [
    ("fw_confirm", ""),
    ("fw_confirm", "b7k2q; drop table"),
    ("fw_confirm", "B7K2Q"),
    ("fw_confirm", "b" + "a" * 20),
    ("fw_confirm", "{not json"),
    ("fw_confirm", "[]"),
    ("fw_confirm", '{"batch":"B7K2Q","action":"fw_confirm"}'),
    ("fw_confirm", '{"batch":"b7k2q","action":"fw_confirm","requester":1}'),
    ("fw_confirm", '{"batch":"b7k2q","action":"fw_approve"}'),  # not this button's value
    ("fw_explode", "b7k2q"),
    ("fw_explode", '{"batch":"b7k2q","action":"fw_confirm"}'),
    ("", "b7k2q"),
]


@pytest.mark.parametrize(("action_id", "value"), GARBAGE)
def test_anything_else_is_refused_with_the_broken_button_message(
    action_id: str, value: str
) -> None:
    with pytest.raises(UsageError) as refused:
        read_click(action_id, value)

    assert refused.value.message == BROKEN_BUTTON


def test_an_oversize_value_is_refused_before_it_is_parsed() -> None:
    good = ButtonValue(batch="b7k2q", action=ButtonAction.CONFIRM).as_value()
    padded = good[:-1] + " " * MAX_VALUE + "}"  # valid JSON, but no button of ours is this long

    with pytest.raises(UsageError, match="does not name a batch"):
        read_click("fw_confirm", padded)


def test_a_refusal_is_logged_at_warning_with_at_most_40_characters_of_the_click(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret_tail = "Z" * 41
    value = '{"batch":"b7k2q","action":"fw_confirm","x":"' + "a" * 40 + secret_tail + '"}'

    with caplog.at_level(logging.WARNING, logger="commands.buttons"), pytest.raises(UsageError):
        read_click("fw_confirm" + "y" * 100, value)

    [record] = caplog.records
    assert record.levelno == logging.WARNING
    logged = record.getMessage()
    assert "ZZ" not in logged and "y" * 41 not in logged
    assert value[:40] in logged


def test_a_refusal_never_logs_pydantic_s_echo_of_the_input(
    caplog: pytest.LogCaptureFixture,
) -> None:
    value = '{"batch":"b7k2q","action":"fw_confirm","requester":"' + "q" * 60 + '"}'

    with caplog.at_level(logging.WARNING, logger="commands.buttons"), pytest.raises(UsageError):
        read_click("fw_confirm", value)

    assert "q" * 41 not in caplog.text
    assert "string_pattern_mismatch" in caplog.text


# -- the renderers -------------------------------------------------------------------------
def rendered_buttons(blocks: list[dict[str, object]]) -> dict[str, ButtonValue]:
    found = {}
    for block in blocks:
        if block["type"] != "actions":
            continue
        for element in block["elements"]:  # type: ignore[attr-defined]
            found[element["action_id"]] = read_click(element["action_id"], element["value"])
    return found


def test_every_rendered_button_carries_a_value_its_click_reads() -> None:
    plan = rendered_buttons(render.ask_to_confirm(inputs.PLAN, inputs.BATCH).blocks)
    approval = rendered_buttons(
        render.ask_for_approval(inputs.PLAN_NEEDING_APPROVAL, inputs.AWAITING_APPROVAL).blocks
    )
    cancel = rendered_buttons(render.cancel_preview(inputs.CANCEL_PREVIEW).blocks)

    expected = {"batch": inputs.BATCH_ID, "requester": inputs.REQUESTER}
    assert plan == {
        "fw_confirm": ButtonValue(action=ButtonAction.CONFIRM, **expected),
        "fw_cancel_plan": ButtonValue(action=ButtonAction.CANCEL_PLAN, **expected),
    }
    assert approval == {
        "fw_approve": ButtonValue(action=ButtonAction.APPROVE, **expected),
        "fw_cancel_plan": ButtonValue(action=ButtonAction.CANCEL_PLAN, **expected),
    }
    assert cancel == {"fw_cancel_jobs": ButtonValue(action=ButtonAction.CANCEL_JOBS, **expected)}
