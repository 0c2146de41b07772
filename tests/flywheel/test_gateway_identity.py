"""Who is who, through the gateway: users keyed by their Flywheel ``_id`` (never the
``email`` field), found through ``GET /users`` (open to any logged-in user; ``GET
/users/{id}`` is only oneself or a site admin's), and permission lists as each key sees
them (a listing shows a plain key its own entry; a project's single ``GET`` shows the whole
list to that project's admins and site admins)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain import ProjectMembers, ProjectRole, UserRef
from bot.errors import FlywheelRefused
from bot.flywheel.sdk_gateway import SdkGateway
from localfw.server import LocalFlywheel
from tests.flywheel.lab_world import ADMIN, EDITOR, EMAILS, FWBOT, LEAD, VIEWER, project_id

USER_ROUTE = "/users/{id}"
PROJECT_ROUTE = "/projects/{id}"


@pytest.fixture
def gateway(lab: LocalFlywheel) -> SdkGateway:
    """fwbot's plain key."""
    return SdkGateway.connect(lab.sdk_api_key)


@pytest.fixture
def lead(lab: LocalFlywheel) -> SdkGateway:
    """A project admin's key (alpha, beta, hidden), not a site admin's."""
    return SdkGateway.connect(lab.key_for(LEAD))


@pytest.fixture
def admin(lab: LocalFlywheel) -> SdkGateway:
    return SdkGateway.connect(lab.admin_sdk_api_key)


def test_whoami_is_the_keys_user_by_id(gateway: SdkGateway, lead: SdkGateway) -> None:
    assert gateway.whoami() == UserRef(
        user_id=FWBOT, email=EMAILS[FWBOT], display_name="fwbot user"
    )
    assert lead.whoami().user_id == LEAD and lead.whoami().email == EMAILS[LEAD]
    assert gateway.service_account() == FWBOT


def test_find_user_lists_users_by_email_and_answers_their_id(
    gateway: SdkGateway, lab: LocalFlywheel
) -> None:
    lab.requests.reset()

    editor = gateway.find_user("Editor@Example.ORG")  # Slack's spelling, Flywheel's user
    lead = gateway.find_user(EMAILS[LEAD])

    assert editor == UserRef(user_id=EDITOR, email=EMAILS[EDITOR], display_name="editor user")
    assert lead is not None and lead.user_id == LEAD
    assert gateway.find_user("nobody@example.org") is None
    assert lab.requests.count("GET", USER_ROUTE) == 0
    assert lab.requests.count("GET", "/users") >= 2


@pytest.mark.parametrize(
    "email",
    [
        'x",email=~.*',  # closes the quote and adds a regex term
        ".*@example.org",  # a regex where a literal is expected
        "editor@example.org,email!=nobody",  # a term after a comma
        'editor@example.org\\",email=~.',  # backslash games
        "editor@example",  # a prefix
        "",
    ],
)
def test_find_user_never_widens_the_filter(gateway: SdkGateway, email: str) -> None:
    assert gateway.find_user(email) is None


def test_find_user_is_none_where_the_site_refuses_to_list_users(
    gateway: SdkGateway, lab: LocalFlywheel
) -> None:
    lab.knobs.set_errors(rate=1.0, kinds=("403",), route=r"^GET /users$")
    assert gateway.find_user(EMAILS[EDITOR]) is None


def test_a_plain_key_sees_its_own_entry_only_and_says_the_list_is_partial(
    gateway: SdkGateway, lab: LocalFlywheel
) -> None:
    members = gateway.project_members(project_id(lab.world, "alpha"))
    assert members == ProjectMembers(roles={FWBOT: "read-write"}, complete=False)
    assert gateway.project_roles(project_id(lab.world, "alpha")) == members.roles


def test_a_project_admin_sees_the_whole_list_keyed_by_user_id(
    gateway: SdkGateway, lead: SdkGateway, admin: SdkGateway, lab: LocalFlywheel
) -> None:
    alpha = project_id(lab.world, "alpha")
    whole: dict[str, ProjectRole] = {
        LEAD: "admin",
        FWBOT: "read-write",
        EDITOR: "read-write",
        VIEWER: "read-only",
    }

    assert lead.project_members(alpha) == ProjectMembers(roles=whole, complete=True)
    assert admin.project_members(alpha) == ProjectMembers(roles=whole, complete=True)
    gamma = gateway.project_members(project_id(lab.world, "gamma"))  # fwbot is admin there
    assert gamma == ProjectMembers(roles={FWBOT: "admin", EDITOR: "read-only"}, complete=True)


def test_a_custom_role_with_admins_actions_is_no_proof_of_the_whole_list(
    gateway: SdkGateway, lab: LocalFlywheel
) -> None:
    """Core keeps the whole list for the admin access level (the built-in admin role)."""
    members = gateway.project_members(project_id(lab.world, "delta"))
    assert members.roles[FWBOT] == "admin" and members.complete is False


def test_all_project_roles_of_the_keys_own_user_come_from_the_listing(
    gateway: SdkGateway, lab: LocalFlywheel
) -> None:
    lab.requests.reset()
    mine = gateway.all_project_roles(FWBOT)
    assert mine == {"alpha": "read-write", "beta": "read-only", "gamma": "admin", "delta": "admin"}
    assert lab.requests.count("GET", PROJECT_ROUTE) == 0


def test_another_users_roles_only_where_the_key_may_see_the_whole_list(
    gateway: SdkGateway, lead: SdkGateway, admin: SdkGateway, lab: LocalFlywheel
) -> None:
    lab.requests.reset()
    assert gateway.all_project_roles(EDITOR) == {"gamma": "read-only"}  # alpha: unknown
    assert lab.requests.count("GET", PROJECT_ROUTE) == 1  # gamma's list, fwbot is admin
    assert lead.all_project_roles(EDITOR) == {"alpha": "read-write"}
    assert lead.all_project_roles(FWBOT) == {"alpha": "read-write", "beta": "read-only"}
    lab.requests.reset()
    everywhere = {"alpha": "read-write", "gamma": "read-only", "delta": "admin"}
    assert admin.all_project_roles(EDITOR) == everywhere
    assert lab.requests.count("GET", PROJECT_ROUTE) == 0  # a site admin's listing is whole


def test_roles_that_cannot_be_read_are_said_never_guessed(lab: LocalFlywheel) -> None:
    context: Any = lab.context
    context.roles_readable = False  # GET /roles for site admins only
    gateway = SdkGateway.connect(lab.sdk_api_key)

    assert gateway.can_read_roles() is False
    with pytest.raises(FlywheelRefused) as refused:
        gateway.project_members(project_id(lab.world, "alpha"))
    assert refused.value.status == 403 and "roles" in refused.value.message

    context.roles_readable = True
    assert gateway.can_read_roles() is True
    assert gateway.all_project_roles(FWBOT)["alpha"] == "read-write"


def test_admin_is_the_only_root(admin: SdkGateway, gateway: SdkGateway) -> None:
    assert admin.is_site_admin() and admin.service_account() == ADMIN
    assert not gateway.is_site_admin()
