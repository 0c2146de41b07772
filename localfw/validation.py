"""Checks a job body must pass before Flywheel queues it (core's ``Queue.enqueue_job``).

Config is validated against the gear manifest's ``config`` (as core does with the
invocation schema derived from it, after filling defaults); input names against its
``inputs``; input files and the destination must exist. A malformed body is a 400, a
reference to something that does not exist a 404.
"""

from __future__ import annotations

import re
from typing import Any

from localfw.router import HttpError
from localfw.world import Doc, World

DESTINATION_TYPES = ("project", "subject", "session", "acquisition", "analysis")
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def default_config(gear: Doc) -> dict[str, Any]:
    """Manifest defaults, as core's ``fill_gear_default_values`` (a null default is none)."""
    return {
        key: spec["default"]
        for key, spec in (gear["gear"].get("config") or {}).items()
        if isinstance(spec, dict) and spec.get("default") is not None
    }


def _config_error(detail: str) -> HttpError:
    return HttpError(400, f"Gear config invalid: {detail}")


def _type_ok(value: Any, wanted: Any) -> bool:
    names = wanted if isinstance(wanted, list) else [wanted]
    for name in names:
        if name == "null" and value is None:
            return True
        kinds = _TYPES.get(str(name))
        if kinds is None:
            continue
        # JSON Schema draft 4 (core's validator): a bool is no number, 1.0 is no integer
        if isinstance(value, bool) and name != "boolean":
            continue
        if isinstance(value, kinds):
            return True
    return False


def _same(a: Any, b: Any) -> bool:
    """JSON equality: 9 equals 9.0, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def check_option(key: str, spec: Doc, value: Any) -> None:
    """One config value against its manifest option: type, enum, bounds, string limits."""
    wanted = spec.get("type")
    if wanted is not None and not _type_ok(value, wanted):
        raise _config_error(f"{key!r} must be {wanted}")
    if "enum" in spec and not any(_same(value, allowed) for allowed in spec["enum"]):
        raise _config_error(f"{key!r} must be one of {spec['enum']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = spec.get("minimum"), spec.get("maximum")
        if low is not None and (value < low or (spec.get("exclusiveMinimum") and value == low)):
            raise _config_error(f"{key!r} must be at least {low}")
        if high is not None and (value > high or (spec.get("exclusiveMaximum") and value == high)):
            raise _config_error(f"{key!r} must be at most {high}")
    if isinstance(value, str):
        if "minLength" in spec and len(value) < spec["minLength"]:
            raise _config_error(f"{key!r} must be at least {spec['minLength']} characters")
        if "maxLength" in spec and len(value) > spec["maxLength"]:
            raise _config_error(f"{key!r} must be at most {spec['maxLength']} characters")
        if "pattern" in spec and re.search(spec["pattern"], value) is None:
            raise _config_error(f"{key!r} must match {spec['pattern']!r}")


def check_config(gear: Doc, config: Any) -> dict[str, Any]:
    """The config with defaults filled in; 400 for an unknown key (no source: the stricter
    reading, the manifest lists every option), a bad value, or a required option missing."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise _config_error("config must be an object")
    options = gear["gear"].get("config") or {}
    for key in config:
        if key not in options:
            raise _config_error(f"{key!r} is not an option of {gear['gear']['name']}")
    filled = {**default_config(gear), **config}
    for key, spec in options.items():
        if key in filled:
            check_option(key, spec, filled[key])
        elif not spec.get("optional", False):
            raise _config_error(f"{key!r} is required")
    return filled


def check_input_refs(gear: Doc, inputs: Any) -> dict[str, Doc]:
    """Input references, by name: each names a manifest input and is well formed; every
    required file input is given. Existence is checked later (a 404)."""
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise HttpError(400, "Job inputs must be an object of input name -> file reference")
    declared = gear["gear"].get("inputs") or {}
    refs: dict[str, Doc] = {}
    for key, ref in inputs.items():
        if key not in declared:
            raise HttpError(400, f"Job input {key!r} is not listed in gear manifest")
        base = declared[key].get("base")
        if base == "api-key":
            raise HttpError(400, f"Job input {key!r} is an api-key input: Flywheel supplies it")
        if base != "file":  # context inputs: no gear served here declares one
            raise HttpError(400, f"Job input {key!r} has base {base!r}; only files are served")
        if not (
            isinstance(ref, dict)
            and all(isinstance(ref.get(k), str) and ref.get(k) for k in ("type", "id", "name"))
        ):
            raise HttpError(400, f"Input {key!r} does not have a properly formatted file reference")
        refs[key] = {"type": ref["type"], "id": ref["id"], "name": ref["name"]}
    for key, spec in declared.items():
        if spec.get("base") == "file" and not spec.get("optional", False) and key not in refs:
            raise HttpError(400, f"Gear {gear['gear']['name']} requires input {key!r}")
    return refs


def input_container(world: World, key: str, ref: Doc) -> Doc:
    """The container a file reference points at (its type must be right), else 404."""
    found = world.container_of_type(ref["type"], ref["id"])
    if found is None:
        raise HttpError(404, f"Input {key!r}: {ref['type']} {ref['id']} not found")
    return found


def input_file(key: str, ref: Doc, container: Doc) -> Doc:
    for f in container.get("files", []):
        if f["name"] == ref["name"]:
            return dict(f)
    raise HttpError(404, f"Input {key!r}: file {ref['name']!r} not found on {ref['id']}")


def destination(world: World, ref: Any) -> tuple[str, Doc]:
    """The destination container: 400 if malformed, 404 if it does not exist."""
    if not isinstance(ref, dict) or not ref.get("type") or not ref.get("id"):
        raise HttpError(400, "Job destination must be {type, id}")
    ctype = str(ref["type"])
    if ctype not in DESTINATION_TYPES:
        raise HttpError(400, f"Job destination type must be one of {list(DESTINATION_TYPES)}")
    doc = world.container_of_type(ctype, str(ref["id"]))
    if doc is None:
        raise HttpError(404, f"Destination {ctype} {ref['id']} not found")
    return ctype, doc
