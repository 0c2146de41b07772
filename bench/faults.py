"""A 1,329-session launch through Flywheel's faults, an outage and a kill -9 mid-launch.

Run from the repository root::

    python -m bench.faults                 # all 1,329 sessions, 15 s outage (~2 min)
    python -m bench.faults --quick         # 150 sessions, 5 s outage
    python -m bench.faults --sessions 400 --outage 10 --watch-interval 5

Nothing runs in this process but the measuring. The local Flywheel serves the demo
world from a process of its own (``bench.remote``, ``--latency`` seconds per request),
and fwbot is a real ``fwbot serve --http`` process (``doubles.fwbot_process``) on a
temporary SQLite file, configured only through ``FWBOT_*`` variables (its defaults
otherwise), spoken to over signed Slack requests with the mock Slack of the tests
(``doubles/mock_slack.py``):

1. ``/fw launch qsiprep-hpc project=gear_testing`` plans the batch, ``/fw confirm``
   starts it;
2. from then on ``--rate`` (10%) of every request to Flywheel, on every route, fails
   with one of 500, 502, 503, 429 (Retry-After: 1), a connection dropped before the
   request is handled, or one dropped after it is handled (the answer is lost);
3. once ``--outage-at`` (20%) of the sessions have a job, job creation
   (``POST /sessions/{id}/analyses``) answers 503 to everything for ``--outage`` seconds;
4. once ``--kill-at`` (50%) have one, the fwbot process gets SIGKILL, and a new fwbot
   process starts at once on the same database (the faults go on).

Counted from the local Flywheel's own state, not from fwbot's: sessions with a job
carrying the batch's tag, duplicates (sessions with more than one such job), sessions
missing (targets without one); from fwbot's store: the targets it failed. Timed from the
restart (the new process spawned): the first job created after it (the launch resumed)
and the batch leaving ``launching`` (every target settled). The figures are printed,
never asserted; the acceptance (issue 10) is 0 duplicates, 0 missing and a resume within
30 s of the restart. ``--sessions N`` launches on N sessions only (a config with a
subject list, written to a temporary configs directory).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bench.polling import PATIENCE, eventually
from bench.remote import RemoteFlywheel, remote_flywheel
from bench.table import render_table
from bot.domain import BatchState, TargetState, batch_tag
from bot.store.db import Store
from doubles.fwbot_process import (
    REPO,
    FwbotProcess,
    answer_text,
    button_batches,
    fwbot_env,
)
from doubles.mock_slack import MockSlack
from localfw.demo_world import DEMO_ANALYST, DEMO_DWI_SESSIONS, DEMO_PROJECT, DWI_LABEL

GEAR = "qsiprep-hpc"
LAUNCH = f"launch {GEAR} project={DEMO_PROJECT}"
ANALYST = "U0ALICE"  # read-write on gear_testing
API_KEY = "bench-key"
FAULT_KINDS = ("500", "502", "503", "429", "drop", "drop-after")
JOB_ROUTE = "/sessions/{cid}/analyses"  # localfw's route template for job creation
JOB_CREATION = r"^POST /sessions/\{cid\}/analyses$"
QUICK_SESSIONS = 150

Say = Callable[[str], None]


@dataclass(frozen=True)
class Scenario:
    sessions: int | None = None  # None: every DWI session of gear_testing (1,329)
    latency: float = 0.05
    rate: float = 0.10
    outage: float = 15.0
    outage_at: float = 0.2
    kill_at: float = 0.5
    # How the first bot ends at kill_at: "kill" (kill -9) or "term" (SIGTERM, as docker
    # stop and Kubernetes send; it must exit on its own within ``grace`` seconds)
    stop_with: str = "kill"
    grace: float = 30.0
    watch_interval: float | None = None  # None: fwbot's default (FWBOT_WATCH_INTERVAL)
    timeout: float = 900.0  # seconds the restarted bot gets to settle every target
    logs: Path | None = None  # copy the two bots' logs here


@dataclass
class Outcome:
    batch_id: str = ""
    targets: int = 0
    launched: int = 0  # sessions with at least one job carrying the batch tag (localfw)
    duplicates: int = 0  # sessions with more than one (localfw)
    extra_jobs: int = 0  # jobs beyond one per session (localfw)
    missing: int = 0  # targets without any job (localfw)
    strays: int = 0  # tagged jobs on sessions that are not targets (localfw)
    failed: int = 0  # targets fwbot failed (its store)
    state: str = ""  # the batch at the end (its store)
    jobs_at_outage: int = 0
    outage_seconds: float = 0.0
    jobs_at_kill: int = 0
    restart_to_resume: float | None = None
    exit_code: int | None = None  # the first bot's, after SIGTERM (None: killed)
    exit_seconds: float | None = None  # SIGTERM to its exit
    restart_to_complete: float | None = None
    requests: int = 0  # to Flywheel from the confirm to the end, both processes
    injected: Counter[str] = field(default_factory=Counter)
    failure_reasons: Counter[str] = field(default_factory=Counter)
    tracebacks: int = 0  # in the two processes' logs
    not_ready_lines: int = 0  # "not ready" warnings of the restarted process

    @property
    def random_faults(self) -> int:
        return sum(self.injected.values()) - outage_hits(self.injected)


def run(scenario: Scenario, say: Say = print) -> Outcome:
    """Run the whole scenario in a temporary directory; every process is stopped after."""
    with tempfile.TemporaryDirectory(prefix="fwbot-faults-") as tmp_name:
        tmp = Path(tmp_name)
        mock = MockSlack().start()
        mock.add_user(ANALYST, DEMO_ANALYST, "Andy")
        try:
            with remote_flywheel(scenario.latency, API_KEY) as fw:
                return _run(scenario, tmp, mock, fw, say)
        finally:
            mock.stop()


def _run(scenario: Scenario, tmp: Path, mock: MockSlack, fw: RemoteFlywheel, say: Say) -> Outcome:
    dwi = fw.sessions_with_acquisition(DEMO_PROJECT, DWI_LABEL)
    configs = configs_for(tmp / "configs", dwi, scenario.sessions)
    policy = tmp / "policy.yml"
    policy.write_text("max_batch_without_approval: 100000\n")
    extra = {}
    if scenario.watch_interval is not None:
        extra["watch_interval"] = f"{scenario.watch_interval:g}"
    env = fwbot_env(
        mock,
        flywheel_api_key=fw.sdk_api_key,
        data_dir=tmp / "data",
        configs_dir=configs,
        policy_file=policy,
        **extra,
    )
    out = Outcome()
    first = FwbotProcess(env, tmp / "first", mock, "fwbot-first", flywheel=fw)
    second = FwbotProcess(env, tmp / "second", mock, "fwbot-second")
    store: Store | None = None
    try:
        first.start()
        first.wait_ready()
        answer = first.ask(LAUNCH, ANALYST)
        batch_id = button_batches(answer).get("fw_confirm")
        if batch_id is None:
            raise RuntimeError(f"the launch was not planned: {answer_text(answer)}")
        out.batch_id = batch_id
        tag = batch_tag(batch_id)
        store = Store.for_data_dir(tmp / "data")
        targets = {t.session_id for t in store.batches.targets(batch_id)}
        out.targets = len(targets)
        say(f"planned batch {batch_id} on {len(targets):,} sessions; confirming")

        fw.requests.reset()
        injected_before = fw.injected()
        first.ask(f"confirm {batch_id}", ANALYST)
        fw.set_errors(scenario.rate, FAULT_KINDS, None, retry_after=1)
        say(f"launching, {scenario.rate:.0%} of requests failing ({', '.join(FAULT_KINDS)})")

        def launching() -> bool:
            assert store is not None
            return store.batches.get_existing(batch_id).state is BatchState.LAUNCHING

        patience = max(scenario.timeout, PATIENCE)
        at_outage = scenario.outage_at * len(targets)
        out.jobs_at_outage = wait_for_jobs(fw, tag, at_outage, launching, patience)
        if scenario.outage > 0:
            fw.set_outage(JOB_CREATION, ("503",))
            began = time.monotonic()
            down = f"job creation down {scenario.outage:g} s"
            say(f"{out.jobs_at_outage:,} sessions have a job: {down}")
            time.sleep(scenario.outage)  # the scenario: an outage this long, not a wait
            eventually(  # on a loaded machine the launch may not have met it yet
                lambda: outage_hits(fw.injected() - injected_before) > 0 or not launching(),
                "the launch to meet the outage",
                timeout=patience,
            )
            fw.clear_outage()
            out.outage_seconds = time.monotonic() - began

        at_kill = scenario.kill_at * len(targets)
        out.jobs_at_kill = wait_for_jobs(fw, tag, at_kill, launching, patience)
        if scenario.stop_with == "term":
            asked = time.monotonic()
            first.stop(timeout=scenario.grace)  # SIGTERM; SIGKILL only past the grace period
            out.exit_seconds = time.monotonic() - asked
            out.exit_code = first.proc.returncode if first.proc is not None else None
            how = f"SIGTERM (exited {out.exit_code} after {out.exit_seconds:.1f} s)"
        else:
            first.kill()
            how = "kill -9"
        restart = time.monotonic()
        say(f"{out.jobs_at_kill:,} sessions have a job: {how}, restarting")
        second.start()
        # from here on every request is the new process's: the killed one's last requests
        # were in flight for one latency at most, and the new one took longer to start
        listening = time.monotonic()
        try:
            eventually(lambda: not launching(), "the launch to settle", timeout=patience)
            out.restart_to_complete = time.monotonic() - restart
        except AssertionError:
            pass  # printed as the batch's state ("launching"), not raised: a bench reports
        created = [t for t in fw.requests.times("POST", JOB_ROUTE) if t >= listening]
        out.restart_to_resume = min(created) - restart if created else None
        fw.clear_faults()

        out.requests = fw.requests.count()
        out.injected = fw.injected() - injected_before
        jobs = fw.jobs_per_session(tag)
        out.launched = sum(1 for s in targets if jobs.get(s))
        out.duplicates = sum(1 for n in jobs.values() if n > 1)
        out.extra_jobs = sum(n - 1 for n in jobs.values() if n > 1)
        out.missing = sum(1 for s in targets if not jobs.get(s))
        out.strays = sum(1 for s in jobs if s not in targets)
        out.state = store.batches.get_existing(batch_id).state.value
        failed = store.batches.targets(batch_id, [TargetState.FAILED])
        out.failed = len(failed)
        out.failure_reasons = Counter((t.error or "?")[:120] for t in failed)
        return out
    finally:
        first.kill()
        second.stop()
        if store is not None:
            store.dispose()
        logs = first.log() + second.log()
        out.tracebacks = logs.count("Traceback")
        out.not_ready_lines = second.log().count("not ready")
        if scenario.logs is not None:
            scenario.logs.mkdir(parents=True, exist_ok=True)
            for bot in (first, second):
                (scenario.logs / bot.log_path.name).write_text(bot.log())


def wait_for_jobs(
    fw: RemoteFlywheel, tag: str, at_least: float, launching: Callable[[], bool], patience: float
) -> int:
    """Until that many sessions have a job with the tag (or the launch is over); how many."""

    def reached() -> tuple[int] | None:
        have = len(fw.jobs_per_session(tag))
        return (have,) if have >= at_least or not launching() else None

    (have,) = eventually(reached, f"{at_least:.0f} sessions with a job", timeout=patience)
    return have


def outage_hits(injected: Counter[str]) -> int:
    """Requests refused by the outage (``injected`` kinds "outage 503", ...)."""
    return sum(n for kind, n in injected.items() if kind.startswith("outage"))


def configs_for(folder: Path, dwi: dict[str, str], sessions: int | None) -> Path:
    """The repository's configs for a whole launch; else a copy of the gear's config whose
    subject list selects exactly ``sessions`` of the DWI sessions (whole subjects,
    smallest first, so the count is met exactly)."""
    if sessions is None or sessions >= len(dwi):
        return REPO / "configs"
    per_subject = Counter(dwi.values())
    chosen: list[str] = []
    left = sessions
    for subject, count in sorted(per_subject.items(), key=lambda item: (item[1], item[0])):
        if left <= 0:
            break
        if count <= left:
            chosen.append(subject)
            left -= count
    if left:
        raise ValueError(f"cannot select exactly {sessions} sessions by subject")
    config = yaml.safe_load((REPO / "configs" / f"{GEAR}.yml").read_text())
    config["sessions"]["subjects"] = sorted(chosen)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{GEAR}.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder


# -- figures -----------------------------------------------------------------------
def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def table(scenario: Scenario, out: Outcome) -> str:
    rows = [
        ("sessions (targets)", f"{out.targets:,}"),
        ("sessions launched (a tagged job in Flywheel)", f"{out.launched:,}"),
        ("duplicates (sessions with > 1 tagged job)", f"{out.duplicates:,}"),
        ("sessions missing (targets without a job)", f"{out.missing:,}"),
        ("targets failed (fwbot's store)", f"{out.failed:,}"),
        ("batch state at the end", out.state or "-"),
        ("sessions with a job when the outage began", f"{out.jobs_at_outage:,}"),
        ("job creation down (503)", seconds(out.outage_seconds)),
        (f"sessions with a job at {how_stopped(scenario, out)}", f"{out.jobs_at_kill:,}"),
        ("restart -> launch resumes (first new job)", seconds(out.restart_to_resume)),
        ("restart -> launch complete", seconds(out.restart_to_complete)),
        ("requests to Flywheel (confirm to end)", f"{out.requests:,}"),
        ("faults injected at random", f"{out.random_faults:,}"),
        ("503s of the outage", f"{sum(out.injected.values()) - out.random_faults:,}"),
    ]
    return render_table(("", "figure"), rows)


def how_stopped(scenario: Scenario, out: Outcome) -> str:
    if scenario.stop_with != "term":
        return "kill -9"
    return f"SIGTERM (exit {out.exit_code} after {seconds(out.exit_seconds)})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults",
        description="A launch through injected faults, a job-creation outage and a kill -9 "
        "of the fwbot process mid-launch, then a restart on the same database.",
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=None,
        metavar="N",
        help=f"launch on N sessions (default: all {DEMO_DWI_SESSIONS:,})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_SESSIONS} sessions and a 5 s outage (unless given)",
    )
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request (0.05)")
    parser.add_argument("--rate", type=float, default=0.10, help="share of requests failing (0.1)")
    parser.add_argument(
        "--outage", type=float, default=None, help="seconds job creation is down (15)"
    )
    parser.add_argument(
        "--watch-interval",
        type=float,
        default=None,
        help="FWBOT_WATCH_INTERVAL of the bot (default: fwbot's own default)",
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds the restarted bot gets (900)"
    )
    parser.add_argument(
        "--logs", type=Path, default=None, metavar="DIR", help="keep the bots' logs in DIR"
    )
    parser.add_argument(
        "--sigterm",
        action="store_true",
        help="stop the first bot with SIGTERM (docker stop) instead of kill -9",
    )
    args = parser.parse_args(argv)
    sessions = (
        args.sessions if args.sessions is not None else (QUICK_SESSIONS if args.quick else None)
    )
    outage = args.outage if args.outage is not None else (5.0 if args.quick else 15.0)
    if (sessions is not None and sessions < 10) or not 0 <= args.rate < 1 or outage < 0:
        parser.error("--sessions needs at least 10, --rate in [0, 1), --outage at least 0")
    scenario = Scenario(
        sessions=sessions,
        latency=args.latency,
        rate=args.rate,
        outage=outage,
        watch_interval=args.watch_interval,
        timeout=args.timeout,
        logs=args.logs,
        stop_with="term" if args.sigterm else "kill",
    )
    print(
        f"fwbot serve --http (a real process) launching {GEAR} on "
        f"{sessions or DEMO_DWI_SESSIONS:,} sessions; local Flywheel in its own process at "
        f"{args.latency * 1000:.0f} ms per request",
        flush=True,
    )
    out = run(scenario, say=lambda line: print(f"  {line}", flush=True))
    print()
    print(table(scenario, out))
    print()
    kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(out.injected.items()))
    print(f"faults injected by kind: {kinds or 'none'}")
    if out.failure_reasons:
        print("why targets failed:")
        for reason, n in out.failure_reasons.most_common(5):
            print(f"  {n:,} x {reason}")
    if out.strays:
        print(f"tagged jobs on sessions that are not targets: {out.strays:,}")
    if out.extra_jobs:
        print(f"jobs beyond one per session: {out.extra_jobs:,}")
    print(
        f"tracebacks in the bots' logs: {out.tracebacks}; 'not ready' warnings after the "
        f"restart: {out.not_ready_lines}"
    )
    resumed = out.restart_to_resume
    ok = out.duplicates == 0 and out.missing == 0 and resumed is not None and resumed < 30
    print(
        f"\ntarget: 0 duplicates, 0 missing, resume within 30 s of the restart: "
        f"{'PASS' if ok else 'MISS'} ({out.duplicates} duplicates, {out.missing} missing, "
        f"resumed after {seconds(resumed)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
