"""A FakeFlywheelGateway for fast unit tests of services and commands.

It implements bot.flywheel.gateway.FlywheelGateway in memory over a few gears
with realistic manifests (qsiprep-hpc, fmriprep, dcm2niix, curate-bids). It is
for unit tests only: the gateway itself and every end-to-end test run the real
flywheel-sdk against localfw over HTTP.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bench.polling import PATIENCE
from bot.bootstrap import build_services
from bot.domain import (
    AnalysisFiles,
    ConfigOption,
    ContainerFiles,
    FlywheelBatchRef,
    GearDetail,
    GearInput,
    GearSummary,
    JobRecord,
    JobSpec,
    JobState,
    LaunchedJob,
    ProjectMembers,
    ProjectRef,
    ProjectRole,
    SessionRef,
    UserRef,
)
from bot.domain.runs import ProjectRun
from bot.service import Services
from bot.service.policy import Policy
from bot.store.db import Store

LICENSE = GearInput(
    name="freesurfer_license",
    base="file",
    description="FreeSurfer license.txt; without it the project file license.txt is used.",
    optional=True,
)


def _qsiprep(version: str, *, newest: bool) -> GearDetail:
    config = [
        ConfigOption(
            name="hmc_model",
            type="string",
            default="eddy",
            enum=["eddy", "eddy_ingress", "3dSHORE"],
            description="Model used to generate target images for head motion correction.",
        ),
        ConfigOption(
            name="output_resolution",
            type="number",
            default=None,
            optional=False,
            minimum=0.5,
            maximum=5,
            description="The isotropic voxel size in mm the data will be resampled to.",
        ),
        ConfigOption(
            name="output_space",
            type="string",
            default="T1w",
            enum=["T1w", "template"],
            description="Volume and surface spaces to resample dwis into.",
        ),
        ConfigOption(
            name="dwi_denoise_window",
            type="integer",
            default=5,
            enum=[3, 5, 7, 9],
            description="Window size in voxels for MP-PCA denoising; odd values only.",
        ),
        ConfigOption(
            name="save_outputs",
            type="boolean",
            default=False,
            description="Zip and save the full qsiprep output directory, not just the report.",
        ),
    ]
    if newest:
        config.append(
            ConfigOption(
                name="unringing_method",
                type="string",
                default="none",
                enum=["none", "mrdegibbs"],
                description="Method for Gibbs-ringing removal.",
            )
        )
    return GearDetail(
        summary=GearSummary(
            gear_id=f"qsiprep-{version}",
            name="qsiprep-hpc",
            label="QSIPrep (HPC): diffusion MRI preprocessing",
            version=version,
            category="analysis",
        ),
        description="Preprocessing and reconstruction of diffusion MRI, sized for HPC VMs.",
        inputs=[
            GearInput(name="api_key", base="api-key"),
            LICENSE,
        ],
        config=config,
    )


def _fmriprep(version: str) -> GearDetail:
    return GearDetail(
        summary=GearSummary(
            gear_id=f"fmriprep-{version}",
            name="fmriprep",
            label="fMRIPrep: A Robust Preprocessing Pipeline for fMRI Data",
            version=version,
            category="analysis",
        ),
        description="fMRIPrep is a functional MRI data preprocessing pipeline.",
        inputs=[GearInput(name="api_key", base="api-key"), LICENSE],
        config=[
            ConfigOption(
                name="bold2t1w_dof",
                type="integer",
                default=9,
                enum=[6, 9, 12],
                description="Degrees of freedom when registering BOLD to T1w images.",
            ),
            ConfigOption(
                name="output_spaces",
                type="string",
                default="MNI152NLin2009cAsym",
                description="Standard and non-standard spaces to resample anatomical and "
                "functional images to.",
            ),
            ConfigOption(
                name="fs_no_reconall",
                type="boolean",
                default=False,
                description="Disable FreeSurfer surface preprocessing.",
            ),
        ],
    )


def _simple(name: str, label: str, version: str, category: str, base_input: str) -> GearDetail:
    return GearDetail(
        summary=GearSummary(
            gear_id=f"{name}-{version}", name=name, label=label, version=version, category=category
        ),
        inputs=[GearInput(name=base_input, base="file", description="The input file.")],
    )


def default_gears() -> list[GearDetail]:
    """Every stored version, in no particular order (the fake sorts)."""
    return [
        _qsiprep("0.21.4", newest=True),
        _qsiprep("0.20.0", newest=False),
        _qsiprep("0.9.0", newest=False),
        _fmriprep("23.2.1"),
        _fmriprep("20.2.7"),
        _simple("dcm2niix", "dcm2niix: DICOM to NIfTI", "2.1.0", "converter", "dcm2niix_input"),
        _simple("curate-bids", "BIDS Curation", "2.2.9", "utility", "template"),
    ]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


class FakeFlywheelGateway:
    """The gateway protocol over an in-memory catalogue; ``calls`` records each method called.

    ``users`` are the Flywheel accounts (emails); ``roles`` maps project id -> user -> role.
    ``explode`` makes the catalogue calls raise a plain ``RuntimeError`` (a stand-in for a bug
    deep in a service); ``gate``, when set, makes them wait for it, so a test can see an ack
    arrive before the answer. Identity and role lookups are never held or broken by these.
    """

    def __init__(
        self,
        gears: list[GearDetail] | None = None,
        projects: list[ProjectRef] | None = None,
        users: set[str] | None = None,
    ) -> None:
        self._gears = list(default_gears() if gears is None else gears)
        self.projects = list(projects or [])
        self.users: set[str] | None = users  # None: every email has an account
        self.sessions: dict[str, list[SessionRef]] = {}
        self.roles: dict[str, dict[str, ProjectRole]] = {}
        self.members_hidden: set[str] = set()  # project ids whose members the key cannot see
        self.calls: list[str] = []
        self.jobs: list[JobRecord] = []
        self.proposals: dict[str, list[JobSpec]] = {}
        self.explode = False
        self.gate: threading.Event | None = None
        self.user_gate: threading.Event | None = None  # find_user waits for it, when set

    def _enter(self, name: str, *, held: bool = True) -> None:
        self.calls.append(name)
        if not held:
            return
        if self.gate is not None and not self.gate.wait(timeout=PATIENCE):
            raise TimeoutError("test gate never opened")
        if self.explode:
            raise RuntimeError("boom: simulated bug inside the gateway")

    def _versions(self, name: str) -> list[GearDetail]:
        found = [g for g in self._gears if g.summary.name == name]
        return sorted(found, key=lambda g: _version_key(g.summary.version), reverse=True)

    def list_gears(self) -> list[GearSummary]:
        self._enter("list_gears")
        names = sorted({g.summary.name for g in self._gears})
        return [self._versions(n)[0].summary for n in names]

    def get_gear(self, name: str, version: str | None = None) -> GearDetail | None:
        self._enter("get_gear")
        versions = self._versions(name)
        chosen = [g for g in versions if version is None or g.summary.version == version]
        if not chosen:
            return None
        return chosen[0].model_copy(update={"versions": [g.summary.version for g in versions]})

    def find_project(self, label: str) -> ProjectRef | None:
        self._enter("find_project")
        return next((p for p in self.projects if p.label == label), None)

    def sessions_with_acquisition(
        self,
        project_id: str,
        label_contains: str | None = None,
        *,
        label_pattern: str | None = None,
    ) -> list[SessionRef]:
        self._enter("sessions_with_acquisition")
        return list(self.sessions.get(project_id, []))

    def project_roles(self, project_id: str) -> dict[str, ProjectRole]:
        return self.project_members(project_id).roles

    def project_members(self, project_id: str) -> ProjectMembers:
        """The whole list: the fake's key sees members as a project admin's key does
        (``members_hidden`` lists projects where it sees none but its own)."""
        self._enter("project_roles", held=False)
        if project_id in self.members_hidden:
            return ProjectMembers(roles={}, complete=False)
        return ProjectMembers(roles=dict(self.roles.get(project_id, {})), complete=True)

    def whoami(self) -> UserRef:
        return UserRef(user_id="fwbot@lab.example", email="fwbot@lab.example")

    def can_read_roles(self) -> bool:
        return True

    def is_site_admin(self) -> bool:
        return False

    def all_project_roles(self, user_id: str) -> dict[str, ProjectRole]:
        self._enter("all_project_roles", held=False)
        labels = {p.project_id: p.label for p in self.projects}
        return {
            labels.get(pid, pid): roles[user_id]
            for pid, roles in self.roles.items()
            if roles.get(user_id, "none") != "none"
        }

    def find_user(self, email: str) -> UserRef | None:
        self._enter("find_user", held=False)
        if self.user_gate is not None and not self.user_gate.wait(timeout=PATIENCE):
            raise TimeoutError("test user gate never opened")
        if self.users is not None and email not in self.users:
            return None
        return UserRef(user_id=email, email=email, display_name=email.split("@")[0])

    def service_account(self) -> str | None:
        return None

    def project_sessions(self, project_id: str) -> list[SessionRef]:
        self._enter("project_sessions")
        return list(self.sessions.get(project_id, []))

    def containers(
        self, project_id: str, level: str, *, label_regex: str | None = None
    ) -> list[ContainerFiles]:
        """No files: the fake catalogue knows sessions only."""
        self._enter("containers")
        return []

    def analyses_with_files(self, project_id: str, level: str) -> list[AnalysisFiles]:
        self._enter("analyses_with_files")
        return []

    # -- jobs: an in-memory Flywheel job list ------------------------------------
    def runs_of_gear(
        self, project_id: str, gear_name: str, level: str = "session"
    ) -> list[JobRecord]:
        self._enter("runs_of_gear")
        return [j for j in self.jobs if j.gear_name == gear_name]

    def project_runs(self, project_id: str) -> list[ProjectRun]:
        """No analyses: the fake catalogue knows jobs only."""
        self._enter("project_runs")
        return []

    def jobs_tagged(self, tag: str) -> list[JobRecord]:
        self._enter("jobs_tagged")
        return [j for j in self.jobs if tag in j.tags]

    def create_batch(self, jobs: list[JobSpec]) -> str:
        self._enter("create_batch")
        batch_id = f"fwbatch{len(self.proposals) + 1}"
        self.proposals[batch_id] = list(jobs)
        return batch_id

    def start_batch(self, flywheel_batch_id: str) -> list[LaunchedJob]:
        self._enter("start_batch")
        return [self.launch_one(job) for job in self.proposals.pop(flywheel_batch_id)]

    def batch_state(self, flywheel_batch_id: str) -> str:
        return "pending" if flywheel_batch_id in self.proposals else "running"

    def own_batches(self) -> list[FlywheelBatchRef]:
        self._enter("own_batches")
        return [FlywheelBatchRef(batch_id=b, state="pending", premade=True) for b in self.proposals]

    def cancel_batch(self, flywheel_batch_id: str) -> int:
        return 0

    def cancel_job(self, job_id: str) -> bool:
        self._enter("cancel_job")
        for i, job in enumerate(self.jobs):
            if job.job_id == job_id and job.state in ("pending", "running"):
                self.jobs[i] = job.model_copy(update={"state": "cancelled"})
                return True
        return False

    def launch_one(self, job: JobSpec) -> LaunchedJob:
        gear = next(g for g in self._gears if g.summary.gear_id == job.gear_id)
        record = JobRecord(
            job_id=f"job{len(self.jobs) + 1}",
            state=JobState.PENDING,
            gear_name=gear.summary.name,
            gear_version=gear.summary.version,
            session_id=job.session_id,
            analysis_id=f"analysis{len(self.jobs) + 1}",
            label=job.label,
            config=job.config,
            tags=job.tags,
        )
        self.jobs.append(record)
        return LaunchedJob(
            session_id=job.session_id, job_id=record.job_id, analysis_id=record.analysis_id
        )


REPO_CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def fake_services(
    store: Store,
    gateway: FakeFlywheelGateway | None = None,
    policy: Policy | None = None,
    configs_dir: Path = REPO_CONFIGS,
) -> Services:
    """Real services over the fake gateway and a real store: the tests' bootstrap()."""
    return build_services(gateway or FakeFlywheelGateway(), store, policy or Policy(), configs_dir)
