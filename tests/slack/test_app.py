"""Building the app is free of side effects: no Web API call until a request arrives."""

from __future__ import annotations

from slack_bolt import App

from bot.service import Services
from bot.settings import Settings
from bot.slack.app import create_app
from doubles.mock_slack import MockSlack


def test_create_app_makes_no_network_call(
    slack_settings: Settings, slack_services: Services, mock_slack: MockSlack
) -> None:
    app = create_app(slack_settings, slack_services)

    assert isinstance(app, App)
    assert app.client.base_url == mock_slack.api_url
    assert mock_slack.calls() == []
