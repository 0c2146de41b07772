"""Test knobs (errors, latency, request log), the simulator's determinism, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import flywheel
import httpx2
import pytest

from bench.polling import PATIENCE
from localfw.server import LocalFlywheel
from localfw.simulator import GearTiming, JobSimulator, SimClock, SimulatorSettings
from tests.fixtures.localfw import build_small_world


def test_injected_500_raises_api_exception(localfw: LocalFlywheel, fw: Any) -> None:
    localfw.knobs.set_errors(rate=1.0, kinds=("500",), route=r"^/projects")
    with pytest.raises(flywheel.ApiException) as info:
        fw.projects.find("label=gear_testing")
    assert info.value.status == 500
    assert fw.get_all_gears()  # other routes unaffected
    localfw.knobs.clear()
    assert fw.projects.find("label=gear_testing")


def test_429_is_retried_by_the_sdk_and_logged(localfw: LocalFlywheel, fw: Any) -> None:
    localfw.knobs.set_errors(rate=0.5, kinds=("429", "502"), route="/gears", retry_after=0)
    localfw.requests.reset()
    for _ in range(5):
        assert fw.get_all_gears()
    statuses = [r.status for r in localfw.requests.records if r.route == "/gears"]
    assert statuses.count(200) == 5
    assert {429, 502} & set(statuses)  # seeded: some failures, all retried


def test_dropped_connection_surfaces_as_transport_error(localfw: LocalFlywheel, fw: Any) -> None:
    localfw.knobs.set_errors(rate=1.0, kinds=("drop",), route="/batch")
    with pytest.raises(httpx2.TransportError):
        fw.create_batch_job_from_jobs({"jobs": []})
    assert localfw.requests.records[-1].status == 0


def test_request_log_counts_routes_and_filters(localfw: LocalFlywheel, fw: Any) -> None:
    localfw.knobs.latency = 0.001
    localfw.requests.reset()
    project = fw.projects.find_first("label=gear_testing")
    fw.get(project.id)
    fw.get(project.id)
    assert localfw.requests.count(route="/containers/{id}") == 2
    assert localfw.requests.count("GET", "/projects") == 1
    rec = next(r for r in localfw.requests.records if r.route == "/projects")
    assert rec.filter == "label=gear_testing" and rec.status == 200
    assert localfw.requests.by_route()[("GET", "/containers/{id}")] == 2
    assert localfw.requests.writes() == []
    localfw.requests.reset()
    assert localfw.requests.records == []


def _plan_outcomes(seed: int) -> list[str]:
    world = build_small_world(sessions=40)
    clock = SimClock()
    settings = SimulatorSettings(default=GearTiming(10, 100, 0.5), per_gear={}, seed=seed)
    sim = JobSimulator(world, clock, settings)
    clock.listeners.append(sim.tick)
    gear = next(g for g in world.gears.values() if g["gear"]["name"] == "fmriprep")
    jobs = []
    for session in list(world.sessions.values())[:40]:
        _, job = world.add_analysis(session, "a", gear=gear, now=clock.now())
        assert job is not None
        sim.schedule(job)
        jobs.append(job)
    clock.advance(1000)
    return [j["state"] for j in jobs]


def test_simulator_is_deterministic_per_seed() -> None:
    first = _plan_outcomes(seed=5)
    assert first == _plan_outcomes(seed=5)
    assert set(first) == {"complete", "failed"}
    assert first != _plan_outcomes(seed=6)


def test_cli_serves_the_demo_world(tmp_path: Any) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "localfw", "--port", "0", "--api-key", "cli-key"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[1].startswith("fwbot API key (fwbot@pennlinc.example, a plain user): ")
        key = lines[1].rsplit(" ", 1)[1].strip()
        assert key.endswith(":__force_insecure:cli-key")
        client = flywheel.Client(key)
        assert client.projects.find_first("label=gear_testing") is not None
        assert client.get_current_user().root is False
        assert lines[2].startswith("site admin API key (siteadmin@pennlinc.example): ")
        admin = flywheel.Client(lines[2].rsplit(" ", 1)[1].strip())
        assert admin.get_current_user().root is True
    finally:
        proc.terminate()
        proc.wait(timeout=PATIENCE)
