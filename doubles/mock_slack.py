"""A local stand-in for Slack: Web API, response URLs and a Socket Mode WebSocket.

One stdlib ``ThreadingHTTPServer`` on a free port records every Web API call
(``/api/<method>``), every ``response_url`` post (``/response/<token>``), every file
shared through ``files_upload_v2``'s three steps (``files.getUploadURLExternal``, the
upload to ``/upload/<file id>``, ``files.completeUploadExternal``), answers 429 with
``Retry-After`` where a test asks (``rate_limit``) and a channel's error where the bot
was removed (``channel_errors``), sends the token's scopes in ``x-oauth-scopes``
(``oauth_scopes``), keeps the modals opened with ``views.open`` (which, as Slack's, needs
a ``trigger_id`` it has not seen before) so ``views.update`` and ``views.push`` answer for
them (``views()``), and speaks just enough RFC 6455 on ``/ws/<ticket>``
for slack_sdk's builtin Socket Mode client: handshake, masked client frames, ping/pong,
close. Tests read the records through ``calls()``, ``responses()``, ``files()`` and
``socket_acks()``, and wait for out-of-band answers with ``bench.polling.eventually``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bench.polling import eventually
from bot.check.scopes import BOT_SCOPES

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEAM_ID = "T0FWBOT"
BOT_USER_ID = "U0FWBOT"


@dataclass(frozen=True)
class ApiCall:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass(frozen=True)
class ResponsePost:
    token: str
    body: dict[str, Any]


@dataclass
class SlackUser:
    user_id: str
    email: str | None
    name: str = "someone"
    is_bot: bool = False


@dataclass(frozen=True)
class SharedFile:
    """A file shared by ``files_upload_v2``: its bytes, and where it was shared."""

    file_id: str
    filename: str
    title: str
    content: bytes
    channel: str | None
    thread_ts: str | None
    initial_comment: str | None


@dataclass
class _Records:
    api: list[ApiCall] = field(default_factory=list)
    responses: list[ResponsePost] = field(default_factory=list)
    socket_in: list[dict[str, Any]] = field(default_factory=list)
    files: list[SharedFile] = field(default_factory=list)


# Methods that name a channel, and so answer a channel's error (``channel_errors``).
CHANNEL_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral")


def dm_channel(user_id: str) -> str:
    """The id of a user's direct-message channel with the bot (``D`` ids, as Slack's)."""
    return "D" + user_id.removeprefix("U")


class MockSlack:
    """Start with ``MockSlack().start()``; ``api_url`` goes into ``Settings.slack_api_url``."""

    def __init__(self) -> None:
        self.users: dict[str, SlackUser] = {}
        self.api_errors: dict[str, str] = {}  # method -> Slack error code to answer with
        # channel -> error code for every chat.* call and file share there, as Slack answers
        # a channel the bot was removed from ("not_in_channel", "channel_not_found", ...)
        self.channel_errors: dict[str, str] = {}
        # method -> [calls still to refuse, Retry-After seconds]: HTTP 429, as Slack's
        # rate limiter answers (the call is recorded but does nothing)
        self.rate_limited: dict[str, list[int]] = {}
        self._uploads: dict[str, tuple[str, bytes | None]] = {}  # file id -> (name, bytes)
        self.reject_blocks = False  # response_url posts with blocks get 400 invalid_blocks
        # the token's scopes, sent as Slack does in every Web API answer's ``x-oauth-scopes``
        # header (default: all the app manifest asks for); None sends no header
        self.oauth_scopes: list[str] | None = list(BOT_SCOPES)
        self._records = _Records()
        self._changed = threading.Condition()
        self._ts = itertools.count(1)
        self._views: dict[str, dict[str, Any]] = {}  # view id -> the view as last shown
        self._triggers: set[str] = set()  # trigger_ids already exchanged for a view
        self._sockets: list[_WebSocket] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle -------------------------------------------------------
    def start(self) -> MockSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.close_sockets()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- addresses -------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, token: str) -> str:
        return f"{self.base_url}/response/{token}"

    # -- test set-up -----------------------------------------------------
    def add_user(
        self, user_id: str, email: str | None, name: str = "someone", *, is_bot: bool = False
    ) -> None:
        self.users[user_id] = SlackUser(user_id, email, name, is_bot)

    # -- records ---------------------------------------------------------
    def forget(self) -> None:
        """Drop what was recorded so far (e.g. the app's start-up ``auth.test``)."""
        with self._changed:
            self._records = _Records()

    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self._changed:
            return [c for c in self._records.api if method is None or c.method == method]

    def responses(self, token: str | None = None) -> list[ResponsePost]:
        with self._changed:
            return [r for r in self._records.responses if token is None or r.token == token]

    def files(self, channel: str | None = None) -> list[SharedFile]:
        """Files shared (upload completed), optionally only those in ``channel``."""
        with self._changed:
            return [f for f in self._records.files if channel is None or f.channel == channel]

    def views(self) -> dict[str, dict[str, Any]]:
        """The modals opened so far (view id -> the view as last opened or updated)."""
        with self._changed:
            return dict(self._views)

    def rate_limit(self, method: str, *, calls: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``calls`` calls of ``method`` with 429 and ``Retry-After``."""
        with self._changed:
            self.rate_limited[method] = [calls, retry_after]

    def _take_rate_limit(self, method: str) -> int | None:
        with self._changed:
            left = self.rate_limited.get(method)
            if not left or left[0] <= 0:
                return None
            left[0] -= 1
            return left[1]

    def socket_messages(self) -> list[dict[str, Any]]:
        """Every JSON text frame a Socket Mode client sent (acks carry ``envelope_id``)."""
        with self._changed:
            return list(self._records.socket_in)

    def socket_acks(self, envelope_id: str) -> list[dict[str, Any]]:
        return [m for m in self.socket_messages() if m.get("envelope_id") == envelope_id]

    def _record(self, kind: str, item: Any) -> None:
        with self._changed:
            getattr(self._records, kind).append(item)
            self._changed.notify_all()

    # -- Socket Mode -----------------------------------------------------
    def wait_for_socket(self) -> _WebSocket:
        """The most recently connected Socket Mode client (waits for one to connect)."""
        return eventually(lambda: list(self._sockets), "a Socket Mode connection")[-1]

    def close_sockets(self) -> None:
        """Close every WebSocket from the server side (a close frame, like Slack's refresh)."""
        for ws in list(self._sockets):
            ws.close()

    def send_envelope(self, envelope: dict[str, Any]) -> None:
        """Push an envelope to the most recently connected Socket Mode client."""
        self.wait_for_socket().send_text(json.dumps(envelope))

    # -- Web API answers -------------------------------------------------
    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method in self.api_errors:
            return {"ok": False, "error": self.api_errors[method]}
        channel_arg = str(args.get("channel") or args.get("channel_id") or "")
        if channel_arg in self.channel_errors and (
            method in CHANNEL_METHODS or method == "files.completeUploadExternal"
        ):
            return {"ok": False, "error": self.channel_errors[channel_arg]}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            with self._changed:
                self._uploads[file_id] = (str(args.get("filename") or ""), None)
            url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
            return {"ok": True, "upload_url": url, "file_id": file_id}
        if method == "files.completeUploadExternal":
            return self._complete_upload(args)
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fwbot-test.slack.com/",
                "team": "fwbot test",
                "user": "fwbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "B0FWBOT",
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            channel = args.get("channel", "")
            return {"ok": True, "channel": channel, "ts": ts, "message": {**args, "ts": ts}}
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts"), "text": ""}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
        if method == "users.info":
            return self._user_info(str(args.get("user", "")))
        if method == "conversations.open":  # a direct message with the user(s) named
            users = str(args.get("users") or "")
            if not users:
                return {"ok": False, "error": "users_list_not_supplied"}
            return {"ok": True, "channel": {"id": dm_channel(users.split(",")[0])}}
        if method == "conversations.info":
            cid = str(args.get("channel", ""))
            channel = {"id": cid, "name": f"chan-{cid.lower()}", "is_member": True}
            return {"ok": True, "channel": channel}
        if method in ("views.open", "views.push"):
            return self._open_view(args)
        if method == "views.update":
            return self._update_view(args)
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/ws/ticket-{next(self._ts)}"}
        return {"ok": False, "error": "unknown_method"}

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        listed = json.loads(args.get("files") or "[]")
        shared = []
        with self._changed:
            for entry in listed:
                name, content = self._uploads.pop(str(entry.get("id")), ("", None))
                if content is None:  # never uploaded: Slack refuses the completion
                    return {"ok": False, "error": "file_not_found"}
                shared.append(
                    SharedFile(
                        file_id=str(entry["id"]),
                        filename=name,
                        title=str(entry.get("title") or name),
                        content=content,
                        channel=args.get("channel_id") or None,
                        thread_ts=args.get("thread_ts") or None,
                        initial_comment=args.get("initial_comment") or None,
                    )
                )
        for item in shared:
            self._record("files", item)
        files = [{"id": f.file_id, "name": f.filename, "title": f.title} for f in shared]
        return {"ok": True, "files": files}

    def _open_view(self, args: dict[str, Any]) -> dict[str, Any]:
        """``views.open`` / ``views.push``: a trigger is exchanged once, within its life."""
        trigger = str(args.get("trigger_id") or args.get("interactivity_pointer") or "")
        view = _view_arg(args)
        if not trigger:
            return {"ok": False, "error": "invalid_arguments"}
        if view is None:
            return {"ok": False, "error": "invalid_arguments"}
        with self._changed:
            if trigger in self._triggers:
                return {"ok": False, "error": "exchanged_trigger_id"}
            self._triggers.add(trigger)
            view_id = f"V{next(self._ts):08d}"
            shown = self._shown(view_id, view)
            self._views[view_id] = shown
        return {"ok": True, "view": shown}

    def _update_view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _view_arg(args)
        view_id = str(args.get("view_id") or "")
        if view is None or not (view_id or args.get("external_id")):
            return {"ok": False, "error": "invalid_arguments"}
        with self._changed:
            if view_id not in self._views:
                return {"ok": False, "error": "not_found"}
            shown = self._shown(view_id, view)
            self._views[view_id] = shown
        return {"ok": True, "view": shown}

    def _shown(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """The view as Slack answers it: the caller's fields plus its id, team and hash."""
        return {
            **view,
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": "A0FWBOT",
            "bot_id": "B0FWBOT",
            "hash": f"{int(time.time())}.{next(self._ts):08d}",
            "state": {"values": {}},
        }

    def _user_info(self, user_id: str) -> dict[str, Any]:
        user = self.users.get(user_id)
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        profile: dict[str, Any] = {"real_name": user.name, "display_name": user.name}
        if user.email is not None:
            profile["email"] = user.email
        return {
            "ok": True,
            "user": {
                "id": user.user_id,
                "team_id": TEAM_ID,
                "name": user.name,
                "is_bot": user.is_bot,
                "deleted": False,
                "profile": profile,
            },
        }


def _view_arg(args: dict[str, Any]) -> dict[str, Any] | None:
    """The ``view`` argument: a JSON object (slack_sdk sends JSON bodies for views.*) or,
    from a form post, a JSON-encoded string."""
    view = args.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            return None
    return view if isinstance(view, dict) else None


def _handler_for(mock: MockSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            path = urlsplit(self.path)
            upgrade = self.headers.get("Upgrade", "").lower() == "websocket"
            if path.path.startswith("/ws/") and upgrade:
                self._websocket()
            elif path.path.startswith("/api/"):
                self._api(path.path[5:], dict(parse_qsl(path.query)))
            else:
                self._send_json(404, {"ok": False, "error": "not_found"})

        def do_POST(self) -> None:
            path = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if path.path.startswith("/api/"):
                args = dict(parse_qsl(path.query))
                args.update(self._parse_body(body))
                self._api(path.path[5:], args)
            elif path.path.startswith("/upload/"):
                file_id = path.path[len("/upload/") :]
                with mock._changed:
                    known = file_id in mock._uploads
                    if known:
                        mock._uploads[file_id] = (mock._uploads[file_id][0], body)
                if known:
                    self._send(200, b"OK - " + str(len(body)).encode(), "text/plain")
                else:
                    self._send(404, b"unknown upload", "text/plain")
            elif path.path.startswith("/response/"):
                token = path.path[len("/response/") :]
                payload = json.loads(body or b"{}")
                if mock.reject_blocks and payload.get("blocks"):
                    self._send(400, b"invalid_blocks", "text/plain")
                    return
                mock._record("responses", ResponsePost(token, payload))
                self._send(200, b"ok", "text/plain")
            else:
                self._send_json(404, {"ok": False, "error": "not_found"})

        def _parse_body(self, body: bytes) -> dict[str, Any]:
            ctype = self.headers.get("Content-Type", "")
            if not body:
                return {}
            if ctype.startswith("application/json"):
                parsed = json.loads(body)
                return parsed if isinstance(parsed, dict) else {"_body": parsed}
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))

        def _api(self, method: str, args: dict[str, Any]) -> None:
            auth = self.headers.get("Authorization", "")
            bearer = auth.startswith("Bearer ")
            token = auth[len("Bearer ") :] if bearer else args.pop("token", None)
            mock._record("api", ApiCall(method, args, token))
            retry_after = mock._take_rate_limit(method)
            if retry_after is not None:
                data = json.dumps({"ok": False, "error": "ratelimited"}).encode()
                self.send_response(429)
                self.send_header("Retry-After", str(retry_after))
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            answer = mock.answer(method, args)
            refused = answer.get("error") in ("invalid_auth", "not_authed", "token_revoked")
            scopes = None if refused else mock.oauth_scopes
            extra = {} if scopes is None else {"x-oauth-scopes": ",".join(scopes)}
            self._send_json(200, answer, extra)

        def _send_json(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload).encode()
            self._send(status, data, "application/json; charset=utf-8", headers)

        def _send(
            self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _websocket(self) -> None:
            key = self.headers.get("Sec-WebSocket-Key", "").strip()
            accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
            self.send_response(101, "Switching Protocols")
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.end_headers()
            self.wfile.flush()
            ws = _WebSocket(self.connection, mock)
            mock._sockets.append(ws)
            ws.send_text(json.dumps({"type": "hello", "num_connections": 1}))
            ws.serve()
            self.close_connection = True

    return Handler


class _WebSocket:
    """The server side of one WebSocket: unmasked frames out, masked frames in."""

    def __init__(self, sock: socket.socket, mock: MockSlack) -> None:
        self._sock = sock
        self._mock = mock
        self._send_lock = threading.Lock()
        self.closed = False

    def send_text(self, text: str) -> None:
        self._send_frame(0x1, text.encode("utf-8"))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._send_frame(0x8, struct.pack("!H", 1000))
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([n])
        elif n < 65536:
            header += bytes([126]) + struct.pack("!H", n)
        else:
            header += bytes([127]) + struct.pack("!Q", n)
        with self._send_lock:
            self._sock.sendall(header + payload)

    def _read_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self._sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("client went away")
            data += chunk
        return data

    def serve(self) -> None:
        """Read client frames until close: record text, answer pings."""
        self._sock.settimeout(None)
        try:
            while not self.closed:
                b1, b2 = self._read_exact(2)
                opcode, masked, n = b1 & 0x0F, b2 & 0x80, b2 & 0x7F
                if n == 126:
                    (n,) = struct.unpack("!H", self._read_exact(2))
                elif n == 127:
                    (n,) = struct.unpack("!Q", self._read_exact(8))
                mask = self._read_exact(4) if masked else b"\0\0\0\0"
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read_exact(n)))
                if opcode == 0x1:
                    self._mock._record("socket_in", json.loads(payload))
                elif opcode == 0x9:
                    self._send_frame(0xA, payload)
                elif opcode == 0x8:
                    self.close()
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            self.closed = True
