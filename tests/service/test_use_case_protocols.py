"""What commands and adapters are handed (``bot.service.UseCases``) is checked by mypy: the
background entry points, the private collaborators and someone else's identity are not on
it, and the composition root's ``Services`` still satisfies it. One mypy run (slow-ish)."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

REPO = Path(__file__).resolve().parents[2]

# Each line a command handler must not be able to write, and why mypy stops it.
REJECTED = {
    'services.background.launch("b7k2q")': "the worker pool's entry point",
    "services.background.resume_unfinished()": "the restart's",
    'services.launches._background.launch("b7k2q")': "the launches' own background",
    'services.launches._gateway.cancel_job("j1")': "a private collaborator",
    "services.launches._batches.find()": "a repository",
    'services.identity.for_email("ada@lab.org")': "someone else, by email",
    "services.access.authorize(actor, UseCase.CANCEL_JOBS)": "a decision outside the door",
    "services.watcher.tick()": "the background machinery",
    "services.workers.shutdown()": "the background machinery",
    "services.configs.library.entries()": "the config files behind the use cases",
}

HANDLER = """\
from bot.domain import Actor
from bot.service import UseCases
from bot.service.use_cases import UseCase


def handler(services: UseCases, actor: Actor) -> None:
{body}
"""

ROOT = """\
from bot.domain import Actor
from bot.service import Services, UseCases


def hand_over(services: Services, actor: Actor) -> UseCases:
    services.gears.list_gears(actor)
    services.launches.status(actor, "b7k2q")
    with services.linking.speaking_as(actor):
        services.linking.unlink(actor)
    return services
"""


def test_a_handler_reaches_only_the_use_cases_and_services_satisfies_them(
    tmp_path: Path,
) -> None:
    handler = tmp_path / "handler.py"
    lines = list(REJECTED)
    handler.write_text(HANDLER.format(body="\n".join(f"    {line}" for line in lines)))
    root = tmp_path / "root.py"
    root.write_text(ROOT)

    out, err, _status = api.run(
        [
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            str(handler),
            str(root),
        ]
    )

    errors = [line for line in out.splitlines() if ": error:" in line]
    first = HANDLER.splitlines().index("{body}") + 1
    rejected = {
        int(m.group(1)) for e in errors if (m := re.match(rf"{re.escape(str(handler))}:(\d+):", e))
    }
    missed = [line for n, line in enumerate(lines, first) if n not in rejected]
    assert missed == [], f"mypy lets a handler write {missed}\n{out}{err}"
    assert [e for e in errors if e.startswith(str(root))] == [], out
