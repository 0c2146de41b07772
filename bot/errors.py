"""Typed errors every layer raises and every adapter renders the same way.

Adapters never show a traceback: they render a ``FwbotError`` as a short
ephemeral message, and anything else as "something went wrong (ref XXXX)".
"""

from __future__ import annotations


class FwbotError(Exception):
    """Base class: ``str(err)`` is the user-facing sentence; ``hint`` says what to type instead."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def user_text(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class UsageError(FwbotError):
    """The command text could not be understood (unknown word, bad value, missing argument)."""


class NotFound(FwbotError):
    """A gear, project, config or batch does not exist (or is not visible to the actor)."""

    def __init__(self, kind: str, name: str, *, suggestions: list[str] | None = None) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = suggestions or []
        hint = None
        if self.suggestions:
            hint = "Did you mean " + ", ".join(f"`{s}`" for s in self.suggestions[:3]) + "?"
        super().__init__(f"No {kind} named `{name}`.", hint=hint)


class PermissionDenied(FwbotError):
    """The actor may not do this; the message says why and who can help."""


class IdentityError(FwbotError):
    """A Slack user could not be mapped to a Flywheel user."""


class FlywheelUnavailable(FwbotError):
    """Flywheel could not be reached or answered with a server error."""


class Conflict(FwbotError):
    """The request clashes with current state (e.g. the batch is already final)."""


class KeyRejected(FlywheelUnavailable):
    """Flywheel answered 401: the API key used for this call is wrong, expired or revoked.

    For fwbot's own key that is an outage (hence a ``FlywheelUnavailable``); for a person's
    linked key it means the link is dead and must be made again (``/fw link``)."""


class FlywheelBusy(FlywheelUnavailable):
    """Flywheel asked fwbot to slow down (429); nothing was done, so the call can be repeated."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, hint="fwbot retries on its own after the pause Flywheel asks.")
        self.retry_after = retry_after


class FlywheelRefused(FwbotError):
    """Flywheel understood the request and said no (a 4xx other than 401 and 429).

    ``status`` is Flywheel's HTTP status and ``detail`` its own message, so callers can
    tell "not allowed" (403) from "not there" (404) from "not valid" (400)."""

    HINTS = {
        403: "fwbot's Flywheel account lacks a role allowing this; a project admin can grant it.",
        404: "It may have been deleted, or fwbot's Flywheel account cannot see it.",
    }

    def __init__(self, status: int, detail: str, *, hint: str | None = None) -> None:
        detail = detail.rstrip(".")
        super().__init__(
            f"Flywheel refused this ({status}): {detail}.", hint=hint or self.HINTS.get(status)
        )
        self.status = status
        self.detail = detail
