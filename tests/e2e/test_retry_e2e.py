"""`/fw retry BATCH` and `/fw cancel` with no id, end to end: signed slash commands and
clicks through the real bolt app, the real SDK gateway over the demo world's grmpy_dwi
(56 sessions with a 64-direction DWI; admin@ is its project admin), jobs moved by the
local Flywheel's simulator on a controlled clock.

A batch ends with sessions that failed to launch, jobs that failed and jobs complete
without their report; the retry relaunches exactly those, once, as a new batch linked to
the first, and a retry with nothing left to retry says so.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from bench.polling import PATIENCE
from bot.domain import BatchState, TargetState
from bot.service import Services
from bot.service.policy import Policy
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from localfw.demo_world import DEMO_ADMIN, DEMO_SECOND_PROJECT, GRMPY_DWI_SESSIONS
from localfw.server import LocalFlywheel
from tests.e2e.test_launch_e2e import (
    NO_APPROVAL,
    PENDING_S,
    RUN_S,
    buttons,
    make_services,
    tagged_jobs,
)
from tests.fixtures.slack import Click, Slash

ADMIN, ANALYST, VIEWER, OUTSIDER = "U0ADMIN", "U0ALICE", "U0VIEWER", "U0OUTSIDER"
LAUNCH = f"launch qsiprep-hpc project={DEMO_SECOND_PROJECT}"


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


def planned(slash: Slash, text: str = LAUNCH, user_id: str = ADMIN) -> str:
    answer = slash(text, user_id=user_id).answer()
    [batch_id] = set(buttons(answer).values()) or [None]
    assert batch_id, answer
    return str(batch_id)


def finished_with_failures(
    slash: Slash, click: Click, services: Services, lf: LocalFlywheel, store: Store
) -> tuple[str, set[str]]:
    """A grmpy_dwi batch that ended with 2 sessions not launched (gone from Flywheel during
    the launch, back since), 3 failed jobs and 2 complete without their report; returns
    its id and the 7 sessions a retry must relaunch."""
    batch_id = planned(slash)
    targets = store.batches.targets(batch_id)
    assert len(targets) == GRMPY_DWI_SESSIONS
    world = lf.world
    with world.lock:
        away = {t.session_id: world.sessions.pop(t.session_id) for t in targets[:2]}
    click("fw_confirm", batch_id, user_id=ADMIN).answer()
    services.workers.wait_idle(PATIENCE)
    with world.lock:
        world.sessions.update(away)
    lf.clock.advance(PENDING_S + RUN_S + 1)
    jobs = sorted(tagged_jobs(lf, batch_id), key=lambda j: j["_id"])
    assert len(jobs) == GRMPY_DWI_SESSIONS - 2
    with world.lock:
        for job in jobs[:3]:
            job["state"], job["failure_reason"], job["saved_files"] = "failed", "gear_failure", []
            world.analyses[job["destination"]["id"]]["files"] = []
        for job in jobs[3:5]:
            job["saved_files"] = [n for n in job["saved_files"] if not n.endswith(".html.zip")]
            analysis = world.analyses[job["destination"]["id"]]
            analysis["files"] = [f for f in analysis["files"] if not f["name"].endswith(".zip")]
    services.watcher.tick()
    assert store.batches.get_existing(batch_id).state is BatchState.COMPLETE
    expected = set(away) | {j["parents"]["session"] for j in jobs[:5]}
    assert len(expected) == 7
    return batch_id, expected


def test_retry_relaunches_exactly_the_failed_and_missing_output_sessions_once(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
) -> None:
    original, expected = finished_with_failures(
        slash, click, slack_services, demo_localfw, sqlite_store
    )
    first = sqlite_store.batches.get_existing(original)
    jobs_before = len(demo_localfw.world.jobs)

    answer = slash(f"retry {original}", user_id=ADMIN).answer()
    again = slash(f"retry {original}", user_id=ADMIN).answer()  # the same plan, not a second

    assert answer["response_type"] == "ephemeral"
    [retry_id] = set(buttons(answer).values())
    assert buttons(answer) == {"fw_confirm": retry_id, "fw_cancel_plan": retry_id}
    assert buttons(again) == buttons(answer)
    text = shown(answer)
    assert "*7* to launch" in text
    assert f"Retry of `{original}`: 5 failed, 2 complete without expected outputs." in text
    retry = sqlite_store.batches.get_existing(retry_id)
    assert retry.retry_of == original and retry.state is BatchState.PLANNED
    assert retry.analysis_label == f"{first.analysis_label} (retry 1)"
    assert (retry.gear_version, retry.config, retry.inputs, retry.vm_tag) == (
        first.gear_version,
        first.config,
        first.inputs,
        first.vm_tag,
    )
    assert {t.session_id for t in sqlite_store.batches.targets(retry_id)} == expected
    assert len(demo_localfw.world.jobs) == jobs_before  # nothing launched before the click

    click("fw_confirm", retry_id, user_id=ADMIN).answer()
    click("fw_confirm", retry_id, user_id=ADMIN).answer()  # a double click launches once
    slack_services.workers.wait_idle(PATIENCE)

    jobs = tagged_jobs(demo_localfw, retry_id)
    per_session = Counter(j["parents"]["session"] for j in jobs)
    assert set(per_session) == expected and set(per_session.values()) == {1}
    assert len(demo_localfw.world.jobs) == jobs_before + 7
    with demo_localfw.world.lock:  # new analyses with the retry's label, never a job retry
        labels = {demo_localfw.world.analyses[j["destination"]["id"]]["label"] for j in jobs}
        assert labels == {retry.analysis_label}
        assert all(j["attempt"] == 1 and not j.get("previous_job_id") for j in jobs)
    assert sqlite_store.batches.get_existing(retry_id).state is BatchState.LAUNCHED
    counts = sqlite_store.batches.target_counts(retry_id)
    assert counts[TargetState.LAUNCHED] == 7

    under_way = slash(f"retry {original}", user_id=ADMIN).answer()
    assert f"Batch `{retry_id}` is already retrying `{original}`" in under_way["text"]
    assert buttons(under_way) == {}

    demo_localfw.clock.advance(PENDING_S + RUN_S + 1)
    slack_services.watcher.tick()
    done = slash(f"retry {original}", user_id=ADMIN).answer()
    nothing = slash(f"retry {retry_id}", user_id=ADMIN).answer()

    assert done["text"].startswith(
        f"Nothing to retry in `{original}`: its 7 failed sessions have been run again since"
    )
    assert nothing["text"].startswith(f"Nothing to retry in `{retry_id}`: no session failed")
    assert "7 complete with expected outputs" in nothing["text"]
    assert buttons(done) == {} and buttons(nothing) == {}
    assert len(demo_localfw.world.jobs) == jobs_before + 7
    events = [(e.action, e.outcome) for e in sqlite_store.audit.recent(100)]
    assert ("retry.request", "allowed") in events


def test_only_the_launcher_or_a_project_admin_may_retry_and_outsiders_learn_nothing(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
) -> None:
    """The access check comes first, before anything the batch says about itself."""
    original = planned(slash)
    jobs_before = len(demo_localfw.world.jobs)

    viewer = slash(f"retry {original}", user_id=VIEWER).answer()  # read-only on grmpy_dwi
    analyst = slash(f"retry {original}", user_id=ANALYST).answer()  # read-only there too
    made_up = slash("retry bzzzz", user_id=OUTSIDER).answer()
    outsider = slash(f"retry {original}", user_id=OUTSIDER).answer()

    assert "You have read-only access to `grmpy_dwi`" in viewer["text"]
    assert f"launched by {DEMO_ADMIN}" in viewer["text"]
    assert "You have read-only access to `grmpy_dwi`" in analyst["text"]
    assert outsider["text"].startswith(f"No batch named `{original}`.")
    assert json.dumps(outsider).replace(original, "bzzzz") == json.dumps(made_up)
    assert all(buttons(a) == {} for a in (viewer, analyst, outsider))
    assert sqlite_store.batches.find(retry_of=original) == []
    assert len(demo_localfw.world.jobs) == jobs_before


def test_a_batch_with_nothing_to_retry_says_so(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
) -> None:
    batch_id = planned(slash)
    never = slash(f"retry {batch_id}", user_id=ADMIN).answer()
    click("fw_confirm", batch_id, user_id=ADMIN).answer()
    slack_services.workers.wait_idle(PATIENCE)
    running = slash(f"retry {batch_id}", user_id=ADMIN).answer()

    assert never["text"].startswith(f"Batch `{batch_id}` was never launched")
    assert running["text"].startswith(f"Nothing to retry in `{batch_id}`: no session failed")
    assert f"{GRMPY_DWI_SESSIONS:,} still pending or running" in running["text"]
    assert sqlite_store.batches.find(retry_of=batch_id) == []


# -- `/fw cancel` with no id -------------------------------------------------------------------
def test_cancel_without_an_id_takes_your_latest_batch_not_over_yet(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
) -> None:
    nothing = slash("cancel", user_id=ADMIN).answer()
    plan_id = planned(slash)

    dropped = slash("cancel", user_id=ADMIN).answer()

    assert nothing["text"].startswith("You have no batch to cancel")
    assert (
        dropped["text"] == f"Batch `{plan_id}` was dropped by {DEMO_ADMIN}; nothing was launched."
    )
    assert sqlite_store.batches.get_existing(plan_id).state is BatchState.CANCELLED

    launched = planned(slash)
    click("fw_confirm", launched, user_id=ADMIN).answer()
    slack_services.workers.wait_idle(PATIENCE)
    planned(slash, "launch qsiprep-hpc project=gear_testing", user_id=ANALYST)  # not theirs

    preview = slash("cancel", user_id=ADMIN).answer()
    done = slash("cancel yes", user_id=ADMIN).answer()
    slack_services.workers.wait_idle(PATIENCE)

    assert f"Cancel {GRMPY_DWI_SESSIONS:,} pending jobs of `{launched}`" in preview["text"]
    assert buttons(preview) == {"fw_cancel_jobs": launched}
    assert f"Cancelling {GRMPY_DWI_SESSIONS:,} pending jobs of `{launched}`" in done["text"]
    states = Counter(j["state"] for j in tagged_jobs(demo_localfw, launched))
    assert states == {"cancelled": GRMPY_DWI_SESSIONS}
