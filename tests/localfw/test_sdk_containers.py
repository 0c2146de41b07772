"""The unmodified SDK against the local server: identity, hierarchy, finders, paging."""

from __future__ import annotations

from typing import Any

import flywheel
import pytest

from localfw.server import LocalFlywheel
from localfw.world import World
from tests.fixtures.localfw import ADMIN, FWBOT, SMALL_SESSIONS, VIEWER
from tests.localfw.helpers import project_doc


def project(fw: Any) -> Any:
    return fw.projects.find_first("label=gear_testing")


def test_client_authenticates_and_bad_key_is_401(localfw: LocalFlywheel, fw: Any) -> None:
    assert fw.get_current_user().email == FWBOT
    bad = localfw.sdk_api_key.rsplit(":", 1)[0] + ":wrong"
    with pytest.raises(flywheel.ApiException) as info:
        flywheel.Client(bad)
    assert info.value.status == 401
    assert localfw.requests.count("GET", "/auth/status") >= 2


def test_gears_latest_by_default_and_lookup_by_version(fw: Any) -> None:
    gears = {g.gear.name: g.gear.version for g in fw.get_all_gears()}
    assert gears["qsiprep-hpc"] == "0.21.4"
    assert {"fmriprep", "dcm2niix", "flaky-gear"} <= set(gears)
    latest = fw.lookup("gears/qsiprep-hpc")
    assert latest.gear.version == "0.21.4" and latest.category == "analysis"
    assert fw.lookup("gears/qsiprep-hpc/0.20.0").gear.version == "0.20.0"
    all_versions = fw.get_all_gears(all_versions=True)
    assert len([g for g in all_versions if g.gear.name == "qsiprep-hpc"]) == 2
    with pytest.raises(flywheel.ApiException) as info:
        fw.lookup("gears/no-such-gear")
    assert info.value.status == 404


def test_project_finders(fw: Any, admin_fw: Any) -> None:
    assert [p.label for p in fw.projects.find("label=gear_testing")] == ["gear_testing"]
    # fwbot has no role on other_project: only a site admin lists it
    assert {p.label for p in fw.projects.iter_find("group=pennlinc")} == {"gear_testing"}
    assert {p.label for p in admin_fw.projects.iter_find("group=pennlinc")} == {
        "gear_testing",
        "other_project",
    }
    assert fw.projects.find_first("label=nope") is None
    assert fw.lookup("pennlinc/gear_testing").label == "gear_testing"


def test_children_page_past_250(localfw: LocalFlywheel, fw: Any) -> None:
    p = project(fw)
    localfw.requests.reset()
    sessions = p.sessions.find()  # the SDK pages by 250 with after_id until []
    assert len(sessions) == SMALL_SESSIONS > 250
    assert len({s.id for s in sessions}) == SMALL_SESSIONS
    # 250 + 60, then an empty page: three calls
    assert localfw.requests.count("GET", "/projects/{id}/sessions") == 3
    # calling the finder directly sends no limit: one default page (finder.py: "core-api
    # now requires a page limit")
    assert len(p.sessions()) == localfw.context.default_page_size == 100
    assert localfw.requests.count("GET", "/projects/{id}/sessions") == 4
    assert len(p.subjects()) == 100
    s = sessions[0]
    assert sorted(a.label for a in s.acquisitions()) == ["acq-64dir_dwi", "anat-T1w"]


def test_limit_is_honoured_without_cap(fw: Any) -> None:
    assert len(fw.sessions.find(limit=5)) == 5
    assert len(fw.sessions.find(limit=1000)) == SMALL_SESSIONS
    first = fw.sessions.find(limit=3)
    after = fw.get_all_sessions(limit=3, after_id=first[-1].id)
    assert after[0].id > first[-1].id


def test_acquisitions_across_a_project(fw: Any) -> None:
    p = project(fw)
    found = fw.acquisitions.find(f"parents.project={p.id},label=~acq-64dir")
    assert len(found) == SMALL_SESSIONS - SMALL_SESSIONS // 5
    assert all(a.label == "acq-64dir_dwi" for a in found)
    iterated = list(fw.acquisitions.iter_find(f"parents.project={p.id}", "label=anat-T1w"))
    assert len(iterated) == SMALL_SESSIONS


def test_session_filter_operators(small_world: World, fw: Any) -> None:
    s = fw.sessions
    assert len(s.find("label=ses-01")) == SMALL_SESSIONS // 2
    assert len(s.find("label!=ses-01")) == SMALL_SESSIONS // 2
    assert len(s.find("timestamp<2023-03-03")) == 2
    assert len(s.find("timestamp<=2023-03-03T09:00:00Z")) == 3
    assert len(s.find("timestamp>2024-01-01")) == len(s.find("timestamp>=2024-01-01"))
    assert len(s.find("subject.label=|[sub-0000,sub-0001]")) == 4
    assert len(s.find('subject.label="sub-0003"')) == 2
    assert len(s.find("subject.label=~^sub-000[0-4]$")) == 10
    sid = next(iter(small_world.sessions))
    small_world.sessions[sid]["label"] = "odd, label"
    assert [x.id for x in s.find(r"label=odd\, label")] == [sid]


def test_get_each_container_type(fw: Any) -> None:
    p = project(fw)
    subject = p.subjects.find_first()
    session = p.sessions.find_first()
    acq = session.acquisitions()[0]
    for cid, ctype in (
        (p.id, "project"),
        (subject.id, "subject"),
        (session.id, "session"),
        (acq.id, "acquisition"),
    ):
        got = fw.get(cid)
        assert got.container_type == ctype and got.id == cid
    with pytest.raises(flywheel.ApiException) as info:
        fw.get("000000000000000000000000")
    assert info.value.status == 404


def test_project_files_permissions_roles_users(fw: Any, admin_fw: Any, small_world: World) -> None:
    small_world.grant(project_doc(small_world), FWBOT, "read-write")  # a plain role here
    p = fw.get(project(fw).id)
    assert [f.name for f in p.files] == ["README.md", "license.txt", "dataset_description.json"]
    labels = {r.id: r.label for r in fw.get_all_roles()}
    # a plain key sees only its own entry (core's _filter_permissions); a site admin all
    assert {perm.id: labels[perm.role_ids[0]] for perm in p.permissions} == {FWBOT: "read-write"}
    whole = admin_fw.get(p.id).permissions
    assert {perm.id: labels[perm.role_ids[0]] for perm in whole} == {
        ADMIN: "admin",
        FWBOT: "read-write",
        "editor@example.org": "read-write",
        VIEWER: "read-only",
    }
    # another user's record is for that user and site admins
    assert admin_fw.get_user(VIEWER).firstname == "Vera"
    with pytest.raises(flywheel.ApiException) as info:
        fw.get_user(VIEWER)
    assert info.value.status == 403
    with pytest.raises(flywheel.ApiException) as info:
        admin_fw.get_user("nobody@example.org")
    assert info.value.status == 404


def test_unknown_route_is_404(localfw: LocalFlywheel) -> None:
    import json
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        localfw.url + "/no/such/route", headers={"Authorization": "scitran-user test-key"}
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req)
    assert info.value.code == 404
    assert json.loads(info.value.read())["status_code"] == 404
