"""Conformance: the nested analyses list pages and inflates jobs, as Flywheel core does.

Source: Flywheel core, ``api/handlers/refererhandler.py`` ``AnalysesHandler.get_all``
(flywheel-io/core, as forked on GitHub), which serves ``/{cont}/{id}/{sub}/analyses``:

    page = self.storage.get_all_el(query, None, {'info': 0, 'files.info': 0},
                                   pagination=self.pagination)
    if self.is_true('inflate_job'):
        for analysis in page['results']:
            self.storage.inflate_job_info(analysis, remove_phi=True)

``self.pagination`` is core's list paging (``filter``, ``sort``, ``limit``, ``after_id``);
``inflate_job_info(remove_phi=True)`` puts the job itself in place of its id, less
``produced_metadata`` (``job_util.remove_potential_phi_from_job``). SDK 23.0.0's
``get_analyses`` sends no query parameters, so these go through the SDK's ``call_api``.
"""

from __future__ import annotations

import json
from typing import Any

from localfw.server import LocalFlywheel
from tests.localfw.helpers import client_for, license_file, project, qsiprep

OTHER = "editor@example.org"  # read-write on the small world's gear_testing


def nested(fw: Any, project_id: str, **query: Any) -> list[dict[str, Any]]:
    api = fw.api_client
    response = api.call_api(
        "/{container_name}/{container_id}/{subcontainer_name}/analyses",
        "GET",
        {"container_name": "projects", "container_id": project_id, "subcontainer_name": "sessions"},
        list(query.items()),
        {"Accept": "application/json"},
        auth_settings=["ApiKey"],
        _return_http_data_only=True,
        _preload_content=False,
    )
    result: list[dict[str, Any]] = json.loads(response.content)
    return result


def test_inflate_job_gives_each_analysis_its_job(localfw: LocalFlywheel, fw: Any) -> None:
    """A run made by another user (a script, the web UI) shows its job's state, origin and
    tags in the list itself; without ``inflate_job`` the job stays an id."""
    other = client_for(localfw, OTHER)
    p = project(other)
    session = p.sessions.find_first()
    gear = other.lookup("gears/qsiprep-hpc")
    lic = next(f for f in other.get(p.id).files if f.name == "license.txt")
    gear.run(analysis_label="by-script", inputs={"freesurfer_license": lic}, destination=session)
    plain = nested(fw, p.id)
    assert [a["label"] for a in plain] == ["by-script"] and isinstance(plain[0]["job"], str)
    localfw.world.jobs[plain[0]["job"]]["produced_metadata"] = {"subject": "may hold PHI"}
    (inflated,) = nested(fw, p.id, inflate_job="true")
    job = inflated["job"]
    assert job["id"] == plain[0]["job"] and job["state"] == "pending"
    assert job["origin"] == {"type": "user", "id": OTHER}
    assert "analysis" in job["tags"] and "produced_metadata" not in job
    assert job["destination"] == {"type": "analysis", "id": inflated["_id"]}


def test_nested_analyses_page_with_after_id(localfw: LocalFlywheel, fw: Any) -> None:
    """``limit`` and ``after_id`` page the list in id order, like every list endpoint."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    sessions = p.sessions.find(limit=5)
    ids = [
        gear.run(analysis_label=f"a{i}", inputs={"freesurfer_license": lic}, destination=s)
        for i, s in enumerate(sessions)
    ]
    first = nested(fw, p.id, limit=2, inflate_job="true")
    second = nested(fw, p.id, limit=2, after_id=first[-1]["_id"], inflate_job="true")
    rest = nested(fw, p.id, limit=2, after_id=second[-1]["_id"])
    assert [a["_id"] for a in first + second + rest] == sorted(ids)
    assert nested(fw, p.id, limit=2, after_id=rest[-1]["_id"]) == []
    assert all(isinstance(a["job"], dict) for a in first + second)
