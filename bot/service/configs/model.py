"""The saved-config file shape: what a lab writes once and launches many times.

Models are strict (unknown keys are errors, never ignored) so a typo in a
YAML file can not silently launch 1,000 jobs with a default. Everything that
needs the gear's manifest is checked in ``manifest.py``; this module checks
only what the file alone can tell.
"""

from __future__ import annotations

import fnmatch
import re
import string
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from bot.domain import GearDetail
from bot.errors import FwbotError

# The tutorial's VM sizes ("Specifying a VM size for a gear"): alias -> executor tag.
SIZE_TAGS: dict[str, str] = {
    "small": "vm-n1-standard-1_disk-300G_swap-30G",
    "large": "vm-n1-highmem-4_disk-300GB_swap-30G",
    "extra-large": "vm-n1-highmem-8_disk-1500G_swap-60G",
}
Size = Literal["small", "large", "extra-large"]
SkipPolicy = Literal["complete", "none"]
# What one job runs on (SDK ``gear.run(destination=...)``): an analysis gear makes its
# analysis there, a utility gear writes its outputs into it.
TargetLevel = Literal["session", "acquisition", "subject", "project"]
# Several files (or analyses) match a target's input: which one to take. Without `pick`
# the target is skipped: fwbot never guesses. ``latest`` reads as ``newest``.
Pick = Literal["newest", "latest", "oldest"]
AnalysisState = Literal["complete", "failed", "cancelled", "running", "pending"]
# Flywheel's file types, as core names them from file extensions (api/filetypes.json).
FILE_TYPES = (
    "archive",
    "bval",
    "bvec",
    "dicom",
    "document",
    "eeg",
    "gephysio",
    "image",
    "ismrmrd",
    "log",
    "markdown",
    "markup",
    "MATLAB data",
    "MGH data",
    "nifti",
    "parrec",
    "pdf",
    "pfile",
    "presentation",
    "PsychoPy data",
    "qa",
    "source code",
    "spreadsheet",
    "tabular data",
    "text",
    "video",
)

LABEL_FIELDS = ("date", "gear", "version", "config")
DEFAULT_LABEL = "{gear}_{version}_{date}"
DATE_FORMAT = "%Y-%m-%d_%H-%M"
LICENSE_FILE = "license.txt"
CONFIG_HINT = "Fix the file in the configs directory; docs/configs.md describes every key."


class ConfigError(FwbotError):
    """A saved config is unreadable, malformed, or does not fit its gear's manifest.

    ``problems`` holds one line per problem, each starting with the key it concerns.
    """

    def __init__(self, where: str, problems: list[str], *, hint: str | None = None) -> None:
        self.where = where
        self.problems = list(problems)
        message = "\n".join(f"{where}: {p}" for p in self.problems)
        super().__init__(message, hint=hint or CONFIG_HINT)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SessionSelection(_Strict):
    """Which sessions of the project a launch targets.

    No rule at all means every session of the project. When several rules are
    given a session must satisfy all of them: one of its acquisitions' labels
    contains ``has_acquisition`` and matches ``acquisition_matches`` (a regex,
    searched anywhere in the label), and its subject is in ``subjects``.
    Matching is case-sensitive, as Flywheel's labels are.
    """

    has_acquisition: str | None = Field(default=None, min_length=1)
    acquisition_matches: str | None = Field(default=None, min_length=1)
    subjects: list[str] | None = None

    @field_validator("acquisition_matches")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(f"not a valid regular expression ({err})") from None
        return value

    @field_validator("subjects")
    @classmethod
    def _subjects_not_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("list at least one subject label, or leave `subjects` out")
        return value

    @property
    def all_sessions(self) -> bool:
        return (
            self.has_acquisition is None and self.acquisition_matches is None and not self.subjects
        )

    @property
    def filters_acquisitions(self) -> bool:
        return self.has_acquisition is not None or self.acquisition_matches is not None

    def matches_acquisition(self, label: str) -> bool:
        """Does an acquisition with this label satisfy the acquisition rules?"""
        if self.has_acquisition is not None and self.has_acquisition not in label:
            return False
        return (
            self.acquisition_matches is None
            or re.search(self.acquisition_matches, label) is not None
        )

    def selects_subject(self, subject_label: str) -> bool:
        return self.subjects is None or subject_label in self.subjects

    def describe(self) -> str:
        """One short line for listings: ``acquisition contains acq-64dir_dwi``."""
        parts = []
        if self.has_acquisition is not None:
            parts.append(f"acquisition contains {self.has_acquisition}")
        if self.acquisition_matches is not None:
            parts.append(f"acquisition matches /{self.acquisition_matches}/")
        if self.subjects:
            shown = ", ".join(self.subjects[:3])
            more = f" (+{len(self.subjects) - 3})" if len(self.subjects) > 3 else ""
            parts.append(f"subjects {shown}{more}")
        return "; ".join(parts) if parts else "all sessions"


def _file_type(value: str | None) -> str | None:
    if value is not None and value not in FILE_TYPES:
        close = [t for t in FILE_TYPES if t.casefold() == value.casefold()]
        hint = f"; did you mean `{close[0]}`?" if close else ""
        raise ValueError(
            f"`{value}` is not a Flywheel file type{hint} (types: {', '.join(FILE_TYPES)})"
        )
    return value


def _glob(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("a pattern must not be blank, e.g. `*.nii.gz`")
    return value


def is_pattern(text: str) -> bool:
    """Does a label or name pattern use glob wildcards (``*``, ``?``, ``[...]``)?"""
    return any(ch in text for ch in "*?[")


def glob_matches(pattern: str, text: str) -> bool:
    """Glob match, case-sensitive as Flywheel's labels and names are."""
    return fnmatch.fnmatchcase(text, pattern)


class AnalysisSource(_Strict):
    """An output file of an earlier analysis on the same target: the analyses of ``gear``
    (of ``version``, labelled like ``label``) whose job is ``state``, their files named
    like ``file`` (of ``type``). Several such analyses: ``pick`` says which, else the
    target is skipped."""

    gear: str = Field(min_length=1)
    file: str = Field(min_length=1)
    version: str | None = None
    label: str | None = None
    type: str | None = None
    state: AnalysisState = "complete"
    pick: Pick | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        return _file_type(value)

    @field_validator("file", "label")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        return _glob(value)

    @field_validator("gear", "version", mode="before")
    @classmethod
    def _text_not_number(cls, value: Any) -> Any:
        if isinstance(value, bool | int | float):
            raise ValueError(f'write it in quotes, e.g. "{value}" (YAML read it as a number)')
        return value

    def describe(self) -> str:
        parts = [f"{self.state} {self.gear}" + (f" {self.version}" if self.version else "")]
        if self.label:
            parts.append(f"label {self.label}")
        parts.append(f"file {self.file}")
        if self.type:
            parts.append(f"type {self.type}")
        if self.pick:
            parts.append(f"pick {self.pick}")
        return "analysis " + ", ".join(parts)


class InputRef(_Strict):
    """Where a gear input's file comes from, always by name (indexes change as files are
    added). One kind of source per input:

    - ``project_file``: a file of the project (the FreeSurfer license);
    - ``acquisition`` / ``file`` / ``type`` / ``classification``: the one file of each
      target (or of its acquisitions labelled like ``acquisition``) that matches;
    - ``analysis``: an output of an earlier analysis on the target.

    Several matching files: ``pick`` says which (newest or oldest), else the target is
    skipped, never launched with a guess."""

    project_file: str | None = Field(default=None, min_length=1)
    acquisition: str | None = None
    file: str | None = None
    type: str | None = None
    classification: dict[str, list[str]] | None = None
    analysis: AnalysisSource | None = None
    pick: Pick | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        return _file_type(value)

    @field_validator("acquisition", "file")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        return _glob(value)

    @field_validator("classification", mode="before")
    @classmethod
    def _classification(cls, value: Any) -> Any:
        """``{Measurement: Diffusion}``, ``{Intent: [Structural]}``, ``"Measurement: T1"``."""
        if isinstance(value, str):
            key, sep, rest = value.partition(":")
            if not sep or not key.strip() or not rest.strip():
                raise ValueError("write it as `{Measurement: Diffusion}`")
            value = {key.strip(): rest.strip()}
        if isinstance(value, dict):
            if not value:
                raise ValueError("name at least one classification, e.g. `{Measurement: T1}`")
            out: dict[Any, Any] = {}
            for key, wanted in value.items():
                items = wanted if isinstance(wanted, list) else [wanted]
                if not items or not all(isinstance(v, str) and v.strip() for v in items):
                    raise ValueError(f"`{key}`: give one or more values, e.g. `{key}: T1`")
                out[key] = [v.strip() for v in items]
            return out
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> InputRef:
        files = self.has_file_rules
        kinds = [
            k
            for k, on in (
                ("project_file", self.project_file is not None),
                ("analysis", self.analysis is not None),
                ("acquisition/file/type/classification", files),
            )
            if on
        ]
        if not kinds:
            raise ValueError(
                "say where the file comes from: `project_file: NAME`, `acquisition: LABEL` / "
                "`file: GLOB` / `type: TYPE`, or `analysis: {gear: ..., file: ...}`"
            )
        if len(kinds) > 1:
            raise ValueError(f"one kind of source per input, not {' and '.join(kinds)}")
        if self.pick is not None and not files:
            where = "inside `analysis:`" if self.analysis is not None else "with file rules"
            raise ValueError(f"`pick` goes {where}")
        return self

    @property
    def has_file_rules(self) -> bool:
        return any(
            v is not None for v in (self.acquisition, self.file, self.type, self.classification)
        )

    @property
    def kind(self) -> Literal["project", "target", "analysis"]:
        if self.project_file is not None:
            return "project"
        return "analysis" if self.analysis is not None else "target"

    def describe(self) -> str:
        """One short line: ``project file license.txt``, ``acquisition acq-64dir_dwi,
        file *.nii.gz``, ``analysis complete qsiprep-hpc, file qsiprep_*.zip``."""
        if self.project_file is not None:
            return f"project file {self.project_file}"
        if self.analysis is not None:
            return self.analysis.describe()
        parts = []
        if self.acquisition is not None:
            parts.append(f"acquisition {self.acquisition}")
        if self.file is not None:
            parts.append(f"file {self.file}")
        if self.type is not None:
            parts.append(f"type {self.type}")
        for key, values in (self.classification or {}).items():
            parts.append(f"{key} {'+'.join(values)}")
        if self.pick is not None:
            parts.append(f"pick {self.pick}")
        return ", ".join(parts)


class SavedConfig(_Strict):
    """One saved config. ``name`` defaults to the file's stem and, if written, must equal it."""

    name: str = Field(min_length=1)
    gear: str = Field(min_length=1)
    version: str | None = None  # a pinned gear version; None runs the latest
    label: str = DEFAULT_LABEL
    size: Size | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, InputRef] = Field(default_factory=dict)
    target: TargetLevel = "session"
    sessions: SessionSelection = Field(default_factory=SessionSelection)
    skip: SkipPolicy = "complete"
    expect_outputs: list[str] = Field(default_factory=lambda: ["*.html.zip"])
    description: str = ""

    _source: str = PrivateAttr(default="")

    @field_validator("name", "gear", "version", mode="before")
    @classmethod
    def _text_not_number(cls, value: Any) -> Any:
        if isinstance(value, bool | int | float):
            raise ValueError(f'write it in quotes, e.g. "{value}" (YAML read it as a number)')
        return value

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs_by_name(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key, ref in value.items():
                if isinstance(ref, int | str):
                    raise ValueError(
                        f"`{key}`: give the project file by name, never by index: "
                        f"`{key}: {{project_file: {LICENSE_FILE}}}`"
                    )
        return value

    @field_validator("label")
    @classmethod
    def _label_template(cls, value: str) -> str:
        check_label_template(value)
        return value

    @field_validator("expect_outputs")
    @classmethod
    def _patterns_not_blank(cls, value: list[str]) -> list[str]:
        if any(not p.strip() for p in value):
            raise ValueError("output patterns must not be blank, e.g. `*.html.zip`")
        return value

    @model_validator(mode="after")
    def _config_keys_are_text(self) -> SavedConfig:
        for key in self.config:
            if not isinstance(key, str):
                raise ValueError(f"config key {key!r} must be text")
        return self

    @model_validator(mode="after")
    def _rules_fit_the_target(self) -> SavedConfig:
        if self.target == "project" and not self.sessions.all_sessions:
            raise ValueError(
                "sessions: a `target: project` config runs once on the project; "
                "leave `sessions` out"
            )
        return self

    @property
    def source(self) -> str:
        """The file this config came from (``qsiprep-64dir.yml``), or its name if built in code."""
        return self._source or self.name

    @property
    def vm_tag(self) -> str | None:
        """The executor tag for ``size``; None leaves the VM to Flywheel's default."""
        return SIZE_TAGS[self.size] if self.size else None

    def label_for(self, gear_version: str, when: datetime) -> str:
        """The analysis label for a launch of ``gear_version`` at ``when``."""
        return self.label.format(
            date=when.strftime(DATE_FORMAT), gear=self.gear, version=gear_version, config=self.name
        )

    def with_source(self, source: str) -> SavedConfig:
        self._source = source
        return self


def check_label_template(template: str) -> None:
    """Raise ``ValueError`` unless ``template`` uses only {date} {gear} {version} {config}."""
    allowed = ", ".join(f"{{{f}}}" for f in LABEL_FIELDS)
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as err:
        raise ValueError(f"{err}; write a literal brace as {{{{ or }}}}") from None
    for field in fields:
        if field not in LABEL_FIELDS:
            shown = f"{{{field}}}" if field else "{}"
            raise ValueError(f"unknown field {shown}; a label may use {allowed}")
    if not template.strip():
        raise ValueError(f"the label is empty; e.g. {DEFAULT_LABEL}")


def is_license_input(name: str) -> bool:
    """``freesurfer_license``, ``license``: inputs that take the project's license file."""
    return name == "license" or name.endswith("_license")


def default_config(gear: GearDetail) -> SavedConfig:
    """The config used when a gear has no saved config: every manifest default.

    Required license inputs (``freesurfer_license``, ``*_license``) take the
    project file ``license.txt``, as in the tutorial; other required file inputs
    are left unset so the manifest check names them.
    """
    inputs = {
        i.name: InputRef(project_file=LICENSE_FILE)
        for i in gear.inputs
        if i.base == "file" and not i.optional and is_license_input(i.name)
    }
    name = gear.summary.name
    return SavedConfig(name=name, gear=name, inputs=inputs, description="the gear's defaults")
