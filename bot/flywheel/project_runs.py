"""Every gear run on a project's sessions, by anyone, in a few paged requests.

``GET /projects/{id}/sessions/analyses`` lists the analyses under the project's sessions;
with ``inflate_job=true`` each carries its job (state, origin, tags, times), so runs
launched outside fwbot (scripts, the web UI, gear rules) need no request of their own.
Core serves this route paged like every list (``limit`` and ``after_id``) and inflates
jobs there (``AnalysesHandler.get_all``); SDK 23.0.0's ``get_analyses`` sends no query
parameters, so the call goes through the SDK's own ``api_client.call_api``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.domain.jobs import JobState
from bot.domain.runs import ProjectRun
from bot.flywheel import parse

ROUTE = "/{container_name}/{container_id}/{subcontainer_name}/analyses"


def page_call(
    client: Any,
    project_id: str,
    limit: int,
    after_id: str | None,
    subcontainer: str = "sessions",
) -> Any:
    """One page of the analyses of the project's sessions (or other ``subcontainer``:
    ``subjects``, ``acquisitions``), jobs inflated, as the raw response."""
    query: list[tuple[str, Any]] = [("inflate_job", "true"), ("limit", limit)]
    if after_id:
        query.append(("after_id", after_id))
    api = client.api_client
    return api.call_api(
        ROUTE,
        "GET",
        {
            "container_name": "projects",
            "container_id": project_id,
            "subcontainer_name": subcontainer,
        },
        query,
        {"Accept": api.select_header_accept(["application/json"])},
        auth_settings=["ApiKey"],
        _return_http_data_only=True,
        _preload_content=False,
    )


def project_run(analysis: dict[str, Any]) -> ProjectRun | None:
    """An analysis with its inflated job -> the run (None: an analysis without a job)."""
    job = analysis.get("job")
    if not isinstance(job, dict):
        return None
    info = job.get("gear_info") or analysis.get("gear_info") or {}
    transitions = job.get("transitions") or {}
    state = parse.job_state(job.get("state"))
    created = _time(job.get("created")) or _time(analysis.get("created")) or _EPOCH
    ended = None
    if state in (JobState.COMPLETE, JobState.FAILED, JobState.CANCELLED):
        ended = _time(transitions.get(str(state))) or _time(job.get("modified"))
    origin = job.get("origin") or {}
    files = [str(f.get("name")) for f in analysis.get("files") or [] if isinstance(f, dict)]
    return ProjectRun(
        analysis_id=str(analysis.get("_id") or analysis.get("id")),
        job_id=str(job.get("id") or job.get("_id")),
        state=state,
        gear_name=str(info.get("name") or ""),
        gear_version=str(info.get("version") or ""),
        session_id=parse.analysis_session(analysis),
        label=str(analysis.get("label") or ""),
        created=created,
        origin=str(origin.get("id")) if origin.get("id") else None,
        flywheel_batch=str(job["batch"]) if job.get("batch") else None,
        tags=tuple(str(t) for t in job.get("tags") or []),
        started=_time(transitions.get("running")),
        ended=ended,
        failure_reason=job.get("failure_reason") or None,
        saved_files=tuple(files or [str(f) for f in job.get("saved_files") or []]),
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
