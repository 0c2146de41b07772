"""Conformance: roles as a real site has them, read through the unmodified SDK.

Sources: the SDK's RoleOutput model (``_id``, ``label``, ``default_flywheel_role``,
``actions``, ``in_use``), its Action and DefaultFlywheelRole enums, and roles_api
docstrings (quoted per test).
"""

from __future__ import annotations

from typing import Any

import flywheel
from flywheel.models.action import Action

from localfw.demo_world import (
    AUDITOR_ROLE,
    DEMO_ADMIN,
    DEMO_AUDITOR,
    DEMO_BOT,
    DEMO_RUNNER,
    RUNNER_ROLE,
)
from localfw.server import LocalFlywheel
from localfw.world import World
from tests.localfw.helpers import OUTSIDER, client_for, status_of


def by_label(fw: Any) -> dict[str, Any]:
    return {r.label: r for r in fw.get_all_roles()}


def test_built_in_roles_carry_default_role_and_actions(fw: Any) -> None:
    """roles_api.get_all_roles: 'Return a page of roles or all roles.' The built-in roles
    map to DefaultFlywheelRole ro / rw / admin; admin holds every Action."""
    roles = by_label(fw)
    assert {k: r.id for k, r in roles.items()} == {
        "read-only": "role-read-only",
        "read-write": "role-read-write",
        "admin": "role-admin",
    }
    assert {k: r.default_flywheel_role for k, r in roles.items()} == {
        "read-only": "ro",
        "read-write": "rw",
        "admin": "admin",
    }
    ro, rw, admin = (set(roles[x].actions) for x in ("read-only", "read-write", "admin"))
    assert {"containers_view_metadata", "files_download", "jobs_view"} <= ro
    assert ro < rw and {"analyses_create_job", "jobs_manage", "tags_manage"} <= rw - ro
    assert "jobs_manage_others" not in rw and "project_permissions_manage" not in rw
    assert admin == {a.value for a in Action}
    assert all(r.in_use for r in roles.values())


def test_custom_roles_have_no_default_role(
    localfw: LocalFlywheel, fw: Any, small_world: World
) -> None:
    """RoleOutput.default_flywheel_role is set only for built-in roles; a site admin's
    custom role has its own ``actions``. roles_api.get_role: 'Return the role identified
    by the RoleId.' Any user may read roles by default (no source either way; a project's
    permissions name role ids every member must resolve; see roles_readable below)."""
    rid = small_world.add_role("pipeline", ["containers_view_metadata", "analyses_create_job"])
    role = fw.get_role(rid)
    assert role.label == "pipeline" and role.default_flywheel_role is None
    assert role.actions == ["containers_view_metadata", "analyses_create_job"]
    assert role.in_use is False
    outsider = client_for(localfw, OUTSIDER)
    assert "pipeline" in by_label(outsider)
    assert status_of(fw.get_role, "f" * 24) == 404


def test_the_demo_sites_custom_roles(demo_localfw: LocalFlywheel) -> None:
    """The demo site, like a lab's: a "pipeline-runner" and an "auditor" role, both custom
    (no default_flywheel_role), held on gear_testing. Who holds them is seen as core's
    ``_filter_permissions`` shows it: the project's admin and the site admin see every
    entry; fwbot's plain key and each custom-role holder see only their own."""
    fw = flywheel.Client(demo_localfw.sdk_api_key)
    roles = by_label(fw)
    runner, auditor = roles[RUNNER_ROLE], roles[AUDITOR_ROLE]
    assert runner.default_flywheel_role is None and auditor.default_flywheel_role is None
    assert "analyses_create_job" in runner.actions and "jobs_manage" in runner.actions
    assert all("view" in a for a in auditor.actions) and runner.in_use and auditor.in_use
    project = fw.projects.find_first("label=gear_testing")
    for key in (demo_localfw.admin_sdk_api_key, demo_localfw.key_for(DEMO_ADMIN)):
        held = {p.id: p.role_ids for p in flywheel.Client(key).get(project.id).permissions}
        assert held[DEMO_RUNNER] == [runner.id] and held[DEMO_AUDITOR] == [auditor.id]
        assert held[DEMO_BOT] == [roles["read-write"].id]
    assert [p.id for p in fw.get(project.id).permissions] == [DEMO_BOT]
    for user, role in ((DEMO_RUNNER, runner), (DEMO_AUDITOR, auditor)):
        own = flywheel.Client(demo_localfw.key_for(user)).get(project.id).permissions
        assert [(p.id, p.role_ids) for p in own] == [(user, [role.id])]


def test_reading_roles_can_be_for_site_admins_only(localfw: LocalFlywheel, fw: Any) -> None:
    """Whether a plain user may read roles is undocumented (roles_api says only 'Return a
    page of roles or all roles.'). localfw serves them to any logged-in user by default;
    ``context.roles_readable = False`` is a site that keeps them for site admins (403)."""
    rid = fw.get_all_roles()[0].id
    localfw.context.roles_readable = False
    assert status_of(fw.get_all_roles) == 403
    assert status_of(fw.get_role, rid) == 403
    admin = flywheel.Client(localfw.admin_sdk_api_key)
    assert admin.get_role(rid).id == rid and len(admin.get_all_roles()) == 3
