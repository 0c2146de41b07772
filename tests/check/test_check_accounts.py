"""`fwbot check` on accounts: the accounts mode and the link encryption keys, whether
fwbot's key may read the site's roles, whether it sees each project's members, and the
site's default page. Each case breaks one thing of the good setup (``doctor``)."""

from __future__ import annotations

import json

import pytest

from tests.check.doctor import LINK_KEY, OTHER_LINK_KEY, Doctor, statuses
from tests.fixtures.localfw import FWBOT

MALFORMED = "not-a-fernet-key-at-all-3141"


def _knob(doctor: Doctor, monkeypatch: pytest.MonkeyPatch, name: str, value: object) -> None:
    monkeypatch.setattr(doctor.localfw.context, name, value)


# -- accounts -----------------------------------------------------------------------------


def test_the_good_setup_says_the_mode_and_that_linking_is_on(doctor: Doctor) -> None:
    doctor.env["FWBOT_LINK_ENCRYPTION_KEYS"] = f"{LINK_KEY},{OTHER_LINK_KEY}"

    result = doctor.run()

    assert result.code == 0
    line = result.line("accounts")
    assert line.startswith("✔ accounts: FWBOT_ACCOUNTS=both: ")
    assert "linking on (2 encryption keys, the first encrypts)" in line
    assert result.line("roles").startswith("✔ roles: GET /roles is readable")
    assert result.line("members") == f"✔ members: {FWBOT} sees the members' roles on gear_testing"


def test_without_link_keys_both_warns_linked_fails_shared_is_fine(doctor: Doctor) -> None:
    del doctor.env["FWBOT_LINK_ENCRYPTION_KEYS"]

    both = doctor.run()
    doctor.env["FWBOT_ACCOUNTS"] = "linked"
    linked = doctor.run()
    doctor.env["FWBOT_ACCOUNTS"] = "shared"
    shared = doctor.run()

    assert both.code == 0
    line = both.line("accounts")
    assert line.startswith("! accounts: FWBOT_ACCOUNTS=both")
    assert "linking off: people are matched by email only" in line
    assert "— fix: make one with `fwbot link-key` and set FWBOT_LINK_ENCRYPTION_KEYS" in line
    assert linked.code == 1
    line = linked.line("accounts")
    assert line.startswith("✘ accounts: FWBOT_ACCOUNTS=linked")
    assert "nobody can use fwbot" in line and "fix: make one with `fwbot link-key`" in line
    assert shared.code == 0
    assert shared.line("accounts").startswith("✔ accounts: FWBOT_ACCOUNTS=shared")
    assert "(linking off)" in shared.line("accounts")


@pytest.mark.parametrize("mode", ["both", "linked"])
def test_malformed_link_keys_fail_and_are_never_printed(doctor: Doctor, mode: str) -> None:
    doctor.env["FWBOT_ACCOUNTS"] = mode
    doctor.env["FWBOT_LINK_ENCRYPTION_KEYS"] = f"{LINK_KEY},{MALFORMED}"

    text = doctor.run()  # also asserts neither key is in the output
    as_json = doctor.run("--json")

    assert text.code == as_json.code == 1
    line = text.line("accounts")
    assert line.startswith(f"✘ accounts: FWBOT_ACCOUNTS={mode}")
    assert "FWBOT_LINK_ENCRYPTION_KEYS is malformed" in line and "fix: " in line
    for out in (text.out, as_json.out):
        assert MALFORMED not in out and LINK_KEY not in out
    [accounts] = [c for c in json.loads(as_json.out)["checks"] if c["name"] == "accounts"]
    assert accounts["status"] == "fail" and "`fwbot link-key`" in accounts["fix"]


# -- members ------------------------------------------------------------------------------


def test_a_read_write_key_cannot_see_members_fail_shared_warn_both_fine_linked(
    doctor: Doctor,
) -> None:
    doctor.grant("gear_testing", FWBOT, "read-write")

    both = doctor.run()
    doctor.env["FWBOT_ACCOUNTS"] = "shared"
    shared = doctor.run()
    doctor.env["FWBOT_ACCOUNTS"] = "linked"
    linked = doctor.run()

    assert both.code == 0
    line = both.line("members")
    assert line.startswith(f"! members: {FWBOT} sees only its own entry on gear_testing")
    assert "unlinked people get 'link your account' there" in line
    assert "fix: make fwbot's Flywheel account a project admin on gear_testing" in line
    assert shared.code == 1
    line = shared.line("members")
    assert line.startswith("✘ members: FWBOT_ACCOUNTS=shared and ")
    assert (
        "fix: make fwbot's Flywheel account a project admin on gear_testing (or use linked "
        "accounts: FWBOT_ACCOUNTS=both)"
    ) in line
    assert statuses(shared)["projects"] == "pass"  # read-write is enough to launch
    assert linked.code == 0
    assert linked.line("members").startswith("✔ members: FWBOT_ACCOUNTS=linked: ")


def test_without_a_policy_the_members_line_looks_at_the_keys_projects(doctor: Doctor) -> None:
    del doctor.env["FWBOT_POLICY_FILE"]
    doctor.grant("other_project", FWBOT, "read-write")

    result = doctor.run()

    line = result.line("members")
    assert line.startswith(f"! members: {FWBOT} sees only its own entry on other_project")
    assert "(sees them on gear_testing)" in line


def test_a_site_admin_key_sees_every_projects_members(doctor: Doctor) -> None:
    doctor.env["FWBOT_FLYWHEEL_API_KEY"] = doctor.localfw.admin_sdk_api_key

    result = doctor.run()

    assert statuses(result)["members"] == "pass" and "a site admin" in result.line("members")


# -- roles --------------------------------------------------------------------------------


def test_unreadable_roles_fail_and_what_needs_them_is_skipped(
    doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _knob(doctor, monkeypatch, "roles_readable", False)

    result = doctor.run()
    report = json.loads(doctor.run("--json").out)

    assert result.code == 1
    line = result.line("roles")
    assert line.startswith("✘ roles: fwbot's key may not read GET /roles (403)")
    assert "cannot read any permission entry as a role" in line
    assert "fix: ask a site admin to let fwbot's account read the site's roles" in line
    assert result.line("projects") == "- projects: skipped: needs the site's roles (see roles)"
    assert result.line("members") == "- members: skipped: needs the site's roles (see roles)"
    assert statuses(result)["paging"] == "pass"
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["roles"]["status"] == "fail" and "GET /roles" in by_name["roles"]["fix"]
    assert by_name["members"]["status"] == "skip"


def test_a_site_admin_reads_the_roles_anyway(
    doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _knob(doctor, monkeypatch, "roles_readable", False)  # for non-site-admins only
    doctor.env["FWBOT_FLYWHEEL_API_KEY"] = doctor.localfw.admin_sdk_api_key

    assert statuses(doctor.run())["roles"] == "pass"


# -- paging -------------------------------------------------------------------------------


def test_a_short_default_page_is_reported_and_not_a_failure(
    doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _knob(doctor, monkeypatch, "default_page_size", 2)

    result = doctor.run()
    report = json.loads(doctor.run("--json").out)

    assert result.code == 0
    line = result.line("paging")
    assert line.startswith("✔ paging: this site answers a listing without limit with 2 items")
    assert line.endswith("fwbot always pages")
    [paging] = [c for c in report["checks"] if c["name"] == "paging"]
    assert paging["status"] == "pass" and paging["fix"] is None


def test_a_listing_smaller_than_the_default_page_cannot_tell(doctor: Doctor) -> None:
    result = doctor.run()

    line = result.line("paging")
    assert line.startswith("✔ paging: cannot tell the site's default page")
    assert "fewer than any page" in line
