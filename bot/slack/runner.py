"""Run the bolt app: Socket Mode (default, no public URL) or a threaded HTTP server.

HTTP mode serves ``POST /slack/events`` on a threading ``wsgiref`` server, so one
slow request never delays another's ack. Each request is checked before bolt sees
it (``bot.slack.http_requests``: size, UTF-8, timestamp, the form parsed as a form),
then bolt's signature check answers a bad or stale request with 401 before any
listener runs. Idle connections are dropped after 15 s, and at most
``MAX_CONNECTIONS`` are served at once.

Both modes serve the same three routes for probes and Prometheus (``health_answer``):
``GET /healthz`` answers 200 while the process serves at all (liveness); ``GET /readyz``
answers 503 with the reason while the bot cannot do its work (``bot.observe.health``:
start-up not done, or Flywheel, the database or Slack unreachable), else 200
(readiness); ``GET /metrics`` is the Prometheus page (``bot.observe.metrics``). HTTP mode
serves them on its own port; Socket Mode, which has no HTTP server for Slack, on a small
one of their own (``run_health``, on ``FWBOT_HEALTH_PORT``).

The ack histogram (``fwbot_ack_seconds``) is timed here, around bolt's dispatch: in HTTP
mode from the request's arrival (before its body is read and checked) to bolt's response,
in Socket Mode from the envelope's hand-over to the ack sent on the WebSocket. Only
dispatches bolt answered 200 (acks) are observed, not requests refused as unsigned.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk import WebClient
from slack_sdk.http_retry import default_retry_handlers
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.observe import metrics
from bot.settings import Settings
from bot.slack import http_requests
from bot.slack.metering import SlackApiMeter

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
TEXT = "text/plain; charset=utf-8"
# None when ready, else why not ("starting: Flywheel unreachable (...)")
Readiness = Callable[[], str | None]


class _TimedSocketModeHandler(SocketModeHandler):
    """bolt's stdlib Socket Mode handler, timing each envelope to its ack."""

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        started, wall = time.monotonic(), time.time()
        response = run_bolt_app(self.app, req)
        send_response(client, req, response, wall)
        if response.status == 200:
            metrics.observe_ack(time.monotonic() - started)


def socket_mode_handler(app: App, settings: Settings) -> SocketModeHandler:
    """The stdlib Socket Mode handler; ``apps.connections.open`` goes to ``slack_api_url``."""
    app_token = settings.secret("slack_app_token")
    web_client = WebClient(
        token=app_token,
        base_url=settings.slack_api_url,
        retry_handlers=[SlackApiMeter(), *default_retry_handlers()],
    )
    return _TimedSocketModeHandler(app, app_token=app_token, web_client=web_client)


def run_socket_mode(
    app: App, settings: Settings, handler: SocketModeHandler | None = None
) -> None:
    """Connect to Slack over a WebSocket (``handler``'s, or a new one's) and block until
    interrupted."""
    handler = handler or socket_mode_handler(app, settings)
    logger.info("fwbot: Socket Mode, connecting via %s", settings.slack_api_url)
    try:
        handler.start()
    finally:
        handler.close()


MAX_CONNECTIONS = 256  # served at once; more are closed at once rather than given a thread


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: a burst of Slack requests overflows it and
    # the kernel drops the handshake, so the ack waits for a SYN-ACK retry (1 s, 3 s, ...).
    request_queue_size = socket.SOMAXCONN

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):  # full: no thread for this one
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


class _QuietHandler(WSGIRequestHandler):
    # An idle or slow client holds a thread: drop it after this many seconds of silence.
    timeout = 15.0

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("http %s - %s", self.address_string(), format % args)


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def health_answer(
    method: str | None, path: str | None, readiness: Readiness | None
) -> tuple[str, str, bytes] | None:
    """(status, content type, body) for the probe and metrics routes, None for any other
    request: the same answers from the HTTP-mode server and Socket Mode's health server."""
    if method != "GET":
        return None
    if path == HEALTH_PATH:
        return "200 OK", TEXT, b"ok"
    if path == READY_PATH:
        why = readiness() if readiness is not None else None
        if why is None:
            return "200 OK", TEXT, b"ready"
        return "503 Service Unavailable", TEXT, why.encode()
    if path == METRICS_PATH:
        return "200 OK", metrics.CONTENT_TYPE, metrics.render()
    return None


def _answer(
    start_response: Callable[..., Any], status: str, body: bytes, content_type: str = TEXT
) -> Iterable[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def health_app(readiness: Readiness | None = None) -> WsgiApp:
    """Only ``/healthz``, ``/readyz`` and ``/metrics``: Socket Mode's health server."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        found = health_answer(environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), readiness)
        if found is None:
            return _answer(start_response, "404 Not Found", b"Not Found")
        status, content_type, body = found
        return _answer(start_response, status, body, content_type)

    return application


def wsgi_app(app: App, readiness: Readiness | None = None) -> WsgiApp:
    """bolt behind fwbot's own checks (``bot.slack.http_requests``), plus the health,
    readiness (ready at once without ``readiness``) and metrics routes."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.monotonic()
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        found = health_answer(method, path, readiness)
        if found is not None:
            status, content_type, data = found
            return _answer(start_response, status, data, content_type)
        if method != "POST" or path != EVENTS_PATH:
            return _answer(start_response, "404 Not Found", b"Not Found")
        body = http_requests.read_body(environ)
        if isinstance(body, http_requests.Refusal):
            return _answer(start_response, body.status, body.body.encode())
        refused = http_requests.check_timestamp(environ)
        if refused is not None:
            return _answer(start_response, refused.status, refused.body.encode())
        response = app.dispatch(http_requests.bolt_request(environ, body))
        if response.status == 200:
            metrics.observe_ack(time.monotonic() - started)
        headers = [(k, v) for k, values in response.headers.items() for v in values]
        start_response(f"{response.status} {HTTPStatus(response.status).phrase}", headers)
        return [response.body.encode()]

    return application


class HttpServer:
    """A running server: ``port``, ``url``, ``serve_forever()``, ``shutdown()``."""

    def __init__(
        self, application: WsgiApp, port: int, host: str, *, path: str = EVENTS_PATH
    ) -> None:
        self._server = make_server(
            host,
            port,
            application,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self.host = host
        self.port: int = self._server.server_address[1]
        self._path = path
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}{self._path}"

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.1)

    def start_in_thread(self) -> HttpServer:
        self._thread = threading.Thread(target=self.serve_forever, name="fwbot-http", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def run_http(
    app: App, port: int, host: str = "0.0.0.0", *, readiness: Readiness | None = None
) -> HttpServer:
    """Bind the server (port 0 picks a free one); then ``serve_forever`` or ``start_in_thread``."""
    server = HttpServer(wsgi_app(app, readiness), port, host)
    logger.info("fwbot: HTTP mode on http://%s:%s%s", host, server.port, EVENTS_PATH)
    return server


def run_health(
    port: int, host: str = "0.0.0.0", *, readiness: Readiness | None = None
) -> HttpServer:
    """Socket Mode's server for probes and Prometheus alone (port 0 picks a free one)."""
    server = HttpServer(health_app(readiness), port, host, path=HEALTH_PATH)
    logger.info(
        "fwbot: health and metrics on http://%s:%s (%s, %s, %s)",
        host,
        server.port,
        HEALTH_PATH,
        READY_PATH,
        METRICS_PATH,
    )
    return server
