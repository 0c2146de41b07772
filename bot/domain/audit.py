"""An audit event: one permission decision (allowed or refused) or error, as
`/fw history` shows it. The store keeps them; this is their shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Outcome = Literal["allowed", "refused", "error"]


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor_email: str
    actor_slack_id: str | None
    action: str
    project_label: str | None
    target: str
    outcome: Outcome
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
