"""`fwbot check`: one line per check that says what is wrong and how to fix it; exit 0
only when nothing failed. Each case breaks one thing of a good setup (``doctor``) and
reads what a person would: the line of that check and the exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.check import scopes
from bot.check.scopes import BOT_SCOPES, manifest_path, needed_scopes
from bot.cli import main
from bot.store.db import MIGRATIONS_DIR, Store
from doubles.fwbot_process import ENTRY, REPO, fwbot_env
from tests.check.doctor import (
    APP_TOKEN,
    BOT_TOKEN,
    LINK_KEY,
    Doctor,
    closed_port,
    statuses,
)
from tests.fixtures.localfw import ADMIN, FWBOT

HEAD = ", ".join(sorted(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()))  # the newest schema
ORDER = [
    "settings",
    "accounts",
    "policy",
    "slack",
    "socket-mode",
    "flywheel",
    "roles",
    "projects",
    "members",
    "paging",
    "database",
    "configs",
]


# -- a good setup -----------------------------------------------------------------------


def test_a_good_setup_passes_every_check(doctor: Doctor) -> None:
    result = doctor.run()

    assert result.code == 0
    assert list(result.lines) == ORDER
    assert set(statuses(result).values()) == {"pass"}
    assert result.line("slack") == '✔ slack: auth.test ok as @fwbot in "fwbot test"; scopes ok'
    assert f"user {FWBOT}" in result.line("flywheel")
    assert "not a site admin: fine; fwbot sees only projects where this user has a role" in (
        result.line("flywheel")
    )
    assert "gear_testing (admin)" in result.line("projects")
    assert "schema at the newest revision" in result.line("database")
    assert "1 config in" in result.line("configs") and "qsiprep-hpc" in result.line("configs")
    assert result.out.strip().endswith("fwbot check: all 12 checks passed")
    assert "fix:" not in result.out


def test_the_fwbot_entry_point_runs_it_in_a_process_of_its_own(doctor: Doctor) -> None:
    """As the `fwbot` script runs it: settings only from the environment, nothing else."""
    env = fwbot_env(
        doctor.mock,
        flywheel_api_key=doctor.localfw.sdk_api_key,
        data_dir=doctor.data_dir,
        configs_dir=doctor.configs_dir,
        policy_file=doctor.policy_file,
        slack_app_token=APP_TOKEN,
    )
    env["FWBOT_LINK_ENCRYPTION_KEYS"] = LINK_KEY
    work = doctor.tmp / "process"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, "check"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=110,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    assert [line.split(":")[0] for line in done.stdout.splitlines()[:-1]] == [
        f"✔ {name}" for name in ORDER
    ]
    assert env["FWBOT_SLACK_BOT_TOKEN"] not in done.stdout
    assert doctor.localfw.api_key not in done.stdout
    assert LINK_KEY not in done.stdout
    # it read the database and opened no Socket Mode connection
    assert [c.method for c in doctor.mock.calls()] == ["auth.test", "apps.connections.open"]
    assert doctor.mock._sockets == []
    assert str(REPO) in env["PYTHONPATH"]


# -- settings -----------------------------------------------------------------------------


def test_missing_settings_are_named_and_what_needs_them_is_skipped(doctor: Doctor) -> None:
    for name in ("FWBOT_SLACK_APP_TOKEN", "FWBOT_FLYWHEEL_API_KEY"):
        del doctor.env[name]

    result = doctor.run()

    assert result.code == 1
    settings = result.line("settings")
    assert settings.startswith("✘ settings: ")
    assert "FWBOT_SLACK_APP_TOKEN" in settings and "FWBOT_FLYWHEEL_API_KEY" in settings
    assert "— fix: " in settings
    assert result.line("socket-mode") == "- socket-mode: skipped: needs FWBOT_SLACK_APP_TOKEN"
    assert result.line("flywheel") == "- flywheel: skipped: needs FWBOT_FLYWHEEL_API_KEY"
    assert result.line("projects") == "- projects: skipped: needs Flywheel (see flywheel)"
    assert statuses(result)["slack"] == "pass"  # the bot token alone is enough for auth.test
    assert statuses(result)["database"] == "pass"


def test_an_invalid_setting_is_named_and_every_other_check_skipped(doctor: Doctor) -> None:
    doctor.env["FWBOT_LAUNCH_CONCURRENCY"] = "1000"

    result = doctor.run()

    assert result.code == 1
    assert "FWBOT_LAUNCH_CONCURRENCY" in result.line("settings")
    assert statuses(result) == {"settings": "fail", **{n: "skip" for n in ORDER[1:]}}
    assert "needs valid settings (see settings)" in result.line("database")


def test_an_unusable_invocation_exits_2(doctor: Doctor) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--mode", "websocket"])
    assert exited.value.code == 2


# -- Slack --------------------------------------------------------------------------------


def test_a_token_slack_refuses_fails_the_slack_line(doctor: Doctor) -> None:
    doctor.mock.api_errors["auth.test"] = "invalid_auth"

    result = doctor.run()

    assert result.code == 1
    line = result.line("slack")
    assert line.startswith("✘ slack: auth.test: Slack refused the bot token (invalid_auth)")
    assert "fix: copy the Bot User OAuth Token" in line and "FWBOT_SLACK_BOT_TOKEN" in line
    others = {n: s for n, s in statuses(result).items() if n != "slack"}
    assert set(others.values()) == {"pass"}


def test_missing_scopes_are_named(doctor: Doctor) -> None:
    doctor.mock.oauth_scopes = [s for s in BOT_SCOPES if s not in ("files:write", "im:write")]

    result = doctor.run()

    assert result.code == 1
    line = result.line("slack")
    assert line.startswith('✘ slack: auth.test ok as @fwbot in "fwbot test"; ')
    assert "lacks the scopes im:write, files:write" in line
    assert "reinstall the app" in line


def test_scopes_slack_does_not_list_are_a_warning(doctor: Doctor) -> None:
    doctor.mock.oauth_scopes = None

    result = doctor.run()

    assert result.code == 0
    assert result.line("slack").startswith("! slack: ")
    assert "did not say which scopes" in result.line("slack")


def test_an_app_token_slack_refuses_fails_socket_mode(doctor: Doctor) -> None:
    doctor.mock.api_errors["apps.connections.open"] = "invalid_auth"

    result = doctor.run()

    assert result.code == 1
    line = result.line("socket-mode")
    assert "Slack refused the app-level token (invalid_auth)" in line
    assert "connections:write" in line and "FWBOT_SLACK_APP_TOKEN" in line


def test_http_mode_needs_the_signing_secret_not_the_app_token(doctor: Doctor) -> None:
    del doctor.env["FWBOT_SLACK_APP_TOKEN"]

    without = doctor.run("--mode", "http")
    assert without.code == 1
    assert "FWBOT_SLACK_SIGNING_SECRET" in without.line("settings")
    assert without.line("http-mode").startswith("✘ http-mode: FWBOT_SLACK_SIGNING_SECRET is not")

    doctor.env["FWBOT_SLACK_SIGNING_SECRET"] = "check-signing-secret-90ab"
    doctor.mock.forget()
    with_secret = doctor.run("--mode", "http")
    assert with_secret.code == 0
    assert "socket-mode" not in with_secret.lines
    assert statuses(with_secret)["http-mode"] == "pass"
    assert [c.method for c in doctor.mock.calls()] == ["auth.test"]


def test_socket_mode_without_app_token_points_at_http_mode_when_configured_for_it(
    doctor: Doctor,
) -> None:
    del doctor.env["FWBOT_SLACK_APP_TOKEN"]
    doctor.env["FWBOT_SLACK_SIGNING_SECRET"] = "check-signing-secret-90ab"

    result = doctor.run()

    assert result.code == 1
    assert "`fwbot check --mode http`" in result.line("settings")


def test_an_unreachable_slack_says_where(doctor: Doctor) -> None:
    doctor.env["FWBOT_SLACK_API_URL"] = f"http://127.0.0.1:{closed_port()}/api/"

    result = doctor.run()

    assert result.code == 1
    assert result.line("slack").startswith("✘ slack: auth.test: cannot reach Slack at http://")
    assert "FWBOT_SLACK_API_URL" in result.line("slack")


def test_the_scopes_kept_in_the_code_are_the_manifests() -> None:
    for mode in ("socket", "http"):
        assert manifest_path(mode).is_file()
        assert needed_scopes(mode) == BOT_SCOPES


# -- Flywheel -----------------------------------------------------------------------------


def test_a_dead_flywheel_fails_and_what_needs_it_is_skipped(doctor: Doctor) -> None:
    port = closed_port()
    doctor.env["FWBOT_FLYWHEEL_API_KEY"] = f"127.0.0.1:{port}:__force_insecure:test-key"

    result = doctor.run()

    assert result.code == 1
    line = result.line("flywheel")
    assert line.startswith(f"✘ flywheel: Cannot reach Flywheel at 127.0.0.1:{port}")
    assert "fix: check the host and port in FWBOT_FLYWHEEL_API_KEY" in line
    assert result.line("projects") == "- projects: skipped: needs Flywheel (see flywheel)"
    assert result.line("configs").startswith("- configs: skipped: needs Flywheel")
    assert statuses(result)["database"] == "pass"


def test_a_key_flywheel_rejects_fails_without_showing_it(doctor: Doctor) -> None:
    doctor.env["FWBOT_FLYWHEEL_API_KEY"] = (
        f"127.0.0.1:{doctor.localfw.port}:__force_insecure:not-a-real-key-42"
    )

    result = doctor.run()

    assert result.code == 1
    assert "rejected the API key (401)" in result.line("flywheel")
    assert "make a new API key" in result.line("flywheel")
    assert "not-a-real-key-42" not in result.out


def test_a_site_admin_key_works_with_a_warning(doctor: Doctor) -> None:
    doctor.env["FWBOT_FLYWHEEL_API_KEY"] = doctor.localfw.admin_sdk_api_key

    result = doctor.run()

    assert result.code == 0
    line = result.line("flywheel")
    assert line.startswith(f"! flywheel: 127.0.0.1:{doctor.localfw.port}: key ok, user {ADMIN}")
    assert "a site admin" in line and "fix: use a plain service account's key" in line
    assert statuses(result)["projects"] == "pass"


def test_a_policy_project_where_the_key_has_no_role_fails_and_says_what_to_grant(
    doctor: Doctor,
) -> None:
    doctor.write_policy("projects:\n  gear_testing: {}\n  other_project: {gears: [fmriprep]}\n")

    result = doctor.run()

    assert result.code == 1
    line = result.line("projects")
    assert line.startswith(f"✘ projects: other_project: {FWBOT} has no role there")
    assert "(ok: gear_testing (admin))" in line
    assert f"fix: in Flywheel, give {FWBOT} read-write on other_project" in line
    assert statuses(result)["flywheel"] == "pass"  # a plain user is fine


def test_a_read_only_role_fails_only_where_the_policy_lets_fwbot_launch(doctor: Doctor) -> None:
    doctor.grant("other_project", FWBOT, "read-only")
    doctor.write_policy("projects:\n  gear_testing: {}\n  other_project: {}\n")

    launches = doctor.run()
    assert launches.code == 1
    line = launches.line("projects")
    assert f"other_project: {FWBOT} is read-only, but the policy lets it launch any gear" in line
    assert f"give {FWBOT} read-write on other_project" in line

    doctor.write_policy("projects:\n  gear_testing: {}\n  other_project: {gears: []}\n")
    reads_only = doctor.run()
    assert reads_only.code == 0
    assert "other_project (read-only)" in reads_only.line("projects")


def test_without_a_policy_file_the_projects_line_lists_the_keys_roles(doctor: Doctor) -> None:
    del doctor.env["FWBOT_POLICY_FILE"]

    result = doctor.run()

    assert result.code == 0
    assert "no policy file (FWBOT_POLICY_FILE unset)" in result.line("policy")
    assert "has a role on 1: gear_testing (admin)" in result.line("projects")


# -- the database -------------------------------------------------------------------------


def test_a_database_not_created_yet_fails_and_says_how_to_migrate(doctor: Doctor) -> None:
    doctor.env["FWBOT_DATA_DIR"] = str(doctor.tmp / "empty")

    result = doctor.run()

    assert result.code == 1
    line = result.line("database")
    assert line.startswith("✘ database: no database at ")
    assert "(not migrated)" in line and "fix: run `fwbot migrate`" in line
    assert not (doctor.tmp / "empty").exists()  # read only: nothing was created


def test_an_older_schema_fails_and_is_left_as_it_is(doctor: Doctor) -> None:
    data = doctor.tmp / "old"
    doctor.env["FWBOT_DATA_DIR"] = str(data)
    from bot.store.db import Store

    store = Store.for_data_dir(data)
    store.migrate("0005")
    store.dispose()

    result = doctor.run()

    assert result.code == 1
    line = result.line("database")
    assert "schema at revision 0005, this fwbot needs" in line
    assert "fix: run `fwbot migrate` (or start `fwbot serve`: it migrates the database" in line
    assert "schema at revision 0005" in doctor.run().line("database")  # still: not migrated


def test_following_the_fix_fwbot_migrate_makes_the_database_line_pass(doctor: Doctor) -> None:
    data = doctor.tmp / "old-then-migrated"
    doctor.env["FWBOT_DATA_DIR"] = str(data)
    store = Store.for_data_dir(data)
    store.migrate("0005")
    store.dispose()
    assert doctor.run().code == 1

    code = doctor.run_command("migrate")

    assert code.exit == 0
    assert code.out.startswith("fwbot migrate: sqlite:///") and f"from 0005 to {HEAD}" in code.out
    result = doctor.run()
    assert result.code == 0
    assert result.line("database").startswith("✔ database: ")
    again = doctor.run_command("migrate")
    assert again.exit == 0 and f"already at the newest revision ({HEAD})" in again.out


def test_fwbot_migrate_on_a_dead_database_server_is_one_line_and_exit_2(doctor: Doctor) -> None:
    password = "pw-" + "hunter2"  # assembled: no URL with a password in this file
    doctor.env["DATABASE_URL"] = f"postgresql://fwbot:{password}@127.0.0.1:{closed_port()}/x"

    code = doctor.run_command("migrate")

    assert code.exit == 2
    assert code.err.startswith("fwbot migrate: cannot migrate postgresql")
    assert len(code.err.strip().splitlines()) == 1 and "Traceback" not in code.err
    assert "pw-" not in code.err  # the password is not shown


def test_an_empty_database_file_has_no_fwbot_schema(doctor: Doctor) -> None:
    data = doctor.tmp / "blank"
    data.mkdir()
    (data / "fwbot.sqlite3").write_bytes(b"")
    doctor.env["FWBOT_DATA_DIR"] = str(data)

    result = doctor.run()

    assert result.code == 1
    assert "no fwbot schema (not migrated)" in result.line("database")


# -- saved configs ------------------------------------------------------------------------


def test_a_config_naming_a_version_the_site_lacks_fails_naming_file_and_version(
    doctor: Doctor,
) -> None:
    doctor.write_config(
        "qsiprep-old.yml", "gear: qsiprep-hpc\nversion: 0.19.0\n" + _rest_of_good_config()
    )

    result = doctor.run()

    assert result.code == 1
    line = result.line("configs")
    assert line.startswith(
        "✘ configs: qsiprep-old.yml (qsiprep-hpc): version: `0.19.0` is not installed; "
        "one of 0.21.4, 0.20.0"
    )
    assert "qsiprep-hpc.yml" not in line  # the good one is fine
    assert "fix: edit the files in" in line


def test_configs_with_a_missing_gear_an_unknown_key_or_a_wrong_type_fail(doctor: Doctor) -> None:
    doctor.write_config("nogear.yml", "gear: no-such-gear\n")
    doctor.write_config(
        "typo.yml",
        "gear: qsiprep-hpc\nconfig: {hmc_modle: eddy, output_resolution: two}\n"
        "inputs: {freesurfer_license: {project_file: license.txt}}\n",
    )
    doctor.write_config("broken.yml", "gear: [unclosed\n")

    line = doctor.run().line("configs")

    assert "nogear.yml: gear: `no-such-gear` is not installed on this site" in line
    assert "typo.yml (qsiprep-hpc): config.hmc_modle: not an option" in line
    assert "did you mean `hmc_model`?" in line
    assert "typo.yml (qsiprep-hpc): config.output_resolution: `two` is not a number" in line
    assert "broken.yml: not valid YAML" in line


# -- the policy file ----------------------------------------------------------------------


def test_an_invalid_policy_file_fails_and_the_roles_are_not_checked(doctor: Doctor) -> None:
    doctor.write_policy("projects:\n  gear_testing:\n    gear: [qsiprep-hpc]\n")

    result = doctor.run()

    assert result.code == 1
    line = result.line("policy")
    assert line.startswith(f"✘ policy: The policy file {doctor.policy_file} is invalid: ")
    assert "projects.gear_testing.gear" in line
    assert "fix: correct" in line and "deploy/policy.example.yml" in line
    assert result.line("projects") == "- projects: skipped: needs a valid policy file (see policy)"


def test_a_missing_policy_file_fails(doctor: Doctor) -> None:
    doctor.env["FWBOT_POLICY_FILE"] = str(doctor.tmp / "nowhere.yml")

    result = doctor.run()

    assert result.code == 1
    assert "Cannot read the policy file" in result.line("policy")


# -- JSON ---------------------------------------------------------------------------------


def test_json_output_parses_and_says_the_same_as_the_text(doctor: Doctor) -> None:
    doctor.mock.api_errors["auth.test"] = "invalid_auth"
    text = doctor.run()
    as_json = doctor.run("--json")

    assert as_json.code == text.code == 1
    report = json.loads(as_json.out)
    assert report["ok"] is False
    assert [c["name"] for c in report["checks"]] == ORDER
    assert {c["name"]: c["status"] for c in report["checks"]} == statuses(text)
    for check in report["checks"]:
        assert set(check) == {"name", "status", "detail", "fix"}
        assert check["detail"] in text.line(check["name"])
    [slack] = [c for c in report["checks"] if c["name"] == "slack"]
    assert slack["detail"] == "auth.test: Slack refused the bot token (invalid_auth)"
    assert "FWBOT_SLACK_BOT_TOKEN" in slack["fix"]
    assert BOT_TOKEN not in as_json.out

    del doctor.mock.api_errors["auth.test"]
    good = json.loads(doctor.run("--json").out)
    assert good["ok"] is True
    assert {c["status"] for c in good["checks"]} == {"pass"}
    assert {c["fix"] for c in good["checks"]} == {None}


def _rest_of_good_config() -> str:
    return "config: {hmc_model: eddy}\ninputs: {freesurfer_license: {project_file: license.txt}}\n"


def test_without_the_manifests_the_scopes_kept_in_the_code_are_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The image ships no deploy/: the constant stands in for the manifest there."""
    monkeypatch.setattr(scopes, "DEPLOY_DIR", tmp_path)
    assert not scopes.manifest_path("socket").exists()
    assert scopes.needed_scopes("socket") == scopes.BOT_SCOPES


def test_with_a_site_admin_key_a_policy_project_that_does_not_exist_fails(
    doctor: Doctor,
) -> None:
    doctor.env["FWBOT_FLYWHEEL_API_KEY"] = doctor.localfw.admin_sdk_api_key
    doctor.write_policy("projects:\n  gear_testing: {}\n  gear_tesitng: {}\n")

    result = doctor.run()

    assert result.code == 1
    line = result.line("projects")
    assert line.startswith("✘ projects: gear_tesitng: no project on the site has that label")
    assert "fix: correct `gear_tesitng` in the policy file" in line
