"""End to end: the real bolt app over signed HTTP, services on the real SDK gateway,
the demo world in the local Flywheel, a real store, and Slack's Web API mocked."""

from __future__ import annotations

import pytest

from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services
from bot.service.policy import Policy
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from localfw.demo_world import (
    DEMO_ADMIN,
    DEMO_ANALYST,
    DEMO_AUDITOR,
    DEMO_OPS,
    DEMO_OUTSIDER,
    DEMO_RUNNER,
    DEMO_VIEWER,
)
from localfw.server import LocalFlywheel
from tests.fakes import REPO_CONFIGS
from tests.fixtures.accounts import build_linked_services

# Slack users of the e2e workspace; U0ALICE is the default sender of `slash(...)`.
SLACK_USERS = {
    "U0ALICE": (DEMO_ANALYST, "Andy"),  # read-write on gear_testing
    "U0ADMIN": (DEMO_ADMIN, "Ada"),  # project admin
    "U0VIEWER": (DEMO_VIEWER, "Vera"),  # read-only
    "U0OUTSIDER": (DEMO_OUTSIDER, "Otto"),  # no role on gear_testing (read-only on the pilot)
    "U0RUNNER": (DEMO_RUNNER, "Rita"),  # custom role "pipeline-runner": may launch
    "U0AUDITOR": (DEMO_AUDITOR, "Aldo"),  # custom role "auditor": view actions only
    "U0OPS": (DEMO_OPS, "Opal"),  # fwbot admin, no project role
    "U0STRANGER": ("stranger@elsewhere.example", "Sam"),  # no Flywheel account
}
E2E_POLICY = Policy(bot_admins=[DEMO_OPS])
WORKSPACE_EMAILS = {user_id: email for user_id, (email, _name) in SLACK_USERS.items()}


@pytest.fixture(autouse=True)
def slack_workspace(mock_slack: MockSlack) -> MockSlack:
    for user_id, (email, name) in SLACK_USERS.items():
        mock_slack.add_user(user_id, email, name)
    return mock_slack


@pytest.fixture
def e2e_policy() -> Policy:
    return E2E_POLICY


@pytest.fixture
def slack_services(
    demo_gateway: SdkGateway,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
    e2e_policy: Policy,
) -> Services:
    """Every workspace user with a Flywheel account has linked it (``/fw link``), as on a
    real site where fwbot's plain key cannot see other people's roles: each acts as
    themselves, with their own key."""
    return build_linked_services(
        demo_localfw, sqlite_store, e2e_policy, REPO_CONFIGS, slack_users=WORKSPACE_EMAILS
    )
