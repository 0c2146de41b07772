"""Launching and reading jobs through the gateway with fwbot's plain (non-admin) key,
against the strict local Flywheel."""

from __future__ import annotations

from typing import Any

import flywheel
import pytest

from bot.domain import FileRef, JobSpec
from bot.errors import FlywheelRefused
from bot.flywheel.sdk_gateway import SdkGateway
from localfw.server import LocalFlywheel
from localfw.world import World
from tests.fixtures.localfw import ADMIN, EDITOR, VIEWER


@pytest.fixture
def gateway(localfw: LocalFlywheel) -> SdkGateway:
    return SdkGateway.connect(localfw.sdk_api_key)


def specs(
    gateway: SdkGateway, count: int, tag: str, *, gear_name: str = "qsiprep-hpc", skip: int = 0
) -> list[JobSpec]:
    project = gateway.find_project("gear_testing")
    assert project is not None and "license.txt" in project.files
    gear = gateway.get_gear(gear_name)
    assert gear is not None
    analysis = gear.summary.category == "analysis"
    license_file = FileRef(parent_type="project", parent_id=project.project_id, name="license.txt")
    sessions = gateway.sessions_with_acquisition(project.project_id, "acq-64dir_dwi")
    return [
        JobSpec(
            gear_id=gear.summary.gear_id,
            session_id=s.session_id,
            label=f"QSIPrep_{s.label}",
            config={"hmc_model": "3dSHORE"} if analysis else {},
            inputs={"freesurfer_license": license_file} if analysis else {},
            tags=[tag, "vm-n1-highmem-4_disk-300GB_swap-30G"],
            analysis=analysis,
        )
        for s in sessions[skip : skip + count]
    ]


def test_the_key_is_a_plain_user_not_a_site_admin(gateway: SdkGateway) -> None:
    assert not gateway.is_site_admin()
    assert gateway.service_account() not in (None, ADMIN)


def test_an_analysis_gear_launches_as_a_labelled_analysis_found_by_its_tag(
    gateway: SdkGateway, localfw: LocalFlywheel
) -> None:
    [job] = specs(gateway, 1, "fwbot:bone")

    launched = gateway.launch_one(job)

    [record] = gateway.jobs_tagged("fwbot:bone")
    assert record.session_id == job.session_id
    assert launched.analysis_id and record.analysis_id == launched.analysis_id
    analysis = localfw.world.analyses[launched.analysis_id]
    assert analysis["label"] == job.label
    assert analysis["parent"] == {"type": "session", "id": job.session_id}
    assert localfw.world.jobs[record.job_id]["destination"]["type"] == "analysis"


def test_a_complete_analysis_writes_into_the_analysis_never_the_session(
    gateway: SdkGateway, localfw: LocalFlywheel
) -> None:
    jobs = specs(gateway, 5, "fwbot:bout")
    for job in jobs:
        gateway.launch_one(job)
    localfw.clock.advance(3600)

    records = gateway.jobs_tagged("fwbot:bout")
    assert {r.state for r in records} == {"complete"}
    for job, record in zip(jobs, sorted(records, key=lambda r: _order(jobs, r)), strict=True):
        assert localfw.world.sessions[job.session_id]["files"] == []
        names = [f["name"] for f in localfw.world.analyses[record.analysis_id or ""]["files"]]
        assert any(n.endswith(".html.zip") for n in names)


def _order(jobs: list[JobSpec], record: Any) -> int:
    return [j.session_id for j in jobs].index(record.session_id)


def test_the_batch_api_takes_utility_gears_only(
    gateway: SdkGateway, localfw: LocalFlywheel
) -> None:
    with pytest.raises(ValueError, match="analysis gears"):
        gateway.create_batch(specs(gateway, 2, "fwbot:bnope"))

    utility = specs(gateway, 12, "fwbot:butil", gear_name="dcm2niix")
    batch_id = gateway.create_batch(utility)
    assert gateway.batch_state(batch_id) == "pending"
    assert gateway.jobs_tagged("fwbot:butil") == []  # proposed, nothing runs yet
    started = gateway.start_batch(batch_id)

    assert {j.session_id for j in started} == {j.session_id for j in utility}
    tagged = gateway.jobs_tagged("fwbot:butil")
    assert {t.session_id for t in tagged} == {j.session_id for j in utility}
    assert all(t.analysis_id is None and t.gear_name == "dcm2niix" for t in tagged)


def test_runs_of_gear_counts_runs_made_by_other_people_too(
    gateway: SdkGateway, localfw: LocalFlywheel
) -> None:
    """A script or the web UI (here: the editor's own key and the SDK's gear.run) makes
    runs fwbot never tagged; the planner must still see them."""
    for job in specs(gateway, 30, "fwbot:bmany"):
        gateway.launch_one(job)
    editor = flywheel.Client(localfw.key_for(EDITOR))
    gear = editor.lookup("gears/qsiprep-hpc")
    project = editor.projects.find_first('label="gear_testing"')
    theirs = specs(gateway, 5, "unused", skip=30)
    for job in theirs:
        gear.run(
            analysis_label="by hand",
            config={"hmc_model": "3dSHORE"},
            inputs={"freesurfer_license": project.get_file("license.txt")},
            destination=editor.get_session(job.session_id),
        )
    localfw.clock.advance(3600)

    project_id = project.id
    runs = gateway.runs_of_gear(project_id, "qsiprep-hpc")

    assert len(runs) == 35
    assert {r.state for r in runs} == {"complete"}
    assert {j.session_id for j in theirs} <= {r.session_id for r in runs}
    assert all(any(f.endswith(".html.zip") for f in r.saved_files) for r in runs)


def test_fwbot_reads_no_job_list_that_needs_a_site_admin(
    gateway: SdkGateway, localfw: LocalFlywheel
) -> None:
    for job in specs(gateway, 3, "fwbot:bown"):
        gateway.launch_one(job)
    localfw.requests.reset()

    gateway.jobs_tagged("fwbot:bown")
    project = gateway.find_project("gear_testing")
    assert project is not None
    gateway.runs_of_gear(project.project_id, "qsiprep-hpc")

    assert localfw.requests.count("GET", "/jobs") == 0
    assert all(r.status < 400 for r in localfw.requests.records)


def test_a_refusal_from_flywheel_is_a_fwbot_error_with_flywheels_reason(
    gateway: SdkGateway, small_world: World
) -> None:
    other = next(p for p in small_world.projects.values() if p["label"] == "other_project")

    with pytest.raises(FlywheelRefused) as refused:
        gateway.project_roles(other["_id"])

    assert refused.value.status == 403
    assert refused.value.user_text().startswith("Flywheel refused this (403): ")
    assert "role" in (refused.value.hint or "")


def test_users_are_found_by_email_through_the_users_listing(gateway: SdkGateway) -> None:
    editor = gateway.find_user(EDITOR)
    assert editor is not None and editor.email == EDITOR and editor.user_id == EDITOR
    assert gateway.find_user(VIEWER) is not None
    assert gateway.find_user("nobody@example.org") is None


def test_a_custom_role_is_read_by_its_actions_never_its_label(
    localfw: LocalFlywheel, small_world: World
) -> None:
    gateway = SdkGateway.connect(localfw.admin_sdk_api_key)  # sees the whole list
    runner = small_world.add_role(
        "admin-ish label but runs pipelines",
        ["containers_view_metadata", "analyses_create_job", "jobs_manage", "jobs_view"],
    )
    looker = small_world.add_role("Read-Write (legacy)", ["containers_view_metadata", "jobs_view"])
    nothing = small_world.add_role("Project Admin", ["notes_view"])
    project = next(p for p in small_world.projects.values() if p["label"] == "gear_testing")
    project["permissions"] += [
        {"_id": "runner@example.org", "role_ids": [runner]},
        {"_id": "looker@example.org", "role_ids": [looker]},
        {"_id": "nothing@example.org", "role_ids": [nothing]},
    ]

    roles = gateway.project_roles(project["_id"])

    assert roles["runner@example.org"] == "read-write"
    assert roles["looker@example.org"] == "read-only"
    assert roles["nothing@example.org"] == "none"
    assert roles[ADMIN] == "admin" and roles[EDITOR] == "read-write"


def test_paging_goes_on_past_a_site_that_caps_pages_below_the_limit_asked(
    gateway: SdkGateway, localfw: LocalFlywheel
) -> None:
    """fwbot asks for 1,000 per page; a site answering 100 at most must not cut lists short."""
    for job in specs(gateway, 150, "fwbot:bcap"):
        gateway.launch_one(job)
    localfw.context.max_page_size = 100
    project = gateway.find_project("gear_testing")
    assert project is not None
    localfw.requests.reset()

    sessions = gateway.project_sessions(project.project_id)
    tagged = gateway.jobs_tagged("fwbot:bcap")

    assert len(sessions) == 310 and len(tagged) == 150
    assert localfw.requests.count("GET", "/sessions") == 4  # 100, 100, 100, 10
    assert localfw.requests.count("GET", "/users/self/jobs") == 2  # 100, then 50: a short page
