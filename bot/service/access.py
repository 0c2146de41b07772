"""Who may do what: Flywheel project roles plus the lab's policy, decided in one place.

A linked person's calls go out with their own key, so Flywheel itself stops them where
their role does; a person matched by email acts through fwbot's shared key, which Flywheel
cannot tell apart from fwbot, so this module must. Roles are read from the project's
permission list as the acting key sees it (keyed by the Flywheel user ``_id``): a person's
own key always shows their own entry; fwbot's shared key shows everyone's only where it is
a project admin, and elsewhere a missing person reads as "cannot tell", never "no role".
Every use case passes ``bot.service.door`` (which asks this module) before it touches
Flywheel; the access each use case needs is declared once, in ``bot.service.use_cases``;
every decision lands in the audit trail, one row per use case run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

from bot.domain import ROLE_RANK, Actor, ProjectMembers, ProjectRef, ProjectRole
from bot.errors import FlywheelRefused, NotFound, PermissionDenied
from bot.flywheel.gateway import FlywheelGateway
from bot.service.accounts.acting import (
    acting_for,
    as_service_account,
    for_the_rest_as_service_account,
)
from bot.service.door import decided, unchecked
from bot.service.policy import Policy
from bot.service.projects import project_not_found
from bot.service.use_cases import NEEDS, Access, UseCase
from bot.store.audit import AuditRepo

# What each access level needs to do in Flywheel, in the words of a refusal.
_NEEDS = {
    Access.READ: ("read-only", "read access"),
    Access.WRITE: ("read-write", "read-write access"),
    Access.MANAGE: ("admin", "to be its launcher or a project admin"),
}
ROLE_TTL_SECONDS = 30.0
MAX_ADMINS_NAMED = 3


class Authorizer:
    """Decides, explains refusals, and audits every decision."""

    def __init__(
        self,
        gateway: FlywheelGateway,
        policy: Policy,
        audit: AuditRepo,
        *,
        role_ttl: float = ROLE_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._gateway = gateway
        self.policy = policy
        self._audit = audit
        self._ttl = role_ttl
        self._clock = clock
        # (whose key read it, project id) -> (expiry, the list as that key saw it)
        self._roles: dict[tuple[str, str], tuple[float, ProjectMembers]] = {}
        self._lock = threading.Lock()

    # -- decisions ---------------------------------------------------------
    def authorize(
        self,
        actor: Actor,
        use_case: UseCase,
        *,
        project: ProjectRef | None = None,
        target: str = "",
        launcher: str | None = None,
        details: dict[str, Any] | None = None,
        unknown_to_outsiders: NotFound | None = None,
    ) -> ProjectRole:
        """Allow (and audit) or raise ``PermissionDenied`` (and audit), by the access the use
        case declares (``bot.service.use_cases.NEEDS``). Returns the actor's role.

        With ``unknown_to_outsiders`` (what a nonexistent target answers), an actor with no
        role on the project (and not a bot admin) is refused with that instead: the refusal
        is audited, but says nothing of the project or the target."""
        access = NEEDS[use_case]
        where: dict[str, Any] = {
            "use_case": use_case,
            "project_label": project.label if project else None,
            "target": target,
            "details": details,
        }
        if not self.policy.channel_allowed(actor.channel_id):
            self.refuse(actor, CHANNEL_REFUSED, reason="channel not allowed", **where)
        role: ProjectRole = "none"
        if project is not None:
            known = self.role_of(actor, project)
            if known is None:
                self._cannot_tell(actor, access, project, launcher, unknown_to_outsiders, where)
            role = known or "none"
        reason = self._why_not(actor, access, role, launcher)
        if reason is not None:
            if unknown_to_outsiders is not None and role == "none" and not actor.bot_admin:
                self._record(actor, "refused", reason="no role on project", **where)
                raise unknown_to_outsiders
            message = self._explain(access, role, project, launcher)
            self.refuse(actor, message, reason=reason, **where)
        self._record(actor, "allowed", reason=f"role {role}", **where)
        return role

    def project_for(
        self,
        actor: Actor,
        use_case: UseCase,
        label: str,
        *,
        target: str | None = None,
        launcher: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> ProjectRef:
        """The project a user typed, if they may run ``use_case`` on it: the one door from a
        typed label to a project (status, history, launch, subscribe).

        To someone with no role on it (and no fwbot admin) a project does not exist: the
        answer is word for word a made-up label's, nearest of their own projects included,
        and the refusal is audited under the label they typed. A fwbot admin whose own key
        is not shown the project reads it through fwbot's service account, for the rest of
        the command; a fwbot admin still needs their own role to launch."""
        where = {"use_case": use_case, "project_label": label, "target": target or label}
        project = self._gateway.find_project(label)
        borrowed = False
        if project is None and acting_for() is not None:  # a linked person's key
            with as_service_account():
                project = self._gateway.find_project(label)
            if project is not None and not actor.bot_admin:
                self._record(actor, "refused", reason="no role on project", **where)
                raise self._no_such_project(actor, label)
            borrowed = project is not None
        if project is None:
            self._record(actor, "refused", reason="no such project", **where)
            raise self._no_such_project(actor, label)
        hidden = NotFound("project", label)
        try:
            self.authorize(
                actor,
                use_case,
                project=project,
                target=where["target"],
                launcher=launcher,
                details=details,
                unknown_to_outsiders=hidden,
            )
        except NotFound as err:
            if err is not hidden:
                raise
            raise self._no_such_project(actor, label) from None
        if borrowed:
            for_the_rest_as_service_account()
        return project

    def _no_such_project(self, actor: Actor, label: str) -> NotFound:
        mine = list(self._gateway.all_project_roles(actor.user_key))
        return project_not_found(label, mine, actor)

    def refuse(
        self,
        actor: Actor,
        message: str,
        *,
        use_case: UseCase,
        reason: str,
        project_label: str | None = None,
        target: str = "",
        details: dict[str, Any] | None = None,
        hint: str | None = None,
    ) -> NoReturn:
        """Audit a refusal and raise it; also for policy rules other services decide."""
        self._record(
            actor,
            "refused",
            use_case=use_case,
            project_label=project_label,
            target=target,
            reason=reason,
            details=details,
        )
        raise PermissionDenied(message, hint=hint)

    @unchecked("what `/fw help` may offer: the actor's own roles, nothing decided")
    def capabilities(self, actor: Actor) -> frozenset[Access]:
        """The access levels the actor holds somewhere: what `/fw help` may offer them."""
        held = {Access.SITE}
        best = max(
            (ROLE_RANK[r] for r in self._gateway.all_project_roles(actor.user_key).values()),
            default=0,
        )
        if best >= ROLE_RANK["read-only"]:
            held.add(Access.READ)
        if best >= ROLE_RANK["read-write"]:
            held |= {Access.WRITE, Access.MANAGE}
        if actor.bot_admin:
            held |= {Access.READ, Access.MANAGE, Access.BOT_ADMIN}
        return frozenset(held)

    def role_of(self, actor: Actor, project: ProjectRef) -> ProjectRole | None:
        """The actor's role on the project; None when the acting key cannot tell (fwbot's
        shared key, not a project admin there, sees only its own entry)."""
        listed = project.listed_role_of(actor.user_key)
        if listed is not None:  # the listing that found the project showed their entry
            return listed
        members = self.project_members(project)
        role = members.roles.get(actor.user_key)
        if role is not None:
            return role
        if members.complete or actor.linked:  # a person's own key always shows their entry
            return "none"
        return None

    def project_members(self, project: ProjectRef) -> ProjectMembers:
        """The project's permission list as the acting key sees it, cached briefly per key:
        one Flywheel read per project and key per TTL. A key Flywheel refuses the project
        to (403, 404) has no role there."""
        who = acting_for()
        cache_key = (who.principal if who else "", project.project_id)
        now = self._clock()
        with self._lock:
            cached = self._roles.get(cache_key)
            if cached is not None and cached[0] > now:
                return cached[1]
        try:
            members = self._gateway.project_members(project.project_id)
        except FlywheelRefused as exc:
            if exc.status not in (403, 404):
                raise
            members = ProjectMembers(roles={}, complete=True)
        with self._lock:
            self._roles[cache_key] = (now + self._ttl, members)
        return members

    def forget_roles(self) -> None:
        """Read every role from Flywheel again on next use: a role changed there counts at
        once instead of after the cache's few seconds."""
        with self._lock:
            self._roles.clear()

    def project_roles(self, project: ProjectRef) -> dict[str, ProjectRole]:
        """user ``_id`` -> role, as far as the acting key can see."""
        return self.project_members(project).roles

    # -- internals ---------------------------------------------------------
    def _cannot_tell(
        self,
        actor: Actor,
        access: Access,
        project: ProjectRef,
        launcher: str | None,
        unknown_to_outsiders: NotFound | None,
        where: dict[str, Any],
    ) -> None:
        """fwbot's shared key cannot see the actor's role: allowed only where no role is
        needed; otherwise refused (audited) with the one thing that would let fwbot see."""
        if self._why_not(actor, access, "none", launcher) is None:
            return
        if unknown_to_outsiders is not None and not actor.bot_admin:
            # word for word what a made-up name gets (a typed project's answer, which
            # says how to let fwbot see, is built by `project_for`)
            self._record(actor, "refused", reason="role not visible to fwbot", **where)
            raise unknown_to_outsiders
        message = (
            f"fwbot cannot see your role on `{project.label}`: its Flywheel account is not a "
            "project admin there."
        )
        hint = (
            "Link your Flywheel account: `/fw link`."
            if actor.link_offered
            else "Ask a project admin to make fwbot's Flywheel account a project admin."
        )
        self.refuse(actor, message, reason="role not visible to fwbot", hint=hint, **where)

    def _why_not(
        self, actor: Actor, access: Access, role: ProjectRole, launcher: str | None
    ) -> str | None:
        rank = ROLE_RANK[role]
        if access is Access.SITE:
            return None
        if access is Access.BOT_ADMIN:
            return None if actor.bot_admin else "not a bot admin"
        if access is Access.READ:
            return None if rank >= 1 or actor.bot_admin else f"role {role}"
        if access is Access.WRITE:
            return None if rank >= 2 else f"role {role}"
        is_launcher = launcher is not None and launcher.casefold() == actor.email.casefold()
        if is_launcher or rank >= 3 or actor.bot_admin:
            return None
        return f"role {role}, not the launcher"

    def _explain(
        self,
        access: Access,
        role: ProjectRole,
        project: ProjectRef | None,
        launcher: str | None,
    ) -> str:
        if access is Access.BOT_ADMIN or project is None:
            admins = ", ".join(self.policy.bot_admins[:MAX_ADMINS_NAMED]) or "your Flywheel admin"
            return f"Only fwbot admins can do that. Ask {admins}."
        _needed_role, needed = _NEEDS[access]
        have = "no access" if role == "none" else f"{role} access"
        ask = self._admins_of(project)
        if access is Access.MANAGE and launcher:
            return (
                f"You have {have} to `{project.label}`; this needs {needed} "
                f"(launched by {launcher}). Ask {ask}."
            )
        return f"You have {have} to `{project.label}`; this needs {needed}. Ask {ask}."

    def _admins_of(self, project: ProjectRef) -> str:
        """Whom to ask: the project admins fwbot's own key can see (a person's key shows
        only their own entry)."""
        bot = self._gateway.service_account()
        with as_service_account():
            roles = self.project_roles(project)
        admins = sorted(u for u, r in roles.items() if r == "admin" and u != bot)
        if not admins:  # Flywheel shows members only to a project admin's key
            return f"a project admin of `{project.label}`"
        named = ", ".join(admins[:MAX_ADMINS_NAMED])
        return f"a project admin: {named}"

    def _record(self, actor: Actor, outcome: Any, **fields: Any) -> None:
        """One decision; inside a use case it is kept for that call's one audit row."""
        use_case: UseCase = fields["use_case"]
        event = {
            "actor_email": actor.email,
            "actor_slack_id": actor.slack_user_id,
            "outcome": outcome,
            "action": use_case.value,
            "project_label": fields.get("project_label"),
            "target": fields.get("target") or "",
            "reason": fields.get("reason") or "",
            "details": fields.get("details") or {},
        }
        decided(
            use_case,
            refused=outcome == "refused",
            write=lambda: self._audit.record_decision(**event),
        )


CHANNEL_REFUSED = "fwbot is not enabled in this channel. Ask a fwbot admin to allow it."
