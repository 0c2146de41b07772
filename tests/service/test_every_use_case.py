"""Every use case, as an outsider (no role on the project), a viewer (read-only) and the role
it needs: a refusal that leaves exactly one audit row, or success that leaves one. To an
outsider a project or batch is word for word a made-up name's.

Runs on the services commands get, against the local Flywheel (a small world of four
sessions) and a real store. A use case added to ``UseCase`` without a row in ``CALLS``
fails ``test_every_use_case_is_run_here``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.bootstrap import build_services
from bot.domain import Actor
from bot.errors import FwbotError, NotFound
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services, UseCases
from bot.service.launch.plan_model import LaunchRequest
from bot.service.policy import Policy
from bot.service.use_cases import NEEDS, Access, UseCase
from bot.store.db import Store
from localfw.server import LocalFlywheel
from tests.fixtures.localfw import ADMIN, EDITOR, VIEWER, build_small_world, serving
from tests.service.subscription_support import FLAKY, QSI

OUTSIDER = "otto@example.org"  # a Flywheel account with no role on gear_testing
PROJECT = "gear_testing"
MADE_UP = {"project": "gear_tasting", "batch": "zz9zz"}
FAIL_AFTER = 700.0  # seconds of Flywheel's clock: flaky-gear's jobs have failed by then


def actor(email: str) -> Actor:
    return Actor(email=email, slack_user_id=f"U-{email.split('@')[0]}", channel_id="C1")


def qsi(project: str, size: str | None = None) -> LaunchRequest:
    return LaunchRequest("qsiprep-hpc", project, "qsi", size=size)


class Setting:
    """The batches a use case needs, made (as the analyst, EDITOR) only when asked for."""

    def __init__(self, services: Services, localfw: LocalFlywheel) -> None:
        self.services = services
        self.localfw = localfw

    def planned(self) -> str:
        return self.services.launches.request(actor(EDITOR), qsi(PROJECT)).batch.id

    def awaiting_approval(self) -> str:
        request = qsi(PROJECT, size="extra-large")  # the policy asks a second person
        return self.services.launches.request(actor(EDITOR), request).batch.id

    def launched(self) -> str:
        return self._launch(qsi(PROJECT))

    def failed(self) -> str:
        batch_id = self._launch(LaunchRequest("flaky-gear", PROJECT, "flaky"))
        self.localfw.clock.advance(FAIL_AFTER)
        return batch_id

    def subscribed(self) -> str:
        self.services.subscriptions.subscribe(actor(EDITOR), PROJECT)
        return PROJECT

    def project(self) -> str:
        return PROJECT

    def _launch(self, request: LaunchRequest) -> str:
        batch_id = self.services.launches.request(actor(EDITOR), request).batch.id
        self.services.launches.confirm(actor(EDITOR), batch_id)
        self.services.workers.wait_idle(30)
        return batch_id


Call = Callable[[UseCases, Actor, str], object]


@dataclass(frozen=True)
class Case:
    """How to run a use case on ``target`` (a project label or batch id, made by the
    ``Setting`` method named ``needs``; none for a site-wide one) and who holds the role
    it needs."""

    call: Call
    role: str  # the email of who may
    needs: str | None = None

    @property
    def kind(self) -> str | None:
        if self.needs is None:
            return None
        return "project" if self.needs in ("project", "subscribed") else "batch"


CALLS: dict[UseCase, Case] = {
    UseCase.GEARS_LIST: Case(lambda s, a, _: s.gears.list_gears(a), VIEWER),
    UseCase.GEAR_SHOW: Case(lambda s, a, _: s.gears.gear_detail(a, "qsiprep-hpc"), VIEWER),
    UseCase.CONFIGS_LIST: Case(lambda s, a, _: s.configs.list_configs(a), VIEWER),
    UseCase.CONFIG_SHOW: Case(lambda s, a, _: s.configs.show_config(a, "qsi"), VIEWER),
    UseCase.HISTORY_OWN: Case(lambda s, a, _: s.history.recent(a), VIEWER),
    UseCase.HISTORY_PROJECT: Case(lambda s, a, p: s.history.recent(a, p), VIEWER, "project"),
    UseCase.LAUNCH_PREVIEW: Case(lambda s, a, p: s.launches.preview(a, qsi(p)), VIEWER, "project"),
    UseCase.LAUNCH_REQUEST: Case(lambda s, a, p: s.launches.request(a, qsi(p)), EDITOR, "project"),
    UseCase.LAUNCH_CONFIRM: Case(lambda s, a, b: s.launches.confirm(a, b), EDITOR, "planned"),
    UseCase.LAUNCH_APPROVE: Case(
        lambda s, a, b: s.launches.approve(a, b), ADMIN, "awaiting_approval"
    ),
    UseCase.LAUNCH_DROP: Case(
        lambda s, a, b: s.launches.cancel(a, b, confirmed=False), EDITOR, "planned"
    ),
    UseCase.CANCEL_PREVIEW: Case(
        lambda s, a, b: s.launches.cancel(a, b, confirmed=False), EDITOR, "launched"
    ),
    UseCase.CANCEL_JOBS: Case(
        lambda s, a, b: s.launches.cancel(a, b, confirmed=True), EDITOR, "launched"
    ),
    UseCase.STATUS_SHOW: Case(lambda s, a, b: s.launches.status(a, b), VIEWER, "planned"),
    UseCase.SUBSCRIBE: Case(lambda s, a, p: s.subscriptions.subscribe(a, p), VIEWER, "project"),
    UseCase.UNSUBSCRIBE: Case(
        lambda s, a, p: s.subscriptions.unsubscribe(a, p), VIEWER, "subscribed"
    ),
    UseCase.SUBSCRIPTIONS_LIST: Case(lambda s, a, _: s.subscriptions.for_channel(a), VIEWER),
    UseCase.STATUS_PROJECT: Case(
        lambda s, a, p: s.project_status.overview(a, p), VIEWER, "project"
    ),
    UseCase.BATCHES_LIST: Case(lambda s, a, _: s.project_status.batches(a), VIEWER),
    UseCase.BATCHES_PROJECT: Case(
        lambda s, a, p: s.project_status.batches(a, project_label=p), VIEWER, "project"
    ),
    UseCase.RETRY_REQUEST: Case(lambda s, a, b: s.launches.retry(a, b), EDITOR, "failed"),
    UseCase.WHOAMI: Case(lambda s, a, _: s.linking.whoami(a), VIEWER),
}
WHO = {"outsider": OUTSIDER, "viewer": VIEWER, "role": None}


@pytest.fixture
def localfw() -> Iterator[LocalFlywheel]:
    world = build_small_world(sessions=4)
    world.add_user(OUTSIDER, "Otto", "Outsider")
    yield from serving(world, "door-key")


@pytest.fixture
def services(localfw: LocalFlywheel, sqlite_store: Store, tmp_path: Path) -> Iterator[Services]:
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "qsi.yml").write_text(QSI)
    (configs / "flaky.yml").write_text(FLAKY)
    built = build_services(SdkGateway.connect(localfw.sdk_api_key), sqlite_store, Policy(), configs)
    yield built
    built.workers.shutdown()


def allowed(email: str, use_case: UseCase) -> bool:
    access = NEEDS[use_case]
    if email == VIEWER:
        return access in (Access.SITE, Access.READ)
    return access is Access.SITE  # an outsider


def answer(err: FwbotError, name: str) -> tuple[type, str, str | None]:
    """What the person reads, with the name they typed taken out."""
    return type(err), err.message.replace(name, "NAME"), err.hint


def test_every_use_case_is_run_here() -> None:
    assert set(CALLS) == set(UseCase), "add the new use case to CALLS"


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("use_case", CALLS, ids=lambda u: u.value)
def test_each_use_case_refuses_with_one_audit_row_or_runs(
    services: Services,
    localfw: LocalFlywheel,
    sqlite_store: Store,
    use_case: UseCase,
    who: str,
) -> None:
    case = CALLS[use_case]
    email = WHO[who] or case.role
    target = getattr(Setting(services, localfw), case.needs)() if case.needs else ""
    with sqlite_store.engine.begin() as conn:  # the setting's rows are not this test's
        conn.execute(text("DELETE FROM audit_events"))
    use_cases: UseCases = services

    refusal: FwbotError | None = None
    try:
        case.call(use_cases, actor(email), target)
    except FwbotError as err:
        refusal = err
    services.workers.wait_idle(30)

    [row] = sqlite_store.audit.recent(10)
    assert (row.action, row.actor_email) == (use_case.value, email)
    if who == "role" or allowed(email, use_case):
        assert refusal is None, refusal
        assert row.outcome == "allowed"
        return
    assert refusal is not None and row.outcome == "refused"
    if who == "outsider" and case.kind is not None:
        assert isinstance(refusal, NotFound)
        made_up = MADE_UP[case.kind]
        try:
            case.call(use_cases, actor(email), made_up)
        except FwbotError as err:
            assert answer(refusal, target) == answer(err, made_up)
        else:
            pytest.fail(f"a made-up {case.kind} was answered")
    else:
        assert not isinstance(refusal, NotFound), refusal  # a member learns why
