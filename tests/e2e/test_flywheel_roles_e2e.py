"""End to end with fwbot's plain key: custom Flywheel roles read by their actions, and
Flywheel's own refusals (403, 404) answered in one line, never "something went wrong"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.polling import PATIENCE
from bot.domain import TargetState
from bot.service import Services
from bot.service.policy import Policy
from bot.store.db import Store
from commands.buttons import ButtonValue
from localfw.demo_world import DEMO_OPS
from localfw.server import LocalFlywheel
from tests.fixtures.slack import Click, Slash

LAUNCH = "launch qsiprep-hpc project=gear_testing"


@pytest.fixture
def e2e_policy() -> Policy:
    return Policy(bot_admins=[DEMO_OPS], max_batch_without_approval=2000)


def visible(answer: dict[str, Any]) -> str:
    return str(answer.get("text", "")) + json.dumps(answer.get("blocks", []))


def test_a_custom_role_with_launch_actions_can_launch(
    slash: Slash, click: Click, slack_services: Services, sqlite_store: Store
) -> None:
    """runner@ holds "pipeline-runner" (analyses_create_job, jobs_manage; no
    default_flywheel_role): fwbot reads that as read-write, never by the label."""
    answer = slash(LAUNCH, user_id="U0RUNNER").answer()
    [batch_id] = {
        ButtonValue.model_validate_json(element["value"]).batch
        for block in answer["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }

    click("fw_confirm", batch_id, user_id="U0RUNNER").answer()
    slack_services.workers.wait_idle(PATIENCE)

    counts = sqlite_store.batches.target_counts(batch_id)
    assert counts[TargetState.LAUNCHED] == 1_329


def test_a_custom_view_only_role_may_look_but_not_launch(
    slash: Slash, demo_localfw: LocalFlywheel
) -> None:
    demo_localfw.requests.reset()

    preview = slash(f"{LAUNCH} dry-run", user_id="U0AUDITOR").answer()
    refused = slash(LAUNCH, user_id="U0AUDITOR").answer()

    assert "1,329" in visible(preview)
    assert "You have read-only access to `gear_testing`" in visible(refused)
    assert demo_localfw.requests.writes() == []


def test_a_403_from_flywheel_is_one_clear_line(slash: Slash, demo_localfw: LocalFlywheel) -> None:
    """fwbot's role on the project was narrowed after it started: Flywheel says 403."""
    demo_localfw.knobs.set_errors(1.0, ["403"], route=r"/sessions/analyses$")

    answer = slash(f"{LAUNCH} dry-run").answer()

    text = visible(answer)
    assert "Flywheel refused this (403)" in text
    assert "role" in text
    assert "went wrong" not in text and "Traceback" not in text


def test_a_404_from_flywheel_is_one_clear_line(slash: Slash, demo_localfw: LocalFlywheel) -> None:
    demo_localfw.knobs.set_errors(1.0, ["404"], route=r"^/gears$")

    answer = slash("gears").answer()

    text = visible(answer)
    assert "Flywheel refused this (404)" in text
    assert "went wrong" not in text and "Traceback" not in text
