"""The declaration is the source of truth: every UseCase has its access and its words, every
method commands may call is tied to the use cases it runs (or says why it is none), every
use case is reachable, and no service decides by hand outside the door."""

from __future__ import annotations

import ast
import inspect
import threading
from pathlib import Path
from typing import get_type_hints

import pytest

from bot.domain import Actor
from bot.errors import PermissionDenied
from bot.observe.context import carry
from bot.service import Services, UseCases
from bot.service.access import Authorizer
from bot.service.door import (
    Door,
    UncheckedUseCase,
    declared_use_cases,
    unchecked,
    use_case,
    why_unchecked,
)
from bot.service.policy import Policy
from bot.service.use_cases import NEEDS, WHAT, UseCase
from bot.store.db import Store
from tests.fakes import FakeFlywheelGateway

REPO = Path(__file__).resolve().parents[2]
DECIDES = ("authorize", "refuse", "project_for")  # the Authorizer's decisions


def areas() -> dict[str, tuple[type, type]]:
    """UseCases property -> (the protocol commands get, the class Services puts there)."""
    built = get_type_hints(Services)
    found = {}
    for name, member in vars(UseCases).items():
        if isinstance(member, property):
            assert member.fget is not None
            found[name] = (get_type_hints(member.fget)["return"], built[name])
    return found


def methods(protocol: type) -> list[str]:
    return [
        name
        for name, member in vars(protocol).items()
        if not name.startswith("_") and not isinstance(member, property) and callable(member)
    ]


def protocol_methods() -> list[tuple[str, object]]:
    return [
        (f"{area}.{name}", getattr(impl, name))
        for area, (protocol, impl) in areas().items()
        for name in methods(protocol)
    ]


def test_every_use_case_declares_its_access_and_its_words() -> None:
    assert set(NEEDS) == set(UseCase), "declare its access in bot.service.use_cases.NEEDS"
    assert set(WHAT) == set(UseCase), "say what it is in bot.service.use_cases.WHAT"
    assert all(WHAT[u].strip() for u in UseCase)


@pytest.mark.parametrize(
    ("name", "method"),
    [pytest.param(name, method, id=name) for name, method in protocol_methods()],
)
def test_every_method_commands_may_call_is_a_use_case_or_says_why_not(
    name: str, method: object
) -> None:
    ties = declared_use_cases(method)
    why = why_unchecked(method)
    assert ties or why, f"{name}: add @use_case(UseCase....) (or @unchecked('why'))"
    assert not (ties and why), f"{name} is both a use case and unchecked"


def test_every_use_case_is_reachable_from_the_protocols() -> None:
    reached = {u for _name, method in protocol_methods() for u in declared_use_cases(method)}
    assert set(UseCase) - reached == set(), "no method commands may call runs these"


def test_each_protocol_method_takes_the_actor_unless_it_says_why() -> None:
    for name, method in protocol_methods():
        assert callable(method)
        params = list(inspect.signature(method).parameters)
        if declared_use_cases(method):
            assert params[:2] == ["self", "actor"], name


def test_no_service_decides_by_hand_outside_the_door() -> None:
    found = []
    for path in sorted((REPO / "bot" / "service").rglob("*.py")):
        where = str(path.relative_to(REPO))
        if where in {"bot/service/access.py", "bot/service/door.py"}:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in DECIDES
                and not (
                    isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "_door"
                )
            ):
                found.append(f"{where}:{node.lineno} .{node.func.attr}(")
    assert found == [], "go through self._door (bot.service.door.Door)"


# -- the door itself, on a made-up service ---------------------------------------------


class Sample:
    def __init__(self, access: Authorizer) -> None:
        self._door = Door(access)
        self._access = access

    @use_case(UseCase.GEARS_LIST)
    def forgets(self, actor: Actor) -> str:
        return "listed"

    @use_case(UseCase.GEARS_LIST)
    def wrong_one(self, actor: Actor) -> None:
        self._door.site(actor, UseCase.WHOAMI)

    @use_case(UseCase.GEARS_LIST)
    def refuses_by_its_own_rule(self, actor: Actor) -> None:
        self._door.site(actor, UseCase.GEARS_LIST)
        self._door.refuse(actor, UseCase.GEARS_LIST, "Not on Sundays.", reason="sunday")

    @use_case(UseCase.GEARS_LIST)
    def runs_another(self, actor: Actor) -> None:
        self._door.site(actor, UseCase.GEARS_LIST)
        self.inner(actor)

    @use_case(UseCase.GEAR_SHOW)
    def inner(self, actor: Actor) -> None:
        self._door.site(actor, UseCase.GEAR_SHOW)

    @use_case(UseCase.GEARS_LIST)
    def hands_work_to_a_thread(self, actor: Actor) -> None:
        self._door.site(actor, UseCase.GEARS_LIST)
        background = threading.Thread(  # the caller's context, as the worker pool carries it
            target=carry(lambda: self._access.authorize(actor, UseCase.GEAR_SHOW))
        )
        background.start()
        background.join()

    @unchecked("a test")
    def outside(self, actor: Actor) -> None:
        self._door.site(actor, UseCase.GEARS_LIST)


@pytest.fixture
def sample(sqlite_store: Store) -> Sample:
    return Sample(Authorizer(FakeFlywheelGateway(), Policy(), sqlite_store.audit))


ADA = Actor(email="ada@lab.org")


def test_a_use_case_that_forgets_the_door_fails(sample: Sample, sqlite_store: Store) -> None:
    with pytest.raises(UncheckedUseCase, match="without deciding"):
        sample.forgets(ADA)
    with pytest.raises(UncheckedUseCase, match="does not declare"):
        sample.wrong_one(ADA)
    with pytest.raises(UncheckedUseCase, match="outside any @use_case"):
        sample.outside(ADA)
    assert sqlite_store.audit.recent() == []


def test_a_rule_of_its_own_refuses_in_the_calls_one_row(
    sample: Sample, sqlite_store: Store
) -> None:
    with pytest.raises(PermissionDenied, match="Not on Sundays"):
        sample.refuses_by_its_own_rule(ADA)

    [row] = sqlite_store.audit.recent()
    assert (row.action, row.outcome, row.reason) == ("gears.list", "refused", "sunday")


def test_a_use_case_run_by_another_shares_its_row(sample: Sample, sqlite_store: Store) -> None:
    sample.runs_another(ADA)

    [row] = sqlite_store.audit.recent()
    assert (row.action, row.outcome) == ("gears.list", "allowed")


def test_work_in_another_thread_is_not_part_of_the_call(
    sample: Sample, sqlite_store: Store
) -> None:
    sample.hands_work_to_a_thread(ADA)

    assert sorted(e.action for e in sqlite_store.audit.recent()) == ["gear.show", "gears.list"]
