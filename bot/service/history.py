"""`/fw history`: the audit trail, for those who may read it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Actor, AuditEvent
from bot.flywheel.gateway import FlywheelGateway
from bot.service.access import Authorizer
from bot.service.door import Door, use_case
from bot.service.use_cases import UseCase
from bot.store.audit import AuditRepo

DEFAULT_LIMIT = 15
# Routine reads: their allowed events would bury launches and cancels; refusals still show.
# Allowed routine reads are left out of `/fw history`: they would drown what matters.
QUIET_ACTIONS = tuple(
    u.value
    for u in (
        UseCase.GEARS_LIST,
        UseCase.GEAR_SHOW,
        UseCase.CONFIGS_LIST,
        UseCase.CONFIG_SHOW,
        UseCase.HISTORY_OWN,
        UseCase.HISTORY_PROJECT,
    )
)


@dataclass(frozen=True)
class History:
    """Recent audit events and what they cover ("gear_testing", "you", "everyone")."""

    scope: str
    events: list[AuditEvent]


class HistoryService:
    def __init__(self, gateway: FlywheelGateway, access: Authorizer, audit: AuditRepo) -> None:
        self._gateway = gateway
        self._door = Door(access)
        self._audit = audit

    @use_case(UseCase.HISTORY_PROJECT, UseCase.HISTORY_OWN)
    def recent(
        self, actor: Actor, project_label: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> History:
        """A project's events (needs read access), else everyone's for a bot admin,
        else the actor's own."""
        if project_label is not None:
            project = self._door.project(actor, UseCase.HISTORY_PROJECT, project_label)
            return History(project.label, self._recent(limit, project_label=project.label))
        self._door.site(actor, UseCase.HISTORY_OWN)
        if actor.bot_admin:
            return History("everyone", self._recent(limit))
        return History("you", self._recent(limit, actor_email=actor.email))

    def _recent(self, limit: int, **where: str) -> list[AuditEvent]:
        return self._audit.recent(limit, hide_allowed=QUIET_ACTIONS, **where)
