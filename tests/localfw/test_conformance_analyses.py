"""Conformance: analyses listed under a container, through the unmodified SDK.

Source: analyses_api.get_analyses ('Returns analyses that belong to containers of the
specified type that belong to ContainerId. Ex: `projects/{ProjectId}/acquisitions/analyses`
will return any analyses that have an acquisition that is under that project as a
parent. The `all` keyword is also supported'), rtype list[AnalysisListOutput].
"""

from __future__ import annotations

from typing import Any

from localfw.server import LocalFlywheel
from localfw.world import World
from tests.localfw.helpers import license_file, project, project_doc, qsiprep, status_of


def test_nested_analyses_by_level(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any, small_world: World
) -> None:
    """Analyses of the sessions (or acquisitions, or ``all``) under a project, in the
    AnalysisListOutput shape: ``job`` is the job's id, with ``gear_info``, ``parent``,
    ``parents`` and ``files``. The ``/projects/{id}/analyses`` route still lists the
    project's own analyses only."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    sessions = p.sessions.find(limit=2)
    ids = [
        gear.run(analysis_label=f"a{i}", inputs={"freesurfer_license": lic}, destination=s)
        for i, s in enumerate(sessions)
    ]
    acquisition = sessions[0].acquisitions()[0]
    small_world.add_analysis(small_world.acquisitions[acquisition.id], "on-acq")
    small_world.add_analysis(project_doc(small_world), "on-project")
    found = fw.get_analyses("projects", p.id, "sessions")
    assert [a.id for a in found] == ids
    first = found[0]
    assert isinstance(first.job, str) and admin_fw.get_job(first.job).destination.id == first.id
    assert first.gear_info.name == "qsiprep-hpc" and first.label == "a0"
    assert first.parent.type == "session" and first.parent.id == sessions[0].id
    assert first.parents.project == p.id and first.files == []
    assert [a.label for a in fw.get_analyses("projects", p.id, "acquisitions")] == ["on-acq"]
    every = {a.label for a in fw.get_analyses("projects", p.id, "all")}
    assert every == {"a0", "a1", "on-acq", "on-project"}
    assert [a.label for a in fw.get_analyses("sessions", sessions[0].id, "all")] == [
        "a0",
        "on-acq",
    ]
    assert [a.label for a in fw.get_project_analyses(p.id)] == ["on-project"]


def test_nested_analyses_refusals(localfw: LocalFlywheel, fw: Any, small_world: World) -> None:
    """A container that does not exist is a 404, one the user may not view a 403.
    Core's AnalysesHandler.get_all: a level not below the container is a 400 ("{} not a
    child of {} or 'all'."); only projects, subjects and sessions hold others (a 404
    route; no source for subjects, which that core lacks)."""
    p = project(fw)
    session = p.sessions.find_first()
    other = project_doc(small_world, "other_project")["_id"]
    assert status_of(fw.get_analyses, "projects", "f" * 24, "sessions") == 404
    assert status_of(fw.get_analyses, "projects", other, "sessions") == 403
    assert status_of(fw.get_analyses, "sessions", session.id, "subjects") == 400
    assert status_of(fw.get_analyses, "acquisitions", session.id, "all") == 404
