"""Shared steps of the conformance tests: the small world's project, license and gear,
a premade job body, clients for other users, and a raw HTTP call for bodies the SDK
would refuse to build."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import flywheel

from localfw.server import LocalFlywheel
from localfw.world import Doc, World

OUTSIDER = "outsider@example.org"


def project(fw: Any) -> Any:
    return fw.projects.find_first("label=gear_testing")


def license_file(fw: Any) -> Any:
    return next(f for f in fw.get(project(fw).id).files if f.name == "license.txt")


def qsiprep(fw: Any) -> Any:
    return fw.lookup("gears/qsiprep-hpc")


def premade(gear: Any, session: Any, lic: Any, **extra: Any) -> dict[str, Any]:
    """A job body as ``POST /jobs/add`` and ``POST /batch/jobs`` take it (InputJob)."""
    return {
        "gear_id": gear.id,
        "destination": {"type": "session", "id": session.id},
        "inputs": {"freesurfer_license": lic.ref()},
        "config": {},
        **extra,
    }


def project_doc(world: World, label: str = "gear_testing") -> Doc:
    (doc,) = [p for p in world.projects.values() if p["label"] == label]
    return doc


def client_for(lf: LocalFlywheel, user: str) -> Any:
    """An SDK client with ``user``'s own key (the user is made if missing)."""
    if user not in lf.world.users:
        lf.world.add_user(user, user.split("@")[0].capitalize(), "Tester")
    return flywheel.Client(lf.key_for(user))


def raw(
    lf: LocalFlywheel, method: str, path: str, body: Any = None, *, key: str | None = None
) -> tuple[int, Any]:
    """One request outside the SDK: (status, JSON body). ``key`` is an SDK key
    (``host:port:__force_insecure:KEY``) or a bare one; fwbot's by default."""
    bare = (key or lf.api_key).rsplit(":", 1)[-1]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        lf.url + path,
        data=data,
        method=method,
        headers={
            "Authorization": f"scitran-user {bare}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def status_of(call: Any, *args: Any, **kwargs: Any) -> int:
    """The HTTP status an SDK call fails with (AssertionError if it succeeds)."""
    try:
        call(*args, **kwargs)
    except flywheel.ApiException as exc:
        return int(exc.status)
    raise AssertionError(f"{getattr(call, '__name__', call)} succeeded")
