"""A tiny method + path-template router, and the request/error types handlers use."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote


class HttpError(Exception):
    """Raised by handlers; served as Flywheel's error body (message, status_code, request_id)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: str
    path: str  # without the /api prefix
    query: dict[str, str]
    body: Any
    user: str
    params: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Any]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.routes.append(Route(method, template, re.compile(f"^{regex}/?$"), handler))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The first route for this method and path; literal routes are added first."""
        for route in self.routes:
            if route.method != method:
                continue
            m = route.pattern.match(path)
            if m:
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    def template_for(self, path: str) -> str | None:
        """Route template of ``path`` under any method (to tell 404 from 405)."""
        for route in self.routes:
            if route.pattern.match(path):
                return route.template
        return None
