"""`/fw help`, `/fw gears`, `/fw gear` from Slack to the local Flywheel and back."""

from __future__ import annotations

import json
from typing import Any

from localfw.server import LocalFlywheel
from tests.fixtures.slack import Slash


def rendered(answer: dict[str, Any]) -> str:
    return answer["text"] + json.dumps(answer.get("blocks", []), ensure_ascii=False)


def test_gears_lists_the_sites_gears_with_labels_and_versions(slash: Slash) -> None:
    answer = slash("gears").answer()

    text = rendered(answer)
    for name in ("qsiprep-hpc", "fmriprep-fwheudiconv", "dcm2niix", "curate-bids"):
        assert name in text
    assert "0.2.2_1.5.2" in text  # the tutorial's fmriprep-fwheudiconv version
    assert answer["response_type"] == "ephemeral"


def test_gears_filter_narrows_the_list(slash: Slash) -> None:
    text = rendered(slash("gears qsiprep").answer())

    assert "qsiprep-hpc" in text and "qsiprep-fw" in text
    assert "dcm2niix" not in text


def test_gear_shows_the_manifest_from_flywheel(slash: Slash) -> None:
    text = rendered(slash("gear qsiprep-hpc").answer())

    assert "freesurfer_license" in text
    assert "hmc_model" in text and "eddy" in text
    assert "output_space" in text and "T1w" in text


def test_unknown_gear_suggests_a_real_one(slash: Slash) -> None:
    answer = slash("gear qsiprep-hcp").answer()

    assert answer["response_type"] == "ephemeral"
    assert "qsiprep-hpc" in rendered(answer)


def test_a_flywheel_outage_is_a_short_message_not_a_traceback(
    slash: Slash, demo_localfw: LocalFlywheel
) -> None:
    demo_localfw.knobs.set_errors(rate=1.0, kinds=("500",), route=r"^/gears")

    answer = slash("gears").answer()

    assert "500" in answer["text"]
    assert "Traceback" not in rendered(answer)
    assert answer["response_type"] == "ephemeral"


def test_flywheel_down_while_resolving_the_user_is_acked_then_answered(
    slash: Slash, demo_localfw: LocalFlywheel
) -> None:
    demo_localfw.knobs.set_errors(rate=1.0, kinds=("500",))

    call = slash("gears")

    assert (call.http.status, call.http.body) == (200, "")  # the ack waits for nothing
    answer = call.answer()
    assert "Flywheel" in answer["text"] and "500" in answer["text"]
    assert answer["response_type"] == "ephemeral"


def test_help_lists_the_commands(slash: Slash) -> None:
    text = rendered(slash("help").answer())

    assert "gears" in text and "gear" in text
