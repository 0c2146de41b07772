"""The console's subscribed "channel" (`make demo`): a subscription typed at the prompt,
then events and the digest printed as they fire, the failures CSV written to disk."""

from __future__ import annotations

import io
from pathlib import Path

from bot.bootstrap import build_services
from bot.console import answer
from bot.console_subscriptions import ConsoleSubscriptionNotifier
from bot.domain import Actor
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service.policy import Policy
from bot.store.db import Store
from localfw.server import LocalFlywheel
from tests.fixtures.localfw import EDITOR
from tests.service.subscription_support import configs, run_outside


def test_events_and_the_digest_print_as_they_fire(
    localfw: LocalFlywheel, sqlite_store: Store, tmp_path: Path
) -> None:
    out = io.StringIO()
    services = build_services(
        SdkGateway.connect(localfw.sdk_api_key),
        sqlite_store,
        Policy(),
        configs(tmp_path),
        subscription_notifier=ConsoleSubscriptionNotifier(out, tmp_path / "files"),
        clock=localfw.clock.now,
    )
    try:
        actor = Actor(email=EDITOR, via="console")
        said = answer("subscribe project=gear_testing events=failed,digest at=now", actor, services)
        assert "This channel now follows 'gear_testing' (every gear)" in said
        run_outside(localfw, EDITOR, "flaky-gear", 3)
        localfw.clock.advance(3600)

        services.notifications.outside_runs_pass()
        [slot] = services.notifications.digest_slots()
        services.notifications.run_digest(slot.subscription_id)
    finally:
        services.workers.shutdown()

    printed = out.getvalue()
    assert "❌ flaky-gear on gear_testing: 0 complete, 3 failed (outside fwbot)" in printed
    assert "📋 gear_testing, last 24 h: 3 launched, 0 complete, 3 failed, 0 pending" in printed
    [csv_file] = (tmp_path / "files").iterdir()
    assert str(csv_file) in printed and len(csv_file.read_text().splitlines()) == 1 + 3
