"""A process with nobody to tell (``SilentNotifier``): a batch's posts go nowhere and are
settled at once, so a finished batch is never read from Flywheel again to post them; and
what the reporter remembers of a batch is let go when the batch ends."""

from __future__ import annotations

from pathlib import Path

from bench.polling import PATIENCE
from bot.bootstrap import build_services
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service.launch.plan_model import LaunchRequest
from bot.service.policy import Policy
from bot.store.db import Store
from localfw.server import LocalFlywheel
from tests.service.subscription_support import EDITOR_ACTOR, QSI

FLYWHEEL_TIME = 60 + 600 + 1  # the test simulator: a minute pending, ten running


def test_a_finished_batch_with_nowhere_to_post_is_not_read_from_flywheel_again(
    localfw: LocalFlywheel, sqlite_store: Store, tmp_path: Path
) -> None:
    (tmp_path / "qsi.yml").write_text(QSI)
    services = build_services(  # no notifier: SilentNotifier
        SdkGateway.connect(localfw.sdk_api_key),
        sqlite_store,
        Policy(max_batch_without_approval=1000),
        tmp_path,
        clock=localfw.clock.now,
    )
    try:
        ticket = services.launches.request(
            EDITOR_ACTOR, LaunchRequest("qsiprep-hpc", "gear_testing", config_name="qsi")
        )
        services.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
        services.workers.wait_idle(PATIENCE)
        localfw.clock.advance(FLYWHEEL_TIME)
        services.watcher.tick()  # every job ended: the batch ends, its summary goes nowhere

        batch = sqlite_store.batches.get_existing(ticket.batch.id)
        assert batch.is_final and batch.summary_posted_at is not None
        progress = sqlite_store.messages.get(batch.id, "progress")
        assert progress is not None and progress.ts is None  # settled: posted nowhere

        localfw.requests.reset()
        services.watcher.tick()
        services.watcher.tick()

        assert localfw.requests.count() == 0
    finally:
        services.workers.shutdown()
