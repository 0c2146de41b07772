"""The gateway implemented with the real flywheel-sdk.

All SDK calls go through :meth:`SdkGateway._call`, the one place where SDK and
transport errors become fwbot errors naming the site. Queries are written for
few round trips: one paged, filtered query instead of one call per session.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import flywheel
import httpx2

from bot.domain import (
    ROLE_RANK,
    ConfigOption,
    GearDetail,
    GearInput,
    GearSummary,
    JobRecord,
    JobSpec,
    LaunchedJob,
    ProjectRef,
    ProjectRole,
    SessionRef,
    UserRef,
)
from bot.errors import FlywheelUnavailable
from bot.flywheel import filters
from bot.flywheel.gateway import BatchApiUnsupported, LaunchRejected

log = logging.getLogger(__name__)
T = TypeVar("T")

PAGE_SIZE = 2000


def site_of(api_key: str) -> str:
    """The human name of the site an API key points at (``host:port``), never the secret."""
    parts = api_key.split(":")
    if len(parts) <= 2:
        return parts[0]
    return f"{parts[0]}:{parts[1]}"


def connect(
    api_key: str, *, retries: int = 2, backoff_max: float = 5.0, timeout: float = 30.0
) -> Any:
    """One SDK client per process, failing within seconds when the site is dead or wrong.

    The SDK retries transient errors seven times with up to 120 s between tries
    (about two minutes of hanging on a dead site); we cap that on its transport.
    """
    site = site_of(api_key)
    try:
        client = flywheel.Client(
            api_key, disable_auth_check=True, request_timeout=int(timeout), connect_timeout=3
        )
    except Exception as exc:  # the SDK raises bare Exception for a malformed key
        raise FlywheelUnavailable(f"The Flywheel API key is not valid: {exc}") from exc
    _limit_retries(client, retries, backoff_max)
    try:
        status = gateway_call(site, client.get_auth_status)
    except flywheel.ApiException as exc:  # 404 and friends: something answers, not Flywheel
        raise FlywheelUnavailable(
            f"{site} answered {exc.status} to Flywheel's login check: is it a Flywheel site?",
            hint="Check the host and port in FWBOT_FLYWHEEL_API_KEY.",
        ) from exc
    except ValueError as exc:  # a 200 that is not Flywheel's JSON
        raise FlywheelUnavailable(
            f"{site} does not answer like Flywheel ({exc}).",
            hint="Check the host and port in FWBOT_FLYWHEEL_API_KEY.",
        ) from exc
    client.fwbot_service_account = getattr(getattr(status, "origin", None), "id", None)
    return client


def _limit_retries(client: Any, retries: int, backoff_max: float) -> None:
    rest = client._fw.api_client.rest_client.client
    transports = [rest._transport, *(m for m in rest._mounts.values() if m is not None)]
    for transport in transports:
        if hasattr(transport, "total"):
            transport.total = retries
            transport.backoff_max = backoff_max


def gateway_call(site: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one SDK call, turning transport and server errors into ``FlywheelUnavailable``."""
    try:
        return fn(*args, **kwargs)
    except flywheel.ApiException as exc:
        status = exc.status
        if status == 401:
            raise FlywheelUnavailable(
                f"Flywheel at {site} rejected fwbot's API key (401).",
                hint="Check FWBOT_FLYWHEEL_API_KEY.",
            ) from exc
        if status in (403, 404, 400, 409, 422):
            raise
        raise FlywheelUnavailable(
            f"Flywheel at {site} answered {status} {exc.reason or ''}".rstrip() + "."
        ) from exc
    except httpx2.TransportError as exc:
        raise FlywheelUnavailable(
            f"Cannot reach Flywheel at {site}: {type(exc).__name__}: {exc}".rstrip(": ")
        ) from exc


class SdkGateway:
    """``FlywheelGateway`` over one ``flywheel.Client``."""

    def __init__(self, client: Any, site: str) -> None:
        self._fw = client
        self.site = site
        self._role_names: dict[str, str] | None = None

    @classmethod
    def connect(cls, api_key: str) -> SdkGateway:
        return cls(connect(api_key), site_of(api_key))

    def service_account(self) -> str | None:
        return getattr(self._fw, "fwbot_service_account", None)

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return gateway_call(self.site, fn, *args, **kwargs)

    def _paged(self, finder: Callable[..., Any], filter_: str) -> Iterator[Any]:
        """SDK models, paged with ``after_id``."""
        return self._pages(finder, filter_, raw=False)

    def _paged_raw(self, finder: Callable[..., Any], filter_: str) -> Iterator[dict[str, Any]]:
        """Plain JSON, paged with ``after_id`` (see ``_raw`` for why)."""
        return self._pages(finder, filter_, raw=True)

    def _pages(self, finder: Callable[..., Any], filter_: str, *, raw: bool) -> Iterator[Any]:
        """Stop on a short page: no trailing empty request, unlike the SDK's ``iter_find``."""
        after: str | None = None
        while True:
            kwargs: dict[str, Any] = {"filter": filter_, "limit": PAGE_SIZE}
            if after:
                kwargs["after_id"] = after
            page = self._raw(finder, **kwargs) if raw else self._call(finder, **kwargs)
            yield from page
            if len(page) < PAGE_SIZE:
                return
            last = page[-1]
            after = (last.get("_id") or last["id"]) if raw else last.id

    def _raw(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The response as plain JSON. The SDK's job models drop ``parents`` (which session a
        job belongs to) and are slow to build for thousands of jobs; the JSON has it all."""
        response = self._call(fn, *args, _preload_content=False, **kwargs)
        return json.loads(response.content)

    # -- gears ------------------------------------------------------------
    def list_gears(self) -> list[GearSummary]:
        gears = [_gear_summary(doc) for doc in self._call(self._fw.get_all_gears)]
        return sorted(gears, key=lambda g: g.name)

    def get_gear(self, name: str, version: str | None = None) -> GearDetail | None:
        # Read the manifests as raw JSON: the SDK's input models keep only `base` and
        # `optional`, dropping each input's description.
        response = self._call(
            self._fw.get_all_gears,
            all_versions=True,
            filter=filters.term("gear.name", "=", filters.quote_value(name)),
            _preload_content=False,
        )
        docs = [d for d in json.loads(response.content) if d["gear"]["name"] == name]
        if not docs:
            return None
        docs.sort(key=lambda d: _version_key(d["gear"]["version"]), reverse=True)
        chosen = (
            docs[0]
            if version is None
            else next((d for d in docs if d["gear"]["version"] == version), None)
        )
        if chosen is None:
            return None
        return _gear_detail(chosen, [d["gear"]["version"] for d in docs])

    # -- projects and sessions --------------------------------------------
    def find_project(self, label: str) -> ProjectRef | None:
        found = self._call(
            self._fw.projects.find,
            filters.term("label", "=", filters.quote_value(label)),
            limit=10,
        )
        # The server matched on our escaped value; compare again so nothing wider slips through.
        exact = [p for p in found if p.label == label]
        if not exact:
            return None
        p = exact[0]
        files = tuple(f.name for f in p.files or [])
        return ProjectRef(project_id=p.id, label=p.label, group=p.group, files=files)

    def project_sessions(self, project_id: str) -> list[SessionRef]:
        # Raw JSON: building SDK models (every timestamp through dateutil) for 1,400
        # sessions costs more than the request itself.
        sessions = self._paged_raw(
            self._fw.get_all_sessions, filters.term("parents.project", "=", project_id)
        )
        return sorted((_session_ref(s) for s in sessions), key=lambda s: (s.subject_label, s.label))

    def sessions_with_acquisition(
        self,
        project_id: str,
        label_contains: str | None = None,
        *,
        label_pattern: str | None = None,
    ) -> list[SessionRef]:
        """Two or three paged queries: the matching acquisitions, then the project's sessions."""
        terms = [filters.term("parents.project", "=", project_id)]
        if label_contains is not None:
            terms.append(filters.term("label", "=~", filters.literal_regex(label_contains)))
        pattern = re.compile(label_pattern) if label_pattern is not None else None
        # Raw JSON, as for sessions: each acquisition lists its files, whose timestamps
        # made SDK models the slowest part of planning (0.7 s for 1,329 acquisitions).
        wanted = {
            (a.get("parents") or {}).get("session")
            for a in self._paged_raw(self._fw.get_all_acquisitions, filters.join(*terms))
            if (label_contains is None or label_contains in (a.get("label") or ""))
            and (pattern is None or pattern.search(a.get("label") or ""))
        }
        return [s for s in self.project_sessions(project_id) if s.session_id in wanted]

    def project_roles(self, project_id: str) -> dict[str, ProjectRole]:
        project = self._call(self._fw.get_project, project_id)
        return self._roles_of(project)

    def all_project_roles(self, email: str) -> dict[str, ProjectRole]:
        projects = self._call(self._fw.get_all_projects)
        roles = {p.label: self._roles_of(p).get(email, "none") for p in projects}
        return {label: role for label, role in roles.items() if role != "none"}

    def find_user(self, email: str) -> UserRef | None:
        try:
            user = self._call(self._fw.get_user, email)
        except flywheel.ApiException as exc:
            if exc.status == 404:
                return None
            raise
        name = " ".join(part for part in (user.firstname, user.lastname) if part)
        return UserRef(user_id=user.id, email=user.email or email, display_name=name)

    def _roles_of(self, project: Any) -> dict[str, ProjectRole]:
        """A project's permissions list as user -> highest role."""
        names = self._roles()
        roles: dict[str, ProjectRole] = {}
        for perm in project.permissions or []:
            best: ProjectRole = "none"
            for role_id in perm.role_ids or []:
                name = names.get(role_id, "none")
                if name in ROLE_RANK and ROLE_RANK[name] > ROLE_RANK[best]:
                    best = name  # type: ignore[assignment]
            roles[perm.id] = best
        return roles

    # -- jobs -------------------------------------------------------------
    def runs_of_gear(self, project_id: str, gear_name: str) -> list[JobRecord]:
        query = filters.join(
            filters.term("parents.project", "=", project_id),
            filters.term("gear_info.name", "=", filters.quote_value(gear_name)),
        )
        return [_job_record(j) for j in self._paged_raw(self._fw.get_all_jobs, query)]

    def jobs_tagged(self, tag: str) -> list[JobRecord]:
        query = filters.term("tags", "=", filters.quote_value(tag))
        return [_job_record(j) for j in self._paged_raw(self._fw.get_all_jobs, query)]

    def create_batch(self, jobs: list[JobSpec]) -> str:
        body = {"jobs": [_job_body(job, with_destination=True) for job in jobs]}
        try:
            proposal = self._raw(self._fw.create_batch_job_from_jobs, body)
        except flywheel.ApiException as exc:
            if exc.status in (404, 405, 501):
                raise BatchApiUnsupported(
                    f"Flywheel at {self.site} has no batch API for premade jobs."
                ) from exc
            raise _rejected(exc) from exc
        return str(proposal.get("_id") or proposal["id"])

    def start_batch(self, flywheel_batch_id: str) -> list[LaunchedJob]:
        started = self._raw(self._fw.start_batch, flywheel_batch_id)
        return [
            LaunchedJob(
                session_id=(j.get("parents") or {}).get("session") or "",
                job_id=j.get("id") or j.get("_id"),
                analysis_id=_analysis_of(j),
            )
            for j in started
        ]

    def batch_state(self, flywheel_batch_id: str) -> str:
        return str(self._raw(self._fw.get_batch, flywheel_batch_id).get("state", ""))

    def cancel_batch(self, flywheel_batch_id: str) -> int:
        result = self._call(self._fw.cancel_batch, flywheel_batch_id)
        return int(getattr(result, "number_cancelled", result) or 0)

    def cancel_job(self, job_id: str) -> bool:
        try:
            self._call(self._fw.modify_job, job_id, {"state": "cancelled"})
        except flywheel.ApiException as exc:
            if exc.status == 400:  # Flywheel refuses to change a job that has ended
                return False
            raise
        return True

    def launch_one(self, job: JobSpec) -> LaunchedJob:
        body = {"label": job.label, "job": _job_body(job, with_destination=False)}
        try:
            analysis_id = self._call(self._fw.add_session_analysis, job.session_id, body)
        except flywheel.ApiException as exc:
            raise _rejected(exc) from exc
        return LaunchedJob(session_id=job.session_id, analysis_id=str(analysis_id))

    def _roles(self) -> dict[str, str]:
        if self._role_names is None:
            self._role_names = {r.id: r.label for r in self._call(self._fw.get_all_roles)}
        return self._role_names


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Sort versions like ``0.2.2_1.5.2`` numerically, part by part."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[._\-+]", version)
    )


def _gear_summary(doc: Any) -> GearSummary:
    g = doc.gear
    return GearSummary(
        gear_id=doc.id,
        name=g.name,
        label=g.label or g.name,
        version=g.version,
        category=doc.category or "",
    )


def _gear_detail(doc: dict[str, Any], versions: list[str]) -> GearDetail:
    """A gear document as raw JSON (``{"_id", "category", "gear": manifest}``) -> GearDetail."""
    g = doc["gear"]
    inputs = [
        GearInput(
            name=name,
            base=spec.get("base", "file"),
            description=spec.get("description", ""),
            optional=bool(spec.get("optional", False)),
        )
        for name, spec in (g.get("inputs") or {}).items()
    ]
    config = [
        ConfigOption(
            name=name,
            type=str(spec.get("type", "string")),
            default=spec.get("default"),
            enum=spec.get("enum"),
            description=spec.get("description", ""),
            optional=bool(spec.get("optional", "default" in spec)),
            minimum=spec.get("minimum"),
            maximum=spec.get("maximum"),
        )
        for name, spec in (g.get("config") or {}).items()
    ]
    summary = GearSummary(
        gear_id=doc["_id"],
        name=g["name"],
        label=g.get("label") or g["name"],
        version=g["version"],
        category=doc.get("category") or "",
    )
    return GearDetail(
        summary=summary,
        description=g.get("description") or "",
        versions=versions,
        inputs=inputs,
        config=config,
    )


def _session_ref(session: dict[str, Any]) -> SessionRef:
    """A session as raw JSON (``GET /sessions``) -> SessionRef."""
    session_id = str(session.get("_id") or session["id"])
    subject = session.get("subject") or {}
    return SessionRef(
        session_id=session_id,
        label=session.get("label") or session_id,
        subject_label=subject.get("label") or "",
    )


def _rejected(exc: Any) -> LaunchRejected:
    """A 4xx on launch, with Flywheel's own explanation (the SDK puts its message in reason)."""
    return LaunchRejected(f"Flywheel refused the job ({exc.status}): {exc.reason}")


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
        body["destination"] = {"type": "session", "id": job.session_id}
        body["label"] = job.label
    return body


def _analysis_of(job: dict[str, Any]) -> str | None:
    destination = job.get("destination") or {}
    if destination.get("type") == "analysis":
        return str(destination.get("id"))
    return None


def _job_record(job: dict[str, Any]) -> JobRecord:
    info = job.get("gear_info") or {}
    config = job.get("config") or {}
    return JobRecord(
        job_id=str(job.get("id") or job.get("_id")),
        state=str(job.get("state", "")),
        gear_name=str(info.get("name", "")),
        gear_version=str(info.get("version", "")),
        session_id=(job.get("parents") or {}).get("session"),
        analysis_id=_analysis_of(job),
        label=str(job.get("label") or ""),
        config=dict(config.get("config") or {}),
        tags=list(job.get("tags") or []),
        failure_reason=job.get("failure_reason"),
        saved_files=list(job.get("saved_files") or []),
        created=job.get("created"),
    )
