"""The lab policy file: strict, readable errors, and the shipped example loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.service.policy import Policy, PolicyError, load_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "policy.example.yml"


def test_the_shipped_example_loads_with_its_rules() -> None:
    policy = load_policy(EXAMPLE)

    assert policy.is_bot_admin("OPS@pennlinc.example")
    assert policy.gear_allowed("gear_testing", "qsiprep-hpc")
    assert not policy.gear_allowed("gear_testing", "dcm2niix")
    assert policy.gear_allowed("another_project", "dcm2niix")  # no rules: any gear
    assert policy.approval_threshold("gear_testing") == 1500
    assert policy.approval_threshold("another_project") == 500
    assert "extra-large" in policy.vm_sizes_needing_approval


def test_no_file_means_flywheel_roles_only() -> None:
    policy = load_policy(None)

    assert policy == Policy()
    assert policy.channel_allowed("C0ANY")
    assert not policy.is_bot_admin("anyone@lab.org")


def test_a_typo_is_an_error_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("bot_admin: [ops@lab.org]\n")

    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert "bot_admin" in err.value.message and str(path) in err.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max_batch_without_approval: -1\n", "max_batch_without_approval"),
        ("projects: {p: {gears: qsiprep}}\n", "projects.p.gears"),
        ("allowed_channels: [C1\n", "not valid YAML"),
    ],
)
def test_bad_values_and_bad_yaml_are_named(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(text)

    with pytest.raises(PolicyError, match=expected.replace(".", r"\.")):
        load_policy(path)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="Cannot read the policy file"):
        load_policy(tmp_path / "nope.yml")
