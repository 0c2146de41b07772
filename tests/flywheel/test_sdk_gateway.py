"""The gateway over the real flywheel-sdk, against the local Flywheel over HTTP."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
from pathlib import Path

import pytest

from bot.errors import FlywheelUnavailable
from bot.flywheel.sdk_gateway import SdkGateway
from localfw.demo_world import (
    DEMO_ADMIN,
    DEMO_ANALYST,
    DEMO_BOT,
    DEMO_DWI_SESSIONS,
    DEMO_ODD_PROJECT,
    DEMO_OUTSIDER,
    DEMO_PROJECT,
    DEMO_VIEWER,
)
from localfw.server import LocalFlywheel


def test_list_gears_gives_the_latest_version_of_each_gear_by_name(demo_gateway: SdkGateway) -> None:
    gears = demo_gateway.list_gears()
    names = [g.name for g in gears]
    assert names == sorted(names)
    assert len(names) == len(set(names))
    by_name = {g.name: g for g in gears}
    assert by_name["fmriprep-fwheudiconv"].version == "0.2.2_1.5.2"
    assert by_name["fmriprep-fwheudiconv"].label == (
        "fMRIPREP: A Robust Preprocessing Pipeline for fMRI Data [fw-heudiconv]"
    )
    assert by_name["dcm2niix"].category == "converter"


def test_get_gear_has_versions_newest_first_and_the_manifest_in_full(
    demo_gateway: SdkGateway,
) -> None:
    detail = demo_gateway.get_gear("qsiprep-hpc")
    assert detail is not None
    assert detail.versions[0] == detail.summary.version
    assert len(detail.versions) >= 2
    license_input = next(i for i in detail.inputs if i.name == "freesurfer_license")
    assert license_input.optional is False
    assert "license" in license_input.description.lower()
    options = {o.name: o for o in detail.config}
    assert "eddy" in (options["hmc_model"].enum or [])
    assert options["output_space"].default == "T1w"


def test_get_gear_pins_a_version_and_says_none_for_unknown(demo_gateway: SdkGateway) -> None:
    detail = demo_gateway.get_gear("fmriprep-fwheudiconv")
    assert detail is not None
    older = detail.versions[-1]
    pinned = demo_gateway.get_gear("fmriprep-fwheudiconv", older)
    assert pinned is not None and pinned.summary.version == older
    assert demo_gateway.get_gear("fmriprep-fwheudiconv", "9.9.9") is None
    assert demo_gateway.get_gear("no-such-gear") is None


@pytest.mark.parametrize(
    "label",
    [
        'x",label=~.*',  # tries to close the quote and add a regex term
        "gear_.*",  # a regex where a literal is expected
        "gear_testing,label!=nothing",  # tries to add a term after a comma
        'gear_testing\\",label=~.',  # backslash games
        "",
    ],
)
def test_find_project_never_widens_the_query(demo_gateway: SdkGateway, label: str) -> None:
    assert demo_gateway.find_project(label) is None


def test_find_project_matches_labels_with_commas_and_quotes_exactly(
    demo_gateway: SdkGateway,
) -> None:
    project = demo_gateway.find_project(DEMO_ODD_PROJECT)
    assert project is not None and project.label == DEMO_ODD_PROJECT
    testing = demo_gateway.find_project(DEMO_PROJECT)
    assert testing is not None and testing.group == "pennlinc"


def test_sessions_with_acquisition_finds_the_tutorials_1329_in_a_few_requests(
    demo_gateway: SdkGateway, demo_localfw: LocalFlywheel
) -> None:
    project = demo_gateway.find_project(DEMO_PROJECT)
    assert project is not None
    demo_localfw.requests.reset()
    sessions = demo_gateway.sessions_with_acquisition(project.project_id, "acq-64dir_dwi")
    assert len(sessions) == DEMO_DWI_SESSIONS
    assert len({s.session_id for s in sessions}) == DEMO_DWI_SESSIONS
    assert all(s.subject_label.startswith("sub-") for s in sessions)
    assert demo_localfw.requests.count() <= 4  # paged queries, not one per session


def test_sessions_with_acquisition_treats_the_text_literally(demo_gateway: SdkGateway) -> None:
    project = demo_gateway.find_project(DEMO_PROJECT)
    assert project is not None
    assert demo_gateway.sessions_with_acquisition(project.project_id, "acq-.*") == []


def test_project_roles_come_from_the_permissions_list(
    demo_gateway: SdkGateway, demo_localfw: LocalFlywheel
) -> None:
    """A project admin's key sees the whole list; fwbot's plain key only its own entry."""
    project = demo_gateway.find_project(DEMO_PROJECT)
    assert project is not None
    admins = SdkGateway.connect(demo_localfw.key_for(DEMO_ADMIN))
    members = admins.project_members(project.project_id)
    assert members.complete
    assert members.roles[DEMO_ADMIN] == "admin"
    assert members.roles[DEMO_ANALYST] == "read-write"
    assert members.roles[DEMO_VIEWER] == "read-only"
    assert DEMO_OUTSIDER not in members.roles
    own = demo_gateway.project_members(project.project_id)
    assert own.roles == {DEMO_BOT: "read-write"} and not own.complete


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_dead_site_fails_with_a_message_naming_it() -> None:
    port = _free_port()
    with pytest.raises(FlywheelUnavailable) as err:
        SdkGateway.connect(f"127.0.0.1:{port}:__force_insecure:key")
    assert f"127.0.0.1:{port}" in err.value.message
    assert "Cannot reach Flywheel" in err.value.message


def test_a_wrong_key_fails_with_a_message_naming_the_site(demo_localfw: LocalFlywheel) -> None:
    with pytest.raises(FlywheelUnavailable) as err:
        SdkGateway.connect(f"127.0.0.1:{demo_localfw.port}:__force_insecure:wrong")
    assert "rejected" in err.value.message
    assert f"127.0.0.1:{demo_localfw.port}" in err.value.message
    assert "wrong" not in err.value.user_text()  # never echo the secret


def test_a_server_error_names_the_status(
    demo_gateway: SdkGateway, demo_localfw: LocalFlywheel
) -> None:
    demo_localfw.knobs.set_errors(rate=1.0, kinds=("500",))
    with pytest.raises(FlywheelUnavailable) as err:
        demo_gateway.list_gears()
    assert "500" in err.value.message


def test_a_site_that_is_not_flywheel_fails_with_a_message_naming_it(tmp_path: Path) -> None:
    """Something answers on the port (here: a plain file server), but not Flywheel's API."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        with pytest.raises(FlywheelUnavailable) as err:
            SdkGateway.connect(f"127.0.0.1:{port}:__force_insecure:key")
    finally:
        server.shutdown()
    assert f"127.0.0.1:{port}" in err.value.message
    assert "Flywheel site" in err.value.message
