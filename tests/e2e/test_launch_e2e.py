"""Launching from Slack, end to end: signed slash commands and button clicks through the
real bolt app, services on the real SDK gateway, the demo world in the local Flywheel
(on a SimClock, so jobs move only when a test advances it), a real SQLite store, and
the batch's channel message posted through ``SlackNotifier`` to the mock Slack.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from slack_sdk import WebClient

from bench.polling import PATIENCE, eventually
from bot.domain import (
    Batch,
    BatchState,
    FileRef,
    JobSpec,
    ModeSetting,
    TargetState,
)
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services
from bot.service.policy import Policy
from bot.slack.notifier import SlackNotifier
from bot.store.db import Store
from commands.buttons import ButtonValue
from doubles.mock_slack import ApiCall, MockSlack
from localfw.demo_world import DEMO_ADMIN, DEMO_ANALYST, DEMO_DWI_SESSIONS, DEMO_OPS
from localfw.server import LocalFlywheel
from tests.e2e.conftest import WORKSPACE_EMAILS
from tests.fakes import REPO_CONFIGS
from tests.fixtures.accounts import build_linked_services
from tests.fixtures.slack import BOT_TOKEN, DEFAULT_CHANNEL_ID, Click, Slash

LAUNCH = "launch qsiprep-hpc project=gear_testing"
LATEST_QSIPREP = "0.4.0_0.8.0"
SIZE_TAG = "vm-n1-highmem-4_disk-300GB_swap-30G"
QSIPREP_CONFIG: dict[str, Any] = yaml.safe_load((REPO_CONFIGS / "qsiprep-hpc.yml").read_text())
PENDING_S, RUN_S = 60, 600  # the demo fixture's SimulatorSettings (tests.fixtures.localfw)
# 1,329 sessions fit under this threshold: no approval needed in the plain flow.
NO_APPROVAL = Policy(bot_admins=[DEMO_OPS], max_batch_without_approval=2000)
SITE_URL = "https://pennlinc.flywheel.example"  # Flywheel's web UI, for links


# -- fixtures ------------------------------------------------------------------------
def make_services(
    localfw: LocalFlywheel,
    store: Store,
    policy: Policy,
    mock_slack: MockSlack,
    *,
    launch_mode: ModeSetting = "auto",
    **more: Any,
) -> Services:
    """One bot process: its own gateway and Slack client over the shared world and store,
    on the local Flywheel's clock (posts to a channel are not paced: the mock has no limit)."""
    notifier = SlackNotifier(
        WebClient(token=BOT_TOKEN, base_url=mock_slack.api_url), min_interval=0
    )
    return build_linked_services(
        localfw,
        store,
        policy,
        REPO_CONFIGS,
        slack_users=WORKSPACE_EMAILS,
        notifier=notifier,
        launch_mode=launch_mode,
        clock=localfw.clock.now,
        site_url=SITE_URL,
        **more,
    )


@pytest.fixture
def launch_mode() -> ModeSetting:
    return "auto"


@pytest.fixture
def e2e_policy() -> Policy:
    return NO_APPROVAL


@pytest.fixture
def slack_services(
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
    e2e_policy: Policy,
    mock_slack: MockSlack,
    launch_mode: ModeSetting,
) -> Iterator[Services]:
    services = make_services(
        demo_localfw, sqlite_store, e2e_policy, mock_slack, launch_mode=launch_mode
    )
    yield services
    services.workers.shutdown()


# -- helpers -------------------------------------------------------------------------
def rendered(answer: dict[str, Any]) -> str:
    return answer["text"] + json.dumps(answer.get("blocks") or [], ensure_ascii=False)


def button_values(answer: dict[str, Any]) -> dict[str, str]:
    """action_id -> value (as posted) of every button in the answer."""
    return {
        element["action_id"]: element["value"]
        for block in answer.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    }


def buttons(answer: dict[str, Any]) -> dict[str, str]:
    """action_id -> the batch id its value names, for every button in the answer."""
    found = {}
    for action_id, raw in button_values(answer).items():
        value = ButtonValue.model_validate_json(raw)
        assert value.action == action_id
        found[action_id] = value.batch
    return found


def plan(
    slash: Slash, user_id: str = "U0ALICE", command: str = LAUNCH
) -> tuple[str, dict[str, Any]]:
    """`/fw launch ...`: the batch id from its buttons, and the answer."""
    answer = slash(command, user_id=user_id).answer()
    values = set(buttons(answer).values())
    assert len(values) == 1, answer
    return values.pop(), answer


def tagged_jobs(localfw: LocalFlywheel, batch_id: str) -> list[dict[str, Any]]:
    with localfw.world.lock:
        return [j for j in localfw.world.jobs.values() if f"fwbot:{batch_id}" in j["tags"]]


def progress_posts(mock: MockSlack) -> list[ApiCall]:
    return [c for c in mock.calls("chat.postMessage") if "thread_ts" not in c.args]


def thread_posts(mock: MockSlack) -> list[ApiCall]:
    return [c for c in mock.calls("chat.postMessage") if "thread_ts" in c.args]


def launch_from_slack(slash: Slash, click: Click, services: Services) -> str:
    batch_id, _ = plan(slash)
    click("fw_confirm", batch_id).answer()
    services.workers.wait_idle(PATIENCE)
    return batch_id


def launched(store: Store, batch_id: str) -> int:
    return store.batches.target_counts(batch_id).get(TargetState.LAUNCHED, 0)


# -- the plain flow ------------------------------------------------------------------
def test_plan_then_launch_button_creates_one_configured_job_per_session(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
) -> None:
    batch_id, answer = plan(slash)

    assert answer["response_type"] == "ephemeral"
    assert f"*{DEMO_DWI_SESSIONS:,}* to launch" in rendered(answer)
    assert buttons(answer) == {"fw_confirm": batch_id, "fw_cancel_plan": batch_id}
    launch_value = button_values(answer)["fw_confirm"]
    assert ButtonValue.model_validate_json(launch_value).requester == DEMO_ANALYST
    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.PLANNED
    assert tagged_jobs(demo_localfw, batch_id) == []

    pressed = click("fw_confirm", batch_id, value=launch_value).answer()  # exactly as rendered
    slack_services.workers.wait_idle(PATIENCE)

    assert pressed["replace_original"] is True and pressed["response_type"] == "ephemeral"
    assert pressed["text"].startswith(f"Launching `{batch_id}`: 1,329 jobs of qsiprep-hpc")
    batch = sqlite_store.batches.get_existing(batch_id)
    assert batch.state is BatchState.LAUNCHED
    jobs = tagged_jobs(demo_localfw, batch_id)
    assert len(jobs) == DEMO_DWI_SESSIONS
    world = demo_localfw.world
    [project] = [p for p in world.projects.values() if p["label"] == "gear_testing"]
    [gear] = [
        g
        for g in world.gears.values()
        if g["gear"]["name"] == "qsiprep-hpc" and g["gear"]["version"] == LATEST_QSIPREP
    ]
    assert {j["gear_id"] for j in jobs} == {gear["_id"]}
    assert all(SIZE_TAG in j["tags"] for j in jobs)
    # the saved config's values (the rest are the manifest's defaults, filled in)
    assert all(j["config"]["config"].items() >= QSIPREP_CONFIG["config"].items() for j in jobs)
    assert jobs[0]["config"]["config"]["hmc_model"] == "eddy"
    assert jobs[0]["config"]["config"]["output_resolution"] == 2.0
    licenses = {
        (j["inputs"]["freesurfer_license"]["type"], j["inputs"]["freesurfer_license"]["id"])
        for j in jobs
    }
    assert licenses == {("project", project["_id"])}
    assert {j["inputs"]["freesurfer_license"]["name"] for j in jobs} == {"license.txt"}
    # the destination is a new analysis on each session: one per session, all distinct
    assert {j["destination"]["type"] for j in jobs} == {"analysis"}
    analyses = [world.analyses[j["destination"]["id"]] for j in jobs]
    assert len({a["_id"] for a in analyses}) == DEMO_DWI_SESSIONS
    sessions = [a["parent"]["id"] for a in analyses]
    assert {a["parent"]["type"] for a in analyses} == {"session"}
    assert len(set(sessions)) == DEMO_DWI_SESSIONS
    assert all(world.sessions[s]["parents"]["project"] == project["_id"] for s in sessions)
    # the label comes from the config's template "QSIPrep_{date}_{gear}_{version}"
    assert {a["label"] for a in analyses} == {batch.analysis_label}
    assert batch.analysis_label.startswith("QSIPrep_")
    assert batch.analysis_label.endswith(f"_qsiprep-hpc_{LATEST_QSIPREP}")


def test_a_second_click_or_the_same_launch_again_creates_nothing(
    slash: Slash, click: Click, slack_services: Services, demo_localfw: LocalFlywheel
) -> None:
    batch_id = launch_from_slack(slash, click, slack_services)
    jobs_before = len(demo_localfw.world.jobs)
    demo_localfw.requests.reset()

    again = click("fw_confirm", batch_id).answer()
    relaunch = slash(LAUNCH).answer()
    slack_services.workers.wait_idle(PATIENCE)

    assert f"`{batch_id}`" in again["text"]
    assert f"`{batch_id}`" in rendered(relaunch)
    assert buttons(relaunch) == {}  # nothing new to confirm
    assert len(demo_localfw.world.jobs) == jobs_before
    assert demo_localfw.requests.writes() == []


def test_dry_run_shows_the_plan_and_creates_nothing(
    slash: Slash, demo_localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    demo_localfw.requests.reset()

    answer = slash(f"{LAUNCH} dry-run").answer()

    assert f"*{DEMO_DWI_SESSIONS:,}* to launch" in rendered(answer)
    assert "Dry run: nothing was launched" in rendered(answer)
    assert buttons(answer) == {}
    assert demo_localfw.requests.writes() == []
    assert sqlite_store.batches.find() == []


def test_someone_elses_click_on_the_launch_button_is_refused_and_audited(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
) -> None:
    batch_id, _ = plan(slash)
    demo_localfw.requests.reset()

    refused = click("fw_confirm", batch_id, user_id="U0ADMIN").answer()
    slack_services.workers.wait_idle(PATIENCE)

    assert refused["replace_original"] is False and refused["response_type"] == "ephemeral"
    assert f"Only {DEMO_ANALYST} can launch batch `{batch_id}`" in refused["text"]
    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.PLANNED
    assert demo_localfw.requests.writes() == []
    assert tagged_jobs(demo_localfw, batch_id) == []
    event = sqlite_store.audit.recent(1)[0]
    assert (event.action, event.outcome, event.actor_email) == (
        "launch.confirm",
        "refused",
        DEMO_ADMIN,
    )
    assert event.target == batch_id


def test_the_cancel_button_drops_the_plan(
    slash: Slash, click: Click, demo_localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    batch_id, _ = plan(slash)

    answer = click("fw_cancel_plan", batch_id).answer()

    assert answer["replace_original"] is True
    assert (
        answer["text"] == f"Batch `{batch_id}` was dropped by {DEMO_ANALYST}; nothing was launched."
    )
    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.CANCELLED
    assert demo_localfw.requests.writes() == []


# -- approval --------------------------------------------------------------------------
class TestApproval:
    """The default threshold (500) makes a 1,329-session batch wait for a project admin."""

    @pytest.fixture
    def e2e_policy(self) -> Policy:
        return Policy(bot_admins=[DEMO_OPS])

    def test_the_requester_cannot_approve_a_project_admin_can(
        self,
        slash: Slash,
        click: Click,
        slack_services: Services,
        demo_localfw: LocalFlywheel,
        sqlite_store: Store,
    ) -> None:
        batch_id, answer = plan(slash)

        assert answer["response_type"] == "in_channel"  # so an admin sees it
        assert buttons(answer) == {"fw_approve": batch_id, "fw_cancel_plan": batch_id}
        assert "a project admin must approve" in rendered(answer)
        assert sqlite_store.batches.get_existing(batch_id).state is BatchState.AWAITING_APPROVAL

        own = click("fw_approve", batch_id, is_ephemeral=False).answer()
        viewer = click("fw_approve", batch_id, user_id="U0VIEWER", is_ephemeral=False).answer()

        assert own["replace_original"] is False and own["response_type"] == "ephemeral"
        assert "someone else must approve it" in own["text"]
        assert viewer["replace_original"] is False and "read-only" in viewer["text"]
        assert sqlite_store.batches.get_existing(batch_id).state is BatchState.AWAITING_APPROVAL
        assert tagged_jobs(demo_localfw, batch_id) == []

        approved = click("fw_approve", batch_id, user_id="U0ADMIN", is_ephemeral=False).answer()
        slack_services.workers.wait_idle(PATIENCE)

        assert approved["replace_original"] is True and approved["response_type"] == "in_channel"
        assert approved["text"].startswith(f"{DEMO_ADMIN} approved `{batch_id}`")
        batch = sqlite_store.batches.get_existing(batch_id)
        assert batch.approver_email == DEMO_ADMIN and batch.state is BatchState.LAUNCHED
        assert len(tagged_jobs(demo_localfw, batch_id)) == DEMO_DWI_SESSIONS
        outcomes = [(e.action, e.outcome, e.actor_email) for e in sqlite_store.audit.recent(10)]
        assert ("launch.approve", "refused", DEMO_ANALYST) in outcomes
        assert ("launch.approve", "allowed", DEMO_ADMIN) in outcomes

    def test_a_project_admin_rejects_and_the_request_says_who(
        self, slash: Slash, click: Click, demo_localfw: LocalFlywheel, sqlite_store: Store
    ) -> None:
        batch_id, _ = plan(slash)

        rejected = click("fw_cancel_plan", batch_id, user_id="U0ADMIN", is_ephemeral=False).answer()

        assert rejected["replace_original"] is True and rejected["response_type"] == "in_channel"
        assert f"dropped by {DEMO_ADMIN}" in rejected["text"]
        assert sqlite_store.batches.get_existing(batch_id).state is BatchState.CANCELLED
        assert demo_localfw.requests.writes() == []


# -- the batch's channel message --------------------------------------------------------
def test_one_channel_message_per_batch_updated_until_complete(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
    mock_slack: MockSlack,
) -> None:
    batch_id = launch_from_slack(slash, click, slack_services)

    [post] = progress_posts(mock_slack)
    assert post.args["channel"] == DEFAULT_CHANNEL_ID
    assert f"batch {batch_id}" in post.args["text"]
    stored = sqlite_store.messages.get(batch_id, "progress", DEFAULT_CHANNEL_ID)
    assert stored is not None and stored.ts
    updates = mock_slack.calls("chat.update")
    assert updates and {(u.args["channel"], u.args["ts"]) for u in updates} == {
        (DEFAULT_CHANNEL_ID, stored.ts)
    }
    assert "0% · 0/1,329 complete · 1,329 queued" in updates[-1].args["text"]

    slack_services.watcher.tick()  # nothing moved: no update
    assert len(mock_slack.calls("chat.update")) == len(updates)

    demo_localfw.clock.advance(PENDING_S + RUN_S + 1)  # every job runs and completes
    slack_services.watcher.tick()

    last = mock_slack.calls("chat.update")[-1]
    assert last.args["ts"] == stored.ts
    assert "1,329/1,329 complete" in last.args["text"]
    assert "finished" in last.args["text"]
    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.COMPLETE
    assert len(progress_posts(mock_slack)) == 1
    [summary] = thread_posts(mock_slack)  # the completion summary, nothing else
    assert summary.args["text"].startswith("qsiprep-hpc on gear_testing: 1,329 complete, 0 failed")

    answer = slash(f"status {batch_id}").answer()
    assert "1,329/1,329 complete" in answer["text"]

    # the outputs went into the new analyses, never into the lab's sessions
    with demo_localfw.world.lock:
        assert all(s["files"] == [] for s in demo_localfw.world.sessions.values())
        outputs = [
            f["name"]
            for j in tagged_jobs(demo_localfw, batch_id)
            for f in demo_localfw.world.analyses[j["destination"]["id"]]["files"]
        ]
    assert sum(name.endswith(".html.zip") for name in outputs) == DEMO_DWI_SESSIONS


def test_status_of_a_1329_job_batch_costs_few_requests_with_the_plain_key(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
) -> None:
    """fwbot's key is no site admin's: its jobs come from /users/self/jobs, paged past
    the site's 1,000-item page cap, never from the admin-only GET /jobs."""
    batch_id = launch_from_slack(slash, click, slack_services)
    demo_localfw.requests.reset()

    answer = slash(f"status {batch_id}").answer()

    assert "0/1,329 complete · 1,329 queued" in answer["text"]
    assert demo_localfw.requests.count() <= 6, demo_localfw.requests.by_route()
    assert demo_localfw.requests.count("GET", "/jobs") == 0
    # the launcher's key: 1,000 + 329; fwbot's own (a batch may hold jobs it made): none
    assert demo_localfw.requests.count("GET", "/users/self/jobs") == 3


def test_sessions_that_fail_to_launch_are_listed_in_the_messages_thread(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
    mock_slack: MockSlack,
) -> None:
    batch_id, _ = plan(slash)
    gone = [t for t in sqlite_store.batches.targets(batch_id)][:3]
    with demo_localfw.world.lock:  # removed from Flywheel after planning: their launch 404s
        for target in gone:
            del demo_localfw.world.sessions[target.session_id]
    demo_localfw.knobs.hide_routes(r"^/batch")  # a site without the batch API: per session

    click("fw_confirm", batch_id).answer()
    slack_services.workers.wait_idle(PATIENCE)

    batch = sqlite_store.batches.get_existing(batch_id)
    assert batch.state is BatchState.LAUNCHED
    counts = sqlite_store.batches.target_counts(batch_id)
    assert counts[TargetState.FAILED] == 3
    assert counts[TargetState.LAUNCHED] == DEMO_DWI_SESSIONS - 3
    assert len(tagged_jobs(demo_localfw, batch_id)) == DEMO_DWI_SESSIONS - 3
    stored = sqlite_store.messages.get(batch_id, "progress", DEFAULT_CHANNEL_ID)
    assert stored is not None
    [thread] = thread_posts(mock_slack)
    assert thread.args["channel"] == DEFAULT_CHANNEL_ID
    assert thread.args["thread_ts"] == stored.ts
    assert thread.args["text"] == "3 sessions failed to launch"
    listed = json.dumps(thread.args["blocks"])
    assert all(f"{t.subject_label} {t.session_label}" in listed for t in gone)
    assert "3 not launched" in mock_slack.calls("chat.update")[-1].args["text"]


def test_slack_down_never_stops_a_launch_and_the_message_follows_when_it_is_back(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
    mock_slack: MockSlack,
) -> None:
    batch_id, _ = plan(slash)
    mock_slack.api_errors = {"chat.postMessage": "ratelimited"}

    click("fw_confirm", batch_id).answer()
    slack_services.workers.wait_idle(PATIENCE)

    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.LAUNCHED
    assert len(tagged_jobs(demo_localfw, batch_id)) == DEMO_DWI_SESSIONS
    assert sqlite_store.messages.get(batch_id, "progress", DEFAULT_CHANNEL_ID) is None

    mock_slack.api_errors = {}
    slack_services.watcher.tick()
    demo_localfw.clock.advance(PENDING_S + RUN_S + 1)
    slack_services.watcher.tick()

    stored = sqlite_store.messages.get(batch_id, "progress", DEFAULT_CHANNEL_ID)
    assert stored is not None and stored.ts
    assert mock_slack.calls("chat.update")[-1].args["ts"] == stored.ts
    assert "1,329/1,329 complete" in mock_slack.calls("chat.update")[-1].args["text"]


# -- an interrupted launch ----------------------------------------------------------------
class TestInterruptedLaunch:
    """Per session with a slow Flywheel, the bot stops part-way; a restarted bot (new
    services over the same store and Flywheel) finishes the batch, once per session."""

    @pytest.fixture
    def launch_mode(self) -> ModeSetting:
        return "per-session"

    def stop_part_way(
        self, slash: Slash, click: Click, services: Services, localfw: LocalFlywheel, store: Store
    ) -> Batch:
        batch_id, _ = plan(slash)
        localfw.knobs.latency = 0.01
        click("fw_confirm", batch_id).answer()

        eventually(
            lambda: store.batches.target_counts(batch_id).get(TargetState.LAUNCHED, 0) >= 100,
            "100 sessions launched",
        )
        services.workers.shutdown()

        batch = store.batches.get_existing(batch_id)
        counts = store.batches.target_counts(batch_id)
        assert batch.state is BatchState.LAUNCHING
        assert 0 < counts.get(TargetState.LAUNCHED, 0) < DEMO_DWI_SESSIONS
        assert counts.get(TargetState.PLANNED, 0) > 0
        localfw.knobs.latency = 0.0
        return batch

    def restart_and_resume(
        self, localfw: LocalFlywheel, store: Store, mock_slack: MockSlack, batch: Batch
    ) -> Services:
        restarted = make_services(
            localfw, store, NO_APPROVAL, mock_slack, launch_mode="per-session"
        )
        try:
            assert restarted.background.resume_unfinished() == [batch.id]
            restarted.workers.wait_idle(PATIENCE)
        finally:
            restarted.workers.shutdown()
        return restarted

    def assert_one_job_per_session(
        self, localfw: LocalFlywheel, store: Store, batch: Batch
    ) -> None:
        per_session = Counter(j["parents"]["session"] for j in tagged_jobs(localfw, batch.id))
        expected = {t.session_id for t in store.batches.targets(batch.id)}
        assert len(expected) == DEMO_DWI_SESSIONS
        assert set(per_session) == expected  # none missing
        assert set(per_session.values()) == {1}  # no duplicates
        assert store.batches.get_existing(batch.id).state is BatchState.LAUNCHED
        counts = {s: n for s, n in store.batches.target_counts(batch.id).items() if n}
        assert counts == {TargetState.LAUNCHED: DEMO_DWI_SESSIONS}

    def test_a_restarted_bot_finishes_the_launch_once_per_session(
        self,
        slash: Slash,
        click: Click,
        slack_services: Services,
        demo_localfw: LocalFlywheel,
        sqlite_store: Store,
        mock_slack: MockSlack,
    ) -> None:
        batch = self.stop_part_way(slash, click, slack_services, demo_localfw, sqlite_store)

        self.restart_and_resume(demo_localfw, sqlite_store, mock_slack, batch)

        self.assert_one_job_per_session(demo_localfw, sqlite_store, batch)
        # the restarted bot kept updating the same channel message
        assert len(progress_posts(mock_slack)) == 1
        stored = sqlite_store.messages.get(batch.id, "progress", DEFAULT_CHANNEL_ID)
        assert stored is not None
        assert mock_slack.calls("chat.update")[-1].args["ts"] == stored.ts

    def test_a_job_flywheel_made_but_the_store_never_heard_of_is_not_launched_twice(
        self,
        slash: Slash,
        click: Click,
        slack_services: Services,
        demo_localfw: LocalFlywheel,
        demo_gateway: SdkGateway,
        sqlite_store: Store,
        mock_slack: MockSlack,
    ) -> None:
        batch = self.stop_part_way(slash, click, slack_services, demo_localfw, sqlite_store)
        [orphan, *_] = sqlite_store.batches.targets(batch.id, [TargetState.PLANNED])
        # created in Flywheel (the answer was lost, or the bot died right after the call)
        demo_gateway.launch_one(
            JobSpec(
                gear_id=batch.gear_id,
                session_id=orphan.session_id,
                label=batch.analysis_label,
                config=batch.config,
                inputs={k: FileRef.model_validate(v) for k, v in batch.inputs.items()},
                tags=[f"fwbot:{batch.id}", SIZE_TAG],
            )
        )

        self.restart_and_resume(demo_localfw, sqlite_store, mock_slack, batch)

        self.assert_one_job_per_session(demo_localfw, sqlite_store, batch)


# -- cancelling a launched batch --------------------------------------------------------
def test_cancel_shows_how_many_pending_then_the_button_cancels_them(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
) -> None:
    batch_id = launch_from_slack(slash, click, slack_services)
    with demo_localfw.world.lock:
        for job in tagged_jobs(demo_localfw, batch_id)[:29]:
            job["state"] = "running"
    demo_localfw.requests.reset()

    preview = slash(f"cancel {batch_id}").answer()

    assert f"Cancel {DEMO_DWI_SESSIONS - 29:,} pending jobs of `{batch_id}`" in preview["text"]
    assert buttons(preview) == {"fw_cancel_jobs": batch_id}
    assert demo_localfw.requests.writes() == []
    refused = click("fw_cancel_jobs", batch_id, user_id="U0VIEWER").answer()
    assert refused["replace_original"] is False and "read-only" in refused["text"]

    done = click("fw_cancel_jobs", batch_id).answer()

    assert done["replace_original"] is True
    assert f"Cancelling {DEMO_DWI_SESSIONS - 29:,} pending jobs" in done["text"]
    slack_services.workers.wait_idle(PATIENCE)  # analyses are cancelled job by job, 8 at a time
    states = [j["state"] for j in tagged_jobs(demo_localfw, batch_id)]
    assert states.count("cancelled") == DEMO_DWI_SESSIONS - 29 and states.count("running") == 29
    # fwbot's plain key cancels the jobs it made, one PUT each; no batch API for analyses
    assert demo_localfw.requests.count("PUT", "/jobs/{id}") == DEMO_DWI_SESSIONS - 29
    assert demo_localfw.requests.count("POST", "/batch/{id}/cancel") == 0
