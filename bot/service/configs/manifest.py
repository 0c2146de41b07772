"""A saved config against its gear's manifest: every problem at once, each naming its key.

Checked when a config is shown and again at launch, against the manifest of
the version that will run: a config that was fine for one release can name an
option the next release dropped.
"""

from __future__ import annotations

import difflib
import json
import math
from typing import Any

from bot.domain import ConfigOption, GearDetail, GearInput
from bot.service.configs.model import ConfigError, InputRef, SavedConfig

USER_INPUT_BASES = frozenset({"file"})  # api-key and context inputs are filled in by Flywheel
MAX_ALLOWED_SHOWN = 12


def shown(value: Any) -> str:
    """A value as it would be written in YAML (``2``, ``eddy``, ``true``, ``""``)."""
    if isinstance(value, str):
        return value if value else '""'
    return json.dumps(value)


def _allowed(values: list[Any]) -> str:
    text = ", ".join(shown(v) for v in values[:MAX_ALLOWED_SHOWN])
    if len(values) > MAX_ALLOWED_SHOWN:
        text += f" (+{len(values) - MAX_ALLOWED_SHOWN} more)"
    return text


def _nearest(word: str, candidates: list[str]) -> str:
    best = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"; did you mean `{best[0]}`?" if best else ""


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if kind == "string":
        return isinstance(value, str)
    return True  # a manifest type fwbot does not know: leave it to Flywheel


def _bound(option: ConfigOption, bound: float) -> str:
    """Bounds are read as floats; an integer option's bound reads as an integer."""
    return shown(int(bound) if option.type == "integer" and bound.is_integer() else bound)


def _option_problems(option: ConfigOption, value: Any) -> list[str]:
    """Bare problems (the caller prefixes the key): type first, then enum, then bounds."""
    if not _type_ok(option.type, value):
        hint = ""
        if option.type == "string" and isinstance(value, bool | int | float):
            hint = f' (write it in quotes: "{shown(value)}")'
        elif option.type == "boolean":
            hint = " (write true or false)"
        article = "an" if option.type[:1] in "aeiou" else "a"
        return [f"`{shown(value)}` is not {article} {option.type}{hint}"]
    if option.enum is not None and value not in option.enum:
        return [f"`{shown(value)}` is not allowed; one of {_allowed(option.enum)}"]
    problems = []
    if option.minimum is not None and value < option.minimum:
        problems.append(f"`{shown(value)}` is below the minimum {_bound(option, option.minimum)}")
    if option.maximum is not None and value > option.maximum:
        problems.append(f"`{shown(value)}` is above the maximum {_bound(option, option.maximum)}")
    return problems


def manifest_problems(saved: SavedConfig, gear: GearDetail) -> list[str]:
    """Every way ``saved`` does not fit ``gear``'s manifest; empty when it fits."""
    problems: list[str] = []
    if saved.gear != gear.summary.name:
        problems.append(f"gear: `{saved.gear}` was checked against `{gear.summary.name}`")
    if saved.version is not None and gear.versions and saved.version not in gear.versions:
        problems.append(
            f"version: `{saved.version}` is not installed; one of {_allowed(gear.versions)}"
        )
    options = {o.name: o for o in gear.config}
    listed = False  # the gear's options are listed once, with the first unknown key
    for key, value in saved.config.items():
        option = options.get(key)
        if option is None:
            known = "" if listed else f" (options: {_allowed(sorted(options)) or 'none'})"
            listed = True
            problems.append(
                f"config.{key}: not an option of {gear.summary.name} {gear.summary.version}"
                f"{_nearest(key, list(options))}{known}"
            )
            continue
        problems.extend(f"config.{key}: {p}" for p in _option_problems(option, value))
    for option in gear.config:
        if not option.optional and option.default is None and option.name not in saved.config:
            problems.append(f"config.{option.name}: required by the gear and has no default")
    inputs = {i.name: i for i in gear.inputs}
    supplied = sorted(n for n, i in inputs.items() if i.base in USER_INPUT_BASES)
    for name, ref in saved.inputs.items():
        item = inputs.get(name)
        if item is None or item.base not in USER_INPUT_BASES:
            problems.append(
                f"inputs.{name}: not a file input of {gear.summary.name}"
                f"{_nearest(name, supplied)} (file inputs: {', '.join(supplied) or 'none'})"
            )
            continue
        problems.extend(_source_problems(name, ref, item.types))
    for name in supplied:
        if not inputs[name].optional and name not in saved.inputs:
            problems.append(f"inputs.{name}: required; {_source_hint(inputs[name])}")
    return problems


def _source_hint(item: GearInput) -> str:
    """How to give a required input: a project file, or (for typed images) each target's
    own file of that type."""
    images = [t for t in item.types or [] if t not in ("text", "source code", "tabular data")]
    if images:
        return (
            f"give a source, e.g. `{item.name}: {{type: {images[0]}}}` (each target's own "
            f"file) or `{item.name}: {{project_file: FILE}}`"
        )
    return f"give a project file, e.g. `{item.name}: {{project_file: FILE}}`"


def _source_problems(name: str, ref: InputRef, types: list[str] | None) -> list[str]:
    """A source against the input's declared file types (``base: file`` with ``type``)."""
    problems = []
    wanted = ref.analysis.type if ref.analysis is not None else ref.type
    if wanted is not None and types is not None and wanted not in types:
        key = f"inputs.{name}.analysis.type" if ref.analysis is not None else f"inputs.{name}.type"
        problems.append(
            f"{key}: `{wanted}` is not a file type {name} takes (it takes {', '.join(types)})"
        )
    return problems


def check_against_manifest(saved: SavedConfig, gear: GearDetail) -> None:
    """Raise ``ConfigError`` listing every problem of ``saved`` against ``gear``."""
    problems = manifest_problems(saved, gear)
    if problems:
        raise ConfigError(
            saved.source,
            problems,
            hint=f"`/fw gear {gear.summary.name}` lists its options, allowed values and inputs.",
        )


def manifest_defaults(gear: GearDetail) -> dict[str, Any]:
    """The options Flywheel's ``gear.run`` would send untouched: those with a default."""
    return {o.name: o.default for o in gear.config if o.default is not None}


def effective_config(saved: SavedConfig, gear: GearDetail) -> dict[str, Any]:
    """The config a launch sends: manifest defaults overlaid with the saved values.

    This is what flywheel-sdk's ``gear.run(config=...)`` sends (``get_default_config``
    updated with the caller's dict); options without a default are left for
    Flywheel to fill, so they appear only when the saved config sets them.
    """
    return {**manifest_defaults(gear), **saved.config}
