"""Subscriptions through the real bolt app: `/fw subscribe`, `/fw subscriptions` and
`/fw unsubscribe` by signed requests, clear answers to a bad time or zone, nothing
revealed to someone with no role on the project, a batch launched through the SDK (not
by fwbot) in the subscribed channel's digest, and a channel the bot was removed from."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import flywheel
import pytest
from slack_sdk import WebClient

from bench.polling import PATIENCE
from bot.service import Services
from bot.service.policy import Policy
from bot.slack.notifier import SlackNotifier
from bot.slack.posting import SlackPoster
from bot.slack.subscription_notifier import SlackSubscriptionNotifier
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from localfw.demo_world import DEMO_ANALYST, DEMO_ODD_PROJECT, DEMO_OPS
from localfw.server import LocalFlywheel
from tests.e2e.conftest import WORKSPACE_EMAILS
from tests.e2e.test_launch_e2e import buttons
from tests.fakes import REPO_CONFIGS
from tests.fixtures.accounts import build_linked_services
from tests.fixtures.slack import BOT_TOKEN, DEFAULT_CHANNEL_ID, Click, Slash

OUTSIDER, VIEWER = "U0OUTSIDER", "U0VIEWER"  # no role / read-only on gear_testing
PILOT = DEMO_ODD_PROJECT  # 'pilot, "v2"': three sessions, two with a DWI scan


@pytest.fixture
def e2e_policy() -> Policy:
    return Policy(bot_admins=[DEMO_OPS], max_batch_without_approval=2000)


@pytest.fixture
def slack_services(
    demo_localfw: LocalFlywheel, sqlite_store: Store, e2e_policy: Policy, mock_slack: MockSlack
) -> Iterator[Services]:
    """fwbot as `fwbot serve` builds it, posting batch messages and subscribed channels'
    posts through the mock Slack, on the local Flywheel's clock."""
    client = WebClient(token=BOT_TOKEN, base_url=mock_slack.api_url)
    services = build_linked_services(
        demo_localfw,
        sqlite_store,
        e2e_policy,
        REPO_CONFIGS,
        slack_users=WORKSPACE_EMAILS,
        notifier=SlackNotifier(client, min_interval=0),
        subscription_notifier=SlackSubscriptionNotifier(SlackPoster(client, min_interval=0)),
        clock=demo_localfw.clock.now,
    )
    yield services
    services.workers.shutdown()


def shown(answer: dict[str, Any]) -> str:
    return answer["text"] + json.dumps(answer.get("blocks") or [], ensure_ascii=False)


def posts(mock_slack: MockSlack, channel: str) -> list[str]:
    return [
        str(c.args.get("text"))
        for c in mock_slack.calls("chat.postMessage")
        if c.args.get("channel") == channel
    ]


def test_subscribe_list_and_unsubscribe(slash: Slash) -> None:
    answer = slash(
        "subscribe project=gear_testing gear=qsiprep-hpc events=failed,digest at=8:30 "
        "tz=europe/paris"
    ).answer()
    assert answer["response_type"] == "in_channel"  # the channel sees who set it up
    assert "posts when a batch ends with failures" in answer["text"]
    assert "daily digest at 08:30 Europe/Paris" in answer["text"]

    listed = slash("subscriptions", user_id=VIEWER).answer()
    assert listed["response_type"] == "ephemeral"
    assert "gear_testing" in shown(listed) and "qsiprep-hpc" in shown(listed)

    gone = slash("unsubscribe project=gear_testing gear=qsiprep-hpc").answer()
    assert gone["text"] == "This channel no longer follows 'gear_testing' (gear 'qsiprep-hpc')."
    again = slash("unsubscribe project=gear_testing gear=qsiprep-hpc").answer()
    assert again["response_type"] == "ephemeral"
    assert "no subscription" in again["text"] and "/fw subscriptions" in again["text"]
    assert "follows no project" in slash("subscriptions").answer()["text"]


@pytest.mark.parametrize(
    ("words", "said", "hint"),
    [
        ("at=25:00", "`at=25:00` is not a time of day.", "HH:MM on a 24-hour clock"),
        ("at=noon", "`at=noon` is not a time of day.", "`at=now`"),
        ("tz=Europe/Pariss", "Did you mean `Europe/Paris`?", "`tz=America/New_York`"),
        ("tz=Mars/Olympus", "not a time zone fwbot knows", "Area/City"),
        ("events=done,weekly", "`weekly` is not an event fwbot posts.", "`stuck`"),
    ],
)
def test_a_bad_time_zone_or_event_says_what_to_type(
    slash: Slash, sqlite_store: Store, words: str, said: str, hint: str
) -> None:
    answer = slash(f"subscribe project=gear_testing {words}").answer()
    assert answer["response_type"] == "ephemeral"
    assert said in answer["text"] and hint in answer["text"]
    assert sqlite_store.subscriptions.for_channel(DEFAULT_CHANNEL_ID) == []


def test_someone_with_no_role_learns_nothing_about_the_project(
    slash: Slash, sqlite_store: Store
) -> None:
    """The outsider gets the answer a project that does not exist gets, for subscribe and
    unsubscribe alike; the list hides (and only counts) what they cannot read."""
    slash("subscribe project=gear_testing").answer()  # set up by a member of the lab
    for command in ("subscribe", "unsubscribe"):
        real = slash(f"{command} project=gear_testing", user_id=OUTSIDER).answer()
        made_up = slash(f"{command} project=gear_testinq", user_id=OUTSIDER).answer()
        assert real["text"].startswith("No project named `gear_testing`.")
        assert real["text"] == made_up["text"].replace("gear_testinq", "gear_testing")
        assert real.get("blocks") == json.loads(
            json.dumps(made_up.get("blocks")).replace("gear_testinq", "gear_testing")
        )
        assert real["response_type"] == made_up["response_type"] == "ephemeral"
    listed = slash("subscriptions", user_id=OUTSIDER).answer()
    assert "gear_testing" not in shown(listed)
    assert "1 more on projects you have no access to" in shown(listed)
    assert len(sqlite_store.subscriptions.for_channel(DEFAULT_CHANNEL_ID)) == 1
    refused = sqlite_store.audit.recent(10, actor_email="outsider@pennlinc.example")
    assert {(e.action, e.outcome) for e in refused} >= {
        ("subscribe", "refused"),
        ("unsubscribe", "refused"),
    }


def test_a_batch_launched_from_slack_is_told_once_to_the_subscribed_channel(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    mock_slack: MockSlack,
) -> None:
    """The lab's pipeline channel follows the pilot project (a label with a comma and
    quotes); a batch launched in the lab channel ends: the pipeline channel gets one post,
    however many watcher passes follow."""
    slash(f"subscribe project='{PILOT}' events=done,failed", channel_id="C0PIPE").answer()
    planned = slash(f"launch qsiprep-hpc project='{PILOT}'").answer()
    [batch_id] = set(buttons(planned).values())
    click("fw_confirm", batch_id).answer()
    slack_services.workers.wait_idle(PATIENCE)
    demo_localfw.clock.advance(60 + 600 + 1)  # the simulator: a minute queued, ten running
    for _ in range(3):
        slack_services.watcher.tick()
        slack_services.notifications.outside_runs_pass()  # fwbot's own: not "outside"

    [post] = posts(mock_slack, "C0PIPE")
    assert post == f"✅ qsiprep-hpc on {PILOT}: 2 complete, 0 failed ({batch_id})"


def test_a_batch_launched_through_the_sdk_shows_in_the_digest(
    slash: Slash,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    mock_slack: MockSlack,
) -> None:
    """A lab member's script (their own key, the SDK's ``gear.run``, nothing fwbot made)
    runs qsiprep on 20 sessions: the subscribed channel hears when it is done, and the
    next digest counts it."""
    slash("subscribe project=gear_testing events=done,failed,digest at=09:00 tz=UTC").answer()
    fw = flywheel.Client(demo_localfw.key_for(DEMO_ANALYST))
    project = fw.projects.find_first('label="gear_testing"')
    gear = fw.lookup("gears/qsiprep-hpc")
    for session in project.sessions.find(limit=20)[:20]:
        gear.run(
            analysis_label="qsiprep by my script",
            inputs={"freesurfer_license": project.get_file("license.txt")},
            destination=session,
        )
    demo_localfw.clock.advance(2 * 3600)
    mock_slack.forget()

    slack_services.notifications.outside_runs_pass()
    [slot] = slack_services.notifications.digest_slots()
    slack_services.notifications.run_digest(slot.subscription_id)

    event, digest = posts(mock_slack, DEFAULT_CHANNEL_ID)
    assert event.startswith("✅ qsiprep-hpc on gear_testing: 20 complete, 0 failed")
    assert "outside fwbot" in event
    assert digest.startswith("📋 gear_testing, last 24 h: 20 launched, 20 complete, 0 failed")


def test_a_channel_the_bot_was_removed_from_is_paused_until_subscribed_again(
    slash: Slash,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    mock_slack: MockSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone = "C0GONE"
    slash("subscribe project=gear_testing events=done at=09:00", channel_id=gone).answer()
    fw = flywheel.Client(demo_localfw.key_for(DEMO_ANALYST))
    project = fw.projects.find_first('label="gear_testing"')
    gear = fw.lookup("gears/qsiprep-hpc")
    for session in project.sessions.find(limit=3)[:3]:
        gear.run(
            analysis_label="by hand",
            inputs={"freesurfer_license": project.get_file("license.txt")},
            destination=session,
        )
    demo_localfw.clock.advance(2 * 3600)
    mock_slack.channel_errors[gone] = "not_in_channel"

    with caplog.at_level(logging.WARNING):
        slack_services.notifications.outside_runs_pass()
        slots = slack_services.notifications.digest_slots()
        slack_services.notifications.outside_runs_pass()

    assert slots == []  # paused: no digest is scheduled for it
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and gone in warnings[0] and "not_in_channel" in warnings[0]
    listed = slash("subscriptions", channel_id=gone).answer()
    assert "paused" in shown(listed) and "subscribe again to resume" in shown(listed)

    del mock_slack.channel_errors[gone]  # invited back
    resumed = slash("subscribe project=gear_testing events=done at=09:00", channel_id=gone)
    assert "(updated)" in resumed.answer()["text"]
    assert "paused" not in shown(slash("subscriptions", channel_id=gone).answer())
    mock_slack.forget()
    slack_services.notifications.outside_runs_pass()
    [done] = posts(mock_slack, gone)  # the batch's end, which the channel missed
    assert done.startswith("✅ qsiprep-hpc on gear_testing: 3 complete")
