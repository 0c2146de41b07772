"""Never trust one answer (issue 18): on a site that answers a listing without ``limit``
with a page of 2 and caps ``limit`` at 2, the qsiprep dry-run on the demo's gear_testing
plans exactly what it plans on an uncapped site, and the gear shows its newest version.

localfw's knobs (``default_page_size``, ``max_page_size``) follow the SDK finder's
"core-api now requires a page limit" and a site's page cap; see tests/localfw."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.bootstrap import build_services
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services
from bot.service.policy import Policy
from bot.store.db import Store
from commands.context import CommandContext
from commands.dispatch import dispatch
from localfw.demo_world import DEMO_ANALYST
from localfw.server import LocalFlywheel
from tests.fakes import REPO_CONFIGS
from tests.fixtures.accounts import link, new_accounts

DRY_RUN = "launch qsiprep-hpc project=gear_testing dry-run"


@pytest.fixture
def services(demo_localfw: LocalFlywheel, sqlite_store: Store) -> Iterator[Services]:
    services = build_services(
        SdkGateway.connect(demo_localfw.sdk_api_key),
        sqlite_store,
        Policy(max_batch_without_approval=5000),
        REPO_CONFIGS,
        accounts=new_accounts(sqlite_store, demo_localfw),
    )
    link(services, demo_localfw, DEMO_ANALYST)
    yield services
    services.workers.shutdown()


def answer(services: Services, line: str) -> str:
    actor = services.identity.for_email(DEMO_ANALYST)
    text = dispatch(line, CommandContext(actor, services)).console_text()
    return "\n".join(part for part in text.splitlines() if "label `" not in part)  # the time


def test_a_capped_site_plans_what_an_uncapped_one_plans(
    services: Services, demo_localfw: LocalFlywheel
) -> None:
    uncapped_plan = answer(services, DRY_RUN)
    uncapped_gear = answer(services, "gear qsiprep-hpc")
    assert "1,329 to launch" in uncapped_plan
    demo_localfw.context.default_page_size = 2
    demo_localfw.context.max_page_size = 2
    try:
        assert answer(services, DRY_RUN) == uncapped_plan
        capped_gear = answer(services, "gear qsiprep-hpc")
    finally:
        demo_localfw.context.default_page_size = 100
        demo_localfw.context.max_page_size = 1000
    assert capped_gear == uncapped_gear
    assert "0.4.0_0.8.0" in capped_gear.splitlines()[0]
