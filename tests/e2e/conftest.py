"""End to end: the real bolt app over signed HTTP, services on the real SDK gateway,
the demo world in the local Flywheel, and Slack's Web API mocked and recorded."""

from __future__ import annotations

import pytest

from bot.bootstrap import build_services
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services


@pytest.fixture
def slack_services(demo_gateway: SdkGateway) -> Services:
    return build_services(demo_gateway)
