"""The adapter tests run the real bolt app over real services on ``FakeFlywheelGateway``."""

from __future__ import annotations

import pytest

from bot.service import Services
from bot.store.db import Store
from tests.fakes import FakeFlywheelGateway, fake_services


@pytest.fixture
def slack_gateway() -> FakeFlywheelGateway:
    return FakeFlywheelGateway()


@pytest.fixture
def slack_services(slack_gateway: FakeFlywheelGateway, sqlite_store: Store) -> Services:
    return fake_services(sqlite_store, slack_gateway)
