"""Conformance: who may see and do what. Each key belongs to one user; fwbot's is a
plain user (read-write on gear_testing), as on a lab's real site.

Every test drives the unmodified SDK over HTTP; each docstring names its source: an SDK
endpoint docstring (quoted), Flywheel core's code (scitran/core), Flywheel's
documentation, or "no source; stricter" where Flywheel documents nothing.
"""

from __future__ import annotations

from typing import Any

import flywheel
import pytest
from flywheel.models.action import Action

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
    (one per request). A plain key asking for a job is refused before the job is looked
    up (core's JobHandler.get is ``@require_admin``), so a missing job is a 403 to it."""
    answers = [raw(localfw, "GET", "/jobs/" + "f" * 24) for _ in range(2)]
    answers.append(raw(localfw, "GET", "/jobs/" + "f" * 24, key=localfw.admin_sdk_api_key))
    answers.append(raw(localfw, "GET", "/projects", key="bogus"))
    answers.append(raw(localfw, "GET", "/no/such/route"))
    assert [status for status, _ in answers] == [403, 403, 404, 401, 404]
    for _, body in answers:
        assert set(body) == {"message", "status_code", "request_id"}
    assert len({body["request_id"] for _, body in answers}) == 5


def test_unknown_and_revoked_keys_are_401_with_flywheel_s_error_body(
    localfw: LocalFlywheel, small_world: World
) -> None:
    """Core's APIKey.validate: a key it does not find raises APIAuthProviderException
    ('Invalid API key'), served as 401 with the usual error body. A revoked key is one
    the site no longer finds; the user's next key is a new one."""
    viewer = client_for(localfw, VIEWER)
    key = localfw.sdk_key_for(VIEWER)
    assert key == localfw.key_for(VIEWER) and key.startswith(f"127.0.0.1:{localfw.port}:")
    assert key.split(":")[2] == "__force_insecure"
    small_world.revoke_key(key)
    assert status_of(viewer.get_current_user) == 401
    for bad in (key, "bogus"):
        status, body = raw(localfw, "GET", "/users/self", key=bad)
        assert status == 401 and body["message"] == "Invalid API key"
        assert set(body) == {"message", "status_code", "request_id"}
        assert body["status_code"] == 401
    assert status_of(flywheel.Client, key) == 401
    fresh = localfw.sdk_key_for(VIEWER)
    assert fresh != key and flywheel.Client(fresh).get_current_user().id == VIEWER


def test_any_user_lists_users_and_reads_only_their_own_record(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any, small_world: World
) -> None:
    """Core's UserHandler.get_all: ``userauth.list_permission_checker`` refuses only
    anonymous requests, so any logged-in user lists users, filtered and paged like every
    list (SDK get_all_users: filter, limit, after_id). users_api.get_current_user: 'Gets
    the current user.' Another user's record (get_user): core serves it to anyone logged
    in; no source for keeping that, so the stricter reading: that user or a site admin."""
    small_world.add_user("Jane.Doe@example.org", "Jane", "Doe", user_id="jdoe42")
    assert fw.get_current_user().email == FWBOT
    assert fw.get_user(FWBOT).email == FWBOT
    assert status_of(fw.get_user, VIEWER) == 403
    assert status_of(fw.get_user, "jdoe42") == 403
    assert {u.id for u in fw.get_all_users(limit=100)} >= {ADMIN, FWBOT, EDITOR, VIEWER}
    (jane,) = fw.get_all_users(filter='email="Jane.Doe@example.org"', limit=10)
    assert jane.id == "jdoe42" and jane.email == "Jane.Doe@example.org"
    assert fw.get_all_users(filter='email="jane.doe@example.org"', limit=10) == []
    first = fw.get_all_users(limit=2)
    rest = fw.get_all_users(limit=100, after_id=first[-1].id)
    assert len(first) == 2 and len(first) + len(rest) == len(small_world.users)
    assert admin_fw.get_user(VIEWER).email == VIEWER
    assert admin_fw.get_user("jdoe42").email == "Jane.Doe@example.org"


def test_a_user_whose_id_is_not_their_email_is_keyed_by_id(
    localfw: LocalFlywheel, small_world: World, admin_fw: Any
) -> None:
    """SDK UserOutput has ``id`` and ``email`` as separate fields; permission entries
    (``Permission.id``), job origins (``JobOrigin.id``) and keys name the ``id``."""
    small_world.add_user("Jane.Doe@example.org", "Jane", "Doe", user_id="jdoe42")
    small_world.grant(project_doc(small_world), "jdoe42", "read-write")
    jane = flywheel.Client(localfw.sdk_key_for("jdoe42"))
    me = jane.get_current_user()
    assert me.id == "jdoe42" and me.email == "Jane.Doe@example.org"
    assert jane.get_auth_status().origin.id == "jdoe42"
    p, lic, gear = project(jane), license_file(jane), qsiprep(jane)
    assert [perm.id for perm in jane.get(p.id).permissions] == ["jdoe42"]
    job_id = jane.add_job(premade(gear, p.sessions.find_first(), lic))
    assert admin_fw.get_job(job_id).origin.id == "jdoe42"
    assert [j.id for j in jane.get_current_user_jobs(limit=10).jobs] == [job_id]
    assert status_of(jane.get_user, "Jane.Doe@example.org") == 403
    assert status_of(admin_fw.get_user, "Jane.Doe@example.org") == 404


# -- jobs ----------------------------------------------------------------------------------
def test_listing_every_job_is_for_site_admins(fw: Any, admin_fw: Any) -> None:
    """Core's JobsHandler.get ('List all jobs.'): 'Request requires admin'. A plain user
    lists its own jobs with get_current_user_jobs."""
    assert status_of(fw.get_all_jobs) == 403
    assert status_of(fw.jobs.find, "state=pending") == 403
    assert admin_fw.get_all_jobs() == []


def test_a_single_job_and_its_config_are_for_site_admins(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any
) -> None:
    """Core's JobHandler.get and JobHandler.get_config are ``@require_admin`` ('Admin user
    required.'): not the job's origin, not a project admin, not ``jobs_view``. A lab's
    key reads its own jobs with get_current_user_jobs."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    job_id = fw.add_job(premade(gear, p.sessions.find_first(), lic))
    project_admin = client_for(localfw, EDITOR)
    localfw.world.grant(project_doc(localfw.world), EDITOR, "admin")
    for who in (fw, project_admin, client_for(localfw, VIEWER)):
        for call in (who.get_job, who.get_job_config):
            assert status_of(call, job_id) == 403
    assert admin_fw.get_job(job_id).id == job_id
    assert admin_fw.get_job_config(job_id) is not None
    assert [j.id for j in fw.get_current_user_jobs(limit=10).jobs] == [job_id]


def test_job_logs_need_read_access_to_every_input(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any, small_world: World, other_project: str
) -> None:
    """Core's JobHandler._log_read_check: unless a site admin, ``check_access(uid, 'ro')``
    on the container of each of the job's inputs ('Unlike jobs-add, explicitly not
    checking write access to destination'); the origin rule plays no part. Core lets
    anyone read the logs of a job without inputs; no source for that being kept, so
    localfw asks for read access to its destination then (stricter reading)."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    session = p.sessions.find_first()
    job_id = fw.add_job(premade(gear, session, lic))
    viewer = client_for(localfw, VIEWER)  # read-only on gear_testing: reads the input
    assert viewer.get_job_logs(job_id).logs is not None
    assert fw.get_job_logs(job_id).logs is not None
    assert status_of(client_for(localfw, OUTSIDER).get_job_logs, job_id) == 403
    # an input on a project fwbot cannot read: fwbot, the origin, may not read the logs
    other = project_doc(small_world, "other_project")
    small_world.grant(other, FWBOT, "read-write")
    notes = next(f for f in admin_fw.get(other_project).files if f.name == "notes.txt")
    two = premade(gear, session, lic)
    two["inputs"] = {"freesurfer_license": notes.ref()}
    two_id = fw.add_job(two)
    small_world.grant(other, FWBOT, small_world.add_role("blind", ["jobs_view"]))
    assert status_of(fw.get_job_logs, two_id) == 403
    assert status_of(viewer.get_job_logs, two_id) == 403
    assert admin_fw.get_job_logs(two_id).logs is not None
    # no inputs: the destination's container decides
    bare = small_world.add_job(
        small_world.gears[gear.id], {"type": "session", "id": session.id}, origin=None
    )
    assert viewer.get_job_logs(bare["_id"]).logs is not None
    assert status_of(client_for(localfw, OUTSIDER).get_job_logs, bare["_id"]) == 403


def test_running_gears_needs_the_roles_actions(
    localfw: LocalFlywheel, fw: Any, small_world: World
) -> None:
    """Flywheel's role actions (flywheel.models.Action): an analysis with a job needs
    ``analyses_create_job``, a job on a container ``jobs_manage``, on the destination's
    project. Core checks ``check_access(uid, 'ro')`` on inputs; no source for the action
    'ro' is now, so the stricter reading: their files must be downloadable
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
    only when it does not exist (no source; stricter: lookup too)."""
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
    """No source; stricter: a permission entry only shows a project when one of its roles
    has ``containers_view_metadata``."""
    blind = small_world.add_role("jobs-only", ["jobs_view"])
    small_world.grant(project_doc(small_world), VIEWER, blind)
    viewer = client_for(localfw, VIEWER)
    assert viewer.get_all_projects() == []
    assert status_of(viewer.get, project_doc(small_world)["_id"]) == 403


# -- what a key sees of other people -----------------------------------------------------
def perm_ids(container: Any) -> set[str]:
    return {p.id for p in container.permissions}


EVERYONE = {ADMIN, FWBOT, EDITOR, VIEWER}


def test_listings_show_a_plain_user_only_their_own_permission_entry(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any, small_world: World
) -> None:
    """Core's ContainerHandler.get_all: "return only permissions of the current user unless
    superuser" (``_filter_all_permissions``), whatever the user's role, admin included."""
    small_world.grant(project_doc(small_world), EDITOR, "admin")
    editor = client_for(localfw, EDITOR)
    for who, uid in ((fw, FWBOT), (editor, EDITOR), (client_for(localfw, VIEWER), VIEWER)):
        (listed,) = who.get_all_projects()
        assert perm_ids(listed) == {uid}
        assert perm_ids(who.projects.find_first("label=gear_testing")) == {uid}
    listed = {x.label: x for x in admin_fw.get_all_projects()}
    assert perm_ids(listed["gear_testing"]) == EVERYONE


def test_a_single_project_shows_the_whole_list_only_to_its_admins(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any, small_world: World
) -> None:
    """Core's ContainerHandler.get and ``_filter_permissions``: "if the user is not admin
    only her permissions are returned" (``access != 'admin'``); a site admin gets every
    entry. Roles replaced access levels: no source says which count as admin, so the
    strict reading: only the built-in admin role (``default_flywheel_role`` admin), never a
    custom role, not even one with every action. Every way to read one project filters
    alike: GET /projects/{id}, /containers/{id}, lookup."""
    small_world.grant(project_doc(small_world), FWBOT, "read-write")  # a plain role here
    pid = project(fw).id
    doc = project_doc(small_world)
    small_world.grant(doc, EDITOR, "admin")
    everything = small_world.add_role("all-but-admin", [a.value for a in Action])
    small_world.grant(doc, VIEWER, everything)
    editor, viewer = client_for(localfw, EDITOR), client_for(localfw, VIEWER)
    for read in (
        lambda c: c.get_project(pid),
        lambda c: c.get(pid),
        lambda c: c.lookup("pennlinc/gear_testing"),
    ):
        assert perm_ids(read(fw)) == {FWBOT}
        assert perm_ids(read(viewer)) == {VIEWER}
        assert perm_ids(read(editor)) == EVERYONE
        assert perm_ids(read(admin_fw)) == EVERYONE


def test_groups_show_the_whole_list_to_group_admins(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any, small_world: World
) -> None:
    """Core's GroupHandler.get and get_all filter with GroupHandler._filter_permissions:
    a group admin (``access`` admin on the group) sees every entry, listed or single;
    anyone else their own; a site admin everything."""
    group = small_world.groups["pennlinc"]
    group["permissions"] = [
        {"_id": EDITOR, "access": "admin"},
        {"_id": FWBOT, "access": "rw"},
    ]
    editor = client_for(localfw, EDITOR)
    for read in (lambda c: c.get_all_groups()[0], lambda c: c.get_group("pennlinc")):
        assert perm_ids(read(fw)) == {FWBOT}
        assert perm_ids(read(editor)) == {EDITOR, FWBOT}
        assert perm_ids(read(admin_fw)) == {EDITOR, FWBOT}
    viewer = client_for(localfw, VIEWER)  # sees the group through a project, holds no entry
    assert perm_ids(viewer.get_group("pennlinc")) == set()


def test_permission_filtering_can_be_turned_off(
    localfw: LocalFlywheel, fw: Any, small_world: World
) -> None:
    """A knob for tests of code that must also work where a key sees every entry
    (``context.filter_permissions = False``); not a behaviour of any documented site."""
    localfw.context.filter_permissions = False
    assert perm_ids(fw.get_all_projects()[0]) == EVERYONE
    assert perm_ids(fw.get(project(fw).id)) == EVERYONE
