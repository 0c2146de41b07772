"""Fixtures for the /fw command tests: real services over the fake gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.domain import Actor
from bot.store.db import Store
from commands.context import CommandContext
from commands.dispatch import dispatch
from commands.reply import Reply
from tests.fakes import FakeFlywheelGateway, fake_services


def visible_text(reply: Reply) -> str:
    """Every string a Slack user would read in the reply's blocks, in order."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(reply.blocks)
    return "\n".join(out)


@pytest.fixture
def gateway() -> FakeFlywheelGateway:
    return FakeFlywheelGateway()


@pytest.fixture
def ctx(gateway: FakeFlywheelGateway, sqlite_store: Store) -> CommandContext:
    actor = Actor(slack_user_id="U024BE7LH", email="mcieslak@pennlinc.example")
    return CommandContext(actor=actor, services=fake_services(sqlite_store, gateway))


@pytest.fixture
def fw(ctx: CommandContext) -> Callable[[str], Reply]:
    """``fw("gears qsi")`` -> the Reply a user would get."""

    def run(text: str) -> Reply:
        return dispatch(text, ctx)

    return run
