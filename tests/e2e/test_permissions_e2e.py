"""Who may run what: every command for a user of each role, through the real bolt app.

Each row is a signed slash command from a Slack user mapped (by email) to a demo
Flywheel user; the answer must allow or refuse, a refusal must leave no write in
Flywheel, and each decision must leave exactly one audit row.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.domain import TargetSpec
from bot.service.policy import Policy
from bot.service.use_cases import NEEDS, Access, UseCase
from bot.store.db import Store
from commands.registry import REGISTRY
from localfw.demo_world import DEMO_ANALYST, DEMO_OPS, DEMO_OUTSIDER, DEMO_VIEWER
from localfw.server import LocalFlywheel
from tests.e2e.conftest import SLACK_USERS
from tests.fixtures.slack import Slash
from tests.store.factories import spec

ROLES = {  # the e2e workspace's Slack users by the role they hold on gear_testing
    "none": "U0OUTSIDER",
    "read-only": "U0VIEWER",
    "read-write": "U0ALICE",
    "admin": "U0ADMIN",
    "bot admin": "U0OPS",
}
EVERYONE = frozenset(ROLES)
READERS = EVERYONE - {"none"}

WRITERS = frozenset({"read-write", "admin"})  # a fwbot admin is not enough to launch
MANAGERS = frozenset({"read-write", "admin", "bot admin"})  # read-write: the batch's launcher
# Who holds each access level on gear_testing (outsider@ is read-only on the pilot only).
ALLOWED = {Access.SITE: EVERYONE, Access.READ: READERS, Access.WRITE: WRITERS}
ALLOWED[Access.MANAGE] = MANAGERS
# The access levels each role holds somewhere: what `/fw help` may offer it.
HELD = {
    "none": {Access.SITE, Access.READ},
    "read-only": {Access.SITE, Access.READ},
    "read-write": {Access.SITE, Access.READ, Access.WRITE, Access.MANAGE},
    "admin": {Access.SITE, Access.READ, Access.WRITE, Access.MANAGE},
    "bot admin": {Access.SITE, Access.READ, Access.MANAGE, Access.BOT_ADMIN},
}

# command typed -> the use case it runs; who may run it comes from the code's table
# (bot.service.use_cases.NEEDS). {batch} is a batch U0ALICE (read-write) planned.
COMMANDS = {
    "gears": UseCase.GEARS_LIST,
    "gear qsiprep-hpc": UseCase.GEAR_SHOW,
    "configs": UseCase.CONFIGS_LIST,
    "config qsiprep-hpc": UseCase.CONFIG_SHOW,
    "history": UseCase.HISTORY_OWN,
    "history project=gear_testing": UseCase.HISTORY_PROJECT,
    "launch qsiprep-hpc project=gear_testing dry-run": UseCase.LAUNCH_PREVIEW,
    "launch qsiprep-hpc project=gear_testing": UseCase.LAUNCH_REQUEST,
    "status {batch}": UseCase.STATUS_SHOW,
    "cancel {batch}": UseCase.LAUNCH_DROP,
}
REFUSED = "You have no access to `gear_testing`"
REFUSED_BY_ROLE = {"read-only": "You have read-only access to `gear_testing`"}


def planned_batch(store: Store, localfw: LocalFlywheel) -> str:
    """A batch U0ALICE planned (recorded straight in the store: no audit row, no launch)."""
    [project] = [p for p in localfw.world.projects.values() if p["label"] == "gear_testing"]
    [session, *_] = [s for s in localfw.world.sessions.values() if s["project"] == project["_id"]]
    batch, _ = store.batches.create_or_get(
        spec(
            project_id=project["_id"],
            project_label="gear_testing",
            requester_email=DEMO_ANALYST,
            requester_slack_id="U0ALICE",
            channel_id="C0LAB",
        ),
        [TargetSpec(session_id=session["_id"], session_label="ses-01", subject_label="sub-01")],
    )
    return batch.id


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("command", COMMANDS)
def test_each_role_is_allowed_or_refused_each_command(
    slash: Slash, sqlite_store: Store, demo_localfw: LocalFlywheel, role: str, command: str
) -> None:
    use_case = COMMANDS[command]
    assert use_case in REGISTRY.grammar.command_named(command.split()[0]).use_cases
    action, allowed_roles = use_case.value, ALLOWED[NEEDS[use_case]]
    batch_id = ""
    if "{batch}" in command:
        batch_id = planned_batch(sqlite_store, demo_localfw)
        command = command.format(batch=batch_id)
    demo_localfw.requests.reset()

    answer = slash(command, user_id=ROLES[role]).answer()

    shown = answer["text"] + json.dumps(answer.get("blocks", []))
    events = sqlite_store.audit.recent(50)
    assert len(events) == 1, [(e.action, e.outcome) for e in events]
    [event] = events
    assert event.action == action
    assert event.actor_email == SLACK_USERS[ROLES[role]][0]
    if role in allowed_roles:
        assert event.outcome == "allowed"
        assert "You have" not in shown
    else:
        assert event.outcome == "refused"
        assert answer["response_type"] == "ephemeral"
        if batch_id and role == "none":  # to an outsider the batch does not exist
            assert answer["text"].startswith(f"No batch named `{batch_id}`.")
            assert "gear_testing" not in shown and "admin@pennlinc.example" not in shown
        elif role == "none":  # nor does the project: a made-up label's answer
            assert answer["text"].startswith("No project named `gear_testing`.")
            assert event.reason == "no role on project"
            assert "You have" not in shown and "admin@pennlinc.example" not in shown
        else:
            assert REFUSED_BY_ROLE.get(role, REFUSED) in answer["text"]
            # who can help: fwbot's plain key is not shown the project's admins (Flywheel
            # filters permission lists), so it names the role to ask
            assert "Ask a project admin of `gear_testing`" in answer["text"]
    assert demo_localfw.requests.writes() == []  # nothing here writes to Flywheel


@pytest.mark.parametrize("role", ROLES)
def test_help_offers_each_role_only_what_it_may_run(slash: Slash, role: str) -> None:
    """Derived from the same table: a command is offered when the role holds the access of
    its least demanding use case somewhere."""
    answer = slash("help", user_id=ROLES[role]).answer()

    shown = answer["text"] + json.dumps(answer["blocks"])
    for command in REGISTRY.grammar.specs:
        offered = re.search(rf"/fw {command.name}\b", shown) is not None
        assert offered == (command.access in HELD[role]), (role, command.name)


def test_a_slack_user_without_a_flywheel_account_is_refused_and_audited(
    slash: Slash, sqlite_store: Store
) -> None:
    answer = slash("gears", user_id="U0STRANGER").answer()

    assert "no Flywheel account for stranger@elsewhere.example" in answer["text"]
    [event] = sqlite_store.audit.recent()
    assert (event.action, event.outcome) == ("identify", "refused")


def test_history_shows_a_projects_refusals_to_its_readers(slash: Slash) -> None:
    slash("history project=gear_testing", user_id=ROLES["none"]).answer()

    answer = slash("history project=gear_testing", user_id=ROLES["read-only"]).answer()

    assert DEMO_OUTSIDER in answer["text"] + json.dumps(answer["blocks"])
    assert "refused" in json.dumps(answer["blocks"])


def test_a_bot_admin_sees_everyones_history(slash: Slash) -> None:
    slash("history project=gear_testing", user_id=ROLES["none"]).answer()
    slash("history project=gear_testing", user_id=ROLES["read-only"]).answer()

    answer = slash("history", user_id=ROLES["bot admin"]).answer()

    assert "everyone" in answer["text"]
    assert DEMO_OUTSIDER in json.dumps(answer["blocks"])
    assert DEMO_VIEWER not in json.dumps(answer["blocks"])  # routine reads are left out
    assert DEMO_OPS not in json.dumps(answer["blocks"])  # own routine reads are left out


class TestChannelPolicy:
    @pytest.fixture
    def e2e_policy(self) -> Policy:
        return Policy(bot_admins=[DEMO_OPS], allowed_channels=["C0LAB"])

    def test_commands_outside_the_allowed_channels_are_refused(
        self, slash: Slash, sqlite_store: Store
    ) -> None:
        assert "You have" not in slash("gears", channel_id="C0LAB").answer()["text"]

        answer = slash("gears", channel_id="C0RANDOM").answer()

        assert "not enabled in this channel" in answer["text"]
        assert [e.outcome for e in sqlite_store.audit.recent()] == ["refused", "allowed"]
