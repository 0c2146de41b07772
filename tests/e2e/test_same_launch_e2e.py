"""Two people asking for the same launch (issue 10, point 5): through the real bolt app,
the second gets a batch and a confirm of their own that names who already asked; once
one of them launches, the other's Launch is refused, and no session gets two jobs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from bench.polling import PATIENCE
from bot.domain import BatchState
from bot.service import Services
from bot.service.policy import Policy
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from localfw.demo_world import DEMO_ANALYST, DEMO_DWI_SESSIONS, DEMO_RUNNER
from localfw.server import LocalFlywheel
from tests.e2e.test_launch_e2e import (
    LAUNCH,
    NO_APPROVAL,
    make_services,
    plan,
    rendered,
    tagged_jobs,
)
from tests.fixtures.slack import Click, Slash

ANDY, RITA = "U0ALICE", "U0RUNNER"  # both may launch on gear_testing
# One label for both: the config's template stamps the minute, and two plans either side
# of a minute's turn would be two different launches.
SAME = LAUNCH + " label=QSIPrep_same_launch"


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


def sessions_with_jobs(localfw: LocalFlywheel, *batch_ids: str) -> Counter[str]:
    """session id -> how many fwbot jobs (of these batches) Flywheel has for it."""
    return Counter(job["parents"]["session"] for b in batch_ids for job in tagged_jobs(localfw, b))


def test_a_second_requester_gets_their_own_confirm_that_names_the_first(
    slash: Slash, sqlite_store: Store
) -> None:
    first, _ = plan(slash, ANDY, SAME)

    second, answer = plan(slash, RITA, SAME)

    assert second != first  # not Andy's batch, nor Andy's Launch button
    shown = rendered(answer)
    assert f"the same launch is already planned as batch `{first}`" in shown
    assert DEMO_ANALYST in shown
    assert sqlite_store.batches.get_existing(second).requester_email == DEMO_RUNNER
    # asking again is still idempotent per person
    assert plan(slash, RITA, SAME)[0] == second and plan(slash, ANDY, SAME)[0] == first


def test_once_one_launches_the_others_launch_is_refused_and_nothing_runs_twice(
    slash: Slash,
    click: Click,
    slack_services: Services,
    sqlite_store: Store,
    demo_localfw: LocalFlywheel,
) -> None:
    first, _ = plan(slash, ANDY, SAME)
    second, _ = plan(slash, RITA, SAME)

    click("fw_confirm", first, user_id=ANDY).answer()
    slack_services.workers.wait_idle(PATIENCE)
    refused = click("fw_confirm", second, user_id=RITA).answer()
    slack_services.workers.wait_idle(PATIENCE)

    assert f"would launch the same jobs as batch `{first}`" in refused["text"]
    assert DEMO_ANALYST in refused["text"] and f"/fw status {first}" in refused["text"]
    assert sqlite_store.batches.get_existing(second).state is BatchState.PLANNED
    per_session = sessions_with_jobs(demo_localfw, first, second)
    assert len(per_session) == DEMO_DWI_SESSIONS
    assert set(per_session.values()) == {1}  # no session launched twice
