"""Small builders for store tests."""

from __future__ import annotations

from typing import Any

from bot.domain import Batch, BatchSpec, BatchState, TargetSpec
from bot.store import Store


def spec(project: str = "gear_testing", gear: str = "qsiprep-hpc", **over: Any) -> BatchSpec:
    fields: dict[str, Any] = {
        "gear_name": gear,
        "gear_version": "1.0.4",
        "gear_id": "gear-" + gear,
        "project_id": "p-" + project,
        "project_label": project,
        "analysis_label": f"QSIPrep_{gear}",
        "requester_email": "ada@lab.org",
        "requester_slack_id": "U01ADA",
        "channel_id": "C01LAB",
        "config": {"hmc_model": "eddy", "output_resolution": 2.0},
        "inputs": {"freesurfer_license": {"project_file": "license.txt"}},
        "config_name": "qsiprep-64dir",
        "size": "large",
        "vm_tag": "vm-n1-highmem-4_disk-300GB_swap-30G",
    }
    fields.update(over)
    return BatchSpec(**fields)


def targets(n: int, prefix: str = "ses") -> list[TargetSpec]:
    return [
        TargetSpec(
            session_id=f"{prefix}-{i:05d}", session_label=f"{prefix}{i}", subject_label=f"sub{i}"
        )
        for i in range(n)
    ]


def final_batch(store: Store, name: str, state: BatchState = BatchState.COMPLETE) -> Batch:
    """A batch walked through legal transitions to a final state."""
    batch, _ = store.batches.create_or_get(spec(analysis_label=name, key_extra=name), targets(2))
    store.batches.transition(batch.id, BatchState.LAUNCHING)
    store.batches.transition(batch.id, BatchState.LAUNCHED)
    return store.batches.transition(batch.id, state)
