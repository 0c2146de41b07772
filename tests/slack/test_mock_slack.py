"""The mock Slack answers as Slack's Web API does where fwbot relies on it: file shares in
three steps (slack_sdk's ``files_upload_v2``), 429 with Retry-After, a removed channel."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from doubles.mock_slack import MockSlack


@pytest.fixture
def client(mock_slack: MockSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=mock_slack.api_url)


def test_files_upload_v2_shares_the_bytes_in_the_thread(
    client: WebClient, mock_slack: MockSlack
) -> None:
    """https://docs.slack.dev/messaging/working-with-files#upload: get a URL, POST the
    bytes to it, then complete the upload naming the channel and thread."""
    client.files_upload_v2(
        channel="C1", thread_ts="1.2", filename="failed.csv", content="a,b\n1,2\n", title="x"
    )

    [shared] = mock_slack.files("C1")
    assert (shared.filename, shared.content, shared.thread_ts) == (
        "failed.csv",
        b"a,b\n1,2\n",
        "1.2",
    )


def test_a_rate_limited_call_gets_429_with_retry_after(
    client: WebClient, mock_slack: MockSlack
) -> None:
    mock_slack.rate_limit("chat.postMessage", calls=1, retry_after=2)

    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="hi")

    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "2"
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]


def test_a_channel_the_bot_was_removed_from_refuses_posts(
    client: WebClient, mock_slack: MockSlack
) -> None:
    mock_slack.channel_errors["C1"] = "not_in_channel"

    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="hi")

    assert err.value.response["error"] == "not_in_channel"
    assert client.chat_postMessage(channel="C2", text="hi")["ok"]


def test_views_open_needs_a_trigger_it_exchanges_once_and_update_needs_an_open_view(
    client: WebClient, mock_slack: MockSlack
) -> None:
    """https://docs.slack.dev/reference/methods/views.open: a trigger_id opens one modal;
    the answer is the view with Slack's id, which views.update then names."""
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}

    with pytest.raises(SlackApiError) as missing:
        client.views_open(view=modal)
    opened = client.views_open(trigger_id="1.2.abc", view=modal)
    with pytest.raises(SlackApiError) as again:
        client.views_open(trigger_id="1.2.abc", view=modal)
    view_id = opened["view"]["id"]
    updated = client.views_update(view_id=view_id, view={**modal, "blocks": [{"type": "divider"}]})
    with pytest.raises(SlackApiError) as unknown:
        client.views_update(view_id="V0NOPE", view=modal)

    assert missing.value.response["error"] == "invalid_arguments"
    assert again.value.response["error"] == "exchanged_trigger_id"
    assert opened["ok"] and view_id.startswith("V")
    assert updated["view"]["id"] == view_id
    assert mock_slack.views()[view_id]["blocks"] == [{"type": "divider"}]
    assert unknown.value.response["error"] == "not_found"
    assert [c.method for c in mock_slack.calls()] == [
        "views.open",
        "views.open",
        "views.open",
        "views.update",
        "views.update",
    ]
    assert mock_slack.calls("views.open")[1].args["trigger_id"] == "1.2.abc"
