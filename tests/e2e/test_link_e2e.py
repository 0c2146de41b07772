"""End to end: `/fw link` from Slack in ``FWBOT_ACCOUNTS=linked``, through the real bolt
app over signed HTTP, the local Flywheel checking each key, and Slack's Web API mocked.

The person is not linked yet, so fwbot cannot tell who they are: the form must open
without an identity lookup, and the key must come back through the modal only. No
recorded Slack call, log record or metric may carry the key.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from prometheus_client import REGISTRY, generate_latest
from pydantic import SecretStr
from slack_sdk import WebClient

from bench.polling import eventually
from bot.bootstrap import build_accounts, build_services
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services
from bot.service.policy import Policy
from bot.settings import Settings
from bot.slack.linking import CALLBACK_ID, CHECKING, DROPPED, KEY_ACTION, tell_dropped_link
from bot.slack.runner import HttpServer
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from localfw.demo_world import DEMO_ANALYST
from localfw.server import LocalFlywheel
from tests.fakes import REPO_CONFIGS
from tests.fixtures.slack import BOT_TOKEN, DEFAULT_USER_ID, Slash
from tests.slack.link_forms import (
    opened_view,
    post_link_command,
    seen,
    submit_key,
    updated_view,
    view_of,
)


@pytest.fixture
def slack_settings(slack_settings: Settings, tmp_path: Path) -> Settings:
    return slack_settings.model_copy(
        update={
            "accounts": "linked",
            "link_encryption_keys": SecretStr(Fernet.generate_key().decode()),
        }
    )


@pytest.fixture
def slack_services(
    demo_gateway: SdkGateway,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
    e2e_policy: Policy,
    slack_settings: Settings,
    mock_slack: MockSlack,
) -> Services:
    """As ``build_runtime`` composes them (``build_accounts`` from the settings), with the
    dropped-link message wired as ``fwbot serve`` wires it."""
    accounts = build_accounts(slack_settings, sqlite_store, demo_localfw.sdk_api_key, demo=False)
    services = build_services(
        demo_gateway, sqlite_store, e2e_policy, REPO_CONFIGS, accounts=accounts
    )
    client = WebClient(token=BOT_TOKEN, base_url=mock_slack.api_url)
    services.accounts.on_dropped = tell_dropped_link(client)
    return services


def flywheel_id(localfw: LocalFlywheel, email: str) -> str:
    return next(uid for uid, doc in localfw.world.users.items() if doc["email"] == email)


def everything_slack_saw(mock: MockSlack) -> str:
    calls = "\n".join(seen(c) for c in mock.calls())
    responses = "\n".join(json.dumps(r.body) for r in mock.responses())
    return calls + "\n" + responses


def visible(view: dict[str, object]) -> str:
    return json.dumps(view.get("blocks", []), ensure_ascii=False)


def link(slack_http: HttpServer, mock: MockSlack, key: str) -> tuple[str, dict[str, object]]:
    """`/fw link`, then submit ``key``: (the submission's ack body, the outcome's view)."""
    ack, trigger, _ = post_link_command(slack_http.url, mock)
    assert (ack.status, ack.body) == (200, "")
    view_id, _ = opened_view(mock, trigger)
    submitted = submit_key(slack_http.url, view_id, key)
    assert submitted.status == 200
    return submitted.body, updated_view(mock, view_id)


def test_link_opens_a_private_form_without_asking_who_you_are(
    slack_http: HttpServer, mock_slack: MockSlack
) -> None:
    ack, trigger, token = post_link_command(slack_http.url, mock_slack)

    assert (ack.status, ack.body) == (200, "")  # an empty ack; the form opens after it
    _, call = opened_view(mock_slack, trigger)
    view = view_of(call)
    assert call.args["trigger_id"] == trigger
    assert view["type"] == "modal"
    assert view["callback_id"] == CALLBACK_ID
    assert view["title"]["text"] == "Link Flywheel"
    assert view["submit"]["text"] == "Link"
    [block] = view["blocks"]
    assert block["type"] == "input"
    assert block["element"]["type"] == "plain_text_input"
    assert block["element"]["action_id"] == KEY_ACTION
    assert block["label"]["text"] == "Your Flywheel API key"
    assert "API Keys" in block["hint"]["text"] and "encrypted" in block["hint"]["text"]
    # linked mode: an unlinked person is nobody yet, and the form did not need them to be
    assert mock_slack.calls("users.info") == []
    assert mock_slack.responses(token) == []


def test_a_valid_key_links_you_and_is_never_shown_logged_or_counted(
    slack_http: HttpServer,
    mock_slack: MockSlack,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
    slash: Slash,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    user = flywheel_id(demo_localfw, DEMO_ANALYST)
    bare = demo_localfw.world.key_for(user)
    key = demo_localfw.key_for(user)  # host:port:__force_insecure:KEY, as the SDK reads it

    ack_body, view = link(slack_http, mock_slack, f"  {key}\n")

    ack = json.loads(ack_body)
    assert ack["response_action"] == "update"
    assert CHECKING in json.dumps(ack["view"], ensure_ascii=False)
    assert "Linked" in visible(view)
    assert DEMO_ANALYST in visible(view)
    assert "submit" not in view
    account = sqlite_store.linked_accounts.get(f"slack:{DEFAULT_USER_ID}")
    assert account is not None and account.email == DEMO_ANALYST

    whoami = slash("whoami").answer()
    assert "linked with your own key" in whoami["text"]

    for secret in (key, bare):
        assert secret not in everything_slack_saw(mock_slack)
        assert secret not in ack_body
        assert all(secret not in r.getMessage() for r in caplog.records)
        assert secret not in generate_latest(REGISTRY).decode()
        assert secret not in account.key_ciphertext


def test_a_bare_key_is_read_as_one_for_this_site(
    slack_http: HttpServer, mock_slack: MockSlack, demo_localfw: LocalFlywheel
) -> None:
    bare = demo_localfw.world.key_for(flywheel_id(demo_localfw, DEMO_ANALYST))

    _, view = link(slack_http, mock_slack, bare)

    assert DEMO_ANALYST in visible(view)
    assert bare not in everything_slack_saw(mock_slack)


def test_a_key_flywheel_refuses_is_not_kept(
    slack_http: HttpServer, mock_slack: MockSlack, demo_localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    wrong = f"{demo_localfw.host}:{demo_localfw.port}:__force_insecure:not-a-real-key-123"

    _, view = link(slack_http, mock_slack, wrong)

    assert "does not accept that API key" in visible(view)
    assert "/fw link" in visible(view)
    assert sqlite_store.linked_accounts.get(f"slack:{DEFAULT_USER_ID}") is None
    assert "not-a-real-key-123" not in everything_slack_saw(mock_slack)


def test_a_key_for_another_site_is_refused_before_it_is_sent_anywhere(
    slack_http: HttpServer, mock_slack: MockSlack, demo_localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    demo_localfw.requests.reset()

    _, view = link(slack_http, mock_slack, "otherhost.example:abc123")

    assert "That key is for otherhost.example" in visible(view)
    assert sqlite_store.linked_accounts.get(f"slack:{DEFAULT_USER_ID}") is None
    assert "abc123" not in everything_slack_saw(mock_slack)


def test_a_dropped_link_tells_its_owner_once_in_a_direct_message(
    slack_http: HttpServer,
    mock_slack: MockSlack,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
    slash: Slash,
) -> None:
    user = flywheel_id(demo_localfw, DEMO_ANALYST)
    key = demo_localfw.key_for(user)
    link(slack_http, mock_slack, key)
    demo_localfw.world.revoke_key(key)  # Flywheel now answers the linked key 401

    first = slash("whoami").answer()
    dms = eventually(
        lambda: [
            c for c in mock_slack.calls("chat.postMessage") if c.args["channel"] == DEFAULT_USER_ID
        ],
        what="the direct message about the dropped link",
    )
    second = slash("whoami").answer()

    assert [c.args["text"] for c in dms] == [DROPPED]
    assert len(mock_slack.calls("chat.postMessage")) == 1  # the second whoami told no one
    assert sqlite_store.linked_accounts.get(f"slack:{DEFAULT_USER_ID}") is None
    assert "no longer works" in first["text"] and "/fw link" in first["text"]
    assert "not linked one yet" in second["text"] and "/fw link" in second["text"]
    assert key not in everything_slack_saw(mock_slack)
