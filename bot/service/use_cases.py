"""Every permission-checked thing fwbot does, and the access each needs: declared once.

The Authorizer enforces this table, the audit trail names each decision by its use
case, `/fw help` offers a command to whoever holds the access of its least demanding
use case, and docs/permissions.md shows the same table (a test keeps them equal).
"""

from __future__ import annotations

from enum import StrEnum


class Access(StrEnum):
    """What a use case needs, from least to most."""

    SITE = "site"  # anyone with a Flywheel account (gear catalogue, help)
    READ = "read"  # read-only or better on the project
    WRITE = "write"  # read-write or better on the project
    MANAGE = "manage"  # the batch's launcher, a project admin, or a bot admin
    BOT_ADMIN = "bot-admin"  # fwbot's own administrators


ACCESS_ORDER = (Access.SITE, Access.READ, Access.WRITE, Access.MANAGE, Access.BOT_ADMIN)


class UseCase(StrEnum):
    """A use case; its value is the action the audit trail records."""

    GEARS_LIST = "gears.list"
    GEAR_SHOW = "gear.show"
    CONFIGS_LIST = "configs.list"
    CONFIG_SHOW = "config.show"
    HISTORY_OWN = "history.own"
    HISTORY_PROJECT = "history.show"
    LAUNCH_PREVIEW = "launch.preview"
    LAUNCH_REQUEST = "launch.request"
    LAUNCH_CONFIRM = "launch.confirm"
    LAUNCH_APPROVE = "launch.approve"
    LAUNCH_DROP = "launch.cancel"
    CANCEL_PREVIEW = "cancel.preview"
    CANCEL_JOBS = "cancel"
    STATUS_SHOW = "status.show"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    SUBSCRIPTIONS_LIST = "subscriptions.list"
    STATUS_PROJECT = "status.project"
    BATCHES_LIST = "batches.list"
    BATCHES_PROJECT = "batches.project"
    RETRY_REQUEST = "retry.request"
    WHOAMI = "whoami"


NEEDS: dict[UseCase, Access] = {
    UseCase.GEARS_LIST: Access.SITE,
    UseCase.GEAR_SHOW: Access.SITE,
    UseCase.CONFIGS_LIST: Access.SITE,
    UseCase.CONFIG_SHOW: Access.SITE,
    UseCase.HISTORY_OWN: Access.SITE,
    UseCase.HISTORY_PROJECT: Access.READ,
    UseCase.LAUNCH_PREVIEW: Access.READ,
    UseCase.LAUNCH_REQUEST: Access.WRITE,
    UseCase.LAUNCH_CONFIRM: Access.WRITE,
    UseCase.LAUNCH_APPROVE: Access.MANAGE,
    UseCase.LAUNCH_DROP: Access.MANAGE,
    UseCase.CANCEL_PREVIEW: Access.MANAGE,
    UseCase.CANCEL_JOBS: Access.MANAGE,
    UseCase.STATUS_SHOW: Access.READ,
    UseCase.STATUS_PROJECT: Access.READ,
    UseCase.BATCHES_LIST: Access.SITE,
    UseCase.BATCHES_PROJECT: Access.READ,
    UseCase.RETRY_REQUEST: Access.MANAGE,
    UseCase.SUBSCRIBE: Access.READ,
    UseCase.UNSUBSCRIBE: Access.READ,
    UseCase.SUBSCRIPTIONS_LIST: Access.SITE,
    UseCase.WHOAMI: Access.SITE,
}

# What each use case is, in the words of docs/permissions.md and `/fw help`.
WHAT: dict[UseCase, str] = {
    UseCase.GEARS_LIST: "list the site's gears",
    UseCase.GEAR_SHOW: "show a gear's versions, inputs and options",
    UseCase.CONFIGS_LIST: "list saved configs",
    UseCase.CONFIG_SHOW: "show a saved config",
    UseCase.HISTORY_OWN: "your own audit trail",
    UseCase.HISTORY_PROJECT: "a project's audit trail",
    UseCase.LAUNCH_PREVIEW: "plan a launch (`dry-run`)",
    UseCase.LAUNCH_REQUEST: "record a launch plan",
    UseCase.LAUNCH_CONFIRM: "confirm your own plan (the Launch button)",
    UseCase.LAUNCH_APPROVE: "approve a large plan (never your own: a second person)",
    UseCase.LAUNCH_DROP: "drop a plan not yet launched (Cancel / Reject)",
    UseCase.CANCEL_PREVIEW: "see how many of a batch's jobs are pending",
    UseCase.CANCEL_JOBS: "cancel a batch's pending jobs",
    UseCase.STATUS_SHOW: "a batch's progress",
    UseCase.STATUS_PROJECT: "a project's latest good run per session, by gear (CSV on request)",
    UseCase.BATCHES_LIST: "your batches and those on projects you can read",
    UseCase.BATCHES_PROJECT: "a project's recent batches",
    UseCase.RETRY_REQUEST: "relaunch a batch's failed sessions as a new batch",
    UseCase.SUBSCRIBE: "have this channel follow a project's batches and daily digest",
    UseCase.UNSUBSCRIBE: "stop this channel's subscription to a project",
    UseCase.SUBSCRIPTIONS_LIST: "this channel's subscriptions (on projects you can read)",
    UseCase.WHOAMI: "who fwbot takes you for, and your roles on the projects it serves",
}


def least_access(use_cases: tuple[UseCase, ...]) -> Access:
    """The access of the least demanding use case (none: anyone with an account)."""
    if not use_cases:
        return Access.SITE
    return min((NEEDS[u] for u in use_cases), key=ACCESS_ORDER.index)
