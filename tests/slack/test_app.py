"""Building the app: bolt's ``auth.test`` is made once, here, so that no request's ack
waits for it; with ``verify_token=False`` (a tool with no Slack to reach) nothing is called."""

from __future__ import annotations

from slack_bolt import App

from bot.service import Services
from bot.settings import Settings
from bot.slack.app import create_app
from doubles.mock_slack import MockSlack


def test_create_app_checks_the_token_once_and_calls_nothing_else(
    slack_settings: Settings, slack_services: Services, mock_slack: MockSlack
) -> None:
    app = create_app(slack_settings, slack_services)

    assert isinstance(app, App)
    assert app.client.base_url == mock_slack.api_url
    assert [c.method for c in mock_slack.calls()] == ["auth.test"]


def test_create_app_without_token_verification_makes_no_network_call(
    slack_settings: Settings, slack_services: Services, mock_slack: MockSlack
) -> None:
    create_app(slack_settings, slack_services, verify_token=False)

    assert mock_slack.calls() == []
