"""Which targets a launch runs on, and which file each target gives each input. No I/O.

The planner reads the project once, in a few paged listings (its subjects, sessions and
acquisitions with their files; the analyses on the target level with their outputs), and
this module does the rest in memory: never one request per target per input.

A target is a session (the default), an acquisition, a subject or the project. For each
input of the saved config, each target has exactly one matching file, none, or several:

- ``project_file``: the project's file of that name, the same for every target;
- ``acquisition`` / ``file`` / ``type`` / ``classification``: the target's own files and
  those of the acquisitions below it (only acquisitions labelled like ``acquisition``,
  when given), restricted to the file types the gear's manifest declares for the input;
- ``analysis``: the output files of earlier analyses of a gear on the target itself.

Several matches are never guessed between: without ``pick`` the target is skipped with
the reason, and so is a target missing a required input. An optional input may be missing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from bot.domain import (
    AnalysisFiles,
    ContainerFiles,
    FileInfo,
    GearInput,
    InputFile,
    JobState,
    ProjectRef,
    TargetRef,
)
from bot.flywheel.filters import literal_regex
from bot.service.configs.model import AnalysisSource, InputRef, SessionSelection, glob_matches

Status = Literal["one", "none", "several"]
T = TypeVar("T")
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass
class ProjectTree:
    """What the listings said about the project, indexed for matching."""

    project: ContainerFiles
    subjects: dict[str, ContainerFiles] = field(default_factory=dict)
    sessions: dict[str, ContainerFiles] = field(default_factory=dict)
    acquisitions: Sequence[ContainerFiles] = ()
    analyses: Sequence[AnalysisFiles] = ()
    _acquisition: dict[str, ContainerFiles] = field(init=False, repr=False)
    _acqs_of_session: dict[str, list[ContainerFiles]] = field(init=False, repr=False)
    _sessions_of_subject: dict[str, list[ContainerFiles]] = field(init=False, repr=False)
    _analyses_on: dict[str, list[AnalysisFiles]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._acquisition = {a.container_id: a for a in self.acquisitions}
        self._acqs_of_session = defaultdict(list)
        for acq in self.acquisitions:
            self._acqs_of_session[acq.parents.get("session", "")].append(acq)
        self._sessions_of_subject = defaultdict(list)
        for session in self.sessions.values():
            self._sessions_of_subject[session.parents.get("subject", "")].append(session)
        self._analyses_on = defaultdict(list)
        for analysis in self.analyses:
            self._analyses_on[analysis.parent_id].append(analysis)

    def acquisition(self, acquisition_id: str) -> ContainerFiles | None:
        return self._acquisition.get(acquisition_id)

    def acquisitions_of_session(self, session_id: str) -> list[ContainerFiles]:
        return self._acqs_of_session.get(session_id, [])

    def sessions_of_subject(self, subject_id: str) -> list[ContainerFiles]:
        return self._sessions_of_subject.get(subject_id, [])

    def analyses_on(self, container_id: str) -> list[AnalysisFiles]:
        return self._analyses_on.get(container_id, [])

    def acquisitions_of_subject(self, subject_id: str) -> list[ContainerFiles]:
        return [
            a
            for s in self.sessions_of_subject(subject_id)
            for a in self.acquisitions_of_session(s.container_id)
        ]

    def subject_label(self, container: ContainerFiles) -> str:
        session = self.sessions.get(container.parents.get("session", ""))
        if session is not None and session.subject_label:
            return session.subject_label
        subject = self.subjects.get(container.parents.get("subject", ""))
        return subject.label if subject is not None else ""


def project_container(project: ProjectRef) -> ContainerFiles:
    return ContainerFiles(
        container_type="project",
        container_id=project.project_id,
        label=project.label,
        parents={"group": project.group} if project.group else {},
        files=project.file_info,
    )


# -- which containers are targets ----------------------------------------------------------
def target_sources(inputs: dict[str, InputRef]) -> dict[str, InputRef]:
    """The inputs whose file comes from each target's own files (not a project file, not
    an analysis)."""
    return {name: ref for name, ref in inputs.items() if ref.kind == "target"}


def targets_of(
    level: str,
    tree: ProjectTree,
    selection: SessionSelection,
    required_patterns: Iterable[str] = (),
) -> list[TargetRef]:
    """The containers of ``level`` the selection picks, sorted for people.

    For acquisitions, the selection's acquisition rules are about the acquisition's own
    label, and an acquisition is a target only if its label fits every ``acquisition:``
    pattern of the required inputs read from it (one job per matching acquisition)."""
    if level == "session":
        found = _session_targets(tree, selection)
    elif level == "acquisition":
        found = _acquisition_targets(tree, selection, list(required_patterns))
    elif level == "subject":
        found = _subject_targets(tree, selection)
    else:
        p = tree.project
        found = [
            TargetRef(
                session_id="",
                label=p.label,
                subject_label="",
                target_type="project",
                target_id=p.container_id,
                target_label=p.label,
            )
        ]
    return sorted(found, key=lambda t: (t.subject_label, t.label, t.key))


def _session_targets(tree: ProjectTree, selection: SessionSelection) -> list[TargetRef]:
    return [
        _session_target(s)
        for s in tree.sessions.values()
        if selection.selects_subject(s.subject_label)
        and _any_acquisition_fits(selection, tree.acquisitions_of_session(s.container_id))
    ]


def _acquisition_targets(
    tree: ProjectTree, selection: SessionSelection, patterns: list[str]
) -> list[TargetRef]:
    found = []
    for acq in tree.acquisitions:
        subject = tree.subject_label(acq)
        if not selection.selects_subject(subject):
            continue
        if selection.filters_acquisitions and not selection.matches_acquisition(acq.label):
            continue
        if not all(glob_matches(p, acq.label) for p in patterns):
            continue
        session = tree.sessions.get(acq.parents.get("session", ""))
        found.append(
            TargetRef(
                session_id=acq.parents.get("session", ""),
                label=" ".join(x for x in (session.label if session else "", acq.label) if x),
                subject_label=subject,
                target_type="acquisition",
                target_id=acq.container_id,
                target_label=acq.label,
            )
        )
    return found


def _subject_targets(tree: ProjectTree, selection: SessionSelection) -> list[TargetRef]:
    return [
        TargetRef(
            session_id="",
            label="",
            subject_label=s.label,
            target_type="subject",
            target_id=s.container_id,
            target_label=s.label,
        )
        for s in tree.subjects.values()
        if selection.selects_subject(s.label)
        and _any_acquisition_fits(selection, tree.acquisitions_of_subject(s.container_id))
    ]


def _any_acquisition_fits(
    selection: SessionSelection, acquisitions: Iterable[ContainerFiles]
) -> bool:
    """A container is picked when the selection has no acquisition rule, or one of its
    acquisitions fits it."""
    return not selection.filters_acquisitions or any(
        selection.matches_acquisition(a.label) for a in acquisitions
    )


def _session_target(s: ContainerFiles) -> TargetRef:
    return TargetRef(
        session_id=s.container_id,
        label=s.label,
        subject_label=s.subject_label,
        target_type="session",
        target_id=s.container_id,
        target_label=s.label,
    )


# -- which file each target gives an input -------------------------------------------------
@dataclass(frozen=True)
class Resolution:
    status: Status
    file: InputFile | None = None
    count: int = 0  # how many files (or analyses) matched
    picked: bool = False  # `pick` chose among several
    tied: bool = False  # several, and `pick` could not choose: they tie
    in_one_analysis: bool = False  # several matching files in the analysis picked


def resolve(
    ref: InputRef, spec: GearInput | None, target: TargetRef, tree: ProjectTree
) -> Resolution:
    """The file ``target`` gives the input: exactly one, or none, or several (ambiguous)."""
    allowed = spec.types if spec is not None else None
    if ref.analysis is not None:
        return _from_analyses(ref.analysis, allowed, target, tree)
    candidates = [
        (container, f)
        for container in _containers(ref, target, tree)
        for f in container.files
        if file_matches(f, ref.file, ref.type, allowed, ref.classification)
    ]
    return _choose(candidates, ref.pick)


def _containers(ref: InputRef, target: TargetRef, tree: ProjectTree) -> list[ContainerFiles]:
    """Where a target's own files are: itself and the acquisitions below it (only those
    labelled like ``acquisition`` when given, and then not the target's own files)."""
    level, key = target.target_type, target.key
    pattern = ref.acquisition
    if level == "acquisition":
        acq = tree.acquisition(key)
        if acq is None or (pattern is not None and not glob_matches(pattern, acq.label)):
            return []
        return [acq]
    if level == "session":
        acqs = tree.acquisitions_of_session(key)
        own = [tree.sessions[key]] if key in tree.sessions else []
    elif level == "subject":
        acqs = tree.acquisitions_of_subject(key)
        own = [tree.subjects[key]] if key in tree.subjects else []
        own += tree.sessions_of_subject(key)
    else:
        acqs = list(tree.acquisitions)
        own = [tree.project, *tree.subjects.values(), *tree.sessions.values()]
    if pattern is not None:
        return [a for a in acqs if glob_matches(pattern, a.label)]
    return [*own, *acqs]


def file_matches(
    f: FileInfo,
    name: str | None,
    type_: str | None,
    allowed: Sequence[str] | None,
    classification: dict[str, list[str]] | None,
) -> bool:
    if name is not None and not glob_matches(name, f.name):
        return False
    if type_ is not None and f.type != type_:
        return False
    if allowed is not None and f.type not in allowed:
        return False
    if classification:
        have = {k.casefold(): {v.casefold() for v in vals} for k, vals in f.classification.items()}
        for key, wanted in classification.items():
            if not {v.casefold() for v in wanted} <= have.get(key.casefold(), set()):
                return False
    return True


def _choose(candidates: list[tuple[ContainerFiles, FileInfo]], pick: str | None) -> Resolution:
    """One candidate; several and ``pick``: the newest (or oldest) upload, unless the two
    first tie (the same upload time and version: still a guess, so still several)."""
    if not candidates:
        return Resolution("none")
    if len(candidates) > 1 and pick is None:
        return Resolution("several", count=len(candidates))
    chosen = _picked(candidates, pick, lambda c: (_when(c[1].created), c[1].version or 0))
    if chosen is None:
        return Resolution("several", count=len(candidates), tied=True)
    container, f = chosen
    return Resolution("one", _input_file(container, f), len(candidates), len(candidates) > 1)


def _from_analyses(
    source: AnalysisSource, allowed: Sequence[str] | None, target: TargetRef, tree: ProjectTree
) -> Resolution:
    """Outputs of earlier analyses on the target: of the gear (version, label), whose job
    is ``state``, with a file matching. Several analyses: ``pick`` takes the latest (or
    first) one; several matching files in one analysis are never picked between (set a
    narrower ``file:``)."""
    state = JobState(source.state)
    found = []
    for analysis in tree.analyses_on(target.key):
        if analysis.gear_name != source.gear:
            continue
        if source.version is not None and analysis.gear_version != source.version:
            continue
        if source.label is not None and not glob_matches(source.label, analysis.label):
            continue
        if analysis.state is not state:
            continue
        files = [
            f for f in analysis.files if file_matches(f, source.file, source.type, allowed, None)
        ]
        if files:
            found.append((analysis, files))
    if not found:
        return Resolution("none")
    if len(found) > 1 and source.pick is None:
        return Resolution("several", count=len(found))
    chosen = _picked(found, source.pick, lambda a: _when(a[0].created))
    if chosen is None:
        return Resolution("several", count=len(found), tied=True)
    analysis, files = chosen
    if len(files) > 1:
        return Resolution("several", count=len(files), in_one_analysis=True)
    container = ContainerFiles(
        container_type="analysis", container_id=analysis.analysis_id, label=analysis.label
    )
    return Resolution("one", _input_file(container, files[0]), len(found), len(found) > 1)


def _picked(items: list[T], pick: str | None, order: Callable[[T], Any]) -> T | None:
    """``oldest`` takes the first by ``order``; ``newest``/``latest`` the last; None when
    the two at that end tie (picking would be a guess)."""
    ranked = sorted(items, key=order)
    if pick == "oldest":
        ranked.reverse()
    if len(ranked) > 1 and order(ranked[-1]) == order(ranked[-2]):
        return None
    return ranked[-1]


def _when(value: datetime | None) -> datetime:
    if value is None:
        return _EARLIEST
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _input_file(container: ContainerFiles, f: FileInfo) -> InputFile:
    return InputFile(
        parent_type=container.container_type,
        parent_id=container.container_id,
        name=f.name,
        version=f.version,
        file_id=f.file_id,
    )


# -- the listing filter ------------------------------------------------------------------
def glob_regex(pattern: str) -> str | None:
    """An unquoted Flywheel ``=~`` value matching what the glob matches (and maybe more:
    callers match again): ``*`` and ``?`` become ``.*`` and ``.``, the rest is literal;
    None for a pattern with ``[...]``, which is matched only here."""
    if "[" in pattern:
        return None
    parts = re.split(r"([*?])", pattern)
    body = "".join(
        ".*" if part == "*" else "." if part == "?" else literal_regex(part) for part in parts
    )
    return f"^{body}$"
