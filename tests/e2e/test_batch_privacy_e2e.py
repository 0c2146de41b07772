"""Batch ids reveal nothing to outsiders: through the real bolt app, a user with no role on
the batch's project gets exactly the answer a made-up batch id gets (no project, no
requester, no state), the refusal is still audited, and users with a role keep the helpful
refusal; the access check comes before anything the batch says about itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bench.polling import PATIENCE
from bot.domain import BatchState
from bot.service import Services
from bot.service.policy import Policy
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from localfw.demo_world import DEMO_ANALYST, DEMO_OUTSIDER
from localfw.server import LocalFlywheel
from tests.e2e.test_launch_e2e import NO_APPROVAL, launch_from_slack, make_services
from tests.e2e.test_permissions_e2e import planned_batch
from tests.fixtures.slack import Click, Slash

OUTSIDER, VIEWER = "U0OUTSIDER", "U0VIEWER"  # no role / read-only on gear_testing
MADE_UP = "bzzzz"
# command -> the use case (audit action) it runs on a planned and on a launched batch
COMMANDS = {
    "confirm": ("launch.confirm", "launch.confirm"),
    "approve": ("launch.approve", "launch.approve"),
    "status": ("status.show", "status.show"),
    "cancel": ("launch.cancel", "cancel.preview"),
}
STATES = [s.value.replace("_", " ") for s in BatchState]


@pytest.fixture
def e2e_policy() -> Policy:
    return NO_APPROVAL


@pytest.fixture
def slack_services(
    demo_localfw: LocalFlywheel, sqlite_store: Store, e2e_policy: Policy, mock_slack: MockSlack
) -> Iterator[Services]:
    services = make_services(demo_localfw, sqlite_store, e2e_policy, mock_slack)
    yield services
    services.workers.shutdown()


def shown(answer: dict[str, Any]) -> str:
    return answer["text"] + json.dumps(answer.get("blocks") or [], ensure_ascii=False)


def assert_unknown_to_the_outsider(
    slash: Slash, store: Store, command: str, batch_id: str, action: str
) -> None:
    """The outsider's answer is the made-up id's, word for word; one refused audit row."""
    unknown = slash(f"{command} {MADE_UP}", user_id=OUTSIDER).answer()
    before = len(store.audit.recent(1000))

    answer = slash(f"{command} {batch_id}", user_id=OUTSIDER).answer()

    assert answer["text"].startswith(f"No batch named `{batch_id}`."), (command, answer)
    assert json.dumps(answer).replace(batch_id, MADE_UP) == json.dumps(unknown), command
    text = shown(answer).casefold()
    assert "gear_testing" not in text and "@" not in text, (command, text)
    assert not [s for s in STATES if s in text], (command, text)
    events = store.audit.recent(1000)
    assert len(events) == before + 1, command
    event = events[0]
    assert (event.action, event.outcome, event.actor_email, event.target) == (
        action,
        "refused",
        DEMO_OUTSIDER,
        batch_id,
    )
    assert event.reason == "no role on project"


@pytest.mark.parametrize("command", COMMANDS)
def test_an_outsider_is_told_a_planned_batch_does_not_exist(
    slash: Slash, sqlite_store: Store, demo_localfw: LocalFlywheel, command: str
) -> None:
    batch_id = planned_batch(sqlite_store, demo_localfw)
    demo_localfw.requests.reset()

    assert_unknown_to_the_outsider(slash, sqlite_store, command, batch_id, COMMANDS[command][0])

    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.PLANNED
    assert demo_localfw.requests.writes() == []


def test_an_outsider_is_told_a_launched_batch_does_not_exist(
    slash: Slash,
    click: Click,
    slack_services: Services,
    sqlite_store: Store,
    demo_localfw: LocalFlywheel,
) -> None:
    batch_id = launch_from_slack(slash, click, slack_services)
    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.LAUNCHED
    demo_localfw.requests.reset()

    for command, (_, action) in COMMANDS.items():
        assert_unknown_to_the_outsider(slash, sqlite_store, command, batch_id, action)

    assert demo_localfw.requests.writes() == []


def test_a_viewer_is_told_what_they_have_before_anything_about_the_batch(
    slash: Slash,
    click: Click,
    slack_services: Services,
    sqlite_store: Store,
    demo_localfw: LocalFlywheel,
) -> None:
    planned = planned_batch(sqlite_store, demo_localfw)
    launched = launch_from_slack(slash, click, slack_services)

    confirm = slash(f"confirm {planned}", user_id=VIEWER).answer()  # not "Only ... can launch"
    approve = slash(f"approve {launched}", user_id=VIEWER).answer()  # not "Launching ..."

    assert "You have read-only access to `gear_testing`" in confirm["text"]
    assert DEMO_ANALYST not in confirm["text"]  # the requester is not named to a viewer
    assert "You have read-only access to `gear_testing`" in approve["text"]
    assert "Ask a project admin of `gear_testing`" in approve["text"]  # who can help
    assert "Launching" not in shown(approve)
    refusals = [(e.action, e.outcome, e.target) for e in sqlite_store.audit.recent(2)]
    assert refusals == [
        ("launch.approve", "refused", launched),
        ("launch.confirm", "refused", planned),
    ]


def test_the_requesters_double_confirm_still_answers_after_the_access_check(
    slash: Slash,
    click: Click,
    slack_services: Services,
    sqlite_store: Store,
    demo_localfw: LocalFlywheel,
) -> None:
    batch_id = launch_from_slack(slash, click, slack_services)
    jobs_before = len(demo_localfw.world.jobs)
    events_before = len(sqlite_store.audit.recent(1000))
    demo_localfw.requests.reset()

    again = slash(f"confirm {batch_id}").answer()
    slack_services.workers.wait_idle(PATIENCE)

    assert f"`{batch_id}`" in again["text"] and "No batch named" not in again["text"]
    assert "You have" not in again["text"]
    events = sqlite_store.audit.recent(1000)
    assert len(events) == events_before + 1  # the double click was checked too
    event = events[0]
    assert (event.action, event.outcome, event.actor_email, event.target) == (
        "launch.confirm",
        "allowed",
        DEMO_ANALYST,
        batch_id,
    )
    assert len(demo_localfw.world.jobs) == jobs_before
    assert demo_localfw.requests.writes() == []
