"""Planning a launch: which targets, with what, skipping what, at what cost. No side effects.

This replaces the tutorial's loop (`project.sessions()`, then `session.acquisitions()`
per session) with a few paged queries, and adds what the loop lacked: targets that
already have a run of the same gear, version, config and input files are skipped, so a
repeated launch never doubles the work.

Targets are sessions unless the saved config says ``target: acquisition | subject |
project``. Inputs come from a project file, from each target's own files (and its
acquisitions'), or from earlier analyses on it (``inputs.py`` matches them); a target
missing a required input, or with several candidates and no ``pick``, is skipped with
the reason, never launched with a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain import (
    ACTIVE_JOB_STATES,
    Actor,
    ContainerFiles,
    FileRef,
    GearDetail,
    InputFile,
    JobRecord,
    JobState,
    ProjectRef,
    SessionRef,
    TargetRef,
    batch_of_tags,
)
from bot.domain.claims import Rerun
from bot.errors import UsageError
from bot.flywheel.filters import literal_regex
from bot.flywheel.gateway import FlywheelGateway
from bot.observe.context import ContextThreadPool
from bot.service.access import Authorizer
from bot.service.configs.loader import ConfigLibrary
from bot.service.configs.manifest import check_against_manifest, effective_config
from bot.service.configs.model import (
    SIZE_TAGS,
    InputRef,
    SavedConfig,
    SessionSelection,
    default_config,
    is_pattern,
)
from bot.service.door import Door
from bot.service.launch.inputs import (
    ProjectTree,
    Resolution,
    glob_regex,
    project_container,
    resolve,
    target_sources,
    targets_of,
)
from bot.service.launch.plan_builder import PlanBuilder
from bot.service.launch.plan_model import InputStat, LaunchPlan, LaunchRequest, Skipped, Unmatched
from bot.service.lookups import gear_or_not_found, sessions_selected
from bot.service.policy import Policy
from bot.service.use_cases import UseCase

ALL_SESSIONS = "all"


@dataclass(frozen=True)
class _Found:
    """What a plan found on Flywheel before anything is left out."""

    matched: list[TargetRef]
    unmatched: list[Unmatched]
    stats: list[InputStat]
    runs: list[JobRecord]


class Planner:
    def __init__(
        self,
        gateway: FlywheelGateway,
        access: Authorizer,
        configs: ConfigLibrary,
        policy: Policy,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._gateway = gateway
        self._door = Door(access)
        self._configs = configs
        self._policy = policy
        self._builder = PlanBuilder(policy)
        self._now = now

    def plan(self, actor: Actor, request: LaunchRequest, *, use_case: UseCase) -> LaunchPlan:
        """Resolve, check, match and skip; the access check comes before any other Flywheel read."""
        project = self._project(actor, request, use_case)
        saved = self._saved_config(request)
        gear = self._gear(request.gear, saved.version)
        check_against_manifest(saved, gear)
        config = effective_config(saved, gear)
        inputs, missing = _inputs(saved, project, gear)
        selection = _selection(saved.sessions, request.sessions)
        found = self._find(project, saved, selection, gear)
        left_out = {u.target.key for u in found.unmatched}
        ready = [t for t in found.matched if t.key not in left_out]
        skipped: list[Skipped] = []
        if request.rerun:  # asked in so many words: nothing already run is left out
            to_launch = ready
        else:
            to_launch, skipped = _skip_existing(
                ready,
                found.runs,
                version=gear.summary.version,
                config=config,
                skip_complete=saved.skip == "complete",
                level=saved.target,
                fixed_inputs=inputs,
            )
        size = request.size or saved.size
        draft = LaunchPlan(
            gear=gear,
            project=project,
            saved=saved,
            config=config,
            inputs=inputs,
            label=request.label or saved.label_for(gear.summary.version, self._now()),
            size=size,
            vm_tag=SIZE_TAGS.get(size) if size else None,
            selection=_describe_selection(selection, saved.target),
            matched=tuple(found.matched),
            to_launch=tuple(to_launch),
            skipped=tuple(skipped),
            missing_inputs=tuple(missing),
            target_type=saved.target,
            unmatched=tuple(found.unmatched),
            input_stats=tuple(found.stats),
            rerun=_rerun(request, saved),
        )
        return self._builder.plan(draft)

    def _project(self, actor: Actor, request: LaunchRequest, use_case: UseCase) -> ProjectRef:
        """The project, if the actor may plan there and the lab policy allows the gear."""
        asked = f"{request.gear} rerun" if request.rerun else request.gear  # for the audit
        project = self._door.project(actor, use_case, request.project, target=asked)
        if not self._policy.gear_allowed(project.label, request.gear):
            allowed = ", ".join(self._policy.allowed_gears(project.label) or [])
            self._door.refuse(
                actor,
                use_case,
                f"The lab policy does not allow `{request.gear}` on `{project.label}`.",
                hint=f"Allowed there: {allowed}." if allowed else None,
                reason="gear not allowed by policy",
                project_label=project.label,
                target=request.gear,
            )
        return project

    def _find(
        self, project: ProjectRef, saved: SavedConfig, selection: SessionSelection, gear: GearDetail
    ) -> _Found:
        """The targets the selection matches (with their inputs) and the gear's runs on the
        project, read side by side."""
        level = saved.target
        with ContextThreadPool(1, thread_name_prefix="fwbot-plan") as pool:  # reads overlap
            levels = () if level == "session" else (level,)
            runs = pool.submit(
                self._gateway.runs_of_gear, project.project_id, gear.summary.name, *levels
            )
            if level == "session" and not _reads_the_tree(saved):
                matched = [TargetRef.of_session(s) for s in self._match(project, selection)]
                return _Found(matched, [], [], runs.result())
            tree = self._tree(project, saved, selection)
            targets = self._targets(project, saved, selection, tree, gear)
            matched, unmatched, stats = _match_inputs(targets, saved, gear, tree)
            return _Found(matched, unmatched, stats, runs.result())

    # -- resolution --------------------------------------------------------
    def _saved_config(self, request: LaunchRequest) -> SavedConfig:
        if request.config_name is not None:
            saved = self._configs.get(request.config_name)
            if saved.gear != request.gear:
                raise UsageError(
                    f"Config `{saved.name}` is for `{saved.gear}`, not `{request.gear}`.",
                    hint=f"Try `/fw launch {saved.gear} project=... config={saved.name}`, "
                    f"or `/fw configs gear={request.gear}`.",
                )
            return saved
        named = self._configs.named_after(request.gear)
        if named is not None:
            return named
        gear = self._gear(request.gear, None)
        return default_config(gear)

    def _gear(self, name: str, version: str | None) -> GearDetail:
        return gear_or_not_found(self._gateway, name, version)

    def _match(self, project: ProjectRef, selection: SessionSelection) -> list[SessionRef]:
        matched = sessions_selected(self._gateway, project, selection)
        if not matched:
            raise UsageError(
                f"No session of `{project.label}` matches {selection.describe()}.",
                hint="Check the acquisition label (e.g. `sessions=acq-64dir_dwi`), "
                "or use `sessions=all`.",
            )
        return matched

    def _tree(
        self, project: ProjectRef, saved: SavedConfig, selection: SessionSelection
    ) -> ProjectTree:
        """The listings the target level and the inputs need, read at once: sessions (for
        labels), acquisitions (narrowed by label when one pattern covers every use),
        subjects, and the analyses on the target level. Never a request per target."""
        level = saved.target
        pid = project.project_id
        sources = target_sources(saved.inputs)
        wants_acquisitions = (
            level == "acquisition"
            or bool(sources)
            or (level != "project" and selection.filters_acquisitions)
        )
        wants_analyses = any(ref.kind == "analysis" for ref in saved.inputs.values())
        reads = self._gateway
        with ContextThreadPool(4, thread_name_prefix="fwbot-plan") as pool:
            sessions = (  # for labels; a project target reads them only for their files
                pool.submit(reads.containers, pid, "session")
                if level != "project" or sources
                else None
            )
            subjects = (
                pool.submit(reads.containers, pid, "subject")
                if level in ("subject", "project") and (level == "subject" or sources)
                else None
            )
            acquisitions = (
                pool.submit(
                    reads.containers,
                    pid,
                    "acquisition",
                    label_regex=_acquisition_filter(saved, selection),
                )
                if wants_acquisitions
                else None
            )
            analyses = (
                pool.submit(reads.analyses_with_files, pid, level) if wants_analyses else None
            )
            return ProjectTree(
                project=project_container(project),
                subjects=_by_id(subjects.result() if subjects else []),
                sessions=_by_id(sessions.result() if sessions else []),
                acquisitions=acquisitions.result() if acquisitions else [],
                analyses=analyses.result() if analyses else [],
            )

    def _targets(
        self,
        project: ProjectRef,
        saved: SavedConfig,
        selection: SessionSelection,
        tree: ProjectTree,
        gear: GearDetail,
    ) -> list[TargetRef]:
        level = saved.target
        optional = {i.name for i in gear.inputs if i.optional}
        patterns = [
            ref.acquisition
            for name, ref in target_sources(saved.inputs).items()
            if ref.acquisition is not None and name not in optional
        ]
        found = targets_of(level, tree, selection, patterns if level == "acquisition" else ())
        if not found:
            what = f"{level} of `{project.label}`"
            rule = _describe_selection(selection, level)
            if level == "acquisition" and patterns:
                rule += "; label like " + ", ".join(patterns)
            raise UsageError(
                f"No {what} matches {rule}.",
                hint="Check the acquisition label (e.g. `sessions=acq-64dir_dwi`), "
                "or use `sessions=all`.",
            )
        return found


def _by_id(containers: list[ContainerFiles]) -> dict[str, ContainerFiles]:
    return {c.container_id: c for c in containers}


def _reads_the_tree(saved: SavedConfig) -> bool:
    """Does matching need the project's files and analyses (an input from the targets or
    from earlier analyses)? Project files alone keep the two-query session match."""
    return any(ref.kind != "project" for ref in saved.inputs.values())


def _acquisition_filter(saved: SavedConfig, selection: SessionSelection) -> str | None:
    """A label filter for the acquisitions listing when one rule covers every use of the
    acquisitions (the selection's label text, or the one ``acquisition:`` pattern of the
    inputs); None lists them all. Results are matched again here."""
    uses: set[str | None] = set()
    for ref in target_sources(saved.inputs).values():
        uses.add(None if ref.acquisition is None else "glob:" + ref.acquisition)
    if selection.filters_acquisitions and saved.target != "project":
        contains = selection.has_acquisition
        uses.add(None if contains is None else "text:" + contains)
    texts = [u.partition(":")[2] for u in uses if u is not None and u.startswith("text:")]
    if len(texts) == 1 and None not in uses:  # a plain label containing the text is covered
        covered = {
            u
            for u in uses
            if u is not None and u.startswith("glob:") and not is_pattern(u[5:]) and texts[0] in u
        }
        uses -= covered
    if len(uses) != 1:
        return None
    (use,) = uses
    if use is None:
        return None
    kind, _, text = use.partition(":")
    return literal_regex(text) if kind == "text" else glob_regex(text)


def _match_inputs(
    targets: list[TargetRef], saved: SavedConfig, gear: GearDetail, tree: ProjectTree
) -> tuple[list[TargetRef], list[Unmatched], list[InputStat]]:
    """Each target's file for each input read from the targets or from analyses; the
    targets with every required input matched once carry their files."""
    specs = {i.name: i for i in gear.inputs}
    sources = {n: r for n, r in saved.inputs.items() if r.kind != "project"}
    counts: dict[str, dict[str, int]] = {
        n: {"one": 0, "none": 0, "several": 0, "picked": 0} for n in sources
    }
    matched: list[TargetRef] = []
    unmatched: list[Unmatched] = []
    for target in targets:
        picked: dict[str, InputFile] = {}
        problem: Unmatched | None = None
        for name, ref in sources.items():
            spec = specs.get(name)
            found = resolve(ref, spec, target, tree)
            counts[name][found.status] += 1
            counts[name]["picked"] += int(found.picked)
            if found.status == "one" and found.file is not None:
                picked[name] = found.file
            elif problem is None:
                optional = spec is not None and spec.optional
                if found.status == "several" or not optional:
                    problem = Unmatched(target, name, found.status, _reason(name, ref, found))
        target = target.model_copy(update={"inputs": picked})
        matched.append(target)
        if problem is not None:
            unmatched.append(Unmatched(target, problem.input, problem.status, problem.reason))
    stats = [
        InputStat(
            name=name,
            source=ref.describe(),
            required=not (specs.get(name) is not None and specs[name].optional),
            one=counts[name]["one"],
            none=counts[name]["none"],
            several=counts[name]["several"],
            picked=counts[name]["picked"],
        )
        for name, ref in sources.items()
    ]
    return matched, unmatched, stats


def _reason(name: str, ref: InputRef, found: Resolution) -> str:
    where = ref.describe()
    if found.status == "several":
        if found.in_one_analysis:
            return f"{found.count} files of one analysis match {name} ({where}); set `file:`"
        what = "analyses have a file for" if ref.analysis is not None else "files match"
        if found.tied:
            pick = ref.analysis.pick if ref.analysis is not None else ref.pick
            return f"{found.count} {what} {name} ({where}) and tie for {pick}; set `file:`"
        if ref.analysis is not None:
            return f"{found.count} {what} {name} ({where}); set `label:` or `pick: latest`"
        return f"{found.count} {what} {name} ({where}); set `file:` or `pick: newest`"
    return f"no file for {name} ({where})"


def _describe_selection(selection: SessionSelection, level: str) -> str:
    text = selection.describe()
    if level == "acquisition":
        return (
            "all acquisitions"
            if text == "all sessions"
            else text.replace("acquisition contains", "label contains").replace(
                "acquisition matches", "label matches"
            )
        )
    if level == "subject":
        return "all subjects" if text == "all sessions" else text
    if level == "project":
        return "the project"
    return text


def _selection(saved: SessionSelection, override: str | None) -> SessionSelection:
    """`sessions=TEXT` replaces the config's acquisition rule (its subject list stays)."""
    if override is None:
        return saved
    if override.casefold() == ALL_SESSIONS:
        return SessionSelection(subjects=saved.subjects)
    return SessionSelection(has_acquisition=override, subjects=saved.subjects)


def _inputs(
    saved: SavedConfig, project: ProjectRef, gear: GearDetail
) -> tuple[dict[str, FileRef], list[str]]:
    """Inputs by project file name; a name the project lacks (or a file of a type the input
    does not take) is reported, never guessed. Inputs from the targets come later."""
    found: dict[str, FileRef] = {}
    missing: list[str] = []
    types = {i.name: i.types for i in gear.inputs}
    for name, ref in saved.inputs.items():
        if ref.project_file is None:
            continue
        if ref.project_file not in project.files:
            missing.append(f"{name} (project file `{ref.project_file}`)")
            continue
        info = next((f for f in project.file_info if f.name == ref.project_file), None)
        allowed = types.get(name)
        if info is not None and allowed is not None and info.type not in allowed:
            missing.append(
                f"{name} (project file `{ref.project_file}` is {info.type or 'untyped'}; "
                f"{name} takes {', '.join(allowed)})"
            )
            continue
        found[name] = FileRef(
            parent_type="project", parent_id=project.project_id, name=ref.project_file
        )
    return found, missing


def _same_run(run: JobRecord, version: str, config: dict[str, Any]) -> bool:
    """Same gear version and the same values for every option we would send."""
    return run.gear_version == version and all(run.config.get(k) == v for k, v in config.items())


def same_inputs(run: JobRecord, wanted: list[FileRef]) -> bool:
    """Did the run read the files this launch would give it, at the same versions? A run
    that does not say what it read (an analysis listing without inputs) is taken as the
    same; otherwise the same files (container and name) and, where both know it, the
    same version: a new version of an input is a new run."""
    if not run.input_files:
        return True
    have: dict[tuple[str, str], int | None] = {}
    by_name: dict[str, int | None] = {}
    for f in run.input_files:
        have[(f.parent_id, f.name)] = f.version
        by_name[f.name] = f.version
    if len(have) != len(wanted):
        return False
    for ref in wanted:
        if (ref.parent_id, ref.name) in have:
            seen = have[(ref.parent_id, ref.name)]
        elif ("", ref.name) in have:  # the run named no container: judge by name
            seen = by_name[ref.name]
        else:
            return False
        version = ref.version if isinstance(ref, InputFile) else None
        if version is not None and seen is not None and version != seen:
            return False
    return True


def _skip_existing(
    matched: list[TargetRef],
    runs: list[JobRecord],
    *,
    version: str,
    config: dict[str, Any],
    skip_complete: bool,
    level: str = "session",
    fixed_inputs: dict[str, FileRef] | None = None,
) -> tuple[list[TargetRef], list[Skipped]]:
    """Active runs always block a relaunch; complete ones too when the config says so.
    A run counts when it ran on the target with the same gear version, config and input
    files (each target's own, with their versions, and the project files)."""
    by_target: dict[str, list[JobRecord]] = {}
    for run in runs:
        key = run.target_of(level)
        if key is None or not _same_run(run, version, config):
            continue
        if run.state in ACTIVE_JOB_STATES or (skip_complete and run.state is JobState.COMPLETE):
            by_target.setdefault(key, []).append(run)
    to_launch: list[TargetRef] = []
    skipped: list[Skipped] = []
    for target in matched:
        wanted = [*(fixed_inputs or {}).values(), *target.inputs.values()]
        blocking = [r for r in by_target.get(target.key, []) if same_inputs(r, wanted)]
        if not blocking:
            to_launch.append(target)
            continue
        # "complete" wins over an active state when saying why a target is skipped
        run = next((r for r in blocking if r.state is JobState.COMPLETE), blocking[0])
        skipped.append(Skipped(target, run.state, batch_of_tags(run.tags)))
    return to_launch, skipped


def _rerun(request: LaunchRequest, saved: SavedConfig) -> Rerun:
    if request.rerun:
        return Rerun.ALL
    return Rerun.COMPLETE if saved.skip == "none" else Rerun.NONE
