"""`fwbot serve` with Flywheel down: it starts unready instead of exiting, answers Slack,
retries in the background, and once Flywheel is back becomes ready and finishes the
launch it had under way.

A real `fwbot serve --http` process (``doubles.fwbot_process``). First a bot plans and
confirms a launch on grmpy_dwi (56 sessions) while job creation answers 503, and is
stopped (SIGTERM: the targets stay planned). Then the local Flywheel goes away and a new
bot starts on the same database with nothing listening at Flywheel's address; later
the local Flywheel comes back on that address, serving the same world.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench.polling import eventually
from bot.domain import BatchState, TargetState, batch_tag
from bot.store.db import Store
from doubles.fwbot_process import FwbotProcess, answer_text, button_batches, fwbot_env
from doubles.mock_slack import MockSlack
from localfw.demo_world import DEMO_BOT, DEMO_SECOND_PROJECT, GRMPY_DWI_SESSIONS, build_demo_world
from localfw.server import LocalFlywheel
from localfw.simulator import SimClock
from localfw.world import World

ADMIN = "U0ADMIN"  # admin on grmpy_dwi (tests/e2e/conftest.py)
API_KEY = "unready-test-key"
JOB_CREATION = r"^POST /sessions/\{cid\}/analyses$"


def flywheel(world: World, port: int = 0) -> LocalFlywheel:
    lf = LocalFlywheel(world, api_key=API_KEY, user=DEMO_BOT, clock=SimClock())
    return lf.start(port=port)


def jobs_per_session(world: World, batch_id: str) -> Counter[str]:
    with world.lock:
        return Counter(
            j["parents"]["session"] for j in world.jobs.values() if batch_tag(batch_id) in j["tags"]
        )


def test_serve_starts_unready_while_flywheel_is_down_and_resumes_when_it_is_back(
    mock_slack: MockSlack, tmp_path: Path
) -> None:
    world = build_demo_world()
    lf = flywheel(world)
    port = lf.port
    env = fwbot_env(mock_slack, flywheel_api_key=lf.sdk_api_key, data_dir=tmp_path / "data")

    # a launch under way, stopped before any job was made
    first = FwbotProcess(env, tmp_path / "first", mock_slack, "first", flywheel=lf).start()
    try:
        first.wait_ready()
        lf.knobs.set_outage(JOB_CREATION)
        plan = first.ask(f"launch qsiprep-hpc project={DEMO_SECOND_PROJECT}", ADMIN)
        batch_id = button_batches(plan).get("fw_confirm")
        assert batch_id, answer_text(plan)
        first.ask(f"confirm {batch_id}", ADMIN)
        eventually(
            lambda: lf.knobs.injected["outage 503"] >= 8, timeout=90, what="the launch to start"
        )
    finally:
        first.stop()
        lf.stop()
    store = Store.for_data_dir(tmp_path / "data")
    try:
        assert store.batches.get_existing(batch_id).state is BatchState.LAUNCHING
        assert not jobs_per_session(world, batch_id)

        # Flywheel down: the bot starts all the same, unready, and says why
        second = FwbotProcess(env, tmp_path / "second", mock_slack, "second").start()
        try:
            eventually(lambda: second.log().count("not ready") >= 2, timeout=90, what="two retries")
            assert second.alive()
            assert second.get("/healthz") == (200, "ok")
            status, reason = second.get("/readyz")
            assert status == 503
            assert reason.startswith("starting: Flywheel unreachable (Cannot reach Flywheel")
            answer = answer_text(second.ask("gears", ADMIN))
            assert "reach Flywheel" in answer and "try again" in answer
            warnings = [line for line in second.log().splitlines() if "not ready" in line]
            assert all(" WARNING bot.startup: " in line for line in warnings)
            assert "Flywheel unreachable" in warnings[0] and "retrying in" in warnings[0]
            assert "Traceback" not in second.log()
            assert store.batches.get_existing(batch_id).state is BatchState.LAUNCHING

            # Flywheel back at the same address: ready, and the launch completes once
            back = flywheel(world, port)
            try:
                second.wait_ready(timeout=90)
                assert second.get("/readyz") == (200, "ready")
                eventually(
                    lambda: store.batches.get_existing(batch_id).state is BatchState.LAUNCHED,
                    timeout=90,
                    what="the resumed launch to complete",
                )
                jobs = jobs_per_session(world, batch_id)
                assert len(jobs) == GRMPY_DWI_SESSIONS and set(jobs.values()) == {1}
                counts = store.batches.target_counts(batch_id)
                assert counts[TargetState.LAUNCHED] == GRMPY_DWI_SESSIONS
                assert "resuming launches " + batch_id in second.log()
            finally:
                second.stop()
                back.stop()
        finally:
            second.stop()
    finally:
        store.dispose()
