"""docs/permissions.md shows the permission table the code enforces, word for word."""

from __future__ import annotations

from pathlib import Path

from bot.service.use_cases import NEEDS, UseCase
from commands.permissions_table import END, START, render
from commands.registry import REGISTRY

DOC = Path(__file__).resolve().parent.parent / "docs" / "permissions.md"


def test_the_docs_table_is_the_code_table() -> None:
    text = DOC.read_text()
    shown = text[text.index(START) : text.index(END) + len(END)]
    assert shown == render(), "regenerate it: python -m commands.permissions_table"


def test_every_use_case_has_an_access_and_belongs_to_a_command() -> None:
    assert set(NEEDS) == set(UseCase)
    offered = {u for spec in REGISTRY.grammar.specs for u in spec.use_cases}
    assert offered == set(UseCase)
