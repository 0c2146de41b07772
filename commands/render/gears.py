"""Renderers for `/fw gears` and `/fw gear`: counts first, one short line per item."""

from __future__ import annotations

import json
from typing import Any

from bot.domain import ConfigOption, GearDetail, GearInput, GearSummary
from commands.render import text as console
from commands.render.blocks import Block, clip, context, escape, header, line_sections, section
from commands.render.message import reply
from commands.reply import Reply

LIST_TITLE = "*{count}* on this site"
LIST_TITLE_MATCHING = "*{count}* matching `{query}`"
LIST_CONSOLE_TITLE = "{count} on this site"
LIST_CONSOLE_TITLE_MATCHING = "{count} matching '{query}'"
LIST_TEXT = "{count}: {names}"
LIST_POINTER = "Details of one: `/fw gear NAME`"
NO_MATCH = "No gears match `{query}`."
NO_MATCH_HINT = "Try part of a name, label or category, or `/fw gears` to list them all."
NO_GEARS = "No gears are installed on this site."
DETAIL_TEXT = "{name} {version}: {inputs}, {options}"
VERSIONS = "Versions, newest first: {versions}"
CATEGORY = "Category: {category}"
INPUTS_TITLE = "*Inputs ({count})*"
CONFIG_TITLE = "*Config options ({count})*"
OTHER_VERSION = "Another version: `/fw gear {name} version=V`"
REQUIRED = "required"
OPTIONAL = "optional"
DEFAULT = "default {value}"
ONE_OF = "one of {values}"
RANGE = "{low} to {high}"
AT_LEAST = "at least {low}"
AT_MOST = "at most {high}"
NO_DESCRIPTION = "(no description)"

MAX_VERSIONS = 8
MAX_ENUM = 8
MAX_CONFIG_LINES = 30  # in Slack; the console shows every option
DESCRIPTION_CHARS = 600
ITEM_DESCRIPTION_CHARS = 140
LABEL_CHARS = 60


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def gear_list(gears: list[GearSummary], query: str | None) -> Reply:
    """The gear catalogue (or the part matching ``query``)."""
    if not gears:
        return _no_gears(query)
    count = plural(len(gears), "gear")
    title = (
        LIST_TITLE_MATCHING.format(count=count, query=escape(query))
        if query
        else LIST_TITLE.format(count=count)
    )
    lines = [
        f"`{escape(g.name)}` {escape(g.version)} · {escape(clip(g.label, LABEL_CHARS))}"
        f" · _{escape(g.category)}_"
        for g in gears
    ]
    blocks = [*line_sections(lines, title=title), context(LIST_POINTER)]
    console_title = (
        LIST_CONSOLE_TITLE_MATCHING.format(count=count, query=query)
        if query
        else LIST_CONSOLE_TITLE.format(count=count)
    )
    rows = [(g.name, g.version, g.category, g.label) for g in gears]
    text = "\n".join(
        [console_title, "", console.table(("NAME", "VERSION", "CATEGORY", "LABEL"), rows)]
    )
    fallback = LIST_TEXT.format(count=count, names=", ".join(g.name for g in gears))
    return reply(fallback, blocks, text)


def _no_gears(query: str | None) -> Reply:
    if query:
        message = NO_MATCH.format(query=query)
        blocks = [section(NO_MATCH.format(query=escape(query))), context(NO_MATCH_HINT)]
        return reply(message, blocks, f"{message}\n{NO_MATCH_HINT}")
    return reply(NO_GEARS, [section(NO_GEARS)], NO_GEARS)


def gear_detail(detail: GearDetail) -> Reply:
    """One gear in full: what it is, its versions, its inputs and its config options."""
    g = detail.summary
    blocks: list[Block] = [header(f"{g.name} {g.version}")]
    about = f"*{escape(g.label)}*"
    if detail.description:
        about += "\n" + escape(clip(detail.description, DESCRIPTION_CHARS))
    blocks.append(section(about))
    blocks.append(context(CATEGORY.format(category=escape(g.category)), _versions(detail)))
    if detail.inputs:
        lines = [_input_line(i) for i in detail.inputs]
        blocks.extend(line_sections(lines, title=INPUTS_TITLE.format(count=len(lines))))
    if detail.config:
        lines = [_option_line(o) for o in detail.config]
        title = CONFIG_TITLE.format(count=len(lines))
        blocks.extend(line_sections(lines, title=title, max_lines=MAX_CONFIG_LINES))
    if len(detail.versions) > 1:
        blocks.append(context(OTHER_VERSION.format(name=escape(g.name))))
    fallback = DETAIL_TEXT.format(
        name=g.name,
        version=g.version,
        inputs=plural(len(detail.inputs), "input"),
        options=plural(len(detail.config), "config option"),
    )
    return reply(fallback, blocks, _detail_console(detail))


def _versions(detail: GearDetail) -> str:
    shown = detail.versions[:MAX_VERSIONS] or [detail.summary.version]
    text = ", ".join(escape(v) for v in shown)
    if len(detail.versions) > MAX_VERSIONS:
        text += " " + console.more(len(detail.versions) - MAX_VERSIONS)
    return VERSIONS.format(versions=text)


def _input_facts(item: GearInput) -> str:
    return f"{item.base}, {OPTIONAL if item.optional else REQUIRED}"


def _input_line(item: GearInput) -> str:
    line = f"• `{escape(item.name)}` {_input_facts(item)}"
    if item.description:
        line += " — " + escape(clip(item.description, ITEM_DESCRIPTION_CHARS))
    return line


def _value(value: Any) -> str:
    """A config value as it would be written in a saved config."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)


def _option_facts(option: ConfigOption, code: str) -> list[str]:
    """type, default, allowed values; ``code`` wraps a value (backticks in Slack)."""
    facts = [option.type]
    if option.default is not None:
        facts.append(DEFAULT.format(value=code.format(_value(option.default))))
    elif not option.optional:
        facts.append(REQUIRED)
    if option.enum:
        values = [code.format(_value(v)) for v in option.enum[:MAX_ENUM]]
        if len(option.enum) > MAX_ENUM:
            values.append(console.more(len(option.enum) - MAX_ENUM))
        facts.append(ONE_OF.format(values=", ".join(values)))
    bounds = _bounds(option)
    if bounds:
        facts.append(bounds)
    return facts


def _bounds(option: ConfigOption) -> str:
    low = _value(option.minimum) if option.minimum is not None else None
    high = _value(option.maximum) if option.maximum is not None else None
    if low is not None and high is not None:
        return RANGE.format(low=low, high=high)
    if low is not None:
        return AT_LEAST.format(low=low)
    if high is not None:
        return AT_MOST.format(high=high)
    return ""


def _option_line(option: ConfigOption) -> str:
    facts = [escape(f) for f in _option_facts(option, "`{}`")]
    line = f"• `{escape(option.name)}` " + " · ".join(facts)
    if option.description:
        line += " — " + escape(clip(option.description, ITEM_DESCRIPTION_CHARS))
    return line


def _detail_console(detail: GearDetail) -> str:
    g = detail.summary
    lines = [
        f"{g.name} {g.version} — {g.label}",
        CATEGORY.format(category=g.category),
        VERSIONS.format(versions=", ".join(detail.versions or [g.version])),
    ]
    if detail.description:
        lines += ["", console.wrap(detail.description)]
    if detail.inputs:
        items = [
            (i.name, f"{_input_facts(i)}. {i.description or NO_DESCRIPTION}") for i in detail.inputs
        ]
        title = INPUTS_TITLE.format(count=len(items)).strip("*")
        lines += ["", title + ":", console.definitions(items)]
    if detail.config:
        items = [
            (o.name, "; ".join(_option_facts(o, "{}")) + f". {o.description or NO_DESCRIPTION}")
            for o in detail.config
        ]
        title = CONFIG_TITLE.format(count=len(items)).strip("*")
        lines += ["", title + ":", console.definitions(items)]
    return "\n".join(lines)
