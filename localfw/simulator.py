"""Job simulator: moves jobs pending -> running -> complete|failed over time.

Time comes from a clock: ``SimClock`` for tests (nothing happens until
``advance``), or ``ScaledClock`` for the demo (real time times ``speed``, with a
background thread ticking). Durations and failure rates are per gear name and
drawn from a seeded RNG keyed by job id, so a run is reproducible.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from localfw.world import Doc, World, iso

ACTIVE = ("pending", "running")
TERMINAL = ("complete", "failed", "cancelled")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SimClock:
    """A clock that only moves when a test says so; listeners run on advance."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2024, 1, 8, 12, 0, tzinfo=UTC)
        self._lock = threading.Lock()
        self.listeners: list[Callable[[], object]] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move time forward and apply every job transition now due."""
        with self._lock:
            self._now += timedelta(seconds=seconds)
            now = self._now
        for listener in list(self.listeners):
            listener()
        return now


class ScaledClock:
    """Wall-clock time sped up by ``speed`` (60 = a simulated minute per second)."""

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        self.speed = speed
        self._start = start or datetime.now(UTC)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)


# The name other modules use for the demo's real-time clock.
RealClock = ScaledClock


@dataclass(frozen=True)
class GearTiming:
    """Simulated seconds a job waits in pending and runs; chance it fails."""

    pending_s: float = 30.0
    run_s: float = 600.0
    failure_rate: float = 0.05


@dataclass
class SimulatorSettings:
    default: GearTiming = field(default_factory=GearTiming)
    # by gear name; a name matches when it equals or contains the key
    per_gear: dict[str, GearTiming] = field(
        default_factory=lambda: {
            "qsiprep": GearTiming(pending_s=60, run_s=3600, failure_rate=0.08),
            "fmriprep": GearTiming(pending_s=60, run_s=3000, failure_rate=0.05),
            "freesurfer": GearTiming(pending_s=60, run_s=4200, failure_rate=0.05),
            "dcm2niix": GearTiming(pending_s=10, run_s=120, failure_rate=0.02),
        }
    )
    seed: int = 0
    jitter: float = 0.2  # durations vary by +/- this fraction

    def timing(self, gear_name: str) -> GearTiming:
        if gear_name in self.per_gear:
            return self.per_gear[gear_name]
        for key, timing in self.per_gear.items():
            if key in gear_name:
                return timing
        return self.default


@dataclass
class _Plan:
    start_at: datetime
    end_at: datetime
    fails: bool


def output_names(job: Doc, world: World) -> list[str]:
    """Output files a complete job leaves on its destination: a report plus a log; a
    converter's NIfTI and sidecar named after its DICOM input (dcm2niix); QSIPrep's
    derivatives zip as qsiprep-fw's ``run`` names it (``qsiprep_<subject>_<analysis>.zip``)."""
    gear = str(job["gear_info"]["name"])
    short = next((k for k in ("qsiprep", "fmriprep", "freesurfer", "mriqc") if k in gear), gear)
    parents = job.get("parents", {})
    subject = world.subjects.get(parents.get("subject", ""), {}).get("label", "")
    session = world.sessions.get(parents.get("session", ""), {}).get("label", "")
    dicom = next(
        (ref["name"] for ref in (job.get("inputs") or {}).values() if _is_dicom(ref["name"])),
        None,
    )
    if short == "dcm2niix" and dicom is not None:
        stem = dicom.removesuffix(".zip").removesuffix(".dicom").removesuffix(".dcm")
        return [f"{stem}.nii.gz", f"{stem}.json", f"{gear}_job.log"]
    prefix = "_".join(p for p in (_bids("sub", subject), _bids("ses", session)) if p)
    report = f"{prefix}_{short}.html.zip" if prefix else f"{short}.html.zip"
    names = [report, f"{gear}_job.log"]
    destination = job.get("destination") or {}
    if short == "qsiprep" and destination.get("type") == "analysis" and subject:
        names.insert(1, f"qsiprep_{_bids('sub', subject)}_{destination['id']}.zip")
    return names


def _is_dicom(name: str) -> bool:
    return name.endswith((".dicom.zip", ".dcm.zip", ".dcm"))


def _bids(key: str, label: str) -> str:
    if not label:
        return ""
    return label if label.startswith(f"{key}-") else f"{key}-{label}"


class JobSimulator:
    """Plans each job when it is created and applies due transitions on ``tick``."""

    def __init__(self, world: World, clock: Clock, settings: SimulatorSettings | None = None):
        self.world = world
        self.clock = clock
        self.settings = settings or SimulatorSettings()
        self._plans: dict[str, _Plan] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def schedule(self, job: Doc) -> None:
        """Plan a new pending job (caller holds or does not need the world lock)."""
        timing = self.settings.timing(str(job["gear_info"]["name"]))
        rng = random.Random(f"{self.settings.seed}:{job['_id']}")
        j = self.settings.jitter

        def vary(seconds: float) -> float:
            return seconds * (1 + rng.uniform(-j, j))

        now = self.clock.now()
        start = now + timedelta(seconds=vary(timing.pending_s))
        end = start + timedelta(seconds=vary(timing.run_s))
        self._plans[job["_id"]] = _Plan(start, end, rng.random() < timing.failure_rate)
        self._log(job["_id"], f"Job {job['_id']} queued ({job['gear_info']['name']})")

    def tick(self) -> int:
        """Apply every transition due by now; returns how many jobs changed."""
        now = self.clock.now()
        changed = 0
        with self.world.lock:
            for jid, plan in list(self._plans.items()):
                job = self.world.jobs.get(jid)
                if job is None or job["state"] not in ACTIVE:
                    self._plans.pop(jid, None)
                    continue
                if job["state"] == "pending" and now >= plan.start_at:
                    self._set_state(job, "running", plan.start_at)
                    self._log(jid, "Gear starting")
                    changed += 1
                if job["state"] == "running" and now >= plan.end_at:
                    self._finish(job, plan)
                    self._plans.pop(jid, None)
                    changed += 1
        return changed

    def _set_state(self, job: Doc, state: str, at: datetime) -> None:
        job["state"] = state
        job["modified"] = iso(at)
        job.setdefault("transitions", {})[state] = iso(at)

    def _finish(self, job: Doc, plan: _Plan) -> None:
        jid = job["_id"]
        if plan.fails:
            self._set_state(job, "failed", plan.end_at)
            job["failure_reason"] = "gear_failure"
            self._log(jid, "Traceback (most recent call last): simulated gear error", fd=2)
            self._log(jid, "Gear exited with code 1")
            return
        names = output_names(job, self.world)
        dest = job["destination"]
        container = self.world.container(dest.get("id", ""))
        if container is not None:
            parent = container[1]
            for name in names:
                # a name already there becomes a new version of that file, as on Flywheel
                fdoc = self.world.upload_file(
                    parent, name, container[0], size=4_000_000, now=plan.end_at
                )
                fdoc["origin"] = {"type": "job", "id": jid}
                fdoc["gear_info"] = dict(job["gear_info"])
        job["saved_files"] = names
        self._log(jid, f"Uploaded {len(names)} output files")
        self._log(jid, "Gear exited with code 0")
        self._set_state(job, "complete", plan.end_at)

    def _log(self, jid: str, msg: str, fd: int = 1) -> None:
        self.world.job_logs.setdefault(jid, []).append({"fd": fd, "msg": msg + "\n"})

    # -- background ticking for real-time clocks ---------------------------
    def start(self, interval: float = 0.2) -> None:
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval):
                self.tick()

        self._thread = threading.Thread(target=loop, name="localfw-sim", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None


def describe(settings: SimulatorSettings) -> dict[str, Any]:
    """Settings as plain data, for the CLI banner."""
    return {
        "default": vars(settings.default),
        **{k: vars(v) for k, v in settings.per_gear.items()},
    }
