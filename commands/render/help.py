"""Help pages, rendered from the command specs so they always match what the parser accepts."""

from __future__ import annotations

from collections.abc import Sequence

from commands.grammar import CommandSpec
from commands.render import text as console
from commands.render.blocks import Block, context, escape, header, line_sections, section
from commands.render.message import reply
from commands.reply import Reply

OVERVIEW_TITLE = "*/fw* runs Flywheel gears from Slack. {count} commands:"
OVERVIEW_TEXT = "/fw commands: {names}. Type /fw help COMMAND for details."
OVERVIEW_CONSOLE_TITLE = "/fw runs Flywheel gears from Slack. {count} commands:"
OVERVIEW_POINTER = "Details: `/fw help COMMAND` or `/fw COMMAND --help`."
COMMAND_TEXT = "Help for /fw {name}. Usage: {usage}"
USAGE = "*Usage*\n`{usage}`"
ARGUMENTS = "Arguments"
OPTIONS = "Options"
FLAGS = "Flags"
EXAMPLES = "Examples"
REQUIRED = " (required)"
CHOICES = " One of {choices}."
ALIASES = "Also: {aliases}."
HELP_ANYWHERE = "`help` or `--help` after any command shows its page."


def overview(specs: Sequence[CommandSpec]) -> Reply:
    """One line per command: what to type and what it does."""
    lines = [f"`{escape(s.usage)}` — {escape(s.summary)}" for s in specs]
    blocks: list[Block] = [
        *line_sections(lines, title=OVERVIEW_TITLE.format(count=len(specs))),
        context(OVERVIEW_POINTER),
    ]
    rows = [(s.usage, s.summary) for s in specs]
    text = "\n".join(
        [
            OVERVIEW_CONSOLE_TITLE.format(count=len(specs)),
            "",
            console.definitions(rows),
            "",
            OVERVIEW_POINTER,
        ]
    )
    names = ", ".join(s.name for s in specs)
    return reply(OVERVIEW_TEXT.format(names=names), blocks, text)


def command_help(spec: CommandSpec) -> Reply:
    """One command's page: usage, arguments, options, flags and examples."""
    blocks: list[Block] = [header(f"/fw {spec.name}")]
    blocks.append(section(escape("\n".join(filter(None, [spec.summary + ".", spec.help])))))
    blocks.append(section(USAGE.format(usage=escape(spec.usage))))
    for title, items in _entries(spec):
        lines = [f"• `{escape(term)}` — {escape(what)}" for term, what in items]
        blocks.extend(line_sections(lines, title=f"*{title}*"))
    if spec.examples:
        examples = [f"`{escape(e)}`" for e in spec.examples]
        blocks.extend(line_sections(examples, title=f"*{EXAMPLES}*"))
    notes = [HELP_ANYWHERE]
    if spec.aliases:
        notes.insert(0, ALIASES.format(aliases=", ".join(f"`/fw {a}`" for a in spec.aliases)))
    blocks.append(context(*notes))
    return reply(COMMAND_TEXT.format(name=spec.name, usage=spec.usage), blocks, _console(spec))


def _entries(spec: CommandSpec) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, [(term, description)]) for arguments, options and flags; empty groups skipped."""
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        (ARGUMENTS, [(a.metavar, a.help + (REQUIRED if a.required else "")) for a in spec.args]),
        (
            OPTIONS,
            [
                (f"{o.key}={o.metavar}", _option_help(o.help, o.required, o.choices))
                for o in spec.options
            ],
        ),
        (FLAGS, [(f.name, f.help) for f in spec.flags]),
    ]
    return [(title, items) for title, items in groups if items]


def _option_help(help_: str, required: bool, choices: tuple[str, ...]) -> str:
    text = help_ + (REQUIRED if required else "")
    if choices:
        text += CHOICES.format(choices=", ".join(choices))
    return text


def _console(spec: CommandSpec) -> str:
    lines = [f"/fw {spec.name} — {spec.summary}", f"Usage: {spec.usage}"]
    if spec.help:
        lines += ["", console.wrap(spec.help)]
    for title, items in _entries(spec):
        lines += ["", title + ":", console.definitions(items)]
    if spec.examples:
        lines += ["", EXAMPLES + ":", *("  " + e for e in spec.examples)]
    if spec.aliases:
        lines += ["", ALIASES.format(aliases=", ".join(f"/fw {a}" for a in spec.aliases))]
    return "\n".join(lines)
