"""fwbot's own bounded pool for answering Slack, apart from bolt's listener threads.

A listener acks, hands the answer (who is asking, the permission checks, Flywheel, the
reply) to this pool and returns, so bolt's threads only ever ack: however slow Flywheel
is, the next request's ack never waits behind someone's answer. The pool is bounded
(``answer_threads`` running, ``answer_backlog`` waiting); when it is full the user is told
at once that fwbot is busy, instead of the request vanishing.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from slack_bolt import BoltContext, Respond

from bot.domain import Actor
from bot.observe.context import new_request_id, request_scope
from bot.service import UseCases
from bot.slack import errors, metering
from bot.slack.identity import ResolveActor

log = logging.getLogger(__name__)

GIL_SWITCH_INTERVAL = 0.001  # seconds; CPython's default is 0.005


def favour_acks() -> None:
    """Let a waiting thread take the interpreter lock after 1 ms instead of 5 ms.

    Answers are CPU-heavy Python (a plan over 1,329 sessions), acks are short; with the
    default interval an ack queues behind every busy thread for 5 ms each, which alone
    put bench.ack's p99 over 300 ms with 50 commands in flight. Throughput barely moves.
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)


BUSY = "fwbot is busy answering other commands right now; nothing was done. Try again in a minute."


class AnswerPool:
    """``threads`` answers at once, ``backlog`` more waiting; ``offer`` refuses beyond that."""

    def __init__(self, threads: int, backlog: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fwbot-answer")
        self._slots = threading.BoundedSemaphore(threads + backlog)
        self.capacity = threads + backlog

    def offer(self, name: str, answer: Callable[[], None]) -> bool:
        """Run ``answer`` in the pool; False (and nothing run) when the pool is full."""
        if not self._slots.acquire(blocking=False):
            log.warning("answer pool full (%d): %s refused as busy", self.capacity, name)
            return False

        def run() -> None:
            try:
                answer()
            except Exception:  # answers report their own errors; this is a last resort
                log.exception("answer %s failed", name)
            finally:
                self._slots.release()

        try:
            self._executor.submit(run)
        except RuntimeError:  # shut down: the bot is stopping
            self._slots.release()
            return False
        return True

    def shutdown(self, *, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=False)


@dataclass(frozen=True)
class Answering:
    """What a listener needs after its ack: the use cases, who is asking, where to run."""

    services: UseCases
    pool: AnswerPool
    resolve_actor: ResolveActor

    def answer_later(
        self,
        name: str,
        context: BoltContext,
        respond: Respond,
        answer: Callable[[Actor], None],
        *,
        command: str = metering.OTHER,
    ) -> None:
        """Call after ``ack()``: in the pool, find who is asking (Slack ``users.info`` and a
        Flywheel lookup on a user's first command), then ``answer(actor)``. Errors end as
        the usual short ephemeral answer; a full pool answers "busy" at once. ``command``
        is the metric label (``bot.slack.metering``); ``answer`` counts its own reply."""

        request_id = new_request_id()  # in every log line of this answer, in any thread

        def run() -> None:
            with request_scope(request_id):
                started = time.monotonic()
                log.info(
                    "%s from %s in %s",
                    name,
                    context.user_id,
                    context.channel_id,
                    extra={"command": name, "user": context.user_id, "channel": context.channel_id},
                )
                try:
                    actor = self.resolve_actor(
                        context.client, context.user_id or "", context.channel_id
                    )
                    answer(actor)
                except Exception as error:  # not swallowed: the global handler's own path
                    metering.count_failure(command, error)
                    errors.report_after_ack(error, context)
                log.info(
                    "%s answered in %.0f ms",
                    name,
                    (time.monotonic() - started) * 1000,
                    extra={"command": name},
                )

        if not self.pool.offer(name, run):
            metering.count_busy(command)
            with request_scope(request_id):
                tell_busy(respond, context)


def tell_busy(respond: Respond, context: BoltContext) -> None:
    try:
        respond(text=BUSY, response_type="ephemeral", replace_original=False)
    except Exception:
        log.exception("could not tell user %s that fwbot is busy", context.user_id)
