"""The adapter tests run the real bolt app over services backed by ``SlackTestGateway``."""

from __future__ import annotations

import pytest

from bot.service import Services
from tests.slack.fakes import SlackTestGateway, services_over


@pytest.fixture
def slack_gateway() -> SlackTestGateway:
    return SlackTestGateway()


@pytest.fixture
def slack_services(slack_gateway: SlackTestGateway) -> Services:
    return services_over(slack_gateway)
