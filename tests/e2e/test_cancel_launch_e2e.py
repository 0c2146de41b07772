"""`/fw cancel` while the batch is still launching, end to end: signed slash commands and
button clicks through the real bolt app, services on the real SDK gateway, the demo world
in the local Flywheel, a real SQLite store, and the batch's message in the mock Slack.

Flywheel refuses every analysis creation after the first 100 (503: nothing made), so the
launch is under way, retrying the rest, when the lab member cancels it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from bench.polling import PATIENCE, eventually
from bot.domain import BatchState, TargetState
from bot.service import Services
from bot.service.policy import Policy
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from localfw.demo_world import DEMO_ANALYST, DEMO_DWI_SESSIONS
from localfw.server import LocalFlywheel
from tests.e2e.test_launch_e2e import (
    NO_APPROVAL,
    buttons,
    make_services,
    plan,
    progress_posts,
    rendered,
    tagged_jobs,
)
from tests.fixtures.slack import DEFAULT_CHANNEL_ID, Click, Slash
from tests.service.test_launch_cancel import refuse_creations_after

LET_THROUGH = 100
NOT_LAUNCHED = DEMO_DWI_SESSIONS - LET_THROUGH  # 1,229


@pytest.fixture
def e2e_policy() -> Policy:
    return NO_APPROVAL  # 1,329 sessions launch without a second approver


@pytest.fixture
def slack_services(
    demo_localfw: LocalFlywheel, sqlite_store: Store, e2e_policy: Policy, mock_slack: MockSlack
) -> Iterator[Services]:
    """The bot, its batch messages going to the mock Slack."""
    services = make_services(demo_localfw, sqlite_store, e2e_policy, mock_slack)
    yield services
    services.workers.shutdown()


def test_cancel_during_the_launch_stops_it_and_cancels_the_jobs_already_made(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
    mock_slack: MockSlack,
) -> None:
    """Issue 10: the answer was "still launching; cancel it when the launch is done"."""
    asked = refuse_creations_after(demo_localfw.knobs, LET_THROUGH)
    batch_id, _ = plan(slash)
    click("fw_confirm", batch_id).answer()
    eventually(
        lambda: (
            len(asked) > LET_THROUGH
            and sqlite_store.batches.target_counts(batch_id)[TargetState.LAUNCHED] == LET_THROUGH
        ),
        f"{LET_THROUGH} launched and a creation refused",
    )
    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.LAUNCHING

    preview = slash(f"cancel {batch_id}").answer()

    assert (
        f"Stop launching `{batch_id}` (qsiprep-hpc on gear_testing)? {NOT_LAUNCHED:,} sessions "
        f"not launched yet will not be; {LET_THROUGH} jobs already created would be cancelled."
    ) in preview["text"]
    assert buttons(preview) == {"fw_cancel_jobs": batch_id}
    assert "Stop the launch" in rendered(preview)
    assert sqlite_store.batches.get_existing(batch_id).cancel_requested_by is None
    refused = click("fw_cancel_jobs", batch_id, user_id="U0VIEWER").answer()
    assert refused["replace_original"] is False and "read-only" in refused["text"]

    done = click("fw_cancel_jobs", batch_id).answer()
    slack_services.workers.wait_idle(PATIENCE)

    assert done["replace_original"] is True
    assert done["text"].startswith(
        f"Stopping the launch of `{batch_id}`: {NOT_LAUNCHED:,} sessions not launched yet will "
        f"not be; {LET_THROUGH} jobs already created are being cancelled."
    )
    # what the lab sees in Flywheel: the 100 made are cancelled, the rest never launched
    jobs = tagged_jobs(demo_localfw, batch_id)
    per_session = Counter(j["parents"]["session"] for j in jobs)
    assert len(per_session) == LET_THROUGH and set(per_session.values()) == {1}
    assert {j["state"] for j in jobs} == {"cancelled"}
    batch = sqlite_store.batches.get_existing(batch_id)
    assert batch.state is BatchState.CANCELLED and batch.cancel_requested_by == DEMO_ANALYST
    assert sqlite_store.batches.target_counts(batch_id)[TargetState.CANCELLED] == NOT_LAUNCHED
    # the batch's channel message says so, updated in place
    assert len(progress_posts(mock_slack)) == 1
    stored = sqlite_store.messages.get(batch_id, "progress", DEFAULT_CHANNEL_ID)
    last = mock_slack.calls("chat.update")[-1]
    assert stored is not None and last.args["ts"] == stored.ts
    assert f"batch {batch_id} · cancelled" in last.args["text"]
    assert (
        f"0/{LET_THROUGH} complete · {LET_THROUGH} cancelled · "
        f"{NOT_LAUNCHED:,} cancelled before launch"
    ) in last.args["text"]
    status = slash(f"status {batch_id}").answer()
    assert f"launch cancelled by {DEMO_ANALYST}" in rendered(status)
