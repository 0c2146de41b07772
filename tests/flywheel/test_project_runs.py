"""Every run on a project, by anyone, in a few paged requests (``project_runs``): what
subscriptions read for digests and for batches launched outside fwbot."""

from __future__ import annotations

import flywheel
import pytest

from bot.domain import JobState
from bot.flywheel.sdk_gateway import SdkGateway
from localfw.server import LocalFlywheel
from tests.fixtures.localfw import EDITOR
from tests.flywheel.test_sdk_gateway_jobs import specs

NESTED = "/projects/{cid}/sessions/analyses"


@pytest.fixture
def gateway(localfw: LocalFlywheel) -> SdkGateway:
    return SdkGateway.connect(localfw.sdk_api_key)


def test_runs_by_anyone_with_state_origin_tags_and_times(
    gateway: SdkGateway, localfw: LocalFlywheel
) -> None:
    """fwbot's runs carry its tag; a script's (the editor's own key, ``gear.run``) carry its
    user as origin; both show when they were queued, started and ended."""
    for job in specs(gateway, 4, "fwbot:bmine"):
        gateway.launch_one(job)
    editor = flywheel.Client(localfw.key_for(EDITOR))
    gear = editor.lookup("gears/flaky-gear")  # always fails in the test simulator
    project = editor.projects.find_first('label="gear_testing"')
    for job in specs(gateway, 3, "unused", skip=10):
        gear.run(
            analysis_label="by script",
            inputs={"freesurfer_license": project.get_file("license.txt")},
            destination=editor.get_session(job.session_id),
        )
    queued = localfw.clock.now()
    localfw.clock.advance(3600)

    runs = gateway.project_runs(project.id)

    mine = [r for r in runs if r.fwbot_batch == "bmine"]
    theirs = [r for r in runs if r.fwbot_batch is None]
    assert len(mine) == 4 and len(theirs) == 3
    assert {r.state for r in mine} == {JobState.COMPLETE}
    assert all(any(f.endswith(".html.zip") for f in r.saved_files) for r in mine)
    assert {(r.state, r.origin, r.gear_name) for r in theirs} == {
        (JobState.FAILED, EDITOR, "flaky-gear")
    }
    for run in runs:
        assert run.created == queued and run.session_id
        assert run.started is not None and run.ended is not None
        assert queued < run.started < run.ended <= localfw.clock.now()


def test_pages_not_sessions(gateway: SdkGateway, localfw: LocalFlywheel) -> None:
    """248 runs on a site that caps pages at 100: three pages of the nested analyses
    (jobs inflated), and not one request per run or per session."""
    jobs = specs(gateway, 300, "fwbot:bbig")  # every session with a DWI scan
    assert len(jobs) == 248
    for job in jobs:
        gateway.launch_one(job)
    localfw.context.max_page_size = 100
    project = gateway.find_project("gear_testing")
    assert project is not None
    localfw.requests.reset()

    runs = gateway.project_runs(project.project_id)

    assert len(runs) == 248 and {r.state for r in runs} == {JobState.PENDING}
    assert localfw.requests.count(route=NESTED) == 3
    assert localfw.requests.count() == 3
