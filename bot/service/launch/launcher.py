"""Turning a recorded batch into Flywheel jobs, exactly once per target.

The batch and its targets are in the store before the first call to Flywheel. Every job
carries the tag ``fwbot:<batch id>``, so before launching anything a run asks Flywheel
which targets already have a job with that tag (a job whose creation succeeded even
though its answer was lost, or a launch cut short by a restart) and marks those launched
instead of launching them again.

Only one process launches a batch at a time: a run starts by claiming its ``Lease`` in
the store, keeps it alive with a heartbeat, and gives it back at the end, so replicas
resuming launches never overlap. The run itself, one pass over the batch's targets, is a
``LaunchRun`` (``launch_run.py``).

`/fw cancel` during the launch is a request in the store (``cancel_requested_by``), so the
process holding the launch learns it wherever it runs: from its heartbeat, once per retry
round, and at once when the request was made in this process (``notice_cancel``). It then
launches nothing more, cancels the jobs it made that are still queued, and ends the batch
``cancelled`` (``launch_stop.py``); a run that finds the request already recorded (the
bot had died) does the same instead of launching.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.domain import BatchState, ModeSetting
from bot.flywheel.gateway import FlywheelGateway
from bot.service.accounts.acting import LauncherKeys, ServiceKeyOnly
from bot.service.launch.launch_run import LaunchRun, LaunchTools, Sleep
from bot.service.launch.lease import Lease
from bot.service.launch.reporting import BatchReporter
from bot.service.launch.timing import LaunchTiming
from bot.store.batches import BatchRepo

log = logging.getLogger(__name__)


class Launcher:
    def __init__(
        self,
        gateway: FlywheelGateway,
        batches: BatchRepo,
        reporter: BatchReporter,
        stopping: threading.Event,
        *,
        mode: ModeSetting = "auto",
        concurrency: int = 8,
        owner: str = "fwbot",
        timing: LaunchTiming | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep | None = None,
        keys: LauncherKeys | None = None,
    ) -> None:
        self._tools = LaunchTools(
            gateway=gateway,
            batches=batches,
            reporter=reporter,
            stopping=stopping,
            timing=timing or LaunchTiming(),
            clock=clock,
            sleep=sleep or stopping.wait,
            mode=mode,
            concurrency=concurrency,
        )
        self._keys: LauncherKeys = keys or ServiceKeyOnly()  # the launcher's own key
        self._owner = owner
        self._runs: dict[str, LaunchRun] = {}  # this process's runs, while they last
        self._lock = threading.Lock()

    @property
    def timing(self) -> LaunchTiming:
        return self._tools.timing

    def run(self, batch_id: str) -> float | None:
        """Launch whatever of the batch is not launched yet; safe to call again after a stop.

        Returns None, or, when another process holds the launch, the seconds until its
        lease lapses unless renewed: the caller tries again then, so a launch whose process
        died (kill -9) is taken over as soon as its lease allows, not a watcher pass later.
        """
        tools = self._tools
        if tools.batches.get_existing(batch_id).state is not BatchState.LAUNCHING:
            return None
        lease = Lease(
            tools.batches,
            batch_id,
            self._owner,
            renew_every=tools.timing.renew_every,
            clock=tools.clock,
        )
        if not lease.claim():
            log.info("batch %s is being launched by another process", batch_id)
            return lease.seconds_left_elsewhere()
        run = LaunchRun(tools, lease)
        with self._lock:
            self._runs[batch_id] = run
        try:
            with lease.kept_alive(on_beat=run.cancel_requested):
                batch = tools.batches.get_existing(batch_id)  # as the previous holder left it
                with self._keys.as_launcher(batch):  # its jobs' origin: the person, if linked
                    run.run(batch)
        finally:
            lease.release()
            with self._lock:
                self._runs.pop(batch_id, None)
        return None

    def notice_cancel(self, batch_id: str) -> None:
        """A cancel of the batch was just recorded in this process: if this process is
        launching it, stop now rather than at the next heartbeat."""
        with self._lock:
            run = self._runs.get(batch_id)
        if run is not None:
            run.cancel_seen.set()
