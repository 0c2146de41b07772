"""The checks of `fwbot check`, one function each, in the order they run.

Each takes the ``Context`` the earlier ones filled in (settings, policy, a connected
Flywheel gateway) and returns one ``CheckResult``: pass, fail, warn (works, but worth
knowing) or skip (cannot run because an earlier check failed; that one already makes
the exit code non-zero). Nothing here writes anywhere: the database is only read, no
Socket Mode connection is made, nothing is launched.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from bot.errors import FwbotError
from bot.settings import Settings, SettingsError, SlackMode, env_name, load_settings, require_slack

if TYPE_CHECKING:
    from bot.flywheel.sdk_gateway import SdkGateway
    from bot.service.policy import Policy

Status = Literal["pass", "fail", "warn", "skip"]

MIGRATE_FIX = (
    "run `fwbot migrate` (or start `fwbot serve`: it migrates the database to the newest "
    "schema when it starts; see deploy/README.md, Migrations)"
)


@dataclass(frozen=True)
class CheckResult:
    """One line of the report; ``fix`` says what to do about a fail or a warning."""

    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass
class Context:
    """What the checks learn as they go, for the checks after them."""

    mode: SlackMode
    settings: Settings | None = None
    policy: Policy | None = None  # once the policy file loaded
    gateway: SdkGateway | None = None  # once Flywheel answered
    client: Any = None  # the gateway's flywheel.Client (the paging check asks it directly)
    roles_readable: bool | None = None  # GET /roles, once the roles check asked
    roles_told: bool = True  # False: without GET /roles no role can be told at all
    flywheel_user: str | None = None
    site_admin: bool = False
    secrets: list[str] = field(default_factory=list)  # never printed (report.redact)


def _pass(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "pass", detail)


def _fail(name: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(name, "fail", detail, fix)


def _skip(name: str, why: str) -> CheckResult:
    return CheckResult(name, "skip", why)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _listed(items: list[str], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _mode_name(mode: SlackMode) -> str:
    return "Socket Mode" if mode == "socket" else "HTTP mode"


# -- 1. settings -------------------------------------------------------------------------


def check_settings(ctx: Context) -> CheckResult:
    """``load_settings`` and what ``fwbot serve`` requires for the mode, plus the Flywheel key."""
    name = "settings"
    try:
        settings = load_settings()
    except SettingsError as err:
        return _fail(
            name,
            err.message,
            "correct them in the environment or the .env file (README.md, Configuration)",
        )
    ctx.settings = settings
    ctx.secrets.extend(
        settings.secret(f)
        for f in ("slack_bot_token", "slack_app_token", "slack_signing_secret", "flywheel_api_key")
    )
    ctx.secrets.extend(settings.secret("link_encryption_keys").split(","))
    problems: list[str] = []
    fixes: list[str] = []
    try:
        require_slack(settings, ctx.mode)
    except SettingsError as err:
        problems.append(err.message.rstrip("."))
        fixes.append(
            "set them in the environment or the .env file (README.md, Install the Slack app)"
        )
        if ctx.mode == "socket" and settings.secret("slack_signing_secret"):
            fixes.append("if fwbot runs `serve --http`, check that mode: `fwbot check --mode http`")
    if not settings.secret("flywheel_api_key").strip():
        problems.append(f"missing {env_name('flywheel_api_key')}")
        fixes.append(
            f"set {env_name('flywheel_api_key')} to the service account's API key "
            "(host:KEY, from its Flywheel profile page)"
        )
    if problems:
        return _fail(name, "; ".join(problems), "; ".join(fixes))
    where = " (with .env)" if Path(".env").is_file() else ""
    return _pass(name, f"ok for {_mode_name(ctx.mode)}{where}")


def _needs_settings(name: str, ctx: Context) -> CheckResult | None:
    if ctx.settings is None:
        return _skip(name, "needs valid settings (see settings)")
    return None


# -- 1b. accounts ------------------------------------------------------------------------

LINK_KEYS = env_name("link_encryption_keys")
ACCOUNTS = env_name("accounts")
MODE_MEANS = {
    "linked": "each person acts with their own linked key (`/fw link`)",
    "shared": "fwbot acts with its own key; people are matched by email",
    "both": "a linked person acts with their own key, anyone else through fwbot's key "
    "(matched by email)",
}


def check_accounts(ctx: Context) -> CheckResult:
    """``FWBOT_ACCOUNTS`` and, where linking is on, ``FWBOT_LINK_ENCRYPTION_KEYS`` (the
    ``Keybox`` parses it; the keys are never printed)."""
    from bot.service.accounts.keybox import Keybox, KeyboxError

    name = "accounts"
    if (skipped := _needs_settings(name, ctx)) is not None:
        return skipped
    assert ctx.settings is not None
    mode = ctx.settings.accounts
    said = f"{ACCOUNTS}={mode}: {MODE_MEANS[mode]}"
    text = ctx.settings.secret("link_encryption_keys")
    make = f"make one with `fwbot link-key` and set {LINK_KEYS} (docs/permissions.md)"
    if mode == "shared":
        extra = f"; {LINK_KEYS} is set but unused" if text.strip() else ""
        return _pass(name, f"{said} (linking off){extra}")
    if not text.strip():
        if mode == "linked":
            return _fail(
                name,
                f"{said}, but {LINK_KEYS} is not set: nobody can link, so nobody can use fwbot",
                make,
            )
        return CheckResult(
            name,
            "warn",
            f"{said}, but {LINK_KEYS} is not set: linking off: people are matched by email only",
            f"{make}, or say so: {ACCOUNTS}=shared",
        )
    try:
        box = Keybox(text)
    except KeyboxError as err:
        return _fail(
            name,
            f"{said}, but {LINK_KEYS} is malformed: not a list of Fernet keys (32 url-safe "
            "base64-encoded bytes each, separated by commas)",
            f"{make}; keep the old keys after the new one while linked keys use them "
            f"({err.hint or 'fwbot rotate-link-keys'})",
        )
    keys = _count(box.key_count, "encryption key")
    return _pass(name, f"{said}; linking on ({keys}, the first encrypts)")


# -- 2. policy ---------------------------------------------------------------------------


def check_policy(ctx: Context) -> CheckResult:
    """The policy file loads (``load_policy``): unknown keys and bad values are errors."""
    from bot.service.policy import Policy, PolicyError, load_policy

    name = "policy"
    if (skipped := _needs_settings(name, ctx)) is not None:
        return skipped
    assert ctx.settings is not None
    path = ctx.settings.policy_file
    if path is None:
        ctx.policy = Policy()
        return _pass(
            name,
            f"no policy file ({env_name('policy_file')} unset): Flywheel's project roles "
            "alone decide who may do what",
        )
    try:
        policy = load_policy(path)
    except PolicyError as err:
        return _fail(
            name,
            err.message,
            f"correct {path} (deploy/policy.example.yml shows every key), or unset "
            f"{env_name('policy_file')}",
        )
    ctx.policy = policy
    projects = sorted(policy.projects)
    channels = _count(len(policy.allowed_channels), "channel") if policy.allowed_channels else "any"
    return _pass(
        name,
        f"{path} ok: {_count(len(projects), 'project')} ({_listed(projects) or 'none'}), "
        f"{_count(len(policy.bot_admins), 'fwbot admin')}, channels: {channels}",
    )


# -- 3. Slack ----------------------------------------------------------------------------

SLACK_TOKEN_REFUSED = {
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "not_allowed_token_type",
}


def _web_client(settings: Settings, token: str | None) -> Any:
    from slack_sdk import WebClient

    return WebClient(token=token, base_url=settings.slack_api_url, timeout=15)


def _slack_failure(exc: Exception, settings: Settings) -> tuple[str, str | None]:
    """(Slack's error code or a transport problem, the code or None)."""
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
        return code, code
    return f"cannot reach Slack at {settings.slack_api_url}: {_first_line(exc)}", None


def check_slack(ctx: Context) -> CheckResult:
    """``auth.test`` with the bot token, and the scopes Slack says the token has."""
    from bot.check.scopes import granted_scopes, manifest_path, needed_scopes

    name = "slack"
    if (skipped := _needs_settings(name, ctx)) is not None:
        return skipped
    settings = ctx.settings
    assert settings is not None
    token = settings.secret("slack_bot_token").strip()
    if not token:
        return _skip(name, f"needs {env_name('slack_bot_token')}")
    try:
        answer = _web_client(settings, token).auth_test()
    except Exception as exc:
        problem, code = _slack_failure(exc, settings)
        if code in SLACK_TOKEN_REFUSED:
            return _fail(
                name,
                f"auth.test: Slack refused the bot token ({code})",
                f"copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions "
                f"page into {env_name('slack_bot_token')}; if the app was uninstalled, "
                "install it again",
            )
        if code == "ratelimited":
            return _fail(name, "auth.test: Slack rate-limited this check", "try again in a minute")
        if code is not None:
            return _fail(name, f"auth.test: Slack answered {code}", "see api.slack.com/methods")
        return _fail(
            name,
            f"auth.test: {problem}",
            "check this machine's network (proxy, firewall) to slack.com"
            + (f", and {env_name('slack_api_url')}" if "slack.com" not in problem else ""),
        )
    who = f'auth.test ok as @{answer.get("user")} in "{answer.get("team")}"'
    granted = granted_scopes(dict(answer.headers or {}))
    needed = needed_scopes(ctx.mode)
    if granted is None:
        return CheckResult(
            name,
            "warn",
            f"{who}; Slack did not say which scopes the token has, so they were not checked",
            f"compare the app's Bot Token Scopes with {manifest_path(ctx.mode).name} by hand",
        )
    missing = [s for s in needed if s not in granted]
    if missing:
        return _fail(
            name,
            f"{who}; the bot token lacks the scopes {', '.join(missing)}",
            "add them on the app's OAuth & Permissions page (Bot Token Scopes), or make the app "
            f"again from deploy/{manifest_path(ctx.mode).name}, then reinstall the app to the "
            "workspace",
        )
    return _pass(name, f"{who}; scopes ok")


def check_slack_mode(ctx: Context) -> CheckResult:
    """Socket Mode: the app-level token opens a connection URL (``apps.connections.open``;
    never connected to). HTTP mode: the signing secret is set."""
    if ctx.mode == "http":
        return _check_signing_secret(ctx)
    name = "socket-mode"
    if (skipped := _needs_settings(name, ctx)) is not None:
        return skipped
    settings = ctx.settings
    assert settings is not None
    app_token = settings.secret("slack_app_token").strip()
    if not app_token:
        return _skip(name, f"needs {env_name('slack_app_token')}")
    try:
        _web_client(settings, None).apps_connections_open(app_token=app_token)
    except Exception as exc:
        problem, code = _slack_failure(exc, settings)
        if code in SLACK_TOKEN_REFUSED or code == "missing_scope":
            return _fail(
                name,
                f"apps.connections.open: Slack refused the app-level token ({code})",
                "the app's Basic Information page -> App-Level Tokens: generate a token with "
                f"the connections:write scope and set {env_name('slack_app_token')} (xapp-...); "
                "Socket Mode must be enabled in the app",
            )
        return _fail(
            name,
            f"apps.connections.open: {problem}",
            "check this machine's network to slack.com (Socket Mode dials out over HTTPS "
            "and WebSocket)",
        )
    return _pass(name, "the app-level token opens Socket Mode connections (not connected)")


def _check_signing_secret(ctx: Context) -> CheckResult:
    name = "http-mode"
    if (skipped := _needs_settings(name, ctx)) is not None:
        return skipped
    assert ctx.settings is not None
    if not ctx.settings.secret("slack_signing_secret").strip():
        return _fail(
            name,
            f"{env_name('slack_signing_secret')} is not set: every request from Slack would "
            "be refused",
            "copy the Signing Secret from the app's Basic Information page (App Credentials)",
        )
    return _pass(
        name,
        f"{env_name('slack_signing_secret')} is set (Slack's first request will prove it: "
        "a wrong one answers 401)",
    )


# -- 4. Flywheel -------------------------------------------------------------------------


def check_flywheel(ctx: Context) -> CheckResult:
    """The site answers, the key is valid, whose key it is and whether a site admin."""
    from bot.flywheel.calls import connect, gateway_call, site_of
    from bot.flywheel.sdk_gateway import SdkGateway

    name = "flywheel"
    if (skipped := _needs_settings(name, ctx)) is not None:
        return skipped
    assert ctx.settings is not None
    key = ctx.settings.secret("flywheel_api_key").strip()
    if not key:
        return _skip(name, f"needs {env_name('flywheel_api_key')}")
    site = site_of(key)
    try:
        client = connect(key, retries=1, backoff_max=2.0, timeout=20.0)
    except FwbotError as err:
        return _fail(name, err.message, _flywheel_fix(err))
    gateway = SdkGateway(client, site)
    user = gateway_call(site, client.get_current_user)
    user_id = str(getattr(user, "id", None) or gateway.service_account() or "")
    email = str(getattr(user, "email", None) or "")
    full = " ".join(p for p in (getattr(user, "firstname", ""), getattr(user, "lastname", "")) if p)
    ctx.gateway = gateway
    ctx.client = client
    ctx.flywheel_user = user_id
    ctx.site_admin = gateway.is_site_admin()
    who = user_id if not email or email == user_id else f"{user_id} ({email})"
    who += f", {full}" if full else ""
    if ctx.site_admin:
        return CheckResult(
            name,
            "warn",
            f"{site}: key ok, user {who}; a site admin: works, but fwbot needs no more "
            "than project roles",
            "use a plain service account's key with read-write on the lab's projects "
            "(docs/permissions.md)",
        )
    return _pass(
        name,
        f"{site}: key ok, user {who}; not a site admin: fine; fwbot sees only projects where "
        "this user has a role",
    )


def check_roles(ctx: Context) -> CheckResult:
    """``GET /roles`` readable by the key: role ids are the site's own, so it is how fwbot
    reads a permission entry as a role."""
    from bot.errors import FlywheelRefused

    name = "roles"
    if ctx.gateway is None:
        return _skip(name, "needs Flywheel (see flywheel)")
    ctx.roles_readable = ctx.gateway.can_read_roles()
    if ctx.roles_readable:
        return _pass(name, "GET /roles is readable: every role (custom ones too) maps to a level")
    ask = (
        "ask a site admin to let fwbot's account read the site's roles (GET /roles), "
        "or use a key that may (docs/permissions.md)"
    )
    try:  # does the gateway still tell a role without the site's roles?
        ctx.gateway.all_project_roles(ctx.flywheel_user or "")
    except FlywheelRefused as exc:
        if exc.status != 403:
            raise
        ctx.roles_told = False
        return _fail(
            name,
            "fwbot's key may not read GET /roles (403): role ids are the site's own, the "
            "built-in roles' too, so fwbot cannot read any permission entry as a role and "
            'refuses everything that needs one ("may not read the site\'s roles")',
            ask,
        )
    return CheckResult(
        name,
        "warn",
        "fwbot's key may not read GET /roles (403): the built-in roles are read from each "
        "permission entry, but a custom role cannot be mapped to a level",
        ask,
    )


def _flywheel_fix(err: FwbotError) -> str:
    if "401" in err.message:
        return (
            "make a new API key on the service account's Flywheel profile page and set "
            f"{env_name('flywheel_api_key')} (host:KEY)"
        )
    return (
        f"check the host and port in {env_name('flywheel_api_key')} and that this machine "
        "can reach the site (proxy, firewall, VPN)"
    )


def check_projects(ctx: Context) -> CheckResult:
    """The key's role on each project the policy names: launching needs read-write."""
    from bot.domain import ROLE_RANK

    name = "projects"
    if ctx.gateway is None:
        return _skip(name, "needs Flywheel (see flywheel)")
    if ctx.policy is None:
        return _skip(name, "needs a valid policy file (see policy)")
    if not ctx.roles_told:
        return _skip(name, "needs the site's roles (see roles)")
    user = ctx.flywheel_user or "fwbot's account"
    roles: dict[str, str] = dict(ctx.gateway.all_project_roles(user))
    rules = dict(ctx.policy.projects)
    if not rules:
        have = [f"{label} ({role})" for label, role in sorted(roles.items())]
        if not have and not ctx.site_admin:
            return CheckResult(
                name,
                "warn",
                f"the policy names no projects, and {user} has a role on none: fwbot can "
                "read and launch nothing",
                f"in Flywheel, give {user} read-write on the lab's projects (project -> "
                "Permissions)",
            )
        return _pass(
            name,
            f"the policy names no projects; {user} has a role on {len(have)}: "
            f"{_listed(have) or 'none (a site admin sees all)'}",
        )
    ok: list[str] = []
    problems: list[str] = []
    fixes: list[str] = []
    for label in sorted(rules):
        gears = rules[label].gears
        launches = gears is None or len(gears) > 0
        role = roles.get(label)
        if role is None:
            if ctx.site_admin:  # sees every project: none has that label
                if ctx.gateway.find_project(label) is not None:
                    ok.append(f"{label} (site admin)")
                    continue
                problems.append(f"{label}: no project on the site has that label")
                fixes.append(f"correct `{label}` in the policy file (keys are project labels)")
                continue
            problems.append(f"{label}: {user} has no role there (or no project has that label)")
            fixes.append(
                f"in Flywheel, give {user} {'read-write' if launches else 'read-only'} on "
                f"{label} (project -> Permissions), or correct the label in the policy file"
            )
        elif launches and ROLE_RANK[role] < ROLE_RANK["read-write"]:
            what = "any gear" if gears is None else ", ".join(gears)
            problems.append(f"{label}: {user} is {role}, but the policy lets it launch {what}")
            fixes.append(
                f"give {user} read-write on {label} (or a custom role with the launch actions, "
                "docs/permissions.md)"
            )
        else:
            ok.append(f"{label} ({role})")
    if problems:
        also = f" (ok: {_listed(ok)})" if ok else ""
        return _fail(name, "; ".join(problems) + also, "; ".join(fixes))
    return _pass(name, f"{user} has the role each policy project needs: {_listed(ok)}")


MEMBERS_PROBE = 20  # at most this many projects' single GETs when the policy names none


def check_members(ctx: Context) -> CheckResult:
    """Whether fwbot's key sees each project's whole permission list (``project_members``
    ``.complete``): with the shared key that is how fwbot tells people's roles."""
    name = "members"
    if ctx.gateway is None:
        return _skip(name, "needs Flywheel (see flywheel)")
    if ctx.policy is None:
        return _skip(name, "needs a valid policy file (see policy)")
    if not ctx.roles_told:
        return _skip(name, "needs the site's roles (see roles)")
    mode = ctx.settings.accounts if ctx.settings is not None else "both"
    if mode == "linked":
        return _pass(
            name,
            f"{ACCOUNTS}=linked: each person's own key reads their role; fwbot's key "
            "needs not see the members",
        )
    user = ctx.flywheel_user or "fwbot's account"
    if ctx.site_admin:
        return _pass(name, f"{user} is a site admin: it sees every project's members")
    gateway = ctx.gateway
    labels = sorted(ctx.policy.projects)
    if not labels:
        labels = sorted(gateway.all_project_roles(ctx.flywheel_user or ""))[:MEMBERS_PROBE]
        if not labels:
            return _pass(name, f"{user} has a role on no project: no members to see")
    sees: list[str] = []
    blind: list[str] = []
    for label in labels:
        project = gateway.find_project(label)
        if project is None:
            continue  # the projects line says so
        (sees if gateway.project_members(project.project_id).complete else blind).append(label)
    if not blind:
        if not sees:
            return _skip(name, "no project to look at (see projects)")
        return _pass(name, f"{user} sees the members' roles on {_listed(sees)}")
    where = _listed(blind)
    also = f" (sees them on {_listed(sees)})" if sees else ""
    blind_text = (
        f"{user} sees only its own entry on {where}, not the members' roles: it is not a "
        f"project admin there{also}"
    )
    admin_fix = f"make fwbot's Flywheel account a project admin on {where}"
    if mode == "shared":
        return _fail(
            name,
            f"{ACCOUNTS}=shared and {blind_text}: nobody can use fwbot there",
            f"{admin_fix} (or use linked accounts: {ACCOUNTS}=both)",
        )
    return CheckResult(
        name,
        "warn",
        f"{blind_text}: unlinked people get 'link your account' there",
        f"{admin_fix}, or have people `/fw link` their own keys",
    )


def check_paging(ctx: Context) -> CheckResult:
    """What the site answers a listing without ``limit`` (gears: every key may list them),
    against the same listing paged: two or three requests."""
    from bot.flywheel import paging
    from bot.flywheel.calls import gateway_call

    name = "paging"
    if ctx.gateway is None or ctx.client is None:
        return _skip(name, "needs Flywheel (see flywheel)")
    client, site = ctx.client, ctx.gateway.site

    def listing(**kwargs: Any) -> list[dict[str, Any]]:
        response = gateway_call(site, client.get_all_gears, _preload_content=False, **kwargs)
        answer = json.loads(response.content)
        return list(answer if isinstance(answer, list) else answer.get("results") or [])

    plain = len(listing())
    paged = sum(1 for _ in paging.every_item(lambda n, at: listing(**paging.page_args(n, at))))
    if plain < paged:
        return _pass(
            name,
            f"this site answers a listing without limit with {plain} items (of {paged} gears): "
            "fwbot always pages",
        )
    return _pass(
        name,
        f"cannot tell the site's default page: a listing without limit answered all {paged} "
        "gears (fewer than any page); fwbot always pages",
    )


# -- 5. database -------------------------------------------------------------------------


def check_database(ctx: Context) -> CheckResult:
    """Reachable and at the newest schema (Alembic head); read only, never migrated here."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from bot.store.db import MIGRATIONS_DIR, normalize_url

    name = "database"
    if (skipped := _needs_settings(name, ctx)) is not None:
        return skipped
    assert ctx.settings is not None
    url = make_url(normalize_url(ctx.settings.resolved_database_url()))
    if url.password:
        ctx.secrets.append(str(url.password))
    shown = url._replace(password=None).render_as_string(hide_password=False)  # no password
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return _fail(name, f"{shown} is not a file", f"set {env_name('database_url')}")
        path = Path(url.database)
        shown = str(path)
        if not path.is_file():
            return _fail(name, f"no database at {path} yet (not migrated)", MIGRATE_FIX)
        uri = f"file:{quote(path.resolve().as_posix())}?mode=ro"  # read only
        engine = create_engine(
            "sqlite://", poolclass=NullPool, creator=lambda: sqlite3.connect(uri, uri=True)
        )
    else:
        timeout = {"connect_timeout": 5} if url.get_backend_name() == "postgresql" else {}
        engine = create_engine(url, poolclass=NullPool, connect_args=timeout)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:
        return _fail(
            name,
            f"cannot open {shown}: {_first_line(getattr(exc, 'orig', None) or exc)}",
            f"check {env_name('database_url')} (host, port, user, password, database name) "
            "and that the database server is up",
        )
    finally:
        engine.dispose()
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    heads = set(script.get_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    newest = ", ".join(sorted(heads))
    if current == heads:
        return _pass(name, f"{shown}: schema at the newest revision ({newest})")
    if not current:
        return _fail(name, f"{shown}: no fwbot schema (not migrated)", MIGRATE_FIX)
    at = ", ".join(sorted(current))
    if current <= known:
        return _fail(
            name, f"{shown}: schema at revision {at}, this fwbot needs {newest}", MIGRATE_FIX
        )
    return _fail(
        name,
        f"{shown}: schema at revision {at}, which this fwbot does not know (a newer fwbot "
        "migrated it)",
        "run the fwbot version that migrated this database, or a newer one",
    )


# -- 6. saved configs --------------------------------------------------------------------


def check_configs(ctx: Context) -> CheckResult:
    """Every saved config loads and fits its gear's manifest on the site (the same checks
    as `/fw configs`: ``ConfigLibrary`` and ``manifest_problems``)."""
    from bot.domain import GearDetail
    from bot.service.configs import ConfigLibrary, SavedConfig, manifest_problems

    name = "configs"
    if (skipped := _needs_settings(name, ctx)) is not None:
        return skipped
    assert ctx.settings is not None
    directory = ctx.settings.configs_dir
    fix = f"edit the files in {directory}; `/fw gear NAME` lists a gear's versions and options"
    if not directory.is_dir():
        return CheckResult(
            name,
            "warn",
            f"no configs directory at {directory}: launches without a saved config use the "
            "gear's defaults",
            f"set {env_name('configs_dir')} to the directory of the lab's saved configs",
        )
    entries = ConfigLibrary(directory).entries()
    if not entries:
        return _pass(name, f"no saved configs in {directory}")
    problems = [f"{e.file}: {p}" for e in entries if e.saved is None for p in e.problems]
    loaded = [e for e in entries if e.saved is not None]
    gateway = ctx.gateway
    if gateway is None:
        if problems:
            return _fail(name, "; ".join(problems) + " (gear manifests not checked)", fix)
        return _skip(
            name, f"needs Flywheel (see flywheel) to check {_count(len(loaded), 'config')}"
        )
    manifests: dict[tuple[str, str | None], GearDetail | None] = {}

    def manifest_for(saved: SavedConfig) -> GearDetail | None:
        """The pinned version's manifest if installed, else the latest (which names the
        installed versions), as `/fw config` checks it."""
        key = (saved.gear, saved.version)
        if key not in manifests:
            gear = gateway.get_gear(saved.gear, saved.version) if saved.version else None
            manifests[key] = gear or gateway.get_gear(saved.gear)
        return manifests[key]

    for entry in loaded:
        saved = entry.saved
        assert saved is not None
        gear = manifest_for(saved)
        if gear is None:
            problems.append(f"{entry.file}: gear: `{saved.gear}` is not installed on this site")
            continue
        problems.extend(f"{entry.file} ({saved.gear}): {p}" for p in manifest_problems(saved, gear))
    if problems:
        return _fail(name, "; ".join(problems), fix)
    names = [e.name for e in loaded]
    return _pass(
        name,
        f"{_count(len(names), 'config')} in {directory} fit their gears on the site: "
        f"{_listed(names)}",
    )


CHECKS: tuple[Callable[[Context], CheckResult], ...] = (
    check_settings,
    check_accounts,
    check_policy,
    check_slack,
    check_slack_mode,
    check_flywheel,
    check_roles,
    check_projects,
    check_members,
    check_paging,
    check_database,
    check_configs,
)
CHECK_NAMES: dict[Callable[[Context], CheckResult], str] = {
    check_settings: "settings",
    check_accounts: "accounts",
    check_policy: "policy",
    check_slack: "slack",
    check_flywheel: "flywheel",
    check_roles: "roles",
    check_projects: "projects",
    check_members: "members",
    check_paging: "paging",
    check_database: "database",
    check_configs: "configs",
}


SECRET_VARIABLES = tuple(
    env_name(f)
    for f in (
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "flywheel_api_key",
        "link_encryption_keys",
    )
)


def run_checks(mode: SlackMode) -> list[CheckResult]:
    """Every check in order; an unexpected error in one is its failed line, never a
    traceback."""
    known = [os.environ.get(name, "") for name in SECRET_VARIABLES]
    ctx = Context(mode=mode, secrets=[part for text in known for part in [text, *text.split(",")]])
    results = []
    for check in CHECKS:
        try:
            result = check(ctx)
        except FwbotError as err:
            result = _fail(_name_of(check, ctx), err.message, err.hint or "")
        except Exception as exc:
            result = _fail(
                _name_of(check, ctx),
                f"unexpected error: {type(exc).__name__}: {_first_line(exc)}",
                "run it again; if it persists, report it with this line",
            )
        results.append(result)
    from bot.check.report import redact

    return [redact(r, ctx.secrets) for r in results]


def _name_of(check: Callable[[Context], CheckResult], ctx: Context) -> str:
    if check is check_slack_mode:
        return "socket-mode" if ctx.mode == "socket" else "http-mode"
    return CHECK_NAMES.get(check, check.__name__.removeprefix("check_"))
