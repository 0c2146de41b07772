"""Every HTTP request to Flywheel is counted under its route template and its real status,
each retry the SDK makes included (``bot.flywheel.metering``)."""

from __future__ import annotations

import pytest

from bot.errors import FlywheelUnavailable
from bot.flywheel.calls import connect, gateway_call
from bot.flywheel.metering import meter_requests, route_of
from bot.observe import metrics
from localfw.server import LocalFlywheel

REQUESTS = "fwbot_flywheel_requests_total"
PROJECT_ID = "5f0c3a9be4b0d7a1c2e3f4a5"


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("get", f"/api/projects/{PROJECT_ID}/sessions", "GET /api/projects/{id}/sessions"),
        ("GET", "/api/auth/status", "GET /api/auth/status"),
        ("GET", "/api/users/self/jobs", "GET /api/users/self/jobs"),
        ("POST", f"/api/sessions/{PROJECT_ID}/analyses", "POST /api/sessions/{id}/analyses"),
        ("GET", f"/api/jobs/{PROJECT_ID}/config.json", "GET /api/jobs/{id}/config.json"),
        ("GET", "/api/groups/pennlinc", "GET /api/groups/{id}"),  # a group's id is a word
        ("GET", "/api/users/ada@lab.org", "GET /api/users/{id}"),
        (
            "GET",
            f"/api/projects/{PROJECT_ID}/files/license.txt",
            "GET /api/projects/{id}/files/{id}",
        ),
        ("GET", "/api/" + "/".join(["projects"] * 20), "GET /api" + "/projects" * 7),
    ],
)
def test_routes_are_templated_so_no_id_or_name_becomes_a_label(
    method: str, path: str, route: str
) -> None:
    assert route_of(method, path) == route


def count(route: str, status: str) -> float:
    return metrics.sample(REQUESTS, {"route": route, "status": status})


def test_each_request_and_each_retry_is_counted_with_its_status(localfw: LocalFlywheel) -> None:
    login = "GET /api/auth/status"
    before = count(login, "200"), count(login, "502")

    client = connect(localfw.sdk_api_key, backoff_max=0.01)
    meter_requests(client)  # again: still counted once
    assert count(login, "200") == before[0] + 1

    localfw.knobs.set_outage(r"auth/status", kinds=("502",))
    with pytest.raises(FlywheelUnavailable):
        gateway_call("localfw", client.get_auth_status)  # 1 try + 2 retries, all 502
    assert count(login, "502") == before[1] + 3
    localfw.knobs.clear_outage()


def test_a_dead_flywheel_counts_as_error(localfw: LocalFlywheel) -> None:
    login = "GET /api/auth/status"
    before = count(login, "error")
    localfw.knobs.set_outage(kinds=("drop",))

    with pytest.raises(FlywheelUnavailable):
        connect(localfw.sdk_api_key, backoff_max=0.01)

    assert count(login, "error") == before + 3  # the try and its two retries
    localfw.knobs.clear_outage()
