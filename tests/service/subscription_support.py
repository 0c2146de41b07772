"""What the subscription service tests share: services over the small world on its
simulated clock, and a notifier that records what subscribed channels were told."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import flywheel

from bot.bootstrap import build_services
from bot.domain import Actor
from bot.domain.delivery import Channel, Delivery, Posted
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services
from bot.service.notify import ChannelGone
from bot.service.policy import Policy
from bot.service.subscriptions.ports import Digest, EventNotice
from bot.store.channels import channel_key
from bot.store.db import Store
from localfw.server import LocalFlywheel
from tests.fixtures.localfw import EDITOR

EDITOR_ACTOR = Actor(email=EDITOR, slack_user_id="U1", channel_id="C1")
FLAKY = """\
name: flaky
gear: flaky-gear
label: "FLAKY_{gear}"
inputs: {freesurfer_license: {project_file: license.txt}}
sessions: {has_acquisition: acq-64dir_dwi}
"""
QSI = """\
name: qsi
gear: qsiprep-hpc
label: "QSI_{gear}_{version}"
config: {hmc_model: 3dSHORE}
inputs: {freesurfer_license: {project_file: license.txt}}
sessions: {has_acquisition: acq-64dir_dwi}
"""


@dataclass
class Recorder:
    """A ``SubscriptionNotifier`` that keeps what it was asked to post, per channel."""

    gone: dict[str, str] = field(default_factory=dict)  # channel -> Slack's refusal
    events: list[tuple[str, EventNotice]] = field(default_factory=list)
    digests: list[tuple[str, Digest]] = field(default_factory=list)
    files: list[tuple[str, Digest, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post_event(self, channel: Channel, notice: EventNotice) -> bool:
        self._check(channel)
        with self.lock:
            self.events.append((channel_key(channel), notice))
        return True

    def post_digest(self, channel: Channel, digest: Digest) -> Delivery:
        self._check(channel)
        with self.lock:
            self.digests.append((channel_key(channel), digest))
            return Posted(f"ts-{len(self.digests)}")

    def share_failures(self, channel: Channel, digest: Digest, thread_ts: str) -> bool:
        self._check(channel)
        with self.lock:
            self.files.append((channel_key(channel), digest, thread_ts))
        return True

    def _check(self, channel: Channel) -> None:
        key = channel_key(channel)
        if key in self.gone:
            raise ChannelGone(key, self.gone[key])


def configs(tmp_path: Path) -> Path:
    directory = tmp_path / "configs"
    directory.mkdir(exist_ok=True)
    (directory / "flaky.yml").write_text(FLAKY)
    (directory / "qsi.yml").write_text(QSI)
    return directory


def services_for(
    localfw: LocalFlywheel,
    store: Store,
    recorder: Recorder,
    tmp_path: Path,
    *,
    stuck_after: timedelta | None = None,
) -> Services:
    """Services as one fwbot process builds them, on the local Flywheel's clock."""
    return build_services(
        SdkGateway.connect(localfw.sdk_api_key),
        store,
        Policy(max_batch_without_approval=1000),
        configs(tmp_path),
        subscription_notifier=recorder,
        clock=localfw.clock.now,
        stuck_after=(lambda gear: stuck_after) if stuck_after is not None else None,
    )


def run_outside(localfw: LocalFlywheel, user: str, gear: str, sessions: int) -> list[str]:
    """``sessions`` runs of ``gear`` launched as a script would: ``user``'s own key and the
    SDK's ``gear.run``, nothing fwbot knows of. Returns the analysis ids."""
    fw = flywheel.Client(localfw.key_for(user))
    project = fw.projects.find_first('label="gear_testing"')
    found = fw.lookup(f"gears/{gear}")
    license_file = project.get_file("license.txt")
    return [
        found.run(
            analysis_label=f"{gear} by script",
            inputs={"freesurfer_license": license_file},
            destination=session,
        )
        for session in project.sessions.find(limit=sessions)[:sessions]
    ]
