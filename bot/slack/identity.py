"""Who is asking: the Slack side of mapping a Slack user to an ``Actor`` by email.

Flywheel accounts are keyed by email, so the email is the only bridge; without
it (no ``users:read.email`` scope, or a bot user) fwbot cannot act for anyone.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import Actor
from bot.errors import IdentityError
from bot.service import Identity
from bot.service.identity import SlackProfile

ResolveActor = Callable[[WebClient, str, str | None], Actor]
"""``resolve_actor(client, slack_user_id, channel_id) -> Actor``; raises ``IdentityError``."""

NO_EMAIL = (
    "fwbot needs your Slack email to find your Flywheel account; "
    "ask a workspace admin to grant users:read.email"
)
UNKNOWN_USER = "Slack does not know your user id, so fwbot cannot find your Flywheel account."
_IDENTITY_API_ERRORS = {
    "user_not_found",
    "user_not_visible",
    "missing_scope",
    "not_allowed_token_type",
}


def slack_profile(client: WebClient, user_id: str) -> SlackProfile:
    """One ``users.info`` call: the email that bridges Slack and Flywheel, and a name."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as err:
        code = err.response.get("error", "") if err.response is not None else ""
        if code in _IDENTITY_API_ERRORS:
            raise IdentityError(NO_EMAIL if code == "missing_scope" else UNKNOWN_USER) from err
        raise
    profile = user.get("profile") or {}
    email = (profile.get("email") or "").strip()
    if not email or user.get("is_bot"):
        raise IdentityError(NO_EMAIL)
    name = profile.get("display_name") or profile.get("real_name") or user.get("name") or ""
    return SlackProfile(email=email, display_name=name)


def resolve_actor_via(identity: Identity) -> ResolveActor:
    """The production resolver: the service's cache first, ``users.info`` only on a miss."""

    def resolve(client: WebClient, user_id: str, channel_id: str | None) -> Actor:
        return identity.for_slack_user(user_id, channel_id, lambda: slack_profile(client, user_id))

    return resolve
