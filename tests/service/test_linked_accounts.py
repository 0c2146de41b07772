"""Linked accounts (issue 18): each person acts on Flywheel as themselves, with their own
key, stored encrypted; fwbot's plain shared key sees only what Flywheel shows it.

Everything runs on the real SDK against localfw's demo world, whose permission lists are
filtered as core filters them (a plain key sees only its own entry); commands go through
``commands.dispatch``, the entry point every adapter calls."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.polling import PATIENCE
from bot.bootstrap import build_services
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services
from bot.service.accounts import Accounts
from bot.service.policy import Policy
from bot.store.db import Store
from commands.context import CommandContext
from commands.dispatch import dispatch
from localfw.demo_world import (
    DEMO_ANALYST,
    DEMO_ID_USER,
    DEMO_ID_USER_EMAIL,
    DEMO_OUTSIDER,
    DEMO_VIEWER,
)
from localfw.server import LocalFlywheel
from tests.fakes import REPO_CONFIGS
from tests.fixtures.accounts import link, new_accounts, user_id_of

POLICY = Policy(bot_admins=["ops@pennlinc.example"], max_batch_without_approval=5000)


@pytest.fixture
def accounts(sqlite_store: Store, demo_localfw: LocalFlywheel) -> Accounts:
    return new_accounts(sqlite_store, demo_localfw)


@pytest.fixture
def services(
    demo_gateway: SdkGateway, sqlite_store: Store, accounts: Accounts
) -> Iterator[Services]:
    services = build_services(demo_gateway, sqlite_store, POLICY, REPO_CONFIGS, accounts=accounts)
    yield services
    services.workers.shutdown()


def run(services: Services, email: str, line: str) -> str:
    actor = services.identity.for_email(email)
    return dispatch(line, CommandContext(actor, services)).console_text()


def test_a_linked_key_is_checked_with_flywheel_and_stored_encrypted(
    services: Services, demo_localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    key = demo_localfw.sdk_key_for(DEMO_ANALYST)
    user = services.linking.link(None, DEMO_ANALYST, key)
    assert user.user_id == DEMO_ANALYST
    actor = services.identity.for_email(DEMO_ANALYST)
    assert actor.linked and actor.flywheel_user_id == DEMO_ANALYST
    bare = key.rsplit(":", 1)[1]
    database = Path(str(sqlite_store.engine.url.database)).read_bytes()
    assert bare.encode() not in database
    with sqlite_store.engine.connect() as conn:
        stored = conn.execute(text("SELECT key_ciphertext FROM linked_accounts")).scalar_one()
    assert bare not in stored and key not in stored


def test_wrong_other_site_and_malformed_keys_each_get_one_line(
    services: Services, demo_localfw: LocalFlywheel
) -> None:
    site = demo_localfw.sdk_api_key.rsplit(":", 1)[0]
    for key, says in (
        (f"{site}:not-a-real-key-123", "does not accept that API key"),
        ("flywheel.elsewhere.example:abcdef123456", "That key is for flywheel.elsewhere"),
        ("two words", "does not look like a Flywheel API key"),
    ):
        with pytest.raises(Exception) as err:
            services.linking.link(None, DEMO_ANALYST, key)
        text_ = getattr(err.value, "message", str(err.value))
        assert says in text_ and "\n" not in text_
    assert services.identity.for_email(DEMO_ANALYST).linked is False


def test_a_bare_key_is_taken_for_the_configured_site(
    services: Services, demo_localfw: LocalFlywheel
) -> None:
    bare = demo_localfw.sdk_key_for(DEMO_VIEWER).rsplit(":", 1)[1]
    assert services.linking.link(None, DEMO_VIEWER, bare).user_id == DEMO_VIEWER


def test_a_linked_analysts_launch_has_them_as_origin(
    services: Services, demo_localfw: LocalFlywheel
) -> None:
    link(services, demo_localfw, DEMO_ANALYST)
    planned = run(services, DEMO_ANALYST, "launch qsiprep-hpc project=gear_testing")
    batch_id = re.search(r"confirm (b\w+)", planned)
    assert batch_id is not None, planned
    run(services, DEMO_ANALYST, f"confirm {batch_id[1]}")
    services.workers.wait_idle(5 * PATIENCE)
    world = demo_localfw.world
    with world.lock:
        origins = {
            j["origin"]["id"]
            for j in world.jobs.values()
            if f"fwbot:{batch_id[1]}" in (j.get("tags") or [])
        }
    assert origins == {DEMO_ANALYST}


def test_a_linked_viewer_cannot_launch(services: Services, demo_localfw: LocalFlywheel) -> None:
    link(services, demo_localfw, DEMO_VIEWER)
    answer = run(services, DEMO_VIEWER, "launch qsiprep-hpc project=gear_testing")
    assert "read-only access to `gear_testing`" in answer
    assert "read-write" in answer


def test_an_outsiders_linked_key_sees_no_trace_of_the_project(
    services: Services, demo_localfw: LocalFlywheel
) -> None:
    link(services, demo_localfw, DEMO_OUTSIDER)
    real = run(services, DEMO_OUTSIDER, "launch qsiprep-hpc project=gear_testing dry-run")
    made_up = run(services, DEMO_OUTSIDER, "launch qsiprep-hpc project=gear_testinh dry-run")
    assert real.replace("gear_testing", "X") == made_up.replace("gear_testinh", "X")
    assert "No project named" in real


def test_a_user_whose_id_is_not_their_email_has_their_real_role(
    services: Services, demo_localfw: LocalFlywheel
) -> None:
    assert user_id_of(demo_localfw, DEMO_ID_USER_EMAIL) == DEMO_ID_USER
    link(services, demo_localfw, DEMO_ID_USER_EMAIL)
    answer = run(services, DEMO_ID_USER_EMAIL, "whoami")
    assert f"`{DEMO_ID_USER}`" in answer
    assert "`gear_testing`: read-write" in answer
    planned = run(services, DEMO_ID_USER_EMAIL, "launch qsiprep-hpc project=gear_testing")
    assert "Launch" in planned or "confirm" in planned


def test_a_revoked_key_is_dropped_and_its_owner_told_once(
    services: Services, demo_localfw: LocalFlywheel, accounts: Accounts
) -> None:
    told: list[str] = []
    accounts.on_dropped = lambda account: told.append(account.principal)
    key = demo_localfw.sdk_key_for(DEMO_ANALYST)
    link(services, demo_localfw, DEMO_ANALYST)
    actor = services.identity.for_email(DEMO_ANALYST)
    assert "gear_testing" in dispatch("whoami", CommandContext(actor, services)).console_text()
    demo_localfw.world.revoke_key(key)
    first = dispatch("gears qsiprep", CommandContext(actor, services)).console_text()
    assert "no longer works" in first and "/fw link" in first
    again = dispatch("gears qsiprep", CommandContext(actor, services)).console_text()
    assert "qsiprep-hpc" in again  # unlinked now: fwbot's own key answers the catalogue
    assert told == [f"console:{DEMO_ANALYST}"]
    assert services.identity.for_email(DEMO_ANALYST).linked is False


def test_unlink_forgets_the_key(services: Services, demo_localfw: LocalFlywheel) -> None:
    link(services, demo_localfw, DEMO_ANALYST)
    assert "deleted your Flywheel key" in run(services, DEMO_ANALYST, "unlink")
    assert services.identity.for_email(DEMO_ANALYST).linked is False
    assert "nothing to unlink" in run(services, DEMO_ANALYST, "unlink")


def test_shared_mode_cannot_see_roles_without_being_project_admin(
    services: Services,
) -> None:
    """fwbot's key is read-write on gear_testing: Flywheel shows it only its own entry, so
    an unlinked analyst is told in one line how to let fwbot see; as fwbot cannot tell them
    from an outsider, the answer is a made-up label's (nothing learned of the project)."""
    answer = run(services, DEMO_ANALYST, "launch qsiprep-hpc project=gear_testing dry-run")
    assert answer.startswith("No project named `gear_testing`.")
    assert "link your Flywheel account (`/fw link`) so fwbot sees what you see" in answer


def test_rotation_reencrypts_every_key(
    services: Services, demo_localfw: LocalFlywheel, accounts: Accounts, sqlite_store: Store
) -> None:
    from cryptography.fernet import Fernet

    from bot.service.accounts import Keybox

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    accounts.keybox = Keybox(old_key)
    link(services, demo_localfw, DEMO_ANALYST)
    accounts.keybox = Keybox(f"{new_key},{old_key}")  # the new key first: it encrypts
    assert accounts.rotate() == (1, 1)
    accounts.keybox = Keybox(new_key)  # the old key dropped: still readable
    assert services.identity.for_email(DEMO_ANALYST).linked
    assert "`gear_testing`: read-write" in run(services, DEMO_ANALYST, "whoami")



@pytest.mark.postgres
def test_no_plaintext_key_in_the_postgresql_rows(
    demo_gateway: SdkGateway, demo_localfw: LocalFlywheel, pg_store: Store
) -> None:
    services = build_services(
        demo_gateway,
        pg_store,
        POLICY,
        REPO_CONFIGS,
        accounts=new_accounts(pg_store, demo_localfw),
    )
    try:
        key = demo_localfw.sdk_key_for(DEMO_ANALYST)
        link(services, demo_localfw, DEMO_ANALYST)
        run(services, DEMO_ANALYST, "whoami")
        bare = key.rsplit(":", 1)[1]
        with pg_store.engine.connect() as conn:
            tables = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
            dumped = "".join(
                str(row)
                for table in list(tables)
                for row in conn.execute(text(f'SELECT * FROM "{table}"'))
            )
        assert "linked Flywheel user" in dumped  # the audit row is there: the dump is real
        assert bare not in dumped
    finally:
        services.workers.shutdown()
