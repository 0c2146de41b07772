"""`/fw link` and its form through the real bolt app over signed HTTP, on the fake gateway:
both acks wait for nothing, a lab that links no keys says why, and an answer whose form
is gone (closed, or the pool was full) still reaches the person."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from slack_sdk import WebClient

from bench.polling import eventually
from bot.bootstrap import build_services
from bot.service import Services
from bot.service.accounts import Accounts, AccountsMode, Keybox, new_encryption_key
from bot.service.policy import Policy
from bot.settings import Settings
from bot.slack.answers import BUSY
from bot.slack.linking import (
    BUSY_VIEW,
    CHECKING,
    EXPIRED,
    KEY_BLOCK,
    NOT_SET_UP,
    SHARED_MODE,
    link_modal,
)
from bot.slack.runner import HttpServer
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from tests.fakes import REPO_CONFIGS, FakeFlywheelGateway
from tests.fixtures.slack import BOT_TOKEN, DEFAULT_USER_ID, Slash
from tests.slack.link_forms import (
    opened_view,
    post_link_command,
    seen,
    submit_key,
    updated_view,
)

SERVICE_KEY = "fw.lab:fwbot-service-key"


@pytest.fixture
def slack_settings(slack_settings: Settings) -> Settings:
    """One answer thread and no backlog, so one held command fills the pool."""
    return slack_settings.model_copy(update={"answer_threads": 1, "answer_backlog": 0})


@pytest.fixture
def accounts_mode() -> AccountsMode:
    return "linked"


@pytest.fixture
def with_keys() -> bool:
    return True


@pytest.fixture
def slack_services(
    slack_gateway: FakeFlywheelGateway,
    sqlite_store: Store,
    accounts_mode: AccountsMode,
    with_keys: bool,
) -> Services:
    """Linked accounts over the fake gateway: every key is accepted, as its whoami."""
    accounts = Accounts(
        sqlite_store.linked_accounts,
        sqlite_store.audit,
        keybox=Keybox(new_encryption_key()) if with_keys else None,
        mode=accounts_mode,
        service_key=SERVICE_KEY,
        connect=lambda key: slack_gateway,
    )
    return build_services(slack_gateway, sqlite_store, Policy(), REPO_CONFIGS, accounts=accounts)


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view.get("blocks", []), ensure_ascii=False)


def open_form_directly(mock: MockSlack) -> str:
    """A form Slack shows (as `/fw link` would have opened it); returns its view id."""
    client = WebClient(token=BOT_TOKEN, base_url=mock.api_url)
    return str(client.views_open(trigger_id="9.9.direct", view=link_modal())["view"]["id"])


def test_the_form_opens_and_a_key_is_linked(
    slack_http: HttpServer, mock_slack: MockSlack, sqlite_store: Store
) -> None:
    ack, trigger, _ = post_link_command(slack_http.url, mock_slack)
    view_id, _ = opened_view(mock_slack, trigger)
    submitted = submit_key(slack_http.url, view_id, " fw.lab:alices-own-key ")

    assert (ack.status, ack.body, submitted.status) == (200, "", 200)
    ack_body = json.loads(submitted.body)
    assert ack_body["response_action"] == "update"
    assert CHECKING in text_of(ack_body["view"])
    assert "fwbot@lab.example" in text_of(updated_view(mock_slack, view_id))
    assert sqlite_store.linked_accounts.get(f"slack:{DEFAULT_USER_ID}") is not None
    assert all("alices-own-key" not in seen(c) for c in mock_slack.calls())
    assert mock_slack.calls("users.info") == []  # nobody asked who Alice is


@pytest.mark.parametrize(
    ("accounts_mode", "with_keys", "why"),
    [("shared", True, SHARED_MODE), ("linked", False, NOT_SET_UP), ("both", False, NOT_SET_UP)],
)
def test_a_lab_that_links_no_keys_says_why_and_opens_nothing(
    slack_http: HttpServer, mock_slack: MockSlack, why: str
) -> None:
    ack, _, token = post_link_command(slack_http.url, mock_slack)

    assert (ack.status, ack.body) == (200, "")
    [answer] = eventually(lambda: mock_slack.responses(token), "the reason")
    assert answer.body["text"] == why
    assert answer.body["response_type"] == "ephemeral"
    assert mock_slack.calls("views.open") == []


@pytest.mark.parametrize("accounts_mode", ["shared"])
def test_link_help_is_the_commands_help_not_the_form(
    slack_http: HttpServer, mock_slack: MockSlack, slash: Slash
) -> None:
    answer = slash("link help").answer()

    assert "private form" in answer["text"] + json.dumps(answer.get("blocks", []))
    assert mock_slack.calls("views.open") == []


def test_an_expired_trigger_says_run_it_again(
    slack_http: HttpServer, mock_slack: MockSlack
) -> None:
    mock_slack.api_errors["views.open"] = "expired_trigger_id"

    _, _, token = post_link_command(slack_http.url, mock_slack)

    [answer] = eventually(lambda: mock_slack.responses(token), "the answer")
    assert answer.body["text"] == EXPIRED


def test_a_blank_key_is_refused_in_the_form_itself(
    slack_http: HttpServer, mock_slack: MockSlack
) -> None:
    view_id = open_form_directly(mock_slack)

    submitted = submit_key(slack_http.url, view_id, "   \n")

    body = json.loads(submitted.body)
    assert body["response_action"] == "errors"
    assert KEY_BLOCK in body["errors"]
    assert mock_slack.calls("views.update") == []


def test_a_closed_form_gets_its_answer_by_direct_message(
    slack_http: HttpServer, mock_slack: MockSlack
) -> None:
    """The person closed the form while Flywheel checked: views.update answers not_found."""
    submitted = submit_key(slack_http.url, "V00GONE00", "fw.lab:alices-own-key")

    assert json.loads(submitted.body)["response_action"] == "update"
    [dm] = eventually(lambda: mock_slack.calls("chat.postMessage"), "the DM")
    assert dm.args["channel"] == DEFAULT_USER_ID
    assert "Linked" in dm.args["text"]
    assert "alices-own-key" not in seen(dm)


@pytest.mark.parametrize("accounts_mode", ["both"])  # `gears` by email, while unlinked
def test_with_the_answer_pool_full_the_form_says_busy_and_links_nothing(
    slack_http: HttpServer,
    mock_slack: MockSlack,
    slash: Slash,
    slack_gateway: FakeFlywheelGateway,
    sqlite_store: Store,
) -> None:
    shut = threading.Event()
    slack_gateway.gate = shut
    held = slash("gears")  # the pool's one thread waits on the gate
    eventually(lambda: "list_gears" in slack_gateway.calls, "the held command")
    view_id = open_form_directly(mock_slack)

    command, _, token = post_link_command(slack_http.url, mock_slack)
    submitted = submit_key(slack_http.url, view_id, "fw.lab:alices-own-key")

    assert (command.status, command.body) == (200, "")
    [busy] = eventually(lambda: mock_slack.responses(token), "busy")
    assert busy.body["text"] == BUSY
    assert json.loads(submitted.body)["response_action"] == "update"
    assert BUSY_VIEW in text_of(updated_view(mock_slack, view_id))
    assert sqlite_store.linked_accounts.get(f"slack:{DEFAULT_USER_ID}") is None
    shut.set()
    held.answer()
