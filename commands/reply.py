"""What every /fw subcommand returns: one answer, rendered for Slack and for a terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReplyFile:
    """A file that goes with a reply (a CSV): shared privately with the user in Slack,
    written under the data directory by the console."""

    name: str  # e.g. ``gear_testing_qsiprep-hpc.csv``
    content: bytes
    title: str = ""


@dataclass(frozen=True)
class Reply:
    """An answer to show the user.

    ``text`` is Slack's top-level fallback (notifications, screen readers) and
    is always set; ``blocks`` is Block Kit within Slack's limits; ``console``
    is the plain-text rendering for the terminal adapter. ``ephemeral`` replies
    are seen only by the requester (errors, help); others go in the channel.
    ``error`` marks a refusal or mistake: a button click answered with one leaves
    the message it was on (and its buttons) in place; ``cause`` is the class of the
    ``FwbotError`` an error reply reports (the adapters count outcomes by it). ``files`` go
    with it; the adapter says where they went (``commands.render.message.with_note``).
    """

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    console: str = ""
    ephemeral: bool = True
    error: bool = False
    files: tuple[ReplyFile, ...] = ()
    cause: type[Exception] | None = field(default=None, compare=False, repr=False)

    def console_text(self) -> str:
        return self.console or self.text
