"""``LocalFlywheel``: the HTTP server the unmodified flywheel-sdk talks to.

Serves ``/api/...`` on a stdlib ``ThreadingHTTPServer`` in a daemon thread,
checks ``Authorization: scitran-user KEY`` (each key belongs to one user of the world,
and the request acts as that user), answers errors with Flywheel's
``{"message", "status_code", "request_id"}`` body, and applies the test knobs
(latency, injected errors, request log) around every request.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from localfw import (
    routes_analyses,
    routes_batches,
    routes_containers,
    routes_identity,
    routes_jobs,
)
from localfw.context import Context
from localfw.knobs import Knobs, RequestLog, RequestRecord
from localfw.router import HttpError, Request, Router
from localfw.simulator import Clock, JobSimulator, ScaledClock, SimClock, SimulatorSettings
from localfw.world import World

REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    429: "Too Many Requests",
    401: "Unauthorized",
}


class LocalFlywheel:
    """A local Flywheel over a ``World``; ``clock=None`` means real time (``speed`` x).

    ``api_key`` (what ``sdk_api_key`` carries) belongs to ``user``, else to the world's
    ``service_account``, else (worlds without one) to its first root user.
    """

    def __init__(
        self,
        world: World,
        api_key: str = "demo-key",
        clock: Clock | None = None,
        simulator_settings: SimulatorSettings | None = None,
        *,
        speed: float = 1.0,
        user: str | None = None,
    ) -> None:
        self.world = world
        self.api_key = api_key
        self.user = user or world.service_account or _default_user(world)
        world.bind_key(api_key, self.user)
        self._request_ids = itertools.count(1)
        self._id_prefix = f"localfw-{id(self) & 0xFFFF:04x}"
        self.clock: Any = clock if clock is not None else ScaledClock(speed)
        self.simulator = JobSimulator(world, self.clock, simulator_settings)
        if isinstance(self.clock, SimClock):
            self.clock.listeners.append(self.simulator.tick)
        self.knobs = Knobs(seed=world.seed)
        self.requests = RequestLog()
        self.router = Router()
        ctx = Context(world, self.clock, self.simulator)
        # the site's knobs: max_page_size, default_page_size, filter_permissions,
        # roles_readable (see Context)
        self.context = ctx
        for routes in (
            routes_identity,
            routes_containers,
            routes_analyses,
            routes_jobs,
            routes_batches,
        ):
            routes.register(self.router, ctx)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # -- lifecycle ----------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> LocalFlywheel:
        handler = type("BoundHandler", (_Handler,), {"lf": self})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self.host, self.port = host, self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # stop() waits up to one poll
            name="localfw-http",
            daemon=True,
        )
        self._thread.start()
        if not isinstance(self.clock, SimClock):
            self.simulator.start()
        return self

    def stop(self) -> None:
        self.simulator.stop()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def sdk_api_key(self) -> str:
        return self._sdk_key(self.api_key)

    def key_for(self, user_id: str) -> str:
        """An SDK API key (``host:port:__force_insecure:KEY``) of that user of the world."""
        return self._sdk_key(self.world.key_for(user_id))

    def sdk_key_for(self, user_id: str) -> str:
        """The full SDK key string of the user with that ``_id`` (``key_for`` by its
        clearer name); revoke it with ``world.revoke_key``."""
        return self.key_for(user_id)

    def sdk_key_for_email(self, email: str) -> str | None:
        """The SDK key of the user whose email matches (any case), or None: what a person
        would paste into `/fw link`."""
        with self.world.lock:
            for uid, doc in self.world.users.items():
                if str(doc.get("email", "")).casefold() == email.casefold():
                    return self.key_for(str(uid))
        return None

    @property
    def admin_sdk_api_key(self) -> str:
        """An SDK API key of a site admin (root user), made if the world has none."""
        with self.world.lock:
            return self.key_for(self.world.site_admin())

    def next_request_id(self) -> str:
        return f"{self._id_prefix}-{next(self._request_ids):08d}"

    def _sdk_key(self, key: str) -> str:
        return f"{self.host}:{self.port}:__force_insecure:{key}"

    # -- request handling ----------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: Any, body: bytes
    ) -> tuple[int, Any, dict[str, str], str]:
        """Serve one request: (status, JSON body, extra headers, route template)."""
        rid = self.next_request_id()

        def _err(status: int, message: str) -> dict[str, Any]:
            return error_body(status, message, rid)

        parts = urlsplit(raw_path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if not path.startswith("/api"):
            return 404, _err(404, f"No route {path}"), {}, path
        path = path[len("/api") :] or "/"
        matched = self.router.match(method, path)
        route = matched[0].template if matched else (self.router.template_for(path) or path)
        if self.knobs.latency > 0:
            time.sleep(self.knobs.latency)
        injected = self.knobs.pick_error(method, path, route)
        if injected == "drop":
            raise _Drop(route)
        if injected is not None and injected != "drop-after":
            status = int(injected)
            extra = {"Retry-After": str(self.knobs.retry_after)} if status == 429 else {}
            return status, _err(status, f"injected {status}"), extra, route
        auth = headers.get("Authorization", "")
        scheme, _, key = auth.partition(" ")
        user = (
            self.world.api_keys.get(key) if scheme.lower() in ("scitran-user", "bearer") else None
        )
        if not key:
            return 401, _err(401, "User not logged in."), {}, route
        if user is None or user not in self.world.users:
            # core's APIKey.validate: an unknown (or revoked) key is APIAuthProviderException
            return 401, _err(401, "Invalid API key"), {}, route
        if self.knobs.is_hidden(path):
            return 405, _err(405, f"Method {method} not allowed on {path}"), {}, route
        if matched is None:
            status = 405 if self.router.template_for(path) else 404
            return status, _err(status, f"No route {method} {path}"), {}, route
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return 400, _err(400, "Request body is not JSON"), {}, route
        req = Request(method, path, query, payload, user, matched[1])
        try:
            result = matched[0].handler(req)
        except HttpError as exc:
            return exc.status, _err(exc.status, exc.message), {}, route
        if injected == "drop-after":
            raise _Drop(route)
        return 200, result, {}, route


class _Drop(Exception):
    def __init__(self, route: str) -> None:
        super().__init__(route)
        self.route = route


def error_body(status: int, message: str, request_id: str) -> dict[str, Any]:
    """Flywheel's error body; ``request_id`` is fresh for every request."""
    return {"message": message, "status_code": status, "request_id": request_id}


def _default_user(world: World) -> str:
    roots = [u for u, doc in world.users.items() if doc.get("root")]
    return (roots or list(world.users) or ["admin@local"])[0]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lf: LocalFlywheel

    def setup(self) -> None:
        super().setup()
        # headers and body go out as two writes; without this, Nagle plus
        # delayed ACKs add ~40 ms to every keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default
        return

    def handle(self) -> None:
        # a client that goes away (killed, say) is no error of the server's
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()

    def _serve(self) -> None:
        self.lf.requests.started()
        try:
            self._serve_counted()
        finally:
            self.lf.requests.finished()

    def _serve_counted(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        filt = dict(parse_qsl(parts.query)).get("filter")
        try:
            status, payload, extra, route = self.lf.handle(
                self.command, self.path, self.headers, body
            )
        except _Drop as drop:
            self.lf.requests.add(RequestRecord(self.command, drop.route, parts.path, filt, 0))
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        except Exception as exc:  # a bug in a handler: answer 500, keep serving
            status, payload, extra, route = (
                500,
                error_body(500, f"{type(exc).__name__}: {exc}", self.lf.next_request_id()),
                {},
                parts.path,
            )
        data = json.dumps(payload).encode()
        self.lf.requests.add(RequestRecord(self.command, route, parts.path, filt, status))
        self.send_response(status, REASONS.get(status))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_DELETE = _serve
