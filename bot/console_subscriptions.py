"""Subscribed channels in the terminal (`fwbot demo`): events and digests print as they
fire, and a digest's failures CSV is written under the data directory (its path printed).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TextIO

from bot.domain.delivery import Channel, Delivery, Posted
from bot.service.subscriptions.ports import Digest, EventNotice
from commands.render import subscriptions as render


class ConsoleSubscriptionNotifier:
    """``SubscriptionNotifier`` printing to the console, whatever the channel."""

    def __init__(self, out: TextIO, files_dir: Path) -> None:
        self._out = out
        self._files_dir = files_dir
        self._lock = threading.Lock()
        self._count = 0

    def post_event(self, channel: Channel, notice: EventNotice) -> bool:
        self._write(render.event(notice).console_text())
        return True

    def post_digest(self, channel: Channel, digest: Digest) -> Delivery:
        self._write(render.digest(digest).console_text())
        with self._lock:
            self._count += 1
            return Posted(f"console-digest-{self._count}")

    def share_failures(self, channel: Channel, digest: Digest, thread_ts: str) -> bool:
        self._files_dir.mkdir(parents=True, exist_ok=True)
        path = self._files_dir / render.failures_filename(digest)
        path.write_bytes(render.failures_csv(digest))
        self._write(f"(every failure of the digest: {path})")
        return True

    def _write(self, text: str) -> None:
        with self._lock:
            self._out.write("\n" + text.rstrip() + "\n")
            self._out.flush()
