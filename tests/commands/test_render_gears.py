"""Gear renderers against literal expected output, and the console at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path

from bot.domain import ConfigOption, GearDetail, GearInput, GearSummary
from commands.render.gears import gear_detail, gear_list

SNAPSHOTS = Path(__file__).parent / "snapshots"

DCM2NIIX = GearSummary(
    gear_id="g1",
    name="dcm2niix",
    label="dcm2niix: DICOM to NIfTI",
    version="2.1.0",
    category="converter",
)
CURATE = GearSummary(
    gear_id="g2", name="curate-bids", label="BIDS Curation", version="2.2.9", category="utility"
)
FMRIPREP = GearDetail(
    summary=GearSummary(
        gear_id="g3",
        name="fmriprep",
        label="fMRIPrep <robust> & fast",
        version="23.2.1",
        category="analysis",
    ),
    description="fMRIPrep is a functional MRI data preprocessing pipeline.",
    versions=["23.2.1", "20.2.7"],
    inputs=[GearInput(name="freesurfer_license", base="file", optional=True)],
    config=[
        ConfigOption(
            name="bold2t1w_dof",
            type="integer",
            default=9,
            enum=[6, 9, 12],
            description="Degrees of freedom when registering BOLD to T1w images.",
        ),
        ConfigOption(name="fs_no_reconall", type="boolean", default=False),
    ],
)


def test_gear_list_blocks_snapshot() -> None:
    reply = gear_list([CURATE, DCM2NIIX], None)
    assert reply.text == "2 gears: curate-bids, dcm2niix"
    assert reply.ephemeral
    assert reply.blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*2 gears* on this site\n"
                "`curate-bids` 2.2.9 · BIDS Curation · _utility_\n"
                "`dcm2niix` 2.1.0 · dcm2niix: DICOM to NIfTI · _converter_",
            },
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Details of one: `/fw gear NAME`"}],
        },
    ]


def test_gear_list_console_snapshot() -> None:
    assert gear_list([CURATE, DCM2NIIX], "i").console_text() == (
        "2 gears matching 'i'\n"
        "\n"
        "NAME         VERSION  CATEGORY   LABEL\n"
        "curate-bids  2.2.9    utility    BIDS Curation\n"
        "dcm2niix     2.1.0    converter  dcm2niix: DICOM to NIfTI"
    )


def test_gear_detail_blocks_match_the_checked_in_snapshot() -> None:
    reply = gear_detail(FMRIPREP)
    expected = json.loads((SNAPSHOTS / "gear_detail_fmriprep.json").read_text())
    assert {"text": reply.text, "blocks": reply.blocks} == expected


def test_gear_detail_console_matches_the_checked_in_snapshot() -> None:
    expected = (SNAPSHOTS / "gear_detail_fmriprep.txt").read_text()
    assert gear_detail(FMRIPREP).console_text() + "\n" == expected


def test_flywheel_text_is_escaped_in_blocks_but_not_in_the_console() -> None:
    reply = gear_detail(FMRIPREP)
    assert "*fMRIPrep &lt;robust&gt; &amp; fast*" in json.dumps(reply.blocks)
    assert "fMRIPrep <robust> & fast" in reply.console_text()


def test_gear_list_console_fits_80_columns_with_long_labels() -> None:
    long = GearSummary(
        gear_id="g",
        name="a-gear-with-a-very-long-name-indeed-yes",
        label="L" * 200,
        version="1.0.0-rc.1+build.5",
        category="analysis",
    )
    lines = gear_list([long, CURATE], None).console_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[3].endswith("…")
