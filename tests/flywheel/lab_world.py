"""A small lab world for the gateway's paging and identity tests: users whose ``_id`` is not
their email, four projects with different roles for fwbot's key, a gear with three versions
(the newest added last, so it sits on the last page of a capped listing), custom roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from localfw.server import LocalFlywheel
from localfw.world import World
from tests.fixtures.localfw import add_flaky_and_converter_gears, analysis_manifest

ADMIN = "u-0001-admin"  # root: the site admin
FWBOT = "u-0002-fwbot"  # fwbot's key: a plain user
LEAD = "u-0003-lead"  # admin of alpha and beta, not a site admin
EDITOR = "u-0004-editor"
VIEWER = "u-0005-viewer"
EMAILS = {
    ADMIN: "ada.admin@example.org",
    FWBOT: "fwbot@example.org",
    LEAD: "Lena.Lead@Example.org",  # stored with capitals
    EDITOR: "editor@example.org",
    VIEWER: "viewer@example.org",
}
NEWEST_QSIPREP = "0.22.1"
MANAGER_ACTIONS = [
    "containers_view_metadata",
    "analyses_create_job",
    "jobs_manage",
    "jobs_manage_others",
]


def build_lab_world() -> World:
    world = World(seed=11, service_account=FWBOT)
    for uid, email in EMAILS.items():
        first, _, last = email.partition("@")[0].partition(".")
        world.add_user(email, first, last or "user", root=uid == ADMIN, user_id=uid)
    manager = world.add_role("lab manager", MANAGER_ACTIONS)
    world.add_role("auditor", ["containers_view_metadata", "jobs_view"])
    world.add_group("lab", "The Lab")
    alpha = world.add_project(
        "lab",
        "alpha",
        file_names=["license.txt"],
        roles={LEAD: "admin", FWBOT: "read-write", EDITOR: "read-write", VIEWER: "read-only"},
    )
    world.add_project("lab", "beta", file_names=[], roles={LEAD: "admin", FWBOT: "read-only"})
    world.add_project("lab", "gamma", file_names=[], roles={FWBOT: "admin", EDITOR: "read-only"})
    world.add_project("lab", "hidden", file_names=[], roles={LEAD: "admin"})
    delta = world.add_project("lab", "delta", file_names=[], roles={EDITOR: "admin"})
    world.grant(delta, FWBOT, manager)  # admin by its actions, not the built-in admin role
    start = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    for i in range(6):
        subject = world.add_subject(alpha, f"sub-{i:02d}")
        session = world.add_session(subject, "ses-01", start + timedelta(days=i))
        world.add_acquisition(session, "anat-T1w", ["t1.nii.gz"])
        world.add_acquisition(session, "acq-64dir_dwi", ["dwi.nii.gz"])
    qsi = {"hmc_model": {"type": "string", "default": "eddy", "enum": ["eddy", "3dSHORE"]}}
    for n, version in enumerate(("0.20.0", "0.21.4", NEWEST_QSIPREP)):
        world.add_gear(
            analysis_manifest("qsiprep-hpc", version, qsi),
            category="analysis",
            created=datetime(2023, 6 + n, 1, tzinfo=UTC),
        )
    world.add_gear(
        analysis_manifest("fmriprep", "1.0.0", {}),
        category="analysis",
        created=datetime(2023, 12, 1, tzinfo=UTC),
    )
    add_flaky_and_converter_gears(world)
    return world


def project_id(world: World, label: str) -> str:
    return str(next(p["_id"] for p in world.projects.values() if p["label"] == label))


def cap_pages(lf: LocalFlywheel, size: int) -> None:
    """A site that answers ``size`` items to a listing without ``limit`` and caps any
    ``limit`` at ``size``."""
    context: Any = lf.context
    context.default_page_size = size
    context.max_page_size = size
