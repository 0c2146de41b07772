"""Renderers for `/fw configs` and `/fw config NAME`: what a launch would do, before it does it."""

from __future__ import annotations

import textwrap
from typing import Any

from bot.service.configs import ConfigEntry, ConfigView, SavedConfig
from bot.service.configs.manifest import shown
from commands.render import text as console
from commands.render.blocks import (
    Block,
    clip,
    context,
    escape,
    fields,
    header,
    line_sections,
    section,
)
from commands.render.gears import plural
from commands.render.message import reply
from commands.reply import Reply

LIST_TITLE = "*{count}*"
LIST_TITLE_GEAR = "*{count}* for `{gear}`"
LIST_TEXT = "{count}: {names}"
LIST_POINTER = "One in full: `/fw config NAME` · Use one: `/fw launch GEAR project=P config=NAME`"
NO_CONFIGS = "No saved configs yet."
NO_CONFIGS_HINT = "Add a YAML file to the configs directory; docs/configs.md shows the shape."
NO_CONFIGS_GEAR = "No saved configs for `{gear}`."
NO_CONFIGS_GEAR_HINT = (
    "`/fw configs` lists them all; without one, `/fw launch {gear}` uses the gear's defaults."
)
INVALID = "invalid"
LATEST = "latest"
DEFAULT_SIZE = "default size"
PROBLEMS_TITLE = "*{count}* — a launch with this config is refused until they are fixed"
CONFIG_TITLE = "*Config values ({count} set)*"
DEFAULTS_TITLE = "*Left at the gear's defaults ({count})*"
NONE_SET = "None set: every option takes the gear's default."
LAUNCH_POINTER = "Launch: `/fw launch {gear} project=PROJECT config={name}`"
GEAR_POINTER = "Every option of the gear: `/fw gear {gear}`"
SKIP_TEXT = {
    "complete": "skips sessions with a pending, running or complete run of this gear version "
    "and config",
    "none": "reruns sessions with a complete run; skips pending or running ones",
}
MAX_PROBLEMS_IN_LIST = 1
MAX_PROBLEM_LINES = 20  # in Slack; the console shows every problem and value
MAX_VALUE_LINES = 40
MAX_DEFAULT_LINES = 20
PROBLEM_CHARS = 200
DESCRIPTION_CHARS = 600


# -- /fw configs -------------------------------------------------------------
def config_list(entries: list[ConfigEntry], gear: str | None) -> Reply:
    """One line per saved config; broken ones say why."""
    if not entries:
        return _no_configs(gear)
    count = plural(len(entries), "saved config")
    title = (
        LIST_TITLE_GEAR.format(count=count, gear=escape(gear))
        if gear
        else LIST_TITLE.format(count=count)
    )
    blocks = [*line_sections([_list_line(e) for e in entries], title=title), context(LIST_POINTER)]
    fallback = LIST_TEXT.format(count=count, names=", ".join(e.name for e in entries))
    return reply(fallback, blocks, _list_console(entries, count))


def _version(saved: SavedConfig) -> str:
    return saved.version or LATEST


def _summary_facts(saved: SavedConfig) -> list[str]:
    rule = saved.sessions.describe()
    if saved.target != "session":  # one job per acquisition, subject or the project
        rule = f"per {saved.target}" + ("" if saved.sessions.all_sessions else f": {rule}")
    return [
        f"{saved.gear} {_version(saved)}",
        saved.size or DEFAULT_SIZE,
        rule,
    ]


def _problem_summary(entry: ConfigEntry) -> str:
    first = clip(entry.problems[0], PROBLEM_CHARS) if entry.problems else ""
    rest = len(entry.problems) - MAX_PROBLEMS_IN_LIST
    return first + (f" (+{rest} more)" if rest > 0 else "")


def _list_line(entry: ConfigEntry) -> str:
    line = f"• `{escape(entry.name)}`"
    if entry.saved is not None:
        line += " " + " · ".join(escape(f) for f in _summary_facts(entry.saved))
    if entry.problems:
        line += (
            f"\n    :warning: _{INVALID}_ ({escape(entry.file)}): {escape(_problem_summary(entry))}"
        )
    return line


def _list_console(entries: list[ConfigEntry], count: str) -> str:
    rows = []
    for e in entries:
        facts = _summary_facts(e.saved) if e.saved else ["?", "?", "?"]
        rows.append((e.name, *facts[:2], facts[2] if e.valid else f"{INVALID}: see below"))
    lines = [count, "", console.table(("NAME", "GEAR VERSION", "SIZE", "SESSIONS"), rows)]
    broken = [e for e in entries if e.problems]
    if broken:
        lines.append("")
        for e in broken:
            lines.append(f"! {e.file}:")
            lines.extend(_bullet(p, "  - ") for p in e.problems)
    return "\n".join(lines)


def _bullet(text: str, mark: str) -> str:
    """``mark`` before the first line, spaces before the rest, wrapped for the terminal."""
    return textwrap.fill(
        " ".join(text.split()),
        width=console.WIDTH,
        initial_indent=mark,
        subsequent_indent=" " * len(mark),
    )


def _no_configs(gear: str | None) -> Reply:
    if gear:
        message = NO_CONFIGS_GEAR.format(gear=gear)
        hint = NO_CONFIGS_GEAR_HINT.format(gear=gear)
        blocks = [
            section(NO_CONFIGS_GEAR.format(gear=escape(gear))),
            context(NO_CONFIGS_GEAR_HINT.format(gear=escape(gear))),
        ]
    else:
        message, hint = NO_CONFIGS, NO_CONFIGS_HINT
        blocks = [section(NO_CONFIGS), context(NO_CONFIGS_HINT)]
    return reply(message, blocks, f"{message}\n{hint}")


# -- /fw config NAME ---------------------------------------------------------
def _facts(view: ConfigView) -> list[tuple[str, str]]:
    """(term, value) pairs shared by Slack and the console; values are plain text."""
    saved = view.saved
    latest = view.gear.summary.version if view.gear else None
    if saved.version:
        version = f"{saved.version} (pinned)"
    else:
        version = f"{LATEST} ({latest})" if latest else LATEST
    size = f"{saved.size} ({saved.vm_tag})" if saved.size else f"{DEFAULT_SIZE} (no VM tag)"
    inputs = "; ".join(f"{k} ← {v.describe()}" for k, v in saved.inputs.items())
    return [
        ("Gear", f"{saved.gear} {version}"),
        ("Size", size),
        *([("Target", f"one job per {saved.target}")] if saved.target != "session" else []),
        ("Sessions", saved.sessions.describe()),
        ("Skip", f"{saved.skip}: {SKIP_TEXT[saved.skip]}"),
        ("Label", saved.label),
        ("Inputs", inputs or "none"),
        ("Expects", ", ".join(saved.expect_outputs) or "nothing"),
        ("File", view.file),
    ]


def _value_line(key: str, value: Any, view: ConfigView, code: str) -> str:
    line = f"{code.format(key)} = {code.format(shown(value))}"
    defaults = view.defaults
    if view.gear is None:
        return line
    if key not in {o.name for o in view.gear.config}:
        return line + " (not an option of this gear)"
    if key not in defaults:
        return line + " (no default)"
    if defaults[key] == value and type(defaults[key]) is type(value):
        return line + " (same as the default)"
    return line + f" (default {code.format(shown(defaults[key]))})"


def _config_lines(view: ConfigView, code: str) -> tuple[list[str], list[str]]:
    """Lines for the saved values (with their defaults), and for the options left at default."""
    set_lines = [_value_line(k, v, view, code) for k, v in view.saved.config.items()]
    untouched = [
        f"{code.format(k)} = {code.format(shown(v))}"
        for k, v in view.effective.items()
        if k not in view.saved.config
    ]
    return set_lines, untouched


def config_detail(view: ConfigView) -> Reply:
    """One saved config in full: facts, problems, values against the manifest's defaults."""
    saved = view.saved
    blocks: list[Block] = [header(f"Config {saved.name}")]
    if saved.description:
        blocks.append(section(escape(clip(saved.description, DESCRIPTION_CHARS))))
    blocks.append(fields([f"*{t}*\n{escape(v)}" for t, v in _facts(view)]))
    if view.problems:
        lines = [f":warning: {escape(p)}" for p in view.problems]
        title = PROBLEMS_TITLE.format(count=plural(len(lines), "problem"))
        blocks.extend(line_sections(lines, title=title, max_lines=MAX_PROBLEM_LINES))
    set_lines, untouched = _config_lines(view, "`{}`")
    title = CONFIG_TITLE.format(count=len(set_lines))
    values = [escape(x) for x in set_lines] or [NONE_SET]
    blocks.extend(line_sections(values, title=title, max_lines=MAX_VALUE_LINES))
    if untouched:
        title = DEFAULTS_TITLE.format(count=len(untouched))
        blocks.extend(
            line_sections([escape(x) for x in untouched], title=title, max_lines=MAX_DEFAULT_LINES)
        )
    pointers = [LAUNCH_POINTER.format(gear=escape(saved.gear), name=escape(saved.name))]
    if view.gear is not None:
        pointers.append(GEAR_POINTER.format(gear=escape(saved.gear)))
    blocks.append(context(*pointers))
    state = "valid" if view.valid else plural(len(view.problems), "problem")
    fallback = f"Config {saved.name}: {saved.gear} {_version(saved)}, {state}"
    return reply(fallback, blocks, _detail_console(view))


def _detail_console(view: ConfigView) -> str:
    saved = view.saved
    lines = [f"Config {saved.name}"]
    if saved.description:
        lines.append(console.wrap(saved.description))
    lines += ["", console.definitions(_facts(view))]
    if view.problems:
        lines += ["", f"{plural(len(view.problems), 'problem')}:"]
        lines.extend(_bullet(p, "  ! ") for p in view.problems)
    set_lines, untouched = _config_lines(view, "{}")
    lines += ["", CONFIG_TITLE.format(count=len(set_lines)).strip("*") + ":"]
    lines.extend(f"  {x}" for x in set_lines or [NONE_SET])
    if untouched:
        lines += ["", DEFAULTS_TITLE.format(count=len(untouched)).strip("*") + ":"]
        lines.extend(f"  {x}" for x in untouched)
    lines += ["", LAUNCH_POINTER.format(gear=saved.gear, name=saved.name).replace("`", "")]
    return "\n".join(lines)
