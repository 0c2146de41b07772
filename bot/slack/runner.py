"""Run the bolt app: Socket Mode (default, no public URL) or a threaded HTTP server.

HTTP mode serves ``POST /slack/events`` on a threading ``wsgiref`` server, so one
slow request never delays another's ack. Each request is checked before bolt sees
it (``bot.slack.http_requests``: size, UTF-8, timestamp, the form parsed as a form),
then bolt's signature check answers a bad or stale request with 401 before any
listener runs. Idle connections are dropped after 15 s, and at most
``MAX_CONNECTIONS`` are served at once. ``GET /healthz`` answers 200 for probes
(liveness); ``GET /readyz`` answers 503 with the reason until the start-up work that
needs Flywheel has succeeded (``bot.startup``), then 200 (readiness).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.settings import Settings
from bot.slack import http_requests

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
# None when ready, else why not ("starting: Flywheel unreachable (...)")
Readiness = Callable[[], str | None]


def socket_mode_handler(app: App, settings: Settings) -> SocketModeHandler:
    """The stdlib Socket Mode handler; ``apps.connections.open`` goes to ``slack_api_url``."""
    app_token = settings.secret("slack_app_token")
    web_client = WebClient(token=app_token, base_url=settings.slack_api_url)
    return SocketModeHandler(app, app_token=app_token, web_client=web_client)


def run_socket_mode(app: App, settings: Settings) -> None:
    """Connect to Slack over a WebSocket and block until interrupted."""
    handler = socket_mode_handler(app, settings)
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


def wsgi_app(app: App, readiness: Readiness | None = None) -> WsgiApp:
    """bolt behind fwbot's own checks (``bot.slack.http_requests``), plus a health check
    and a readiness check (ready at once without ``readiness``)."""

    def answer(start_response: Callable[..., Any], status: str, body: str) -> Iterable[bytes]:
        data = body.encode()
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(data))),
        ]
        start_response(status, headers)
        return [data]

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        if method == "GET" and path == HEALTH_PATH:
            return answer(start_response, "200 OK", "ok")
        if method == "GET" and path == READY_PATH:
            why = readiness() if readiness is not None else None
            if why is None:
                return answer(start_response, "200 OK", "ready")
            return answer(start_response, "503 Service Unavailable", why)
        if method != "POST" or path != EVENTS_PATH:
            return answer(start_response, "404 Not Found", "Not Found")
        body = http_requests.read_body(environ)
        if isinstance(body, http_requests.Refusal):
            return answer(start_response, body.status, body.body)
        refused = http_requests.check_timestamp(environ)
        if refused is not None:
            return answer(start_response, refused.status, refused.body)
        response = app.dispatch(http_requests.bolt_request(environ, body))
        headers = [(k, v) for k, values in response.headers.items() for v in values]
        start_response(f"{response.status} {HTTPStatus(response.status).phrase}", headers)
        return [response.body.encode()]

    return application


class HttpServer:
    """A running HTTP-mode server: ``port``, ``url``, ``serve_forever()``, ``shutdown()``."""

    def __init__(self, app: App, port: int, host: str, readiness: Readiness | None = None) -> None:
        self._server = make_server(
            host,
            port,
            wsgi_app(app, readiness),
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self.host = host
        self.port: int = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{EVENTS_PATH}"

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
    server = HttpServer(app, port, host, readiness)
    logger.info("fwbot: HTTP mode on http://%s:%s%s", host, server.port, EVENTS_PATH)
    return server
