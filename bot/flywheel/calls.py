"""Connecting to Flywheel and running one SDK call: the one place SDK and transport
errors become fwbot errors that name the site and say what Flywheel refused."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import flywheel
import httpx2

from bot.errors import FlywheelBusy, FlywheelRefused, FlywheelUnavailable, KeyRejected
from bot.flywheel.metering import meter_requests

T = TypeVar("T")
log = logging.getLogger(__name__)


def site_of(api_key: str) -> str:
    """The human name of the site an API key points at (``host:port``), never the secret."""
    parts = api_key.split(":")
    if len(parts) <= 2:
        return parts[0]
    return f"{parts[0]}:{parts[1]}"


def web_url_of(api_key: str) -> str:
    """Flywheel's web UI for an API key, read as the SDK reads the key
    (``config_from_api_key``: ``host:KEY`` is https on 443, ``host:port:...:KEY`` names the
    port, ``__force_insecure`` means http); never the secret."""
    parts = api_key.split(":")
    if len(parts) < 2 or not parts[0]:
        return ""
    scheme = "http" if "__force_insecure" in parts else "https"
    port = parts[1] if len(parts) > 2 else "443"
    default = (scheme, port) in (("https", "443"), ("http", "80"))
    return f"{scheme}://{parts[0]}" + ("" if default else f":{port}")


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
    meter_requests(client)  # every request, retries included: /metrics
    try:
        status = gateway_call(site, client.get_auth_status)
    except FlywheelRefused as exc:  # 404 and friends: something answers, not Flywheel
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
    client.fwbot_is_site_admin = bool(getattr(status, "user_is_admin", False))
    return client


def _limit_retries(client: Any, retries: int, backoff_max: float) -> None:
    rest = client._fw.api_client.rest_client.client
    transports = [rest._transport, *(m for m in rest._mounts.values() if m is not None)]
    for transport in transports:
        if hasattr(transport, "total"):
            transport.total = retries
            transport.backoff_max = backoff_max


TRY_AGAIN = "Flywheel may be down or restarting; try again in a minute."


def gateway_call(site: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one SDK call. A 401 or 5xx or a dead connection is ``FlywheelUnavailable``,
    a 429 ``FlywheelBusy`` (with Flywheel's Retry-After), any other 4xx ``FlywheelRefused``:
    no raw SDK exception ever leaves the gateway. Each call is one DEBUG line (what, how
    long, how it ended), under the request id of the command it serves."""
    name = getattr(fn, "__name__", "call")
    started = time.monotonic()
    outcome = "ok"
    try:
        return fn(*args, **kwargs)
    except flywheel.ApiException as exc:
        outcome = str(exc.status or "error")
        raise translate(site, exc) from exc
    except httpx2.TransportError as exc:
        outcome = type(exc).__name__
        raise FlywheelUnavailable(
            f"Cannot reach Flywheel at {site}: {type(exc).__name__}: {exc}".rstrip(": "),
            hint=TRY_AGAIN,
        ) from exc
    finally:
        if log.isEnabledFor(logging.DEBUG):
            elapsed_ms = (time.monotonic() - started) * 1000
            log.debug(
                "flywheel %s: %s in %.0f ms",
                name,
                outcome,
                elapsed_ms,
                extra={"flywheel_call": name, "outcome": outcome},
            )


def translate(site: str, exc: Any) -> FlywheelUnavailable | FlywheelRefused:
    status = int(exc.status or 0)
    if status == 401:
        return KeyRejected(
            f"Flywheel at {site} rejected the API key (401).",
            hint="Check FWBOT_FLYWHEEL_API_KEY.",
        )
    if status == 429:
        return FlywheelBusy(
            f"Flywheel at {site} is busy (429).", retry_after=_retry_after(exc.headers)
        )
    if 400 <= status < 500:
        return FlywheelRefused(status, _message_of(exc))
    return FlywheelUnavailable(
        f"Flywheel at {site} answered {status} {exc.reason or ''}".rstrip() + ".",
        hint=TRY_AGAIN,
    )


def _message_of(exc: Any) -> str:
    """Flywheel's own words: the SDK puts the body's ``message`` in ``reason``."""
    if exc.reason:
        return str(exc.reason)
    try:
        return str(json.loads(exc.body or "{}").get("message") or "no reason given")
    except ValueError:
        return "no reason given"


def _retry_after(headers: Any) -> float | None:
    value = (headers or {}).get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
