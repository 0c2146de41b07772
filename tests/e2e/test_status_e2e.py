"""A project's state from Slack, end to end: `/fw status project=P [gear=G] [csv]`,
`/fw status mine` and `/fw batches`, through the real bolt app, over the demo world (whose
gear_testing holds fMRIPrep runs made in 2020 outside fwbot) and the mock Slack.

The counts are checked against what the local Flywheel holds, counted here independently
from its documents; the CSV is read from the user's direct messages on the mock Slack.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from bench.polling import PATIENCE
from bot.service import Services
from bot.service.policy import Policy
from bot.store.db import Store
from doubles.mock_slack import MockSlack, dm_channel
from localfw.demo_world import (
    DEMO_ANALYST,
    DEMO_DWI_SESSIONS,
    DEMO_PROJECT,
    DEMO_SECOND_PROJECT,
    DEMO_SESSIONS,
    EARLIER_RUNS_GEAR,
)
from localfw.server import LocalFlywheel
from localfw.world import World
from tests.e2e.test_launch_e2e import NO_APPROVAL, PENDING_S, RUN_S, make_services, plan
from tests.fixtures.slack import Click, Slash

ANALYST, ADMIN, OUTSIDER, OPS = "U0ALICE", "U0ADMIN", "U0OUTSIDER", "U0OPS"
FMRIPREP = f"status project={DEMO_PROJECT} gear={EARLIER_RUNS_GEAR}"


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


def latest_good_counts(
    world: World, project_label: str, gear: str, version: str | None = None
) -> dict[str, Any]:
    """From localfw's own documents: per session of the project, its runs of ``gear``; a
    session is good when one complete run has a ``.html.zip`` among its analysis's files,
    failed when it has runs and every one failed or was cancelled, none without runs."""
    with world.lock:
        [project] = [p for p in world.projects.values() if p["label"] == project_label]
        sessions = [s for s in world.sessions.values() if s["parents"]["project"] == project["_id"]]
        runs: dict[str, list[tuple[str, bool]]] = {}
        for analysis in world.analyses.values():
            job = world.jobs.get(analysis.get("job") or "")
            if job is None or analysis["parent"]["type"] != "session":
                continue
            if job["gear_info"]["name"] != gear or (
                version is not None and job["gear_info"]["version"] != version
            ):
                continue
            report = any(f["name"].endswith(".html.zip") for f in analysis["files"])
            runs.setdefault(analysis["parent"]["id"], []).append((job["state"], report))
        counts = {"good": 0, "failed": 0, "none": 0, "other": 0, "sessions": len(sessions)}
        for session in sessions:
            mine = runs.get(session["_id"], [])
            if not mine:
                counts["none"] += 1
            elif any(state == "complete" and report for state, report in mine):
                counts["good"] += 1
            elif all(state in ("failed", "cancelled") for state, _ in mine):
                counts["failed"] += 1
            else:
                counts["other"] += 1
        counts["runs"] = sum(len(r) for r in runs.values())
        return counts


def warm_up(slash: Slash, user_id: str) -> None:
    """The user's first command resolves who they are (Slack, then Flywheel): done here, so
    request counts below are the command's own."""
    slash("help", user_id=user_id).answer()


# -- the latest good run per session ---------------------------------------------------------
def test_latest_good_runs_count_the_runs_made_outside_fwbot_in_few_requests(
    slash: Slash, demo_localfw: LocalFlywheel
) -> None:
    expected = latest_good_counts(demo_localfw.world, DEMO_PROJECT, EARLIER_RUNS_GEAR)
    assert expected["good"] and expected["failed"] and expected["runs"] > expected["good"]
    warm_up(slash, ANALYST)
    demo_localfw.requests.reset()

    answer = slash(FMRIPREP).answer()

    text = shown(answer)
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith(
        f"{EARLIER_RUNS_GEAR} on {DEMO_PROJECT}: {expected['good']:,} of {DEMO_SESSIONS:,} "
        "sessions have a good run"
    )
    assert f"{expected['failed']:,} only failed or cancelled runs" in answer["text"]
    assert f"{expected['none']:,} never run" in answer["text"]
    assert f"{expected['runs']:,} runs, {expected['runs']:,} of them launched outside fwbot" in text
    assert "need a rerun" in text and f"{FMRIPREP} csv" in text
    # the project, its roles, two pages of sessions, and of analyses with their jobs (the
    # second page is empty: a site may cap pages below the limit asked, so paging ends there)
    assert demo_localfw.requests.count() <= 6, demo_localfw.requests.by_route()
    assert demo_localfw.requests.count("GET", "/jobs/{id}") == 0
    assert demo_localfw.requests.count("GET", "/jobs") == 0


def test_a_version_counts_only_its_own_runs(slash: Slash, demo_localfw: LocalFlywheel) -> None:
    old = "0.2.0_1.5.0"
    expected = latest_good_counts(demo_localfw.world, DEMO_PROJECT, EARLIER_RUNS_GEAR, old)
    everything = latest_good_counts(demo_localfw.world, DEMO_PROJECT, EARLIER_RUNS_GEAR)
    assert 0 < expected["runs"] < everything["runs"]

    answer = slash(f"{FMRIPREP} version={old}").answer()

    assert answer["text"].startswith(
        f"{EARLIER_RUNS_GEAR} {old} on {DEMO_PROJECT}: {expected['good']:,} of "
        f"{DEMO_SESSIONS:,} sessions have a good run"
    )
    assert f"{expected['none']:,} never run" in answer["text"]


def test_a_gear_the_site_lacks_is_named_not_counted(slash: Slash) -> None:
    typo = slash(f"status project={DEMO_PROJECT} gear=qsiprep-hcp").answer()
    version = slash(f"status project={DEMO_PROJECT} gear=qsiprep-hpc version=9.9").answer()

    assert typo["text"].startswith("No gear named `qsiprep-hcp`.")
    assert "`qsiprep-hpc`" in typo["text"]
    assert version["text"].startswith("No version named `qsiprep-hpc 9.9`.")


def test_the_csv_goes_to_the_users_direct_messages_one_row_per_session(
    slash: Slash, demo_localfw: LocalFlywheel, mock_slack: MockSlack
) -> None:
    expected = latest_good_counts(demo_localfw.world, DEMO_PROJECT, EARLIER_RUNS_GEAR)

    answer = slash(f"{FMRIPREP} csv").answer()

    [opened] = mock_slack.calls("conversations.open")
    assert opened.args["users"] == ANALYST
    [shared] = mock_slack.files(dm_channel(ANALYST))
    assert mock_slack.files() == [shared]  # nowhere else, the channel included
    assert shared.filename == f"{DEMO_PROJECT}_{EARLIER_RUNS_GEAR}_latest_runs.csv"
    assert f"`{shared.filename}` sent to you in a direct message from fwbot" in shown(answer)
    rows = list(csv.DictReader(io.StringIO(shared.content.decode())))
    assert len(rows) == DEMO_SESSIONS
    assert len({r["session_id"] for r in rows}) == DEMO_SESSIONS
    with demo_localfw.world.lock:
        sessions = {
            s["_id"]
            for s in demo_localfw.world.sessions.values()
            if s["parents"]["project"]
            in {
                p["_id"] for p in demo_localfw.world.projects.values() if p["label"] == DEMO_PROJECT
            }
        }
    assert {r["session_id"] for r in rows} == sessions
    by_outcome = {o: sum(1 for r in rows if r["outcome"] == o) for o in ("good", "failed", "none")}
    assert by_outcome == {k: expected[k] for k in ("good", "failed", "none")}
    good = [r for r in rows if r["outcome"] == "good"]
    assert all(r["outputs_present"] == "yes" and r["state"] == "complete" for r in good)
    assert all(r["analysis_id"] in demo_localfw.world.analyses for r in good)
    assert all(r["analysis_id"] == "" for r in rows if r["outcome"] == "none")


def test_without_a_direct_message_the_answer_still_comes_and_says_the_csv_did_not(
    slash: Slash, mock_slack: MockSlack
) -> None:
    mock_slack.api_errors = {"conversations.open": "missing_scope"}  # no im:write scope

    answer = slash(f"{FMRIPREP} csv").answer()

    assert answer["text"].startswith(f"{EARLIER_RUNS_GEAR} on {DEMO_PROJECT}: ")
    assert "could not be sent: Slack would not open a direct message with you" in shown(answer)
    assert mock_slack.files() == []


def test_a_launch_through_fwbot_counts_too_and_the_config_picks_the_sessions(
    slash: Slash, click: Click, slack_services: Services, demo_localfw: LocalFlywheel
) -> None:
    """qsiprep-hpc's saved config picks the 1,329 sessions with a 64-direction DWI."""
    batch_id, _ = plan(slash)
    click("fw_confirm", batch_id).answer()
    slack_services.workers.wait_idle(PATIENCE)
    demo_localfw.clock.advance(PENDING_S + RUN_S + 1)
    with demo_localfw.world.lock:  # three reports lost: complete without expected outputs
        for job in [
            j for j in demo_localfw.world.jobs.values() if f"fwbot:{batch_id}" in j["tags"]
        ][:3]:
            analysis = demo_localfw.world.analyses[job["destination"]["id"]]
            analysis["files"] = [f for f in analysis["files"] if not f["name"].endswith(".zip")]
    demo_localfw.requests.reset()

    answer = slash(f"status project={DEMO_PROJECT} gear=qsiprep-hpc").answer()

    good = DEMO_DWI_SESSIONS - 3
    assert answer["text"].startswith(
        f"qsiprep-hpc on {DEMO_PROJECT}: {good:,} of {DEMO_DWI_SESSIONS:,} sessions have a good run"
    )
    assert "3 complete without *.html.zip" in answer["text"]
    assert "acquisition contains acq-64dir_dwi (config `qsiprep-hpc`)" in shown(answer)
    assert f"{DEMO_DWI_SESSIONS:,} runs, 0 of them launched outside fwbot" in shown(answer)
    # plus two pages of acquisitions with a 64-direction DWI for the config's sessions
    assert demo_localfw.requests.count() <= 8, demo_localfw.requests.by_route()


def test_the_project_alone_gives_one_line_per_gear(
    slash: Slash, demo_localfw: LocalFlywheel
) -> None:
    expected = latest_good_counts(demo_localfw.world, DEMO_PROJECT, EARLIER_RUNS_GEAR)
    warm_up(slash, ANALYST)
    demo_localfw.requests.reset()

    answer = slash(f"status project={DEMO_PROJECT}").answer()

    # the others completed without their report: no run is pending or running in 2020
    without = f"{expected['other']:,} without outputs · " if expected["other"] else ""
    line = (
        f"`{EARLIER_RUNS_GEAR}` {expected['good']:,} good · {without}"
        f"{expected['failed']:,} failed · {expected['none']:,} none"
    )
    assert line in shown(answer), shown(answer)
    assert f"{DEMO_SESSIONS:,} sessions" in answer["text"]
    assert demo_localfw.requests.count() <= 6, demo_localfw.requests.by_route()


# -- outsiders learn nothing ---------------------------------------------------------------
def test_an_outsider_gets_the_answer_a_made_up_project_gets(
    slash: Slash, demo_localfw: LocalFlywheel, mock_slack: MockSlack, sqlite_store: Store
) -> None:
    """outsider@ has no role on gear_testing (read-only on the pilot only)."""
    for command in (
        f"{FMRIPREP} csv",
        f"status project={DEMO_PROJECT}",
        f"batches project={DEMO_PROJECT}",
    ):
        made_up = slash(command.replace(DEMO_PROJECT, "gear_tasting"), user_id=OUTSIDER).answer()
        answer = slash(command, user_id=OUTSIDER).answer()

        assert answer["text"].startswith(f"No project named `{DEMO_PROJECT}`."), (command, answer)
        assert json.dumps(answer).replace(DEMO_PROJECT, "gear_tasting") == json.dumps(made_up)
        assert "fmriprep" not in shown(answer) and "session" not in shown(answer)
    assert mock_slack.files() == [] and mock_slack.calls("conversations.open") == []
    refused = [e for e in sqlite_store.audit.recent(50) if e.outcome == "refused"]
    by_label = {(e.project_label, e.reason) for e in refused}
    # each refusal is audited; the trail (never the answer) tells a real project from a typo
    assert by_label == {(DEMO_PROJECT, "no role on project"), ("gear_tasting", "no such project")}
    assert {e.action for e in refused} == {"status.project", "batches.project"}


# -- lists of batches -------------------------------------------------------------------------
def test_batches_lists_only_what_each_user_may_read(
    slash: Slash, click: Click, slack_services: Services, sqlite_store: Store
) -> None:
    mine, _ = plan(slash)  # analyst@ on gear_testing, planned
    theirs = slash(f"launch qsiprep-hpc project={DEMO_SECOND_PROJECT}", user_id=ADMIN).answer()
    [admins] = {b for b in _buttons(theirs)}
    click("fw_confirm", admins, user_id=ADMIN).answer()
    slack_services.workers.wait_idle(PATIENCE)

    everything = slash("batches").answer()  # analyst@ reads both projects
    own = slash("status mine").answer()
    outsider = slash("batches", user_id=OUTSIDER).answer()
    ops = slash("batches", user_id=OPS).answer()  # a fwbot admin sees every batch

    assert everything["response_type"] == "ephemeral"
    assert f"`{mine}` qsiprep-hpc on {DEMO_PROJECT} · planned, not launched" in shown(everything)
    assert f"`{admins}` qsiprep-hpc on {DEMO_SECOND_PROJECT} · launched · 0/" in shown(everything)
    assert mine in shown(own) and admins not in shown(own)
    assert "Your batches" in own["text"]
    assert mine not in shown(outsider) and admins not in shown(outsider)
    assert "none yet" in outsider["text"]
    assert mine in shown(ops) and admins in shown(ops)
    project = slash(f"batches project={DEMO_SECOND_PROJECT}").answer()
    assert admins in shown(project) and mine not in shown(project)
    assert sqlite_store.batches.get_existing(mine).requester_email == DEMO_ANALYST


def _buttons(answer: dict[str, Any]) -> set[str]:
    from tests.e2e.test_launch_e2e import buttons

    return set(buttons(answer).values())
