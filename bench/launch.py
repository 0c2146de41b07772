"""Launching the tutorial's 1,329 DWI sessions as qsiprep-hpc analyses: fwbot against
the tutorial's own loop, both with a lab's plain (non-admin) key.

Run from the repository root::

    python -m bench.launch                          # fwbot, then the tutorial loop (~3 min)
    python -m bench.launch --full                   # the tutorial loop on every session, always
    python -m bench.launch --tutorial-sessions 200  # the loop on a subset, extrapolated

By default the tutorial loop runs on all 1,411 sessions when that should take under
four minutes (it does at 50 ms); otherwise on the first 200, extrapolated linearly
to the whole project and labelled as an estimate.

Both sides talk to a local Flywheel (``localfw``) serving the demo world from a
process of its own (``bench.remote``: a real site is on another machine), with
``--latency`` seconds added to every request (50 ms by default, a typical round trip
to a hosted site). Each side gets its own freshly built world and server, so fwbot's
jobs never change what the tutorial loop sees. fwbot launches one analysis per session
(``POST /sessions/{id}/analyses?job=true``, as the loop's ``gear.run`` does) with
``--concurrency`` requests in flight; the server counts how many it ever served at once.
The figures are printed, never asserted. The budget (DESIGN.md, "Budgets"): the launch
under 10 s and at least 15 times faster than the loop, never more requests in flight than
the concurrency, planning in at most 10 requests, and the status of the launched batch in
at most 5.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.remote import RemoteFlywheel, remote_flywheel
from bench.table import render_table
from doubles.linked_users import KnowsKeys
from doubles.tutorial import TUTORIAL_QSIPREP_CONFIG
from localfw.demo_world import DEMO_DWI_SESSIONS, DEMO_PROJECT, DEMO_SESSIONS, DWI_LABEL

GEAR = "qsiprep-hpc"
ACTOR_EMAIL = "analyst@pennlinc.example"
API_KEY = "bench-key"
BUDGET_SECONDS = 10.0
BUDGET_SPEEDUP = 15.0
BUDGET_PLAN_REQUESTS = 10
BUDGET_STATUS_REQUESTS = 5
# The tutorial loop on all 1,411 sessions makes ~2,800 requests; above this many
# seconds (estimated) the default run does a subset and extrapolates instead.
FULL_LOOP_LIMIT_S = 240.0
DEFAULT_SUBSET = 200
REPO = Path(__file__).resolve().parent.parent

# The tutorial's qsiprep-hpc configuration, as the tests know it.
TUTORIAL_CONFIG = TUTORIAL_QSIPREP_CONFIG


@dataclass
class Phase:
    name: str
    seconds: float
    requests: Counter[tuple[str, str]]

    @property
    def count(self) -> int:
        return sum(self.requests.values())


@dataclass
class Result:
    name: str
    phases: list[Phase] = field(default_factory=list)
    jobs: int = 0
    sessions: int = 0  # sessions the run went through (all of the project's, or a subset)
    to_run: int = 0  # of those, the sessions it launched on (or tried to)
    estimate: bool = False
    note: str = ""
    max_in_flight: int = 0

    @property
    def requests(self) -> int:
        return sum(p.count for p in self.phases)

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.phases)

    def by_route(self) -> Counter[tuple[str, str]]:
        total: Counter[tuple[str, str]] = Counter()
        for p in self.phases:
            total.update(p.requests)
        return total


@contextmanager
def local_flywheel(latency: float) -> Iterator[RemoteFlywheel]:
    """A fresh demo world in its own process (as a real site is on its own machine), on a
    simulated clock (no job ever starts running)."""
    with remote_flywheel(latency, API_KEY) as server:
        yield server


class Meter:
    """Wall time and the server's request log, phase by phase."""

    def __init__(self, server: RemoteFlywheel, result: Result) -> None:
        self._server = server
        self._result = result

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self._server.requests.reset()
        start = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - start
            log = self._server.requests
            self._result.phases.append(Phase(name, seconds, log.by_route()))
            self._result.max_in_flight = max(self._result.max_in_flight, log.max_in_flight)


# -- fwbot ---------------------------------------------------------------------
def actor_key(server: KnowsKeys) -> str:
    key = server.sdk_key_for_email(ACTOR_EMAIL)
    assert key is not None, f"the demo world has no {ACTOR_EMAIL}"
    return key


def linked_bot(
    server: KnowsKeys, gateway: Any, store: Any, policy: Any, **options: Any
) -> tuple[Any, Any]:
    """fwbot on its plain key with the bench's analyst linked (their own key), as a lab
    runs it on a site that filters permission lists: (services, the analyst)."""
    from bot.bootstrap import build_services
    from bot.domain import Actor
    from bot.service.accounts import principal_of
    from doubles.linked_users import new_accounts

    accounts = new_accounts(store, server)
    user = accounts.link(principal_of("U1", ""), actor_key(server))
    services = build_services(
        gateway, store, policy, REPO / "configs", accounts=accounts, **options
    )
    actor = Actor(
        email=ACTOR_EMAIL,
        slack_user_id="U1",
        channel_id="C1",
        flywheel_user_id=user.user_id,
        linked=True,
    )
    return services, actor


def run_fwbot(latency: float, concurrency: int) -> tuple[Result, Phase]:
    """fwbot's launch (plan, confirm, the background launch), then, measured apart, the
    status of the launched batch."""
    from bot.domain import batch_tag
    from bot.flywheel.sdk_gateway import SdkGateway
    from bot.service.launch.plan_model import LaunchRequest
    from bot.service.policy import Policy
    from bot.store.db import Store

    result = Result("fwbot")
    with local_flywheel(latency) as server, tempfile.TemporaryDirectory() as tmp:
        gateway = SdkGateway.connect(server.sdk_api_key)
        store = Store.for_data_dir(Path(tmp))
        store.migrate()
        services, actor = linked_bot(
            server,
            gateway,
            store,
            Policy(max_batch_without_approval=5000),
            launch_concurrency=concurrency,
        )
        meter = Meter(server, result)
        try:
            with services.linking.speaking_as(actor):
                with meter.phase("plan + record (request)"):
                    request = LaunchRequest(gear=GEAR, project=DEMO_PROJECT)
                    ticket = services.launches.request(actor, request)
                batch_id = ticket.batch.id
                with meter.phase("confirm"):
                    services.launches.confirm(actor, batch_id)
                with meter.phase("launch (background, until idle)"):
                    services.workers.wait_idle(timeout=300)
                status_meter = Result("status")
                with Meter(server, status_meter).phase("status of the batch"):
                    view = services.launches.status(actor, batch_id)
            status = status_meter.phases[0]
            server.requests.reset()
            # the analyst launched them: their key lists them (fwbot's lists only its own)
            jobs = SdkGateway.connect(actor_key(server)).jobs_tagged(batch_tag(batch_id))
            result.jobs = len({j.session_id for j in jobs})
            result.sessions = DEMO_SESSIONS
            analyses = sum(1 for j in jobs if j.analysis_id)
            result.note = (
                f"batch {batch_id}: {len(ticket.plan.to_launch):,} planned, "
                f"{len(jobs):,} jobs tagged {batch_tag(batch_id)}, {analyses:,} in analyses; "
                f"status read {view.launched:,} launched"
            )
        finally:
            services.workers.shutdown()
            store.dispose()
    return result, status


# -- planning a utility gear over every DICOM acquisition ---------------------------
def run_dcm2niix_plan(latency: float) -> tuple[Phase, str]:
    """Plan ``configs/dcm2niix.yml`` (``target: acquisition``, ``dcm2niix_input: {type:
    dicom}``) on the demo project: every acquisition is a candidate, each must have
    exactly one DICOM archive; matching is done from the paged listings, never one
    request per acquisition."""
    from bot.flywheel.sdk_gateway import SdkGateway
    from bot.service.launch.plan_model import LaunchRequest
    from bot.service.policy import Policy
    from bot.store.db import Store

    result = Result("dcm2niix plan")
    with local_flywheel(latency) as server, tempfile.TemporaryDirectory() as tmp:
        gateway = SdkGateway.connect(server.sdk_api_key)
        store = Store.for_data_dir(Path(tmp))
        store.migrate()
        services, actor = linked_bot(
            server, gateway, store, Policy(max_batch_without_approval=50_000)
        )
        try:
            with services.linking.speaking_as(actor), Meter(server, result).phase("plan (dry-run)"):
                plan = services.launches.preview(
                    actor, LaunchRequest(gear="dcm2niix", project=DEMO_PROJECT)
                )
        finally:
            services.workers.shutdown()
            store.dispose()
    by_state = plan.skipped_by_state()
    note = (
        f"{len(plan.matched):,} acquisitions: {len(plan.to_launch):,} to launch (one DICOM "
        f"archive each), {by_state.get('no input', 0):,} without one, "
        f"{by_state.get('ambiguous input', 0):,} with several"
    )
    return result.phases[0], note


# -- the tutorial's loop ---------------------------------------------------------
def run_tutorial(latency: float, limit: int | None) -> Result:
    """The tutorial's code, through the real SDK, on the first ``limit`` sessions."""
    import flywheel

    result = Result("tutorial loop")
    with local_flywheel(latency) as server:
        meter = Meter(server, result)
        with meter.phase("project, gear, project.sessions.iter()"):
            fw = flywheel.Client(server.sdk_api_key)
            project = fw.projects.find_first(f"label={DEMO_PROJECT}")
            gear = fw.lookup(f"gears/{GEAR}")
            # the tutorial's project.sessions() answers one default page on a site that
            # pages (core-api requires a limit): the paged finder reads them all
            sessions = list(project.sessions.iter())
        chosen = sessions if limit is None else sessions[:limit]
        result.sessions = len(chosen)

        with meter.phase("acquisitions() per session"):
            sessions_to_run = []
            for session in chosen:
                has_dwi = DWI_LABEL in [acq.label for acq in session.acquisitions()]
                if has_dwi:
                    sessions_to_run.append(session)

        with meter.phase("gear.run per session"):
            now = datetime.datetime.now().strftime("%Y-%m-%d_%H:%M")
            analysis_label = f"QSIPrep_{now}_{gear.gear.name}_{gear.gear.version}"
            inputs = {"freesurfer_license": project.files[1]}
            analysis_ids = []
            fails = []
            for ses in sessions_to_run:
                try:
                    _id = gear.run(
                        analysis_label=analysis_label,
                        config=TUTORIAL_CONFIG,
                        inputs=inputs,
                        destination=ses,
                    )
                    analysis_ids.append(_id)
                except Exception as e:
                    print(e, file=sys.stderr)
                    fails.append(ses)
        result.jobs = len(analysis_ids)
        result.to_run = len(sessions_to_run)
        result.note = f"{len(sessions_to_run):,} with {DWI_LABEL}, {len(fails)} failed"
    return result


def extrapolate(sample: Result) -> Result:
    """Scale a subset run linearly to the whole project: ``acquisitions()`` by the
    project's 1,411 sessions, ``gear.run`` by the tutorial's 1,329 DWI sessions."""
    per_session = DEMO_SESSIONS / sample.sessions
    per_run = DEMO_DWI_SESSIONS / sample.to_run if sample.to_run else per_session
    setup, listing, runs = sample.phases
    return Result(
        "tutorial loop (est.)",
        [setup, _scaled(listing, per_session), _scaled(runs, per_run)],
        jobs=round(sample.jobs * per_run),
        sessions=DEMO_SESSIONS,
        to_run=DEMO_DWI_SESSIONS,
        estimate=True,
        note=f"extrapolated from {sample.sessions} sessions",
    )


def _scaled(phase: Phase, factor: float) -> Phase:
    requests = Counter({k: round(v * factor) for k, v in phase.requests.items()})
    return Phase(phase.name, phase.seconds * factor, requests)


# -- output ------------------------------------------------------------------------
def table(rows: list[Result]) -> str:
    header = ("", "requests", "wall time", "jobs launched", "requests/session")
    lines = [header]
    for r in rows:
        per = r.requests / r.sessions if r.sessions else 0.0
        lines.append(
            (
                r.name,
                f"{r.requests:,}",
                f"{r.seconds:.1f} s" if r.seconds >= 10 else f"{r.seconds:.2f} s",
                f"{r.jobs:,}",
                f"{per:.3f}" if per < 1 else f"{per:.2f}",
            )
        )
    return render_table(lines[0], lines[1:])


def phases_text(result: Result) -> str:
    lines = [f"{result.name}, by phase:"]
    for p in result.phases:
        lines.append(f"  {p.name:<34} {p.count:>6,} requests  {p.seconds:>7.2f} s")
    return "\n".join(lines)


def routes_text(result: Result) -> str:
    lines = [f"{result.name} requests by route:"]
    for (method, route), n in sorted(result.by_route().items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {n:>5}  {method:<5} {route}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.launch",
        description="fwbot against the tutorial's loop: requests and wall time for a launch "
        "of 1,329 sessions on the local Flywheel.",
    )
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds added to every request (0.05)"
    )
    parser.add_argument(
        "--tutorial-sessions",
        type=int,
        default=None,
        metavar="N",
        help="run the tutorial loop on the first N sessions and extrapolate to all "
        f"{DEMO_SESSIONS:,} (default: all, unless that would take over "
        f"{FULL_LOOP_LIMIT_S / 60:.0f} minutes; then {DEFAULT_SUBSET})",
    )
    parser.add_argument(
        "--full", action="store_true", help="run the tutorial loop on every session"
    )
    parser.add_argument("--skip-tutorial", action="store_true", help="measure fwbot only")
    parser.add_argument(
        "--dcm2niix-only",
        action="store_true",
        help="only plan dcm2niix over every DICOM acquisition (requests and time)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=8, help="fwbot's launch requests in flight (8)"
    )
    args = parser.parse_args(argv)
    if args.tutorial_sessions is not None and args.tutorial_sessions < 1:
        parser.error("--tutorial-sessions needs at least 1")
    logging.basicConfig(level=logging.WARNING)

    if args.dcm2niix_only:
        phase, note = run_dcm2niix_plan(args.latency)
        print(
            f"dcm2niix over every DICOM acquisition of {DEMO_PROJECT}: planned in "
            f"{phase.count} requests, {phase.seconds:.2f} s ({args.latency * 1000:.0f} ms "
            f"per request)\n  {note}\n  requests by route: {dict(phase.requests)}"
        )
        return 0
    print(
        f"Launching {GEAR} on {DEMO_PROJECT}'s {DEMO_DWI_SESSIONS:,} sessions with "
        f"{DWI_LABEL} (of {DEMO_SESSIONS:,}), local Flywheel, "
        f"{args.latency * 1000:.0f} ms per request",
        flush=True,
    )
    fwbot, status = run_fwbot(args.latency, args.concurrency)
    dcm2niix, dcm2niix_note = run_dcm2niix_plan(args.latency)
    rows = [fwbot]
    tutorial: Result | None = None
    if not args.skip_tutorial:
        limit = _tutorial_limit(args)
        what = f"the first {limit}" if limit is not None else f"all {DEMO_SESSIONS:,}"
        print(f"running the tutorial loop on {what} sessions ...", flush=True)
        sample = run_tutorial(args.latency, limit)
        rows.append(sample)
        if limit is not None and sample.sessions < DEMO_SESSIONS:
            sample.name = f"tutorial loop ({sample.sessions} sessions)"
            tutorial = extrapolate(sample)
            rows.append(tutorial)
        else:
            tutorial = sample

    print()
    print(table(rows))
    speedup = tutorial.seconds / fwbot.seconds if tutorial is not None and fwbot.seconds else 0
    plan_requests = fwbot.phases[0].count
    checks = [
        (
            f"launch < {BUDGET_SECONDS:.0f} s",
            fwbot.seconds < BUDGET_SECONDS,
            f"{fwbot.seconds:.2f} s",
        ),
        (
            f">= {BUDGET_SPEEDUP:.0f}x faster than the loop",
            tutorial is None or speedup >= BUDGET_SPEEDUP,
            f"{speedup:,.0f}x" if tutorial is not None else "loop skipped",
        ),
        (
            f"<= {args.concurrency} requests in flight",
            fwbot.max_in_flight <= args.concurrency,
            f"at most {fwbot.max_in_flight} seen by the server",
        ),
        (
            f"planning <= {BUDGET_PLAN_REQUESTS} requests",
            plan_requests <= BUDGET_PLAN_REQUESTS,
            f"{plan_requests} requests",
        ),
        (
            f"status <= {BUDGET_STATUS_REQUESTS} requests",
            status.count <= BUDGET_STATUS_REQUESTS,
            f"{status.count} requests, {status.seconds:.2f} s",
        ),
    ]
    print()
    for name, ok, figure in checks:
        print(f"target: {name}: {'PASS' if ok else 'MISS'} ({figure})")
    if tutorial is not None and tutorial.estimate:
        sample_sessions = rows[1].sessions
        print(
            f"tutorial loop run on the first {sample_sessions} of {DEMO_SESSIONS:,} sessions; "
            "the (est.) row scales its per-session work linearly: an estimate, not a "
            "measurement (--full runs it all)"
        )
    if tutorial is not None and fwbot.requests and fwbot.seconds:
        print(
            f"fwbot: {tutorial.requests / fwbot.requests:,.0f}x fewer requests, "
            f"{tutorial.seconds / fwbot.seconds:,.0f}x less wall time"
            + (" (against the estimate)" if tutorial.estimate else "")
        )
    print()
    print(phases_text(fwbot))
    print(f"  {fwbot.note}")
    print()
    print(routes_text(fwbot))
    print()
    print(f"status requests by route: {dict(status.requests)}")
    print()
    print(
        f"dcm2niix over every DICOM acquisition of {DEMO_PROJECT} (configs/dcm2niix.yml, "
        f"target: acquisition): planned in {dcm2niix.count} requests, {dcm2niix.seconds:.2f} s"
    )
    print(f"  {dcm2niix_note}")
    print(f"  requests by route: {dict(dcm2niix.requests)}")
    for r in rows[1:2]:
        print()
        print(phases_text(r))
        print(f"  {r.note}")
    return 0


def _tutorial_limit(args: argparse.Namespace) -> int | None:
    if args.full:
        return None
    if args.tutorial_sessions is not None:
        return args.tutorial_sessions if args.tutorial_sessions < DEMO_SESSIONS else None
    # ~2 requests per session, each at least the added latency
    estimate = DEMO_SESSIONS * 2 * (args.latency + 0.01)
    return DEFAULT_SUBSET if estimate > FULL_LOOP_LIMIT_S else None


if __name__ == "__main__":
    sys.exit(main())
