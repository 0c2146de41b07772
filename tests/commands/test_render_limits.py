"""Slack's limits hold for any input: 50 blocks, 3,000-character sections, 150-character headers."""

from __future__ import annotations

import json
from typing import Any

from bot.domain import ConfigOption, GearDetail, GearInput, GearSummary
from commands.render.blocks import (
    clip,
    context,
    escape,
    fit,
    header,
    line_sections,
    section,
)
from commands.render.gears import MAX_CONFIG_LINES, gear_detail, gear_list
from commands.render.message import reply
from commands.reply import Reply
from tests.commands.conftest import visible_text

# Slack's documented limits, written out so a changed constant cannot hide a breach.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3_000
MAX_HEADER_TEXT = 150


def assert_within_slack_limits(r: Reply) -> None:
    assert r.text, "the top-level fallback text is always set"
    assert len(r.blocks) <= MAX_BLOCKS
    for block in r.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER_TEXT


def summary(i: int, **extra: Any) -> GearSummary:
    fields = {
        "gear_id": f"g{i}",
        "name": f"gear-{i:03d}",
        "label": f"Gear {i}",
        "version": "1.0.0",
        "category": "analysis",
    }
    return GearSummary(**(fields | extra))


def test_twenty_gears_fit_in_one_section_without_truncation() -> None:
    r = gear_list([summary(i) for i in range(20)], None)
    assert_within_slack_limits(r)
    assert len(r.blocks) == 2
    assert "more" not in visible_text(r)
    assert "`gear-019`" in visible_text(r)


def test_a_huge_gear_list_ends_with_and_n_more() -> None:
    gears = [summary(i, label="L" * 55) for i in range(2_000)]
    r = gear_list(gears, None)
    assert_within_slack_limits(r)
    seen = visible_text(r)
    shown = seen.count("`gear-")
    assert shown < 2_000
    assert f"… and {2_000 - shown:,} more" in seen
    assert "`gear-000`" in seen


def test_sixty_config_options_truncate_cleanly() -> None:
    options = [
        ConfigOption(
            name=f"option_{i:02d}",
            type="string",
            default="x",
            enum=[f"choice_{j}" for j in range(12)],
            description="D" * 400,
        )
        for i in range(60)
    ]
    detail = GearDetail(
        summary=summary(1, label="Big & <noisy>"),
        versions=["1.0.0"],
        inputs=[GearInput(name="t1", base="file")],
        config=options,
    )
    r = gear_detail(detail)
    assert_within_slack_limits(r)
    seen = visible_text(r)
    assert "*Config options (60)*" in seen
    assert seen.count("• `option_") == MAX_CONFIG_LINES
    assert f"… and {60 - MAX_CONFIG_LINES} more" in seen
    assert "`choice_7`, … and 4 more" in seen
    assert "option_59" in r.console_text()  # the console shows everything


def test_long_header_and_description_are_clipped() -> None:
    detail = GearDetail(
        summary=summary(1, name="n" * 300, label="l" * 5_000), description="d" * 10_000
    )
    r = gear_detail(detail)
    assert_within_slack_limits(r)
    assert r.blocks[0]["text"]["text"].endswith("…")


def test_line_sections_never_exceed_the_section_limit_and_count_what_is_left() -> None:
    lines = [f"line {i} " + "x" * 90 for i in range(1_000)]
    blocks = line_sections(lines, title="*Title*", max_sections=3)
    assert len(blocks) == 3
    assert all(len(b["text"]["text"]) <= MAX_SECTION_TEXT for b in blocks)
    kept = sum(b["text"]["text"].count("line ") for b in blocks)
    assert blocks[-1]["text"]["text"].endswith(f"… and {1_000 - kept} more")


def test_a_single_enormous_line_is_clipped_not_dropped() -> None:
    [block] = line_sections(["y" * 50_000])
    assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
    assert block["text"]["text"].startswith("yyy")


def test_fit_keeps_at_most_50_blocks_and_says_how_many_were_cut() -> None:
    blocks = [section(f"s{i}") for i in range(70)]
    fitted = fit(blocks)
    assert len(fitted) == MAX_BLOCKS
    assert fitted[-1] == context("… and 21 more")
    assert fit(blocks[:50]) == blocks[:50]


def test_reply_enforces_limits_and_always_sets_text() -> None:
    r = reply("t" * 50_000 + " <b>", [section(str(i)) for i in range(80)], "console")
    assert len(r.blocks) == MAX_BLOCKS
    assert len(r.text) <= 3_000


def test_header_limit() -> None:
    assert len(header("h" * 1_000)["text"]["text"]) == MAX_HEADER_TEXT


def test_escape_and_clip_never_split_an_entity() -> None:
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"
    cut = clip(escape("x" * 8 + "&&&&"), 12)
    assert cut.endswith("…")
    assert not cut[:-1].endswith(("&", "&a", "&am", "&amp"))
    json.dumps(cut)  # still plain text
