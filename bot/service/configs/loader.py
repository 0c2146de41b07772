"""The configs directory: one YAML file per saved config, read again whenever it changes.

A broken file never hides the others: it is listed with its problems, and only
asking for it by name raises. Files are re-read when their mtime or size
changes, so an edit takes effect on the next command without a restart.
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.errors import NotFound
from bot.service.configs.model import (
    AnalysisSource,
    ConfigError,
    InputRef,
    SavedConfig,
    SessionSelection,
)

SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class ConfigEntry:
    """One file of the directory: its config if it loaded, else the problems that stopped it.

    ``problems`` may also hold manifest problems of a config that loaded (added by the
    service); ``saved`` is None only when the file itself is unusable.
    """

    name: str
    file: str
    saved: SavedConfig | None
    gear: str | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return self.saved is not None and not self.problems


class ConfigLibrary:
    """Saved configs by name; the file's stem is the config's name."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._cache: dict[Path, tuple[tuple[int, int], ConfigEntry]] = {}
        self._lock = threading.Lock()

    def entries(self) -> list[ConfigEntry]:
        """Every file, sorted by name; a second file with the same stem is flagged."""
        out: list[ConfigEntry] = []
        seen: dict[str, str] = {}
        for path in self._files():
            entry = self._entry(path)
            if entry.name in seen:
                problem = f"a second file for `{entry.name}` (also {seen[entry.name]}); keep one"
                entry = ConfigEntry(entry.name, entry.file, None, entry.gear, (problem,))
            else:
                seen[entry.name] = entry.file
            out.append(entry)
        return out

    def names(self) -> list[str]:
        return sorted({e.name for e in self.entries()})

    def get(self, name: str) -> SavedConfig:
        """The config called ``name``; ``NotFound`` with suggestions, ``ConfigError`` if broken."""
        entries = self.entries()
        entry = self._find(name, entries)
        if entry is None:
            names = sorted({e.name for e in entries})
            raise NotFound("config", name, suggestions=difflib.get_close_matches(name, names, n=3))
        if entry.saved is None:
            raise ConfigError(entry.file, list(entry.problems))
        return entry.saved

    def for_gear(self, gear: str) -> list[SavedConfig]:
        """The loadable configs that run ``gear``, by name."""
        return [e.saved for e in self.entries() if e.saved is not None and e.saved.gear == gear]

    def named_after(self, gear_name: str) -> SavedConfig | None:
        """The config named like the gear (used when a launch names no config), if any.

        A broken one, or one that runs another gear, raises ``ConfigError`` rather than
        falling back to the gear's defaults without a word.
        """
        entry = next((e for e in self.entries() if e.name == gear_name), None)
        if entry is None:
            return None
        saved = self.get(gear_name)
        if saved.gear != gear_name:
            raise ConfigError(
                entry.file,
                [f"gear: named after `{gear_name}` but runs `{saved.gear}`"],
                hint=f"Rename the file or pass `config={entry.name}` explicitly.",
            )
        return saved

    # -- internals ---------------------------------------------------------
    def _files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        files = [p for p in self.directory.iterdir() if p.suffix in SUFFIXES and p.is_file()]
        return sorted(files, key=lambda p: (p.stem, SUFFIXES.index(p.suffix)))

    def _find(self, name: str, entries: list[ConfigEntry]) -> ConfigEntry | None:
        exact = next((e for e in entries if e.name == name), None)
        if exact is not None:
            return exact
        folded = [e for e in entries if e.name.casefold() == name.casefold()]
        return folded[0] if len(folded) == 1 else None

    def _entry(self, path: Path) -> ConfigEntry:
        try:
            stat = path.stat()
        except OSError as err:
            return ConfigEntry(path.stem, path.name, None, None, (f"cannot read: {err.strerror}",))
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        entry = load_file(path)
        with self._lock:
            self._cache[path] = (stamp, entry)
        return entry


def load_file(path: Path) -> ConfigEntry:
    """Read one file into an entry; never raises for what is in the file."""
    name, file = path.stem, path.name

    def broken(*problems: str, gear: str | None = None) -> ConfigEntry:
        return ConfigEntry(name, file, None, gear, tuple(problems))

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        return broken(f"cannot read: {err.strerror}")
    except UnicodeDecodeError:
        return broken("not UTF-8 text")
    except yaml.YAMLError as err:
        return broken(_yaml_problem(err))
    if not isinstance(doc, dict):
        return broken("expected keys such as `gear:` and `config:`; the file has none")
    gear = doc.get("gear") if isinstance(doc.get("gear"), str) else None
    written = doc.get("name", name)
    if written != name:
        return broken(
            f"name: `{written}` differs from the file name; rename the file to "
            f"{written}{path.suffix} or remove `name:`",
            gear=gear,
        )
    try:
        saved = SavedConfig.model_validate({**doc, "name": name})
    except ValidationError as err:
        return broken(*validation_problems(err), gear=gear)
    return ConfigEntry(name, file, saved.with_source(file), saved.gear)


def _yaml_problem(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"not valid YAML: {problem}{where}"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel]:
    """Which model an error location belongs to, so an unknown key lists its siblings."""
    if loc and loc[0] == "sessions":
        return SessionSelection
    if loc and loc[0] == "inputs":
        return AnalysisSource if len(loc) >= 3 and loc[2] == "analysis" else InputRef
    return SavedConfig


def validation_problems(err: ValidationError) -> list[str]:
    """Pydantic's errors as ``key: what is wrong and what is allowed`` lines."""
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        key = ".".join(str(part) for part in loc) or "file"
        kind = e["type"]
        if kind == "extra_forbidden":
            allowed = list(_model_at(loc[:-1]).model_fields)
            best = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
            near = f"; did you mean `{best[0]}`?" if best else ""
            problems.append(f"{key}: unknown key{near} (keys: {', '.join(allowed)})")
        elif kind == "missing":
            problems.append(f"{key}: required and missing")
        elif kind == "literal_error":
            expected = str(e.get("ctx", {}).get("expected", "")).replace("'", "")
            problems.append(f"{key}: `{e['input']}` is not allowed; one of {expected}")
        else:
            message = str(e["msg"]).removeprefix("Value error, ")
            problems.append(f"{key}: {message}")
    return problems
