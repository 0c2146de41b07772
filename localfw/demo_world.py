"""The demo world: the PennLINC tutorial's Flywheel site, rebuilt from a seed.

`fwbot demo` and many tests serve this world, so it reproduces what the
tutorial shows a user (project ``gear_testing`` whose files list license.txt
at index 1, exactly 1,329 sessions with an ``acq-64dir_dwi`` acquisition, the
gears with their labels) and has a user for every project role. Like a real lab's
site, fwbot's service account is a plain user (read-write on the lab's projects), a
separate root user administers the site, and two custom roles exist (a pipeline runner
and an auditor). It is deterministic: the same seed gives the same documents and ids,
and nothing reads the wall clock.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from localfw.demo_files import add_file_details
from localfw.gear_catalog import gear_catalog
from localfw.world import Doc, World, iso

DEMO_DOMAIN = "pennlinc.example"
DEMO_ADMIN = f"admin@{DEMO_DOMAIN}"
DEMO_ANALYST = f"analyst@{DEMO_DOMAIN}"
DEMO_VIEWER = f"viewer@{DEMO_DOMAIN}"
DEMO_OUTSIDER = f"outsider@{DEMO_DOMAIN}"
DEMO_OPS = f"ops@{DEMO_DOMAIN}"  # no project role; the demo policy makes them a fwbot admin
DEMO_BOT = f"fwbot@{DEMO_DOMAIN}"  # the service account fwbot's key belongs to
DEMO_SITE_ADMIN = f"siteadmin@{DEMO_DOMAIN}"  # the only root user
DEMO_RUNNER = f"runner@{DEMO_DOMAIN}"  # custom role "pipeline-runner" on gear_testing
DEMO_AUDITOR = f"auditor@{DEMO_DOMAIN}"  # custom role "auditor" on gear_testing
DEMO_ID_USER = "jdoe42"  # a user whose _id is not their email (read-write on gear_testing)
DEMO_ID_USER_EMAIL = f"Jane.Doe@{DEMO_DOMAIN}"  # mixed case, as a site stores what was typed

RUNNER_ROLE = "pipeline-runner"
RUNNER_ACTIONS: tuple[str, ...] = (
    "containers_view_metadata",
    "files_view_metadata",
    "files_download",
    "analyses_view_metadata",
    "analyses_create_job",
    "jobs_view",
    "jobs_manage",
    "project_permissions_view",
    "tags_view",
    "notes_view",
)
AUDITOR_ROLE = "auditor"
AUDITOR_ACTIONS: tuple[str, ...] = (
    "containers_view_metadata",
    "files_view_metadata",
    "analyses_view_metadata",
    "tags_view",
    "notes_view",
    "project_permissions_view",
    "jobs_view",
    "gear_rules_view",
)

DEMO_GROUP = "pennlinc"
DEMO_GROUP_LABEL = "PennLINC"
DEMO_PROJECT = "gear_testing"
DEMO_SECOND_PROJECT = "grmpy_dwi"
DEMO_ODD_PROJECT = 'pilot, "v2"'
"""A label with a comma and quotes: it must survive Flywheel filter escaping."""

DWI_LABEL = "acq-64dir_dwi"

# gear_testing's shape. Counts are fixed (not drawn) so that every seed gives
# the tutorial's 1,329; the seed decides who, when and which.
DEMO_SUBJECTS = 700
DEMO_SESSIONS = 1_411
DEMO_DWI_SESSIONS = 1_329
_SECOND_VISITS = 600
_THIRD_VISITS = DEMO_SESSIONS - DEMO_SUBJECTS - _SECOND_VISITS

GRMPY_SUBJECTS = 30
GRMPY_SESSIONS = 60
GRMPY_DWI_SESSIONS = 56

# Exactly as the tutorial's `enumerate(project.files)` prints them.
DEMO_PROJECT_FILES: tuple[str, ...] = (
    "controllability.json",
    "license.txt",
    "sample_heuristic.py",
    "CHANGES",
    "README",
    "audit_log-20191003-184048.csv",
    "gear_testing_heuristic.py",
    "participants.tsv",
    "selfreport_scales_redcap_v2.R",
    "selfreport_scales_redcap_20190524_cleaned.csv",
    "selfreport_scales_redcap_v3.R",
    "grmpy_heuristic_v3.py",
    "audit_log-20200109-154752.csv",
    "GRMPY_selfReportScoringCode_v4.R",
)

_USERS: tuple[tuple[str, str, str], ...] = (
    (DEMO_ADMIN, "Ada", "Admin"),
    (DEMO_ANALYST, "Andy", "Analyst"),
    (DEMO_VIEWER, "Vera", "Viewer"),
    (DEMO_OUTSIDER, "Otto", "Outsider"),
    (DEMO_OPS, "Opal", "Operator"),
    (DEMO_BOT, "fwbot", "Service Account"),
    (DEMO_SITE_ADMIN, "Sita", "Siteadmin"),
    (DEMO_RUNNER, "Rita", "Runner"),
    (DEMO_AUDITOR, "Aldo", "Auditor"),
)

_PNC_START = datetime(2009, 11, 2, tzinfo=UTC)
EARLIER_RUNS_GEAR = "fmriprep-fwheudiconv"
EARLIER_RUN_SESSIONS = 240  # gear_testing sessions with fMRIPrep runs made outside fwbot
_EARLIER_RUNS_START = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)
_EARLIER_RUNS_UPGRADE = datetime(2020, 2, 1, tzinfo=UTC)  # 0.2.0_1.5.0 before, 0.2.2_1.5.2 after
_GRMPY_START = datetime(2017, 6, 5, tzinfo=UTC)


def build_demo_world(seed: int = 7) -> World:
    """A fresh World (its own documents) with users, the PennLINC group, projects and gears."""
    rng = random.Random(seed)
    world = World(seed=seed, service_account=DEMO_BOT)
    for email, first, last in _USERS:
        world.add_user(email, first, last, root=email == DEMO_SITE_ADMIN)
    world.add_role(RUNNER_ROLE, RUNNER_ACTIONS)
    world.add_role(AUDITOR_ROLE, AUDITOR_ACTIONS)
    world.add_group(DEMO_GROUP, DEMO_GROUP_LABEL)

    gear_testing = world.add_project(
        DEMO_GROUP,
        DEMO_PROJECT,
        file_names=list(DEMO_PROJECT_FILES),
        roles={
            DEMO_ADMIN: "admin",
            DEMO_ANALYST: "read-write",
            DEMO_VIEWER: "read-only",
            DEMO_BOT: "read-write",
            DEMO_RUNNER: RUNNER_ROLE,
            DEMO_AUDITOR: AUDITOR_ROLE,
        },
    )
    _add_pnc_sessions(world, gear_testing, rng)

    grmpy = world.add_project(
        DEMO_GROUP,
        DEMO_SECOND_PROJECT,
        file_names=["license.txt", "participants.tsv", "grmpy_heuristic_v3.py"],
        roles={
            DEMO_ADMIN: "admin",
            DEMO_ANALYST: "read-only",
            DEMO_VIEWER: "read-only",
            DEMO_BOT: "read-write",
        },
    )
    _add_grmpy_sessions(world, grmpy, rng)

    pilot = world.add_project(
        DEMO_GROUP,
        DEMO_ODD_PROJECT,
        file_names=["license.txt", "README"],
        # outsider@ works on the pilot only: no role on gear_testing (fwbot's plain key sees
        # only its own permission entry; GET /users lists everyone to any logged-in user)
        roles={
            DEMO_ADMIN: "admin",
            DEMO_ANALYST: "read-write",
            DEMO_OUTSIDER: "read-only",
            DEMO_BOT: "read-write",
        },
    )
    for number, has_dwi in ((1, True), (2, True), (3, False)):
        subject = world.add_subject(pilot, f"sub-pilot{number:02d}")
        session = world.add_session(
            subject, "ses-1", datetime(2023, 10, 2 + 7 * number, 14, 0, tzinfo=UTC)
        )
        _add_acquisitions(world, session, subject["label"], "ses-1", rng, dwi=has_dwi)

    for doc, category, created in gear_catalog():
        world.add_gear(doc, category=category, created=created)
    _add_earlier_runs(world, gear_testing, random.Random(f"{seed}:earlier-runs"))
    add_file_details(world, gear_testing, grmpy, seed)  # classifications, ADC maps, qsiprep runs
    # last, so no other document changes: everything names a user by _id, not by email
    world.add_user(DEMO_ID_USER_EMAIL, "Jane", "Doe", user_id=DEMO_ID_USER)
    world.grant(gear_testing, DEMO_ID_USER, "read-write")
    return world


def _add_earlier_runs(world: World, project: Doc, rng: random.Random) -> None:
    """fMRIPrep runs made in 2020 outside fwbot, as in the tutorial's "Munging Through a
    Large List of Jobs": scripts (analyst@, the SDK's `gear.run`) and the web UI (admin@)
    ran ``fmriprep-fwheudiconv`` on gear_testing's resting-state sessions, some more than
    once; most completed with their ``.html.zip`` report, some failed or were cancelled,
    a few completed without it. Every job is final; none is fwbot's. Drawn from its own
    generator, so the rest of the world is the same with or without them."""
    gears = {
        g["gear"]["version"]: g
        for g in world.gears.values()
        if g["gear"]["name"] == EARLIER_RUNS_GEAR
    }
    rest = sorted(
        a["parents"]["session"]
        for a in world.acquisitions.values()
        if a["label"] == "task-rest_bold" and a["parents"].get("project") == project["_id"]
    )
    for session_id in sorted(rng.sample(rest, EARLIER_RUN_SESSIONS)):
        session = world.sessions[session_id]
        when = _EARLIER_RUNS_START + timedelta(days=rng.randrange(0, 90), hours=rng.randrange(9))
        attempts = rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            if last:
                outcome = rng.choices(
                    ("complete", "no-report", "failed", "cancelled"), weights=(78, 5, 10, 7)
                )[0]
            else:
                outcome = rng.choice(("failed", "cancelled"))
            version = "0.2.0_1.5.0" if when < _EARLIER_RUNS_UPGRADE else "0.2.2_1.5.2"
            _add_run(world, session, gears[version], when, outcome, rng)
            when += timedelta(days=rng.randrange(1, 20), minutes=rng.randrange(600))


def _add_run(
    world: World, session: Doc, gear: Doc, when: datetime, outcome: str, rng: random.Random
) -> None:
    """One finished analysis and its job, as Flywheel keeps them after the run."""
    by_script = rng.random() < 0.7
    manifest = gear["gear"]
    if by_script:  # the tutorial's label: BOLD_Preproc_<date>_<gear>_<version>
        who = DEMO_ANALYST
        label = f"BOLD_Preproc_{when:%Y-%m-%d_%H:%M}_{manifest['name']}_{manifest['version']}"
    else:  # the web UI's label: "<gear> <date>"
        who = DEMO_ADMIN
        label = f"{manifest['name']} {when:%m/%d/%Y %H:%M:%S}"
    config = {k: v["default"] for k, v in manifest["config"].items() if "default" in v}
    analysis, job = world.add_analysis(
        session,
        label,
        gear=gear,
        config=config,
        tags=["analysis", manifest["name"]],
        origin={"type": "user", "id": who},
        now=when,
    )
    assert job is not None
    analysis["user"] = who
    started = when + timedelta(seconds=rng.randrange(60, 900))
    ended = started + timedelta(seconds=rng.randrange(60, 5400))
    state = "complete" if outcome == "no-report" else outcome
    job["state"] = state
    job["transitions"] = {"running": iso(started), state: iso(ended)}
    job["modified"] = analysis["modified"] = iso(ended)
    if state == "failed":
        job["failure_reason"] = "gear_failure"
    if state == "complete":
        subject = world.subjects[session["parents"]["subject"]]["label"]
        report = f"{subject}_{session['label']}_fmriprep.html.zip"
        names = [f"{manifest['name']}_job.log"]
        if outcome == "complete":
            names.insert(0, report)
        for name in names:
            fdoc = world.add_file(analysis, name, "analysis", size=4_000_000)
            fdoc["created"] = fdoc["modified"] = iso(ended)
            fdoc["origin"] = {"type": "job", "id": job["_id"]}
            fdoc["gear_info"] = dict(job["gear_info"])
        job["saved_files"] = names


def _add_pnc_sessions(world: World, project: Doc, rng: random.Random) -> None:
    """gear_testing: PNC subjects with one to three visits; 1,329 visits have the 64-dir DWI."""
    codes = sorted(rng.sample(range(80_010, 140_000), DEMO_SUBJECTS))
    visits = dict.fromkeys(codes, 1)
    for code in rng.sample(codes, _SECOND_VISITS):
        visits[code] = 2
    for code in rng.sample([c for c in codes if visits[c] == 2], _THIRD_VISITS):
        visits[code] = 3
    slots = [(code, visit) for code in codes for visit in range(1, visits[code] + 1)]
    with_dwi = set(rng.sample(slots, DEMO_DWI_SESSIONS))

    for code in codes:
        subject = world.add_subject(project, f"sub-{code:06d}")
        when = _PNC_START + timedelta(days=rng.randrange(0, 790))
        for visit in range(1, visits[code] + 1):
            if visit > 1:
                when += timedelta(days=rng.randrange(540, 1100))
            label = f"ses-PNC{visit}"
            timestamp = when.replace(hour=rng.randrange(8, 18), minute=rng.randrange(60))
            session = world.add_session(subject, label, timestamp)
            dwi = (code, visit) in with_dwi
            _add_acquisitions(world, session, subject["label"], label, rng, dwi=dwi)


def _add_grmpy_sessions(world: World, project: Doc, rng: random.Random) -> None:
    """grmpy_dwi: two visits per subject, session labels are scan dates."""
    codes = sorted(rng.sample(range(10_000, 30_000), GRMPY_SUBJECTS))
    slots = [(code, visit) for code in codes for visit in (1, 2)]
    with_dwi = set(rng.sample(slots, GRMPY_DWI_SESSIONS))
    for code in codes:
        subject = world.add_subject(project, f"sub-{code:06d}")
        when = _GRMPY_START + timedelta(days=rng.randrange(0, 400))
        for visit in (1, 2):
            if visit == 2:
                when += timedelta(days=rng.randrange(180, 500))
            label = f"ses-{when:%Y%m%d}"
            timestamp = when.replace(hour=rng.randrange(8, 18), minute=rng.randrange(60))
            session = world.add_session(subject, label, timestamp)
            dwi = (code, visit) in with_dwi
            _add_acquisitions(world, session, subject["label"], label, rng, dwi=dwi)


def _add_acquisitions(
    world: World, session: Doc, subject: str, session_label: str, rng: random.Random, *, dwi: bool
) -> None:
    """A scanning visit in protocol order: localizer, T1w, DWI, field map, BOLD runs."""
    prefix = f"{subject}_{session_label}"
    world.add_acquisition(session, "Localizer", [f"{prefix}_localizer.dicom.zip"])
    world.add_acquisition(
        session,
        "anat-T1w_acq-MPRAGE",
        [f"{prefix}_acq-MPRAGE_T1w.nii.gz", f"{prefix}_acq-MPRAGE_T1w.dicom.zip"],
    )
    if dwi:
        stem = f"{prefix}_{DWI_LABEL}"
        world.add_acquisition(
            session,
            DWI_LABEL,
            [f"{stem}.nii.gz", f"{stem}.bval", f"{stem}.bvec", f"{stem}.dicom.zip"],
        )
    if rng.random() < 0.7:
        world.add_acquisition(
            session,
            "fmap-phasediff",
            [f"{prefix}_phasediff.nii.gz", f"{prefix}_magnitude1.nii.gz"],
        )
    for task, share in (("rest", 0.85), ("emotionid", 0.5)):
        if rng.random() < share:
            stem = f"{prefix}_task-{task}_bold"
            world.add_acquisition(
                session, f"task-{task}_bold", [f"{stem}.nii.gz", f"{stem}.dicom.zip"]
            )
