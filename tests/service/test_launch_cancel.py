"""`/fw cancel` while a batch is still launching, against the local Flywheel and a real
SQLite store: the launch stops, the sessions not launched yet never are, the jobs already
made that are still pending are cancelled in Flywheel, and the batch ends cancelled;
whether the launch runs in this process, in another replica, or in none (the bot died).

The launch is held part-way by Flywheel refusing every creation after the first ones
(503s: nothing is made), so how many sessions were launched is known exactly."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.polling import PATIENCE, eventually
from bot.domain import BatchState, TargetState
from bot.errors import Conflict, PermissionDenied
from bot.service import Services
from bot.service.launch.service import CancelStep
from bot.service.launch.timing import LaunchTiming
from bot.store.db import Store
from localfw.knobs import Knobs
from localfw.server import LocalFlywheel
from tests.fixtures.localfw import EDITOR, VIEWER
from tests.service.test_launch_service import (
    CONFIG,
    DWI_SESSIONS,
    EDITOR_ACTOR,
    QSI,
    VIEWER_ACTOR,
    make_services,
    tagged,
)

CREATE = "POST /sessions/{cid}/analyses"
LET_THROUGH = 100  # analyses made before Flywheel starts refusing


@pytest.fixture
def configs_dir(tmp_path: Path) -> Path:
    (tmp_path / "qsi.yml").write_text(CONFIG)
    return tmp_path


@pytest.fixture
def make(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path
) -> Iterator[Callable[..., Services]]:
    made: list[Services] = []

    def _make(timing: LaunchTiming | None = None) -> Services:
        services = make_services(localfw, sqlite_store, configs_dir, timing=timing)
        made.append(services)
        return services

    yield _make
    for services in made:
        services.workers.shutdown()


def refuse_creations_after(knobs: Knobs, let_through: int) -> list[int]:
    """The first ``let_through`` analysis creations are served; every later one answers
    503 (Flywheel made nothing), so the launch keeps retrying the rest. Returns a list
    whose length is the number of creations asked so far."""
    pick = knobs.pick_error
    asked: list[int] = []
    lock = threading.Lock()

    def pick_error(method: str, path: str, route: str) -> str | None:
        if f"{method} {route}" == CREATE:
            with lock:
                asked.append(1)
                if len(asked) > let_through:
                    return "503"
        return pick(method, path, route)

    knobs.pick_error = pick_error  # type: ignore[method-assign]
    return asked


def launch_held_part_way(services: Services, localfw: LocalFlywheel, store: Store) -> str:
    """Confirm the batch; return once LET_THROUGH sessions are launched and the rest are
    being retried (the launch is still under way)."""
    asked = refuse_creations_after(localfw.knobs, LET_THROUGH)
    ticket = services.launches.request(EDITOR_ACTOR, QSI)
    services.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
    eventually(
        lambda: (
            len(asked) > LET_THROUGH
            and store.batches.target_counts(ticket.batch.id)[TargetState.LAUNCHED] == LET_THROUGH
        ),
        f"{LET_THROUGH} launched and a creation refused",
    )
    assert store.batches.get_existing(ticket.batch.id).state is BatchState.LAUNCHING
    return ticket.batch.id


def assert_stopped(localfw: LocalFlywheel, store: Store, batch_id: str, by: str) -> None:
    """What a user would notice: the launch ended cancelled, only the sessions launched
    before the cancel have a job (once each), and none of those jobs is left pending."""
    batch = store.batches.get_existing(batch_id)
    assert batch.state is BatchState.CANCELLED and batch.cancel_requested_by == by
    jobs = tagged(localfw, batch_id)
    per_session = Counter(str(j["parents"]["session"]) for j in jobs)  # type: ignore[index]
    assert len(per_session) == LET_THROUGH and set(per_session.values()) == {1}
    assert {j["state"] for j in jobs} == {"cancelled"}
    counts = {s: n for s, n in store.batches.target_counts(batch_id).items() if n}
    assert counts == {
        TargetState.LAUNCHED: LET_THROUGH,
        TargetState.CANCELLED: DWI_SESSIONS - LET_THROUGH,
    }
    launched = {t.session_id for t in store.batches.targets(batch_id, [TargetState.LAUNCHED])}
    assert launched == set(per_session)
    [reason] = {t.error for t in store.batches.targets(batch_id, [TargetState.CANCELLED])}
    assert reason == f"not launched: {by} cancelled the launch"


def test_cancel_during_the_launch_previews_then_stops_it(
    localfw: LocalFlywheel, sqlite_store: Store, make: Callable[[], Services]
) -> None:
    """Issue 10: `/fw cancel` on a launching batch was refused ("still launching")."""
    services = make()
    batch_id = launch_held_part_way(services, localfw, sqlite_store)

    preview = services.launches.cancel(EDITOR_ACTOR, batch_id, confirmed=False)

    assert preview.step is CancelStep.PREVIEW
    assert (preview.not_launched, preview.pending) == (DWI_SESSIONS - LET_THROUGH, LET_THROUGH)
    assert sqlite_store.batches.get_existing(batch_id).cancel_requested_by is None
    with pytest.raises(PermissionDenied, match="read-only"):
        services.launches.cancel(VIEWER_ACTOR, batch_id, confirmed=True)

    stopping = services.launches.cancel(EDITOR_ACTOR, batch_id, confirmed=True)
    services.workers.wait_idle(PATIENCE)

    assert stopping.step is CancelStep.STOPPING
    assert (stopping.not_launched, stopping.pending) == (DWI_SESSIONS - LET_THROUGH, LET_THROUGH)
    assert_stopped(localfw, sqlite_store, batch_id, by=EDITOR)
    outcomes = [(e.actor_email, e.action, e.outcome) for e in sqlite_store.audit.recent(50)]
    assert (VIEWER, "cancel", "refused") in outcomes and (EDITOR, "cancel", "allowed") in outcomes
    with pytest.raises(Conflict, match="is cancelled: nothing is pending"):
        services.launches.cancel(EDITOR_ACTOR, batch_id, confirmed=False)


def test_the_replica_holding_the_launch_learns_the_cancel_from_the_store(
    localfw: LocalFlywheel,
    sqlite_store: Store,
    make: Callable[..., Services],
) -> None:
    """The cancel is typed to another replica than the one launching: the launcher reads
    it at its next heartbeat (every ``renew_every`` seconds) and stops there."""
    launching, other = make(LaunchTiming(renew_every=0.05)), make()
    batch_id = launch_held_part_way(launching, localfw, sqlite_store)

    stopping = other.launches.cancel(EDITOR_ACTOR, batch_id, confirmed=True)
    other.workers.wait_idle(PATIENCE)  # its own run found the launch held elsewhere
    launching.workers.wait_idle(PATIENCE)

    assert stopping.step is CancelStep.STOPPING
    assert_stopped(localfw, sqlite_store, batch_id, by=EDITOR)


def test_a_cancel_recorded_while_no_bot_holds_the_launch_is_honoured_on_resume(
    localfw: LocalFlywheel, sqlite_store: Store, make: Callable[[], Services]
) -> None:
    """The bot died mid-launch and the cancel was recorded meanwhile: the restarted bot
    stops the launch instead of finishing it."""
    first = make()
    batch_id = launch_held_part_way(first, localfw, sqlite_store)
    first.workers.shutdown()  # the bot stops while Flywheel refuses
    assert sqlite_store.batches.request_cancel(batch_id, EDITOR)  # as another replica does
    localfw.knobs.pick_error = Knobs().pick_error  # type: ignore[method-assign]  # all fine now

    restarted = make()
    assert restarted.background.resume_unfinished() == [batch_id]
    restarted.workers.wait_idle(PATIENCE)

    assert_stopped(localfw, sqlite_store, batch_id, by=EDITOR)
    assert localfw.requests.count("PUT", "/jobs/{id}") == LET_THROUGH
