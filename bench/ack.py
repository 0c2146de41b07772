"""Slack's ack under load: 50 `/fw` commands from 20 users in flight while a 1,329-session
launch runs.

Run from the repository root::

    python -m bench.ack                              # 50 in flight for 5 s, per-session launch
    python -m bench.ack --launch-mode auto           # the batch-API launch (over in ~2 s)
    python -m bench.ack --seconds 10 --concurrency 40
    python -m bench.ack --no-launch                  # the same load, no launch (a baseline)

Everything runs in this one process: the local Flywheel (``localfw``) serving the
demo world with ``--latency`` seconds added to every request, the mock Slack of the
test suite (``doubles/mock_slack.py``: Web API and response URLs), and the real
bolt app behind the real HTTP runner, over the real services on a temporary SQLite
store. Requests are signed exactly as Slack signs them (``doubles/signing.py``).

1. Cold: one `/fw gears` per user, one at a time. The ack waits for nothing (who the
   user is, ``users.info`` then a Flywheel user lookup, is found after it, in fwbot's
   answer pool); bolt's ``auth.test`` was made when the app was built.
2. Load: `/fw launch qsiprep-hpc project=gear_testing` is planned, then `/fw confirm`
   starts the launch of 1,329 sessions in the background, and at the same moment
   ``--concurrency`` clients start posting a mix of commands. Each client posts a
   command, times the HTTP round trip until the 200 (Slack's ack, which Slack wants
   within 3 s), then waits for the answer on the command's response_url before its
   next command: ``--concurrency`` commands are in flight at any time.

``--launch-mode per-session`` (the default) launches one job per request, 8 at a
time, so the launch outlasts the whole window; ``auto`` uses the batch API and is
over in about 2 s, after which the load runs next to an idle launcher. The figures
are printed, never asserted; the budget (DESIGN.md, "Budgets") is an ack p99 under
300 ms with 50 commands from 20 users in flight during the launch.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from slack_sdk import WebClient

from bench.polling import PATIENCE
from bench.table import render_table
from bot.service import Services
from bot.store.db import Store
from commands.buttons import ButtonValue
from doubles.mock_slack import MockSlack
from doubles.signing import post_form, slash_command_form
from localfw.demo_world import (
    DEMO_ADMIN,
    DEMO_ANALYST,
    DEMO_DWI_SESSIONS,
    DEMO_PROJECT,
    DEMO_VIEWER,
)
from localfw.server import LocalFlywheel

GEAR = "qsiprep-hpc"
LAUNCH = f"launch {GEAR} project={DEMO_PROJECT}"
API_KEY = "bench-key"
SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-fwbot-bench"
CHANNEL = "C0BENCH"
BUDGET_P99_MS = 300.0
SLACK_LIMIT_MS = 3000.0
ANSWER_TIMEOUT_S = PATIENCE  # a sample with no answer by then counts as "no answer"
REPO = Path(__file__).resolve().parent.parent

# Who posts: (Slack id, email, name). The analyst has read-write on gear_testing and
# requests the launch; the admin and the viewer can read it (status, dry-run).
USERS: tuple[tuple[str, str, str], ...] = (
    ("U0ALICE", DEMO_ANALYST, "Andy"),
    ("U0ADA", DEMO_ADMIN, "Ada"),
    ("U0VERA", DEMO_VIEWER, "Vera"),
)


def lab_users(n: int) -> list[tuple[str, str, str]]:
    """``n`` Slack users with Flywheel accounts: the three above, then lab members with
    read-write on gear_testing (added to the world by ``start_bench``)."""
    extra = [(f"U0LAB{i:02d}", f"member{i:02d}@pennlinc.example", f"Member {i}") for i in range(n)]
    return [*USERS, *extra][: max(n, 1)]


def command_mix(batch_id: str) -> tuple[str, ...]:
    """The commands the clients cycle through (one each, in turn)."""
    return ("gears", f"gear {GEAR}", f"status {batch_id}", "help", f"{LAUNCH} dry-run")


class TimedMockSlack(MockSlack):
    """The test suite's mock Slack, noting when each response_url post arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: dict[str, float] = {}

    def _record(self, kind: str, item: Any) -> None:
        if kind == "responses":
            with self._changed:
                self.answered.setdefault(item.token, time.perf_counter())
        super()._record(kind, item)

    def wait_answer(self, token: str, timeout: float) -> float | None:
        """When the first answer for ``token`` arrived (perf_counter), or None on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while token not in self.answered:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(min(remaining, 0.05))
            return self.answered[token]

    def first_answer(self, token: str) -> dict[str, Any]:
        posts = self.responses(token)
        return posts[0].body if posts else {}


@dataclass
class Sample:
    """One signed command: when it was posted, its ack, its answer."""

    command: str
    user: str
    sent: float  # perf_counter
    ack_ms: float | None  # None: no 200
    answer_ms: float | None  # None: no answer within ANSWER_TIMEOUT_S
    status: int = 0
    error: str = ""


@dataclass
class Bench:
    """The running pieces, and how to post a signed `/fw` to them."""

    mock: TimedMockSlack
    url: str
    services: Services
    store: Store
    users: list[tuple[str, str, str]]
    tokens: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def post(self, text: str, user: str, *, wait: bool = True) -> tuple[Sample, str]:
        token = f"cmd{next(self.tokens)}"
        form = slash_command_form(
            text, response_url=self.mock.response_url(token), user_id=user, channel_id=CHANNEL
        )
        name = text.split()[0]
        sent = time.perf_counter()
        try:
            result = post_form(self.url, form, SIGNING_SECRET)
        except OSError as err:
            return Sample(name, user, sent, None, None, error=type(err).__name__), token
        acked = time.perf_counter()
        if result.status != 200:
            return Sample(name, user, sent, None, None, result.status, "http"), token
        sample = Sample(name, user, sent, (acked - sent) * 1000, None, result.status)
        if wait:
            answered = self.mock.wait_answer(token, ANSWER_TIMEOUT_S)
            if answered is None:
                sample.error = "no answer"
            else:
                sample.answer_ms = (answered - sent) * 1000
        return sample, token


def start_bench(
    latency: float,
    tmp: Path,
    launch_mode: str,
    listener_threads: int | None,
    users: Sequence[tuple[str, str, str]] = USERS,
    answer_threads: int | None = None,
) -> tuple[Bench, LocalFlywheel, Callable[[], None]]:
    from bot.bootstrap import build_services
    from bot.flywheel.sdk_gateway import SdkGateway
    from bot.service.policy import Policy
    from bot.settings import Settings
    from bot.slack.app import create_app
    from bot.slack.notifier import SlackNotifier
    from bot.slack.runner import run_http
    from doubles.linked_users import link_people, new_accounts
    from localfw.demo_world import build_demo_world
    from localfw.simulator import SimClock

    world = build_demo_world()
    project = next(p for p in world.projects.values() if p["label"] == DEMO_PROJECT)
    for _, email, name in users:
        if email not in world.users:
            world.add_user(email, name, "Lab")
            world.grant(project, email, "read-write")
    lf = LocalFlywheel(world, api_key=API_KEY, clock=SimClock())
    lf.start(host="127.0.0.1", port=0)
    lf.knobs.latency = latency
    mock = TimedMockSlack()
    mock.start()
    for user_id, email, name in users:
        mock.add_user(user_id, email, name)

    store = Store.for_data_dir(tmp)
    store.migrate()
    gateway = SdkGateway.connect(lf.sdk_api_key)
    notifier = SlackNotifier(WebClient(token=BOT_TOKEN, base_url=mock.api_url))
    # each Slack user linked their own key, as on a site that filters permission lists
    accounts = new_accounts(store, lf)
    link_people(accounts, lf, {email: user_id for user_id, email, _ in users})
    services = build_services(
        gateway,
        store,
        Policy(max_batch_without_approval=5000),
        REPO / "configs",
        notifier=notifier,
        launch_mode=launch_mode,  # type: ignore[arg-type]
        accounts=accounts,
    )
    extra: dict[str, Any] = {}
    if listener_threads is not None:
        extra["slack_listener_threads"] = listener_threads
    if answer_threads is not None:
        extra["answer_threads"] = answer_threads
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=mock.api_url,
        data_dir=tmp,
        **extra,
    )
    app = create_app(settings, services, client=WebClient(token=BOT_TOKEN, base_url=mock.api_url))
    http = run_http(app, port=0, host="127.0.0.1").start_in_thread()

    def stop() -> None:
        http.shutdown()
        services.workers.shutdown()
        store.dispose()
        mock.stop()
        lf.stop()

    return Bench(mock, http.url, services, store, list(users)), lf, stop


def buttons(answer: dict[str, Any]) -> dict[str, str]:
    """action_id -> the batch id of every button in an answer."""
    return {
        element["action_id"]: ButtonValue.model_validate_json(element["value"]).batch
        for block in answer.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
        if "action_id" in element
    }


@dataclass
class LaunchWatch:
    """When the launch started and when the worker pool went idle (perf_counter)."""

    started: float = 0.0
    ended: float | None = None
    state: str = ""


def confirm_and_watch(bench: Bench, batch_id: str, user: str, watch: LaunchWatch) -> None:
    """`/fw confirm BATCH`; once answered the launch is in the worker pool: wait for it.

    Waiting on the pool, not polling the store, keeps the watch off the database."""
    watch.started = time.perf_counter()
    bench.post(f"confirm {batch_id}", user)
    bench.services.workers.wait_idle(timeout=600)
    watch.ended = time.perf_counter()
    watch.state = bench.store.batches.get_existing(batch_id).state.value


def run_load(
    bench: Bench,
    commands: Sequence[str],
    concurrency: int,
    seconds: float,
    on_start: Callable[[], None],
) -> tuple[list[Sample], float, float]:
    """``concurrency`` clients, each: post, ack, wait for the answer, next; for ``seconds``."""
    samples: list[Sample] = []
    lock = threading.Lock()
    go = threading.Barrier(concurrency + 1)
    deadline = 0.0

    def client(index: int) -> None:
        user = bench.users[index % len(bench.users)][0]
        shift = index % len(commands)  # clients start at different commands
        turn = itertools.cycle([*commands[shift:], *commands[:shift]])
        go.wait()
        while time.perf_counter() < deadline:
            sample, _ = bench.post(next(turn), user)
            with lock:
                samples.append(sample)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench-client") as pool:
        futures = [pool.submit(client, i) for i in range(concurrency)]
        start = time.perf_counter()
        deadline = start + seconds
        go.wait()
        on_start()
        for f in futures:
            f.result()
        end = time.perf_counter()
    return samples, start, end


# -- figures -----------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank), 0 < q <= 100."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


@dataclass
class Row:
    name: str
    samples: list[Sample]

    @property
    def acks(self) -> list[float]:
        return [s.ack_ms for s in self.samples if s.ack_ms is not None]

    @property
    def answers(self) -> list[float]:
        return [s.answer_ms for s in self.samples if s.answer_ms is not None]

    @property
    def errors(self) -> int:
        return sum(1 for s in self.samples if s.error)

    def cells(self) -> tuple[str, ...]:
        acks, answers = self.acks, self.answers

        def p(values: list[float], q: float) -> str:
            return ms(percentile(values, q)) if values else "-"

        return (
            self.name,
            f"{len(self.samples):,}",
            p(acks, 50),
            p(acks, 95),
            p(acks, 99),
            ms(max(acks)) if acks else "-",
            p(answers, 50),
            p(answers, 99),
            f"{self.errors:,}",
        )


def table(rows: list[Row]) -> str:
    header = (
        "",
        "requests",
        "ack p50",
        "ack p95",
        "ack p99",
        "ack max",
        "answer p50",
        "answer p99",
        "errors",
    )
    lines = [header, *(r.cells() for r in rows)]
    return render_table(lines[0], lines[1:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ack",
        description="Slack ack latency of fwbot's HTTP mode with commands in flight while a "
        "1,329-session launch runs.",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="how long the clients post (5)")
    parser.add_argument(
        "--concurrency", type=int, default=50, help="commands in flight at once (50)"
    )
    parser.add_argument(
        "--users", type=int, default=20, help="Slack users the commands come from (20)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds added to every Flywheel request (0.05)"
    )
    parser.add_argument(
        "--launch-mode",
        choices=("per-session", "auto", "batch-api"),
        default="per-session",
        help="how the launch reaches Flywheel (per-session: 1,329 job requests, 8 at a time, "
        "so it runs through the whole window; auto: the batch API, over in ~2 s)",
    )
    parser.add_argument(
        "--no-launch",
        action="store_true",
        help="plan the batch but never confirm it: the same load with no launch (a baseline)",
    )
    parser.add_argument(
        "--listener-threads",
        type=int,
        default=None,
        metavar="N",
        help="bolt's listener pool (default: the setting's default, slack_listener_threads)",
    )
    parser.add_argument(
        "--answer-threads",
        type=int,
        default=None,
        metavar="N",
        help="fwbot's answer pool (default: the setting's default, answer_threads)",
    )
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.seconds <= 0:
        parser.error("--concurrency needs at least 1 and --seconds more than 0")
    logging.basicConfig(level=logging.WARNING)

    print(
        f"fwbot HTTP mode, local Flywheel at {args.latency * 1000:.0f} ms per request, "
        f"{args.concurrency} commands from {args.users} users in flight for {args.seconds:g} s "
        + (
            "and no launch (baseline)"
            if args.no_launch
            else f"during a {DEMO_DWI_SESSIONS:,}-session launch ({args.launch_mode})"
        ),
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        bench, _lf, stop = start_bench(
            args.latency,
            Path(tmp),
            args.launch_mode,
            args.listener_threads,
            lab_users(args.users),
            args.answer_threads,
        )
        try:
            return measure(bench, args)
        finally:
            stop()


def measure(bench: Bench, args: argparse.Namespace) -> int:
    analyst = USERS[0][0]

    # 1. cold: each user's first command (who they are is found after the ack)
    cold = [bench.post("gears", user)[0] for user, _, _ in bench.users]
    warm = [bench.post("gears", user)[0] for user, _, _ in bench.users]

    # 2. plan the launch, then confirm it as the load starts
    planned, token = bench.post(LAUNCH, analyst)
    answer = bench.mock.first_answer(token)
    batch_id = buttons(answer).get("fw_confirm")
    if batch_id is None:
        print(f"the launch was not planned: {answer.get('text', planned.error)!r}")
        return 1
    then = "not launching it (baseline)" if args.no_launch else "launching ..."
    print(f"planned batch {batch_id} ({ms(planned.answer_ms)} to the plan); {then}")

    watch = LaunchWatch()
    watcher = threading.Thread(
        target=confirm_and_watch, args=(bench, batch_id, analyst, watch), daemon=True
    )
    samples, start, end = run_load(
        bench,
        command_mix(batch_id),
        args.concurrency,
        args.seconds,
        (lambda: None) if args.no_launch else watcher.start,
    )
    if watch.ended is None:
        watch.state = "launching"

    launch_end = watch.ended if watch.ended is not None else end
    during = [s for s in samples if s.sent < launch_end]
    rows = [
        Row("cold (first per user)", cold),
        Row("idle (second per user)", warm),
        Row(f"under load, {args.concurrency} in flight", samples),
    ]
    if len(during) != len(samples):
        rows.append(Row("  sent while launching", during))
    print()
    print(table(rows))

    by_command = Counter(s.command for s in samples)
    kinds = ", ".join(f"{name} {n:,}" for name, n in by_command.most_common())
    if args.no_launch:
        launched = "no launch (baseline: the target does not apply)"
    elif watch.ended is None:
        launched = f"still launching when the load stopped ({watch.state})"
    else:
        launched = f"launch over after {watch.ended - watch.started:.1f} s ({watch.state})"
    print(f"\nmix: {kinds}; {launched}; window {end - start:.1f} s")
    errors = Counter(s.error for s in samples if s.error)
    if errors:
        print("errors: " + ", ".join(f"{k} {n}" for k, n in errors.items()))

    acks = Row("", during).acks
    p99 = percentile(acks, 99) if acks else float("inf")
    ok = p99 < BUDGET_P99_MS and not Row("", during).errors
    print(
        f"\ntarget: ack p99 < {BUDGET_P99_MS:.0f} ms with {args.concurrency} in flight during a "
        f"{DEMO_DWI_SESSIONS:,}-session launch: {'PASS' if ok else 'MISS'} "
        f"(p99 {ms(p99)} over {len(acks):,} acks; Slack allows {SLACK_LIMIT_MS / 1000:.0f} s)"
    )
    worst_cold = max((s.ack_ms or 0.0 for s in cold), default=0.0)
    print(f"cold ack (identity lookup before the ack): up to {ms(worst_cold)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
