"""Never trust one answer: every listing the gateway reads is asked with ``limit`` and read to
its end, so a site answering two items a page (to a listing without ``limit``, and at most to
any ``limit``) gives fwbot exactly what an uncapped one does. And no job is read one by one
where a listing carried it, nor ever by a plain key (``GET /jobs/{id}`` is admin-only)."""

from __future__ import annotations

from typing import Any

import flywheel
import pytest

from bot.domain import FileRef, JobSpec
from bot.flywheel.sdk_gateway import SdkGateway
from localfw import render
from localfw.router import Request
from localfw.server import LocalFlywheel
from localfw.world import Doc, World
from tests.flywheel.lab_world import EDITOR, FWBOT, NEWEST_QSIPREP, cap_pages, project_id

JOB_ROUTE = "/jobs/{id}"


def _launch_runs(gateway: SdkGateway, lab: LocalFlywheel) -> None:
    """fwbot's analyses on four sessions and on the project, a script's (the editor's own
    key) on two more, fwbot's utility jobs on three: then every job ends."""
    alpha = project_id(lab.world, "alpha")
    gear = gateway.get_gear("qsiprep-hpc")
    assert gear is not None
    license_file = FileRef(parent_type="project", parent_id=alpha, name="license.txt")
    sessions = gateway.project_sessions(alpha)
    for s in sessions[:4]:
        gateway.launch_one(_analysis(gear.summary.gear_id, s.session_id, license_file))
    on_project = _analysis(gear.summary.gear_id, alpha, license_file)
    gateway.launch_one(on_project.model_copy(update={"target_type": "project"}))
    editor = flywheel.Client(lab.key_for(EDITOR))
    sdk_gear = editor.lookup("gears/qsiprep-hpc")
    project = editor.get_project(alpha)
    for s in sessions[4:6]:
        sdk_gear.run(
            analysis_label="by script",
            config={"hmc_model": "3dSHORE"},
            inputs={"freesurfer_license": project.get_file("license.txt")},
            destination=editor.get_session(s.session_id),
        )
    utility = gateway.get_gear("dcm2niix")
    assert utility is not None
    batch = gateway.create_batch(
        [
            JobSpec(
                gear_id=utility.summary.gear_id,
                session_id=s.session_id,
                label="convert",
                tags=["fwbot:butil"],
                analysis=False,
            )
            for s in sessions[:3]
        ]
    )
    gateway.start_batch(batch)
    lab.clock.advance(3600)


def _analysis(gear_id: str, session_id: str, license_file: FileRef) -> JobSpec:
    return JobSpec(
        gear_id=gear_id,
        session_id=session_id,
        label=f"QSIPrep {session_id}",
        config={"hmc_model": "3dSHORE"},
        inputs={"freesurfer_license": license_file},
        tags=["fwbot:bqsi"],
    )


def _everything(gateway: SdkGateway, world: World) -> dict[str, Any]:
    """Every listing the gateway reads, through its public methods."""
    alpha = project_id(world, "alpha")
    return {
        "gears": gateway.list_gears(),
        "qsiprep": gateway.get_gear("qsiprep-hpc"),
        "pinned": gateway.get_gear("qsiprep-hpc", "0.20.0"),
        "project": gateway.find_project("alpha"),
        "my roles": gateway.all_project_roles(FWBOT),
        "editor's roles": gateway.all_project_roles(EDITOR),
        "members": gateway.project_members(alpha),
        "user": gateway.find_user("editor@example.org"),
        "runs": gateway.runs_of_gear(alpha, "qsiprep-hpc"),
        "project runs": gateway.runs_of_gear(alpha, "qsiprep-hpc", "project"),
        "utility runs": gateway.runs_of_gear(alpha, "dcm2niix"),
        "tagged": gateway.jobs_tagged("fwbot:bqsi"),
        "files": gateway.analyses_with_files(alpha, "session"),
        "project files": gateway.analyses_with_files(alpha, "project"),
        "all runs": gateway.project_runs(alpha),
        "sessions": gateway.project_sessions(alpha),
        "dwi": gateway.sessions_with_acquisition(alpha, "64dir"),
        "acquisitions": gateway.containers(alpha, "acquisition"),
        "batches": gateway.own_batches(),
    }


def _spy_on_listings(lab: LocalFlywheel) -> list[tuple[str, bool]]:
    """(path, whether ``limit`` was sent) for every listing the server pages."""
    seen: list[tuple[str, bool]] = []
    context: Any = lab.context
    paged = context.paged

    def spy(docs: list[Doc], req: Request, **kwargs: Any) -> list[Doc]:
        seen.append((req.path, "limit" in req.query))
        result: list[Doc] = paged(docs, req, **kwargs)
        return result

    context.paged = spy
    return seen


def test_a_site_answering_two_a_page_gives_exactly_what_an_uncapped_one_does(
    lab: LocalFlywheel,
) -> None:
    _launch_runs(SdkGateway.connect(lab.sdk_api_key), lab)
    uncapped = _everything(SdkGateway.connect(lab.sdk_api_key), lab.world)
    cap_pages(lab, 2)
    seen = _spy_on_listings(lab)

    capped = _everything(SdkGateway.connect(lab.sdk_api_key), lab.world)

    assert capped == uncapped
    assert capped["qsiprep"].summary.version == NEWEST_QSIPREP
    assert len(capped["gears"]) == 4 and len(capped["runs"]) == 6
    assert len(capped["project runs"]) == 1 and len(capped["utility runs"]) == 3
    assert len(capped["tagged"]) == 5 and len(capped["sessions"]) == 6
    mine = {"alpha": "read-write", "beta": "read-only", "gamma": "admin", "delta": "admin"}
    assert capped["my roles"] == mine  # five projects listed, two a page
    without_limit = sorted({path for path, limited in seen if not limited})
    assert without_limit == ["/batch"]  # the SDK's get_all_batches takes no limit


def test_get_gear_takes_the_newest_version_from_past_the_first_page(
    demo_gateway: SdkGateway, demo_localfw: LocalFlywheel
) -> None:
    uncapped = demo_gateway.get_gear("qsiprep-hpc")
    cap_pages(demo_localfw, 1)
    capped = demo_gateway.get_gear("qsiprep-hpc")
    assert uncapped is not None and capped == uncapped
    assert len(capped.versions) >= 2


def test_a_short_first_page_is_not_taken_for_the_end(lab: LocalFlywheel) -> None:
    """A small listing costs one request more (answered ``[]``): a short page alone can be a
    capped site's first."""
    gateway = SdkGateway.connect(lab.sdk_api_key)
    lab.requests.reset()
    gateway.list_gears()
    assert lab.requests.count("GET", "/gears") == 2


def test_no_job_is_read_again_that_the_analysis_listing_carried(lab: LocalFlywheel) -> None:
    """Runs by others (the editor's script) come with their jobs inflated in the listing."""
    gateway = SdkGateway.connect(lab.sdk_api_key)
    admin = SdkGateway.connect(lab.admin_sdk_api_key)
    _launch_runs(gateway, lab)
    alpha = project_id(lab.world, "alpha")
    lab.requests.reset()

    runs = gateway.runs_of_gear(alpha, "qsiprep-hpc")
    project_level = gateway.runs_of_gear(alpha, "qsiprep-hpc", "project")
    as_admin = admin.runs_of_gear(alpha, "qsiprep-hpc")

    assert lab.requests.count("GET", JOB_ROUTE) == 0
    assert len(runs) == 6 and {r.state for r in runs} == {"complete"}
    assert [r.state for r in project_level] == ["complete"]
    assert {r.job_id for r in as_admin} == {r.job_id for r in runs}


@pytest.fixture
def one_job_left_out(monkeypatch: pytest.MonkeyPatch, lab: LocalFlywheel) -> str:
    """fwbot's runs launched; the analysis listing then leaves one script run's job out."""
    _launch_runs(SdkGateway.connect(lab.sdk_api_key), lab)
    theirs = next(a for a in lab.world.analyses.values() if a["label"] == "by script")
    original = render.analysis

    def analysis(world: World, doc: Doc, *, inflate_job: bool) -> Doc:
        return original(world, doc, inflate_job=inflate_job and doc is not theirs)

    monkeypatch.setattr(render, "analysis", analysis)
    return str(theirs["_id"])


def test_a_plain_key_judges_a_run_the_listing_left_without_its_job_by_its_analysis(
    lab: LocalFlywheel, one_job_left_out: str
) -> None:
    gateway = SdkGateway.connect(lab.sdk_api_key)
    lab.requests.reset()

    runs = gateway.runs_of_gear(project_id(lab.world, "alpha"), "qsiprep-hpc")

    assert lab.requests.count("GET", JOB_ROUTE) == 0  # admin-only: a 403 on a real site
    judged = next(r for r in runs if r.analysis_id == one_job_left_out)
    assert judged.state == "complete"  # its output files say so
    assert judged.job_id == lab.world.analyses[one_job_left_out]["job"]


def test_a_site_admin_reads_just_the_job_the_listing_left_out(
    lab: LocalFlywheel, one_job_left_out: str
) -> None:
    admin = SdkGateway.connect(lab.admin_sdk_api_key)
    lab.requests.reset()

    runs = admin.runs_of_gear(project_id(lab.world, "alpha"), "qsiprep-hpc")

    assert lab.requests.count("GET", JOB_ROUTE) == 1
    read = next(r for r in runs if r.analysis_id == one_job_left_out)
    assert read.state == "complete" and read.gear_version == NEWEST_QSIPREP
