"""Posting to a subscribed channel exactly once, across restarts and replicas.

Every post is claimed first (``post_claims``: an INSERT on its key, so of two replicas
exactly one wins), made, then marked posted; a post that did not get through gives its
claim back so a later pass can make it. A channel that refuses posts (``ChannelGone``:
the bot was removed, the channel archived) pauses every subscription of that channel,
with one WARNING naming the channel and Slack's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.domain.delivery import Channel
from bot.service.notify import ChannelGone
from bot.store.channels import channel_key
from bot.store.post_claims import PostClaims
from bot.store.subscriptions import SubscriptionRepo

log = logging.getLogger(__name__)


class ChannelPosts:
    def __init__(self, subscriptions: SubscriptionRepo, claims: PostClaims, owner: str) -> None:
        self._subscriptions = subscriptions
        self._claims = claims
        self.owner = owner

    def claim(self, key: str) -> bool:
        return self._claims.claim(key, self.owner)

    def done(self, key: str) -> None:
        self._claims.posted(key, self.owner)

    def give_back(self, key: str) -> None:
        self._claims.release(key, self.owner)

    def once(self, key: str, channel: Channel, post: Callable[[], bool]) -> bool:
        """Claim ``key``, ``post()``, and mark it posted; False when another process has it
        (or had it), the post did not get through, or the channel is gone."""
        if not self.claim(key):
            return False
        return self.finish(key, channel, post)

    def finish(self, key: str, channel: Channel, post: Callable[[], bool]) -> bool:
        """Make a post whose key is already claimed; the claim is settled either way."""
        try:
            delivered = post()
        except ChannelGone as gone:
            self.give_back(key)
            self.pause(gone.channel or channel_key(channel), gone.reason)
            return False
        except Exception:
            self.give_back(key)
            log.exception("posting %s to %s failed", key, channel_key(channel))
            return False
        if delivered:
            self.done(key)
        else:
            self.give_back(key)
            log.info("%s to %s not delivered; a later pass tries again", key, channel_key(channel))
        return delivered

    def pause(self, channel: str, reason: str) -> None:
        """Pause the channel's subscriptions; the WARNING is logged once, by whoever paused."""
        paused = self._subscriptions.pause_channel(channel, reason)
        if paused:
            log.warning(
                "channel %s refuses posts (%s): paused its %d subscription(s); "
                "`/fw subscribe` there again resumes them",
                channel,
                reason,
                paused,
            )
