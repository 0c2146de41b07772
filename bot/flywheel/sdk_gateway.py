"""The gateway implemented with the real flywheel-sdk, for a key with project roles.

fwbot's key is what a lab has: a plain user with roles on its projects, not a site
admin. So jobs are read where such a user may read them (its own at
``/users/self/jobs``; anyone's through the analyses of a project's sessions), and
analysis gears are launched as analyses, one ``POST /sessions/{id}/analyses?job=true``
each: the batch API queues premade jobs exactly as given, and an analysis gear's job
on a session would write its outputs into the session itself.

Every SDK call goes through :func:`bot.flywheel.calls.gateway_call`, so no raw SDK
exception leaves this module. Queries are written for few round trips, and every listing
is read to its end through :func:`bot.flywheel.paging.every_item` (an explicit ``limit``,
``after_id`` until an empty or short page): one answer is never trusted to be all.

Who is who: users are keyed by their Flywheel ``_id`` (never the ``email`` field), and
permission lists are read as the key sees them: a listing shows a plain key only its own
entry, a project's single ``GET`` shows the whole list only to that project's admins.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bot.domain import (
    ROLE_RANK,
    AnalysisFiles,
    ContainerFiles,
    FlywheelBatchRef,
    GearDetail,
    GearSummary,
    JobRecord,
    JobSpec,
    LaunchedJob,
    ProjectMembers,
    ProjectRef,
    ProjectRole,
    SessionRef,
    UserRef,
)
from bot.domain.runs import ProjectRun
from bot.errors import FlywheelRefused
from bot.flywheel import filters, paging, parse, project_runs
from bot.flywheel.calls import connect, gateway_call, site_of
from bot.flywheel.gateway import BatchApiUnsupported, LaunchRejected
from bot.observe.context import ContextThreadPool

log = logging.getLogger(__name__)
Doc = dict[str, Any]

PAGE_SIZE = paging.PAGE_SIZE
# Reading single documents (other people's jobs for a site admin, projects' full
# permission lists): a few at a time.
READ_CONCURRENCY = 8

__all__ = ["PAGE_SIZE", "SdkGateway", "connect", "gateway_call", "site_of"]


@dataclass(frozen=True)
class SiteRoles:
    """The site's roles: id -> fwbot's access level, and the ids of the built-in admin role
    (the one whose holders Flywheel shows a project's whole permission list)."""

    levels: dict[str, ProjectRole]
    builtin_admin: frozenset[str]


class SdkGateway:
    """``FlywheelGateway`` over one ``flywheel.Client``."""

    def __init__(self, client: Any, site: str) -> None:
        self._fw = client
        self.site = site
        self._roles: SiteRoles | None = None
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, api_key: str) -> SdkGateway:
        return cls(connect(api_key), site_of(api_key))

    def service_account(self) -> str | None:
        return getattr(self._fw, "fwbot_service_account", None)

    def is_site_admin(self) -> bool:
        return bool(getattr(self._fw, "fwbot_is_site_admin", False))

    def ping(self) -> None:
        """Flywheel's login check (``GET /api/auth/status``), for readiness: raises
        ``FwbotError`` when Flywheel cannot be reached or refuses fwbot's key."""
        self._call(self._fw.get_auth_status)

    # -- calling and paging ---------------------------------------------------
    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return gateway_call(self.site, fn, *args, **kwargs)

    def _raw(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The response as plain JSON: the SDK's models drop fields fwbot needs (a job's
        ``parents``, an input's description) and are slow to build for thousands of items."""
        response = self._call(fn, *args, _preload_content=False, **kwargs)
        return json.loads(response.content)

    def _listing(self, finder: Callable[..., Any], *args: Any, **kwargs: Any) -> Iterator[Doc]:
        """Every item of an SDK finder's listing, as raw JSON, read to its end."""

        def read(limit: int, after: str | None) -> list[Doc]:
            return _items(self._raw(finder, *args, **kwargs, **paging.page_args(limit, after)))

        return paging.every_item(read)

    def _own_jobs(self, filter_: str) -> list[Doc]:
        """Jobs fwbot's own account created (``GET /users/self/jobs``: no site admin needed).
        The answer's ``total`` is not a stopping rule (what it counts is undocumented):
        paged like every listing."""

        def read(limit: int, after: str | None) -> list[Doc]:
            kwargs = {"filter": filter_, **paging.page_args(limit, after)}
            answer = self._raw(self._fw.get_current_user_jobs, **kwargs)
            return list(answer.get("jobs") or [])

        return list(paging.every_item(read))

    # -- gears ------------------------------------------------------------
    def list_gears(self) -> list[GearSummary]:
        gears = [parse.gear_summary(doc) for doc in self._listing(self._fw.get_all_gears)]
        return sorted(gears, key=lambda g: g.name)

    def get_gear(self, name: str, version: str | None = None) -> GearDetail | None:
        """Every version read (paged), so "the newest" is the newest of all of them."""
        listed = self._listing(
            self._fw.get_all_gears, all_versions=True, filter=filters.equals("gear.name", name)
        )
        docs = [d for d in listed if d["gear"]["name"] == name]
        if not docs:
            return None
        docs.sort(key=lambda d: parse.version_key(d["gear"]["version"]), reverse=True)
        chosen = (
            docs[0]
            if version is None
            else next((d for d in docs if d["gear"]["version"] == version), None)
        )
        if chosen is None:
            return None
        return parse.gear_detail(chosen, [d["gear"]["version"] for d in docs])

    # -- projects and sessions --------------------------------------------
    def find_project(self, label: str) -> ProjectRef | None:
        found = self._listing(self._fw.get_all_projects, filter=filters.equals("label", label))
        # The server matched on our quoted value; compare again so nothing wider slips through.
        exact = [p for p in found if p.get("label") == label]
        if not exact:
            return None
        p = exact[0]
        docs = [f for f in p.get("files") or [] if isinstance(f, dict)]
        return ProjectRef(
            project_id=str(p.get("_id") or p["id"]),
            label=p["label"],
            group=str(p.get("group") or ""),
            files=tuple(str(f.get("name")) for f in docs),
            file_info=tuple(parse.file_info(f) for f in docs),
            listed_roles=tuple(self._roles_of(p).items()),
        )

    def project_sessions(self, project_id: str) -> list[SessionRef]:
        sessions = self._listing(
            self._fw.get_all_sessions, filter=filters.term("parents.project", "=", project_id)
        )
        return sorted(
            (parse.session_ref(s) for s in sessions), key=lambda s: (s.subject_label, s.label)
        )

    def sessions_with_acquisition(
        self,
        project_id: str,
        label_contains: str | None = None,
        *,
        label_pattern: str | None = None,
    ) -> list[SessionRef]:
        """A few paged queries: the matching acquisitions, then the project's sessions."""
        terms = [filters.term("parents.project", "=", project_id)]
        if label_contains is not None:
            terms.append(filters.term("label", "=~", filters.literal_regex(label_contains)))
        pattern = re.compile(label_pattern) if label_pattern is not None else None
        with ContextThreadPool(2, thread_name_prefix="fwbot-read") as pool:  # both at once
            sessions = pool.submit(self.project_sessions, project_id)
            acquisitions = list(
                self._listing(self._fw.get_all_acquisitions, filter=filters.join(*terms))
            )
        wanted = {
            (a.get("parents") or {}).get("session")
            for a in acquisitions
            if (label_contains is None or label_contains in (a.get("label") or ""))
            and (pattern is None or pattern.search(a.get("label") or ""))
        }
        return [s for s in sessions.result() if s.session_id in wanted]

    def containers(
        self, project_id: str, level: str, *, label_regex: str | None = None
    ) -> list[ContainerFiles]:
        """The project's subjects, sessions or acquisitions with their files, in pages of a
        thousand (``GET /{level}s?filter=parents.project=ID``; core's list projection keeps
        ``files``, each with its type, classification and version). ``label_regex``: an
        unquoted ``=~`` value (``filters.literal_regex`` parts) to list fewer."""
        finders = {
            "subject": self._fw.get_all_subjects,
            "session": self._fw.get_all_sessions,
            "acquisition": self._fw.get_all_acquisitions,
        }
        terms = [filters.term("parents.project", "=", project_id)]
        if label_regex is not None:
            terms.append(filters.term("label", "=~", label_regex))
        return [
            parse.container_files(level, doc)
            for doc in self._listing(finders[level], filter=filters.join(*terms))
        ]

    def analyses_with_files(self, project_id: str, level: str) -> list[AnalysisFiles]:
        """Every analysis on the project's containers of ``level`` (or on the project
        itself), jobs inflated (their state) and output files listed, paged with
        ``after_id``: ``GET /projects/{id}/{level}s/analyses`` (core's
        ``AnalysesHandler.get_all``) or ``GET /projects/{id}/analyses``."""
        return [parse.analysis_files(a) for a in self._analyses_of(project_id, level)]

    # -- people and roles ---------------------------------------------------
    def whoami(self) -> UserRef:
        """The user this key belongs to (``GET /users/self``: any key may read itself)."""
        return parse.user_ref(self._raw(self._fw.get_current_user))

    def find_user(self, email: str) -> UserRef | None:
        """``GET /users`` filtered by email (open to any logged-in user), read to its end;
        never ``GET /users/{id}`` (only oneself or a site admin). The filter is exact, so the
        lowercase form is asked too when it differs; results are compared again,
        case-insensitively. None when absent, or when the site refuses the listing (403)."""
        for form in dict.fromkeys((email, email.lower())):
            try:
                found = self._user_with_email(form, email)
            except FlywheelRefused as exc:
                if exc.status == 403:
                    return None
                raise
            if found is not None:
                return found
        return None

    def _user_with_email(self, form: str, email: str) -> UserRef | None:
        wanted = email.casefold()
        users = self._listing(self._fw.get_all_users, filter=filters.equals("email", form))
        for user in users:
            if str(user.get("email") or "").casefold() == wanted:
                return parse.user_ref(user)
        return None

    def project_members(self, project_id: str) -> ProjectMembers:
        """The project's permission list from its single ``GET``, keyed by user ``_id``;
        ``complete`` only where Flywheel shows the whole list: to a site admin, or to a key
        whose own entry there has the admin level (core ``_filter_permissions``)."""
        project = self._raw(self._fw.get_project, project_id)
        return ProjectMembers(roles=self._roles_of(project), complete=self._sees_all_of(project))

    def project_roles(self, project_id: str) -> dict[str, ProjectRole]:
        return self.project_members(project_id).roles

    def all_project_roles(self, user_id: str) -> dict[str, ProjectRole]:
        """Project label -> the role of user ``user_id`` (a Flywheel ``_id``), over the
        projects this key can see (a paged listing). A listing shows a plain key only its
        own entry: exact for the key's own user; for anyone else, read from the single
        ``GET`` of the projects where the key is admin, and unknown (left out) elsewhere.
        A site admin's listing carries every entry."""
        projects = list(self._listing(self._fw.get_all_projects))
        if self.is_site_admin() or user_id == self.service_account():
            found = {p["label"]: self._roles_of(p).get(user_id, "none") for p in projects}
        else:
            found = self._roles_where_admin(projects, user_id)
        return {label: role for label, role in found.items() if role != "none"}

    def _roles_where_admin(self, projects: list[Doc], user_id: str) -> dict[str, ProjectRole]:
        """``user_id``'s role on each listed project whose full list this key may read."""
        mine = [p for p in projects if self._sees_all_of(p)]
        if not mine:
            return {}
        ids = [str(p.get("_id") or p["id"]) for p in mine]
        with ContextThreadPool(READ_CONCURRENCY, thread_name_prefix="fwbot-read") as pool:
            members = list(pool.map(self.project_members, ids))
        return {
            p["label"]: m.roles.get(user_id, "none") for p, m in zip(mine, members, strict=True)
        }

    def _sees_all_of(self, project: Doc) -> bool:
        """Whether this key sees the project's whole permission list: a site admin, or a key
        whose own entry names the built-in admin role. Core keeps the whole list for the
        admin access level, which only that role carries; a custom role, whatever its
        actions, is not taken for it (the reading that never mistakes a part for the whole)."""
        if self.is_site_admin():
            return True
        me = self.service_account()
        admin_ids = self._site_roles().builtin_admin
        return any(
            str(perm.get("_id") or perm.get("id")) == me
            and any(str(r) in admin_ids for r in perm.get("role_ids") or [])
            for perm in project.get("permissions") or []
        )

    def can_read_roles(self) -> bool:
        """Whether this key may read ``GET /roles`` (undocumented for a plain key): without
        it no permission entry can be read as a role. For ``fwbot check``."""
        try:
            self._site_roles()
        except FlywheelRefused as exc:
            if exc.status == 403:
                return False
            raise
        return True

    def _roles_of(self, project: Doc) -> dict[str, ProjectRole]:
        """A permission list as user ``_id`` -> highest level among their roles."""
        levels = self._site_roles().levels
        roles: dict[str, ProjectRole] = {}
        for perm in project.get("permissions") or []:
            best: ProjectRole = "none"
            for role_id in perm.get("role_ids") or []:
                level = levels.get(str(role_id), "none")
                if ROLE_RANK[level] > ROLE_RANK[best]:
                    best = level
            roles[str(perm.get("_id") or perm.get("id"))] = best
        return roles

    def _site_roles(self) -> SiteRoles:
        """The site's roles, read once per process (sites rarely change roles).

        Role ids are the site's own (the built-in roles too), so without ``GET /roles`` no
        entry can be mapped: a refusal is raised as a ``FlywheelRefused`` saying so (and
        asked again next time), never guessed as "no role"."""
        with self._lock:
            if self._roles is None:
                self._roles = self._read_roles()
            return self._roles

    def _read_roles(self) -> SiteRoles:
        try:
            roles = list(self._listing(self._fw.get_all_roles))
        except FlywheelRefused as exc:
            if exc.status != 403:
                raise
            raise FlywheelRefused(
                403,
                f"fwbot's key may not read the site's roles (GET /roles: {exc.detail}), so "
                "no project role can be told",
                hint="Ask a site admin to let fwbot's account read roles; `fwbot check` says.",
            ) from exc
        return SiteRoles(
            levels={paging.item_id(r): parse.role_level(r) for r in roles},
            builtin_admin=frozenset(
                paging.item_id(r) for r in roles if r.get("default_flywheel_role") == "admin"
            ),
        )

    # -- runs -----------------------------------------------------------------
    def runs_of_gear(
        self, project_id: str, gear_name: str, level: str = "session"
    ) -> list[JobRecord]:
        """Every run of the gear on the project's sessions (or its containers of another
        ``level``), by anyone: the analyses there with their jobs inflated (paged listings,
        so runs made by others (scripts, the web UI, gear rules) cost no request each), and
        fwbot's own utility jobs in the project. A run whose job neither listing carried is
        judged by its analysis: ``GET /jobs/{id}`` is for site admins only."""
        with ContextThreadPool(2, thread_name_prefix="fwbot-read") as pool:  # both at once
            own_jobs = pool.submit(self._own_jobs, filters.equals("gear_info.name", gear_name))
            listed = self._analyses_of(project_id, level)
            analyses = [a for a in listed if (a.get("gear_info") or {}).get("name") == gear_name]
        own = {paging.item_id(j): j for j in own_jobs.result()}
        jobs = own | self._jobs_not_carried(analyses, own)
        runs = [parse.analysis_run(a, _inflated(a) or jobs.get(_job_id(a) or "")) for a in analyses]
        # fwbot's own utility jobs write to the session itself: no analysis lists them.
        runs += [
            parse.job_record(j)
            for j in own.values()
            if parse.analysis_of(j) is None
            and (j.get("parents") or {}).get("project") == project_id
        ]
        return runs

    def _jobs_not_carried(self, analyses: list[Doc], own: dict[str, Doc]) -> dict[str, Doc]:
        """The jobs of analyses that neither the listing nor fwbot's own jobs carried, read
        one by one, and only by a site admin's key (core: ``GET /jobs/{id}`` is admin-only,
        a 403 each for anyone else)."""
        missing = [
            jid
            for a in analyses
            if _inflated(a) is None and (jid := _job_id(a)) is not None and jid not in own
        ]
        if not missing or not self.is_site_admin():
            return {}
        with ContextThreadPool(READ_CONCURRENCY, thread_name_prefix="fwbot-read") as pool:
            read = list(pool.map(self._job_or_none, missing))
        return {jid: job for jid, job in zip(missing, read, strict=True) if job is not None}

    def project_runs(self, project_id: str) -> list[ProjectRun]:
        """The analyses of the project's sessions with their jobs inflated, paged with
        ``after_id`` (a thousand a request): runs by anyone, fwbot's included."""
        listed = self._analyses_with_jobs(project_id, "sessions")
        return [r for r in map(project_runs.project_run, listed) if r is not None]

    def _analyses_of(self, project_id: str, level: str) -> list[Doc]:
        """The raw analyses on the project's containers of ``level`` (``project``: on the
        project itself, ``GET /projects/{id}/analyses``), jobs inflated, read to the end."""
        if level == "project":
            return list(self._listing(self._fw.get_project_analyses, project_id, inflate_job=True))
        return self._analyses_with_jobs(project_id, f"{level}s")

    def _analyses_with_jobs(self, project_id: str, subcontainer: str) -> list[Doc]:
        """The raw analyses of the project's ``subcontainer`` (sessions, subjects,
        acquisitions), jobs inflated (``GET /projects/{id}/{sub}/analyses``), read to the end."""

        def read(limit: int, after: str | None) -> list[Doc]:
            response = self._call(
                project_runs.page_call, self._fw, project_id, limit, after, subcontainer
            )
            return _items(json.loads(response.content))

        return list(paging.every_item(read))

    def _job_or_none(self, job_id: str) -> Doc | None:
        try:
            job: Doc = self._raw(self._fw.get_job, job_id)
        except FlywheelRefused:  # a job fwbot may not read: judged by its analysis
            return None
        return job

    def jobs_tagged(self, tag: str) -> list[JobRecord]:
        """fwbot's own jobs carrying ``tag`` (each batch's jobs are tagged ``fwbot:<id>``)."""
        query = filters.equals("tags", tag)
        return [parse.job_record(j) for j in self._own_jobs(query)]

    # -- launching ----------------------------------------------------------
    def launch_one(self, job: JobSpec) -> LaunchedJob:
        """An analysis gear: a new analysis on the session with its job, as
        ``gear.run(analysis_label=..., destination=session)`` does. A utility gear: a job
        whose destination is the session."""
        try:
            if job.analysis:
                body = {"label": job.label, "job": _job_body(job, with_destination=False)}
                add = getattr(self._fw, f"add_{job.target_type}_analysis")
                created = self._raw(add, job.destination_id, body, job=True)
                return LaunchedJob(
                    session_id=job.session_id,
                    analysis_id=str(created["_id"]),
                    target_id=job.destination_id,
                )
            job_id = self._call(self._fw.add_job, _job_body(job, with_destination=True))
        except FlywheelRefused as exc:
            raise _rejected(exc) from exc
        return LaunchedJob(
            session_id=job.session_id, job_id=str(job_id), target_id=job.destination_id
        )

    def create_batch(self, jobs: list[JobSpec]) -> str:
        """Premade jobs, queued exactly as given: for utility gears only (see module doc)."""
        if any(job.analysis for job in jobs):
            raise ValueError("analysis gears launch as analyses, never through the batch API")
        body = {"jobs": [_job_body(job, with_destination=True) for job in jobs]}
        try:
            proposal = self._raw(self._fw.create_batch_job_from_jobs, body)
        except FlywheelRefused as exc:
            if exc.status in (405, 501):  # no such route here; a 404 is a missing file
                raise BatchApiUnsupported(
                    f"Flywheel at {self.site} has no batch API for premade jobs."
                ) from exc
            raise _rejected(exc) from exc
        return str(proposal.get("_id") or proposal["id"])

    def start_batch(self, flywheel_batch_id: str) -> list[LaunchedJob]:
        started = self._raw(self._fw.start_batch, flywheel_batch_id)
        return [
            LaunchedJob(
                session_id=(j.get("parents") or {}).get("session")
                or (j.get("destination") or {}).get("id")
                or "",
                job_id=j.get("id") or j.get("_id"),
                analysis_id=parse.analysis_of(j),
                tags=tuple(str(t) for t in j.get("tags") or ()),
                target_id=_destination_of(j),
            )
            for j in started
        ]

    def batch_state(self, flywheel_batch_id: str) -> str:
        return str(self._raw(self._fw.get_batch, flywheel_batch_id).get("state", ""))

    def own_batches(self) -> list[FlywheelBatchRef]:
        """``GET /batch``: Flywheel core lists the caller's own batches (``origin.id``; a
        site admin gets everyone's, so those of other origins are left out here too), with
        the proposal projected away. A batch of premade jobs carries no ``gear_id``. The one
        listing read in a single request: the SDK's ``get_all_batches`` takes no ``limit``
        nor ``after_id``, so there is nothing to page with."""
        try:
            docs = self._raw(self._fw.get_all_batches)
        except FlywheelRefused as exc:
            if exc.status in (405, 501):
                raise BatchApiUnsupported(
                    f"Flywheel at {self.site} has no batch API for premade jobs."
                ) from exc
            raise
        me = self.service_account()
        return [
            FlywheelBatchRef(
                batch_id=str(d.get("_id") or d["id"]),
                state=str(d.get("state") or ""),
                premade=not d.get("gear_id"),
            )
            for d in docs
            if me is None or (d.get("origin") or {}).get("id") in (None, me)
        ]

    def cancel_batch(self, flywheel_batch_id: str) -> int:
        result = self._raw(self._fw.cancel_batch, flywheel_batch_id)
        return int(result.get("number_cancelled") or 0)

    def cancel_job(self, job_id: str) -> bool:
        try:
            self._call(self._fw.modify_job, job_id, {"state": "cancelled"})
        except FlywheelRefused as exc:
            if exc.status == 400:  # Flywheel refuses to change a job that has ended
                return False
            raise
        return True


def _items(answer: Any) -> list[Doc]:
    """A listing's items: a bare JSON array, or a page object's ``results`` (the SDK's
    ``Page`` shape, should a site answer that way)."""
    if isinstance(answer, dict):
        return list(answer.get("results") or [])
    return list(answer or [])


def _rejected(exc: FlywheelRefused) -> LaunchRejected:
    """A 4xx on launch, with Flywheel's own explanation: retrying won't help."""
    return LaunchRejected(exc.status, exc.detail, hint=exc.hint)


def _job_id(analysis: dict[str, Any]) -> str | None:
    job = analysis.get("job")
    if isinstance(job, dict):
        return str(job.get("id") or job.get("_id"))
    return str(job) if job else None


def _inflated(analysis: dict[str, Any]) -> dict[str, Any] | None:
    job = analysis.get("job")
    return job if isinstance(job, dict) else None


def _job_body(job: JobSpec, *, with_destination: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "gear_id": job.gear_id,
        "config": job.config,
        "inputs": {
            key: {"type": ref.parent_type, "id": ref.parent_id, "name": ref.name}
            for key, ref in job.inputs.items()
        },
        "tags": job.tags,
    }
    if with_destination:
        body["destination"] = {"type": job.target_type, "id": job.destination_id}
        body["label"] = job.label
    return body


def _destination_of(job: dict[str, Any]) -> str | None:
    """The container a premade job runs on (its destination), unless that is an analysis."""
    destination = job.get("destination") or {}
    if destination.get("type") in (None, "analysis") or not destination.get("id"):
        return None
    return str(destination["id"])
