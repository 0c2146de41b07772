"""Launching gears whose inputs are each target's own files or an earlier analysis's
output, on other target levels, end to end: signed slash commands and button clicks
through the real bolt app, services on the real SDK gateway, the demo world in the local
Flywheel (on a SimClock) and a real SQLite store.

What a user would notice: the dry-run says per input how many targets have one file, none
or several, and shows the files of the first targets; a launch gives each job exactly the
files the plan picked (the store recorded them before anything was launched); a target
with two candidates is skipped unless the config says how to pick; a new version of an
input file makes a new run, the same file does not.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bench.polling import PATIENCE
from bot.domain import BatchState
from bot.service import Services
from bot.service.policy import Policy
from bot.slack.notifier import SlackNotifier
from bot.store.db import Store
from commands.buttons import ButtonValue
from doubles.mock_slack import MockSlack
from localfw.demo_files import (
    ADC_SESSIONS,
    QSIPREP_FAILED_SESSIONS,
    QSIPREP_RERUN_SESSIONS,
    QSIPREP_UNRUN_SESSIONS,
)
from localfw.demo_world import (
    DEMO_DWI_SESSIONS,
    DEMO_OPS,
    DEMO_PROJECT,
    DEMO_SECOND_PROJECT,
    GRMPY_DWI_SESSIONS,
)
from localfw.server import LocalFlywheel
from tests.e2e.conftest import WORKSPACE_EMAILS
from tests.fakes import REPO_CONFIGS
from tests.fixtures.accounts import build_linked_services
from tests.fixtures.slack import BOT_TOKEN, Click, Slash

PENDING_S, RUN_S = 60, 600  # the demo fixture's SimulatorSettings
ADMIN = "U0ADMIN"  # admin@: project admin on grmpy_dwi (read-only for analyst@ there)
# a session target reading the DWI NIfTI: the ADC map next to it makes two candidates
MRIQC_DWI = """\
gear: mriqc
target: session
config: {measurement: auto-detect}
inputs:
  nifti: {acquisition: acq-64dir_dwi, file: "*dwi*.nii.gz"}
sessions: {has_acquisition: acq-64dir_dwi}
expect_outputs: ["*.html.zip"]
"""


@pytest.fixture
def configs_dir(tmp_path: Path) -> Path:
    """The repository's example configs, plus two session-level mriqc configs on the DWI."""
    directory = tmp_path / "configs"
    shutil.copytree(REPO_CONFIGS, directory)
    (directory / "mriqc-dwi.yml").write_text(MRIQC_DWI)
    newest = MRIQC_DWI.replace('file: "*dwi*.nii.gz"}', 'file: "*dwi*.nii.gz", pick: newest}')
    (directory / "mriqc-dwi-newest.yml").write_text(newest)
    return directory


@pytest.fixture
def slack_services(
    demo_localfw: LocalFlywheel, sqlite_store: Store, mock_slack: MockSlack, configs_dir: Path
) -> Iterator[Services]:
    services = build_linked_services(
        demo_localfw,
        sqlite_store,
        Policy(bot_admins=[DEMO_OPS], max_batch_without_approval=10_000),
        configs_dir,
        slack_users=WORKSPACE_EMAILS,
        notifier=SlackNotifier(
            WebClient(token=BOT_TOKEN, base_url=mock_slack.api_url), min_interval=0
        ),
        clock=demo_localfw.clock.now,
    )
    yield services
    services.workers.shutdown()


# -- helpers -------------------------------------------------------------------------
def shown(answer: dict[str, Any]) -> str:
    return answer["text"] + json.dumps(answer.get("blocks") or [], ensure_ascii=False)


def batch_of(answer: dict[str, Any]) -> str:
    values = {
        ButtonValue.model_validate_json(e["value"]).batch
        for block in answer.get("blocks") or []
        if block["type"] == "actions"
        for e in block["elements"]
    }
    assert len(values) == 1, answer
    return values.pop()


def launch(slash: Slash, click: Click, services: Services, text: str, user: str) -> str:
    answer = slash(text, user_id=user).answer()
    batch_id = batch_of(answer)
    click("fw_confirm", batch_id, user_id=user).answer()
    services.workers.wait_idle(2 * PATIENCE)
    return batch_id


def jobs_of(localfw: LocalFlywheel, batch_id: str) -> list[dict[str, Any]]:
    with localfw.world.lock:
        return [j for j in localfw.world.jobs.values() if f"fwbot:{batch_id}" in j["tags"]]


def target_of(localfw: LocalFlywheel, job: dict[str, Any]) -> str:
    """The container a job runs on: its destination, or its analysis's parent."""
    destination = job["destination"]
    if destination["type"] == "analysis":
        return str(localfw.world.analyses[destination["id"]]["parent"]["id"])
    return str(destination["id"])


def examples(answer: dict[str, Any], name: str) -> dict[str, str]:
    """The plan's example lines ``<who>: <input> = <file> (vN)``: who -> file."""
    found = re.findall(rf"([\w\- ]+): {name} = ([^ ,\\]+) \(v\d+\)", shown(answer))
    return {who.strip(): f for who, f in found}


def assert_inputs_as_recorded(
    localfw: LocalFlywheel, store: Store, batch_id: str, jobs: list[dict[str, Any]]
) -> None:
    """Each job's inputs are exactly the files recorded for its target before the launch
    (plus the batch's project files), by container and name."""
    batch = store.batches.get_existing(batch_id)
    targets = {t.key: t for t in store.batches.targets(batch_id)}
    assert len(jobs) == len(targets)
    for job in jobs:
        target = targets[target_of(localfw, job)]
        wanted = {
            name: {"type": ref["parent_type"], "id": ref["parent_id"], "name": ref["name"]}
            for name, ref in {**batch.inputs, **target.inputs}.items()
        }
        assert job["inputs"] == wanted, (job["_id"], target)


# -- dcm2niix: one job per DICOM acquisition -------------------------------------------
def test_dcm2niix_dry_run_then_launch_on_every_dicom_acquisition(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
) -> None:
    with demo_localfw.world.lock:
        project = next(
            p for p in demo_localfw.world.projects.values() if p["label"] == DEMO_PROJECT
        )
        acquisitions = [
            a
            for a in demo_localfw.world.acquisitions.values()
            if a["parents"]["project"] == project["_id"]
        ]
    with_dicom = [a for a in acquisitions if any(f["type"] == "dicom" for f in a["files"])]
    demo_localfw.requests.reset()

    dry = slash(f"launch dcm2niix project={DEMO_PROJECT} dry-run").answer()

    text = shown(dry)
    assert f"*{len(with_dicom):,}* to launch" in text
    without = len(acquisitions) - len(with_dicom)
    assert f"{without:,} skipped ({without:,} no input)" in text
    assert (
        f"dcm2niix_input ← type dicom: {len(with_dicom):,} acquisitions with one file, "
        f"{without:,} with none (skipped)" in text
    )
    assert "no file for dcm2niix_input (type dicom)" in text  # an fmap, by name
    assert "one job per acquisition, writing its outputs into the acquisition" in text
    assert demo_localfw.requests.writes() == []
    # from paged listings: never a request per acquisition
    assert demo_localfw.requests.count() <= 20, demo_localfw.requests.by_route()
    shown_files = examples(dry, "dcm2niix_input")
    assert len(shown_files) == 3 and all(f.endswith(".dicom.zip") for f in shown_files.values())

    batch_id = launch(
        slash, click, slack_services, f"launch dcm2niix project={DEMO_PROJECT}", "U0ALICE"
    )

    batch = sqlite_store.batches.get_existing(batch_id)
    assert batch.state is BatchState.LAUNCHED
    jobs = jobs_of(demo_localfw, batch_id)
    assert len(jobs) == len(with_dicom)
    assert {j["destination"]["type"] for j in jobs} == {"acquisition"}
    assert {target_of(demo_localfw, j) for j in jobs} == {a["_id"] for a in with_dicom}
    assert_inputs_as_recorded(demo_localfw, sqlite_store, batch_id, jobs)
    by_acquisition = {j["destination"]["id"]: j for j in jobs}
    for acq in with_dicom:  # the acquisition's own DICOM archive, by name
        (dicom,) = [f["name"] for f in acq["files"] if f["type"] == "dicom"]
        job = by_acquisition[acq["_id"]]
        assert job["inputs"] == {
            "dcm2niix_input": {"type": "acquisition", "id": acq["_id"], "name": dicom}
        }
    shown_names = set(shown_files.values())
    assert shown_names <= {j["inputs"]["dcm2niix_input"]["name"] for j in jobs}


# -- mriqc on NIfTIs; a new version of the NIfTI is a new run ---------------------------------
def test_mriqc_on_each_t1w_nifti_and_a_new_file_version_is_a_new_run(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
) -> None:
    batch_id = launch(
        slash, click, slack_services, f"launch mriqc project={DEMO_PROJECT}", "U0ALICE"
    )

    jobs = jobs_of(demo_localfw, batch_id)
    world = demo_localfw.world
    t1w = [a for a in world.acquisitions.values() if a["label"] == "anat-T1w_acq-MPRAGE"]
    t1w = [a for a in t1w if world.projects[a["parents"]["project"]]["label"] == DEMO_PROJECT]
    assert len(jobs) == len(t1w)
    assert_inputs_as_recorded(demo_localfw, sqlite_store, batch_id, jobs)
    for job in jobs:  # the NIfTI, never the DICOM archive next to it
        acq = world.acquisitions[job["destination"]["id"]]
        (nifti,) = [f["name"] for f in acq["files"] if f["type"] == "nifti"]
        assert job["inputs"]["nifti"]["name"] == nifti
    demo_localfw.clock.advance(PENDING_S + RUN_S + 1)

    again = slash(f"launch mriqc project={DEMO_PROJECT} dry-run").answer()
    assert "*0* to launch" in shown(again)
    assert f"{len(t1w):,} skipped ({len(t1w):,} complete)" in shown(again)

    changed = t1w[0]  # a new version of one NIfTI (a re-conversion, say)
    with world.lock:
        name = next(f["name"] for f in changed["files"] if f["type"] == "nifti")
        world.upload_file(changed, name, "acquisition")
    after = slash(f"launch mriqc project={DEMO_PROJECT} dry-run").answer()
    assert "*1* to launch" in shown(after)
    assert f"{len(t1w) - 1:,} skipped ({len(t1w) - 1:,} complete)" in shown(after)
    assert list(examples(after, "nifti").values()) == [name]
    assert f"nifti = {name} (v2)" in shown(after)


# -- a gear fed by an earlier analysis ------------------------------------------------------
def test_qsirecon_takes_each_sessions_latest_qsiprep_output(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
) -> None:
    runs = GRMPY_DWI_SESSIONS - QSIPREP_UNRUN_SESSIONS - QSIPREP_FAILED_SESSIONS
    none = QSIPREP_UNRUN_SESSIONS + QSIPREP_FAILED_SESSIONS

    dry = slash(f"launch qsirecon-fw project={DEMO_SECOND_PROJECT} dry-run", user_id=ADMIN).answer()

    text = shown(dry)
    assert f"*{runs}* to launch" in text
    assert (
        "qsiprep_output ← analysis complete qsiprep-hpc, file qsiprep_*.zip, pick latest: "
        f"{runs} sessions with one file ({QSIPREP_RERUN_SESSIONS} picked by `pick`), "
        f"{none} with none (skipped)"
    ) in text

    batch_id = launch(
        slash,
        click,
        slack_services,
        f"launch qsirecon-fw project={DEMO_SECOND_PROJECT}",
        ADMIN,
    )

    jobs = jobs_of(demo_localfw, batch_id)
    assert len(jobs) == runs
    assert_inputs_as_recorded(demo_localfw, sqlite_store, batch_id, jobs)
    world = demo_localfw.world
    for job in jobs:
        session = target_of(demo_localfw, job)
        earlier = [
            a
            for a in world.analyses.values()
            if a["parent"]["id"] == session
            and a.get("gear_info", {}).get("name") == "qsiprep-hpc"
            and world.jobs[a["job"]]["state"] == "complete"
        ]
        latest = max(earlier, key=lambda a: a["created"])
        (zip_name,) = [f["name"] for f in latest["files"] if f["name"].startswith("qsiprep_")]
        assert job["inputs"]["qsiprep_output"] == {
            "type": "analysis",
            "id": latest["_id"],
            "name": zip_name,
        }
        assert job["inputs"]["freesurfer_license"]["type"] == "project"
        assert job["destination"]["type"] == "analysis"  # a new analysis on the session
        assert world.analyses[job["destination"]["id"]]["parent"]["type"] == "session"


# -- two candidates: skipped unless the config says how to pick ------------------------------------
def test_a_session_with_two_matching_niftis_is_never_launched_with_a_guess(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
) -> None:
    world = demo_localfw.world
    two = {
        a["parents"]["session"]
        for a in world.acquisitions.values()
        if sum(f["name"].endswith(("dwi.nii.gz", "dwi_ADC.nii.gz")) for f in a["files"]) == 2
    }
    assert len(two) == ADC_SESSIONS

    batch_id = launch(
        slash,
        click,
        slack_services,
        f"launch mriqc project={DEMO_PROJECT} config=mriqc-dwi",
        "U0ALICE",
    )

    jobs = jobs_of(demo_localfw, batch_id)
    assert len(jobs) == DEMO_DWI_SESSIONS - ADC_SESSIONS
    assert not {j["destination"]["id"] for j in jobs} & two
    assert all(j["inputs"]["nifti"]["name"].endswith("_dwi.nii.gz") for j in jobs)
    assert sqlite_store.batches.get_existing(batch_id).skipped_count == ADC_SESSIONS
    plan = slash(f"launch mriqc project={DEMO_PROJECT} config=mriqc-dwi dry-run").answer()
    assert f"{ADC_SESSIONS} with several (skipped: set `file:` or `pick: newest`)" in shown(plan)
    assert "2 files match nifti" in shown(plan)

    picked = launch(
        slash,
        click,
        slack_services,
        f"launch mriqc project={DEMO_PROJECT} config=mriqc-dwi-newest",
        "U0ALICE",
    )

    chosen = {
        j["destination"]["id"]: j["inputs"]["nifti"]["name"] for j in jobs_of(demo_localfw, picked)
    }
    # the others already have a pending run with this very file: only the 14 are new
    assert set(chosen) == two
    assert all(name.endswith("_dwi_ADC.nii.gz") for name in chosen.values())  # the newest
    assert sqlite_store.batches.get_existing(picked).skipped_count == len(jobs)
