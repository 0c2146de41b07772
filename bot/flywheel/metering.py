"""Counting every HTTP request fwbot makes to Flywheel, by route and status.

The SDK's httpx2 client sends through its ``RetryTransport``, which retries transient
errors itself (429, 502-504, dropped connections) around the real HTTP transport.
``meter_requests`` puts a counting transport *under* the retries, so each attempt is
counted with its real answer: ``fwbot_flywheel_requests_total{route, status}``, where
``status`` is the HTTP status or ``error`` when no answer came (refused, reset, timeout).

``route`` is the method and the path with every id replaced by ``{id}``
(``GET /api/projects/{id}/sessions``): a path segment is kept only when it is one of the
words of Flywheel's API paths (read from flywheel-sdk 23), so ids, labels, file names and
emails never become label values, and the set of routes stays small.
"""

from __future__ import annotations

from typing import Any

import httpx2

from bot.observe import metrics

# Every literal segment of the paths flywheel-sdk 23's API classes call (`flywheel/api`).
_WORDS = """
    accesslog acquisitions add adjudication analyses api archive ask assign audit-trail auth
    availability avatar batch bookmark-list bulk cancel catalog-list
    catalog-list-filter-options changes classification clean-packfiles cleanup clone collect
    collections columns complete config config.json containers context copy csv curators
    custom_filters customforms daily-usage daily-usage-range data data_view_executions
    dataexplorer delete delete-status detail determine_provider devices dimse download facets
    fields files fs-file gears graph groups heartbeat ids info input_files invocation jobs
    jupyterlab_servers key label legacy-usage logs lookup mapped_fields master-code modalities
    move my-tickets next notes packfile packfile-end packfile-start parse permissions
    prepare-add prepare-complete priority profile project projects protocols providers
    publish queries queue reader reap reaper recalc report reports resolve responses restore
    retry roles rules run save search self series services sessions settings signed-url site
    staffing_pools stats status subjects submit suggest sync tags tasks template templates
    ticket tree types uid uids upload upsert-hierarchy usage usage-summary users version
    versions views zip_info
"""
API_WORDS = frozenset(_WORDS.split())
ID = "{id}"
MAX_SEGMENTS = 8  # deeper paths are cut (no SDK route is this deep)


def route_of(method: str, path: str) -> str:
    """``GET /api/projects/{id}/sessions`` for ``GET /api/projects/5f0c.../sessions``."""
    segments = [s for s in path.split("/") if s][:MAX_SEGMENTS]
    template = "/".join(s if s in API_WORDS else ID for s in segments)
    return f"{method.upper()} /{template}"


class CountingTransport(httpx2.BaseTransport):
    """Counts each request it sends, with its status or ``error``; changes nothing."""

    def __init__(self, transport: httpx2.BaseTransport) -> None:
        self._transport = transport

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        route = route_of(request.method, request.url.path)
        try:
            response = self._transport.handle_request(request)
        except Exception:
            metrics.flywheel_request(route, "error")
            raise
        metrics.flywheel_request(route, str(response.status_code))
        return response

    def close(self) -> None:
        self._transport.close()


def meter_requests(client: Any) -> None:
    """Count the requests of a ``flywheel.Client`` (its direct and proxied transports);
    a client already metered stays as it is."""
    rest = client._fw.api_client.rest_client.client
    transports = [rest._transport, *(m for m in rest._mounts.values() if m is not None)]
    for transport in transports:
        inner = getattr(transport, "_transport", None)  # the SDK's RetryTransport wraps it
        if inner is not None and not isinstance(inner, CountingTransport):
            transport._transport = CountingTransport(inner)
