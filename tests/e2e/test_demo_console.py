"""`printf '/fw gears\\n/fw gear qsiprep-hpc\\n' | fwbot demo`: the README's demo, piped."""

from __future__ import annotations

import subprocess
import sys


def run_demo(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_piped_commands_print_the_gears_and_the_qsiprep_options() -> None:
    result = run_demo("/fw gears\n/fw gear qsiprep-hpc\n")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "fmriprep-fwheudiconv" in out and "0.2.2_1.5.2" in out
    assert "hmc_model" in out and "freesurfer_license" in out
    assert out.count("fw> ") == 2  # each command echoed, as a transcript


def test_bare_words_and_mistakes_get_answers_not_tracebacks() -> None:
    result = run_demo("gears dcm\nfrobnicate\ngear 'unclosed\n\nexit\ngears\n")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "dcm2niix" in out
    assert "Unknown command `frobnicate`" in out
    assert "quote" in out.lower()
    assert "Traceback" not in out + result.stderr
    assert out.count("fw> ") == 3  # `exit` stopped before the last line


def test_as_switches_identity_and_refusals_say_why() -> None:
    launch = "launch qsiprep-hpc project=gear_testing\n"
    result = run_demo(launch, "--as", "viewer@pennlinc.example")

    assert result.returncode == 0, result.stderr
    assert "You have read-only access to `gear_testing`" in result.stdout
    assert "this needs read-write access" in result.stdout


def test_as_an_outsider_the_project_does_not_exist() -> None:
    """The demo links outsider@ (no role on gear_testing): their own key is not shown it."""
    result = run_demo("history project=gear_testing\n", "--as", "outsider@pennlinc.example")

    assert result.returncode == 0, result.stderr
    assert "No project named `gear_testing`." in result.stdout
    assert "admin@pennlinc.example" not in result.stdout


def test_as_an_unknown_user_stops_with_a_clear_message() -> None:
    result = run_demo("gears\n", "--as", "nobody@example.org")

    assert result.returncode == 2
    assert "no Flywheel account for nobody@example.org" in result.stderr
    assert "Traceback" not in result.stderr
