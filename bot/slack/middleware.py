"""Global middleware: resolve the Slack user to an ``Actor`` once per request.

Handlers take ``actor`` as a parameter (bolt injects ``context`` entries by
name) and never look the user up themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_bolt.response import BoltResponse

from bot.slack.identity import ResolveActor

ACTOR_KEY = "actor"


def actor_middleware(resolve_actor: ResolveActor) -> Callable[..., BoltResponse | None]:
    """A bolt middleware that stores ``context["actor"]``; errors go to the global handler."""

    def resolve_actor_middleware(
        context: BoltContext, next: Callable[[], Any]
    ) -> BoltResponse | None:
        user_id = context.user_id
        if user_id and ACTOR_KEY not in context:
            context[ACTOR_KEY] = resolve_actor(context.client, user_id, context.channel_id)
        return next()

    return resolve_actor_middleware
