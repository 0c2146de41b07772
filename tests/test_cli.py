"""`fwbot --help` names exactly the commands that exist."""

from __future__ import annotations

import argparse
import re

import pytest

from bot.cli import build_parser, main


def test_help_lists_only_commands_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    described = set(re.findall(r"([\w-]+) \((?:the|a) ", text.split("Commands:")[1]))

    assert described == set(sub.choices)
    assert described == {
        "serve", "check", "migrate", "demo", "localfw", "link-key", "rotate-link-keys"
    }
