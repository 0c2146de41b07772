"""Conformance: who may see and do what. Each key belongs to one user; fwbot's is a
plain user (read-write on gear_testing), as on a lab's real site.

Every test drives the unmodified SDK over HTTP; each docstring names its source: an SDK
endpoint docstring (quoted), Flywheel core's code (scitran/core), Flywheel's
documentation, or "strictest reading" where Flywheel documents nothing.
"""

from __future__ import annotations

from typing import Any

import flywheel
import pytest

from localfw.server import LocalFlywheel
from localfw.world import World
from tests.fixtures.localfw import ADMIN, EDITOR, FWBOT, VIEWER
from tests.localfw.helpers import (
    OUTSIDER,
    client_for,
    license_file,
    premade,
    project,
    project_doc,
    qsiprep,
    raw,
    status_of,
)


@pytest.fixture
def other_project(small_world: World) -> str:
    """A project fwbot has no role on, with one session."""
    doc = project_doc(small_world, "other_project")
    subject = small_world.add_subject(doc, "sub-other")
    session = small_world.add_session(subject, "ses-1", small_world.created_at)
    small_world.add_acquisition(session, "anat", ["t1.nii.gz"])
    return str(doc["_id"])


# -- keys and identity -------------------------------------------------------------------
def test_each_key_is_one_user_and_unknown_keys_are_401(localfw: LocalFlywheel, fw: Any) -> None:
    """auth_api.get_auth_status: 'Get the current login status of the requestor';
    ``user_is_admin`` is true for site admins (root) only."""
    assert fw.get_current_user().id == FWBOT
    status = fw.get_auth_status()
    assert status.user_is_admin is False and status.origin.id == FWBOT
    admin = flywheel.Client(localfw.admin_sdk_api_key)
    assert admin.get_current_user().id == ADMIN and admin.get_auth_status().user_is_admin
    viewer = client_for(localfw, VIEWER)
    assert viewer.get_current_user().id == VIEWER
    assert localfw.key_for(VIEWER) == localfw.key_for(VIEWER)
    with pytest.raises(flywheel.ApiException) as info:
        flywheel.Client(localfw.sdk_api_key.rsplit(":", 1)[0] + ":not-a-key")
    assert info.value.status == 401


def test_every_error_body_has_a_fresh_request_id(localfw: LocalFlywheel) -> None:
    """Flywheel's error responses carry ``message``, ``status_code`` and ``request_id``
    (one per request)."""
    answers = [raw(localfw, "GET", "/jobs/" + "f" * 24) for _ in range(2)]
    answers.append(raw(localfw, "GET", "/projects", key="bogus"))
    answers.append(raw(localfw, "GET", "/no/such/route"))
    assert [status for status, _ in answers] == [404, 404, 401, 404]
    for _, body in answers:
        assert set(body) == {"message", "status_code", "request_id"}
    assert len({body["request_id"] for _, body in answers}) == 4


def test_users_are_visible_only_to_themselves_and_site_admins(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any
) -> None:
    """users_api.get_current_user: 'Gets the current user.' Strictest reading for
    get_user / get_all_users: a plain user sees other users only through the permission
    lists of their projects."""
    assert fw.get_current_user().email == FWBOT
    assert fw.get_user(FWBOT).email == FWBOT
    assert status_of(fw.get_user, VIEWER) == 403
    assert status_of(fw.get_all_users) == 403
    assert admin_fw.get_user(VIEWER).email == VIEWER
    assert {u.id for u in admin_fw.get_all_users()} >= {ADMIN, FWBOT, EDITOR, VIEWER}


# -- jobs ----------------------------------------------------------------------------------
def test_listing_every_job_is_for_site_admins(fw: Any, admin_fw: Any) -> None:
    """Core's JobsHandler.get ('List all jobs.'): 'Request requires admin'. A plain user
    lists its own jobs with get_current_user_jobs."""
    assert status_of(fw.get_all_jobs) == 403
    assert status_of(fw.jobs.find, "state=pending") == 403
    assert admin_fw.get_all_jobs() == []


def test_reading_a_job_needs_its_origin_or_a_role_on_its_project(
    localfw: LocalFlywheel, fw: Any, other_project: str
) -> None:
    """Strictest reading (core's JobHandler.get requires an admin; sites show a project's
    jobs to its members): root, the job's origin, or a role with ``jobs_view`` on the
    job's project reads the job, its logs and its config; anyone else gets a 403."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    job_id = fw.add_job(premade(gear, p.sessions.find_first(), lic))
    viewer = client_for(localfw, VIEWER)  # read-only: jobs_view
    outsider = client_for(localfw, OUTSIDER)
    assert viewer.get_job(job_id).id == job_id
    assert viewer.get_job_logs(job_id).logs
    for call in (outsider.get_job, outsider.get_job_logs, outsider.get_job_config):
        assert status_of(call, job_id) == 403
    assert fw.get_job_config(job_id) is not None


def test_running_gears_needs_the_roles_actions(
    localfw: LocalFlywheel, fw: Any, small_world: World
) -> None:
    """Flywheel's role actions (flywheel.models.Action): an analysis with a job needs
    ``analyses_create_job``, a job on a container ``jobs_manage``, on the destination's
    project. Strictest reading for inputs: their files must be downloadable
    (``files_download``) by the caller."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    session = p.sessions.find_first()
    viewer = client_for(localfw, VIEWER)  # read-only
    run = viewer.lookup("gears/qsiprep-hpc").run
    assert (
        status_of(run, analysis_label="a", inputs={"freesurfer_license": lic}, destination=session)
        == 403
    )
    assert status_of(viewer.add_job, premade(gear, session, lic)) == 403
    analyst_only = small_world.add_role(
        "analyses-only",
        ["containers_view_metadata", "files_download", "analyses_create_job", "jobs_view"],
    )
    no_download = small_world.add_role(
        "no-download", ["containers_view_metadata", "analyses_create_job", "jobs_manage"]
    )
    small_world.grant(project_doc(small_world), VIEWER, analyst_only)
    run(analysis_label="a", inputs={"freesurfer_license": lic}, destination=session)
    assert status_of(viewer.add_job, premade(gear, session, lic)) == 403
    small_world.grant(project_doc(small_world), VIEWER, no_download)
    status, body = raw(
        localfw, "POST", "/jobs/add", premade(gear, session, lic), key=localfw.key_for(VIEWER)
    )
    assert status == 403 and "files_download" in body["message"]


# -- containers ----------------------------------------------------------------------------
def test_a_project_without_a_role_is_invisible_and_forbidden(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any, other_project: str
) -> None:
    """projects_api.get_all_projects ('Get a list of projects.') lists what the user may
    see; a container in a project without a role is a 403 when asked for by id, a 404
    only when it does not exist (strictest reading: lookup too)."""
    assert [x.label for x in fw.get_all_projects()] == ["gear_testing"]
    assert other_project in {x.id for x in admin_fw.get_all_projects()}
    session = admin_fw.get_project_sessions(other_project)[0]
    acquisition = admin_fw.get_session_acquisitions(session.id)[0]
    for cid in (other_project, session.id, acquisition.id):
        assert status_of(fw.get, cid) == 403
    assert status_of(fw.get_project, other_project) == 403
    assert status_of(fw.get_session, session.id) == 403
    assert status_of(fw.get_project_sessions, other_project) == 403
    assert status_of(fw.lookup, "pennlinc/other_project") == 403
    assert status_of(fw.get, "0" * 24) == 404
    assert session.id not in {s.id for s in fw.get_all_sessions()}
    assert acquisition.id not in {a.id for a in fw.acquisitions.find(limit=1000)}
    assert status_of(fw.get_all_projects, exhaustive=True) == 403
    outsider = client_for(localfw, OUTSIDER)
    assert outsider.get_all_projects() == [] and outsider.get_all_groups() == []
    assert status_of(outsider.get_group, "pennlinc") == 403
    assert [g.id for g in fw.get_all_groups()] == ["pennlinc"]


def test_a_role_without_view_metadata_shows_nothing(
    localfw: LocalFlywheel, small_world: World
) -> None:
    """Strictest reading: a permission entry only shows a project when one of its roles
    has ``containers_view_metadata``."""
    blind = small_world.add_role("jobs-only", ["jobs_view"])
    small_world.grant(project_doc(small_world), VIEWER, blind)
    viewer = client_for(localfw, VIEWER)
    assert viewer.get_all_projects() == []
    assert status_of(viewer.get, project_doc(small_world)["_id"]) == 403
