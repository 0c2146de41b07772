"""A tiny in-memory gateway for the adapter tests (tests/fakes.py may grow a fuller one).

``explode`` makes every call raise a plain ``RuntimeError``: the stand-in for a
bug deep in a service, which the adapter must turn into a "ref" message.
"""

from __future__ import annotations

import threading

from bot.domain import (
    ConfigOption,
    GearDetail,
    GearInput,
    GearSummary,
    ProjectRef,
    ProjectRole,
    SessionRef,
)
from bot.service import Services
from bot.service.gears import GearService

GEARS = [
    GearSummary(
        gear_id="g1", name="dcm2niix", label="dcm2niix", version="2.1.0", category="converter"
    ),
    GearSummary(
        gear_id="g2", name="fmriprep", label="fMRIPrep", version="23.2.1", category="analysis"
    ),
    GearSummary(
        gear_id="g3",
        name="qsiprep-hpc",
        label="QSIPrep (HPC)",
        version="0.21.4",
        category="analysis",
    ),
]


class SlackTestGateway:
    """Three gears, no projects; ``explode=True`` turns every call into a bug.

    ``gate``, when set, makes every call wait for the event: it holds an answer
    back so a test can see the ack arrive first.
    """

    def __init__(self) -> None:
        self.explode = False
        self.gate: threading.Event | None = None
        self.calls: list[str] = []

    def _enter(self, name: str) -> None:
        self.calls.append(name)
        if self.gate is not None and not self.gate.wait(timeout=10):
            raise TimeoutError("test gate never opened")
        if self.explode:
            raise RuntimeError("boom: simulated bug inside the gateway")

    def list_gears(self) -> list[GearSummary]:
        self._enter("list_gears")
        return list(GEARS)

    def get_gear(self, name: str, version: str | None = None) -> GearDetail | None:
        self._enter("get_gear")
        summary = next((g for g in GEARS if g.name == name), None)
        if summary is None or (version is not None and version != summary.version):
            return None
        return GearDetail(
            summary=summary,
            description=f"{summary.label} for the tests",
            versions=[summary.version, "0.20.0"],
            inputs=[GearInput(name="freesurfer_license", base="file")],
            config=[
                ConfigOption(
                    name="hmc_model", type="string", default="eddy", enum=["eddy", "3dSHORE"]
                ),
                ConfigOption(name="output_resolution", type="number", default=2.0),
            ],
        )

    def find_project(self, label: str) -> ProjectRef | None:
        self._enter("find_project")
        return None

    def sessions_with_acquisition(self, project_id: str, label_contains: str) -> list[SessionRef]:
        self._enter("sessions_with_acquisition")
        return []

    def project_roles(self, project_id: str) -> dict[str, ProjectRole]:
        self._enter("project_roles")
        return {}


def services_over(gateway: SlackTestGateway) -> Services:
    return Services(gears=GearService(gateway))
