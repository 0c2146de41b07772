"""README's configuration table is the settings model's, word for word, and every setting
says what it is."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from bot.settings_table import END, START, render

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_table_is_the_settings_model() -> None:
    text = README.read_text()
    shown = text[text.index(START) : text.index(END) + len(END)]
    assert shown == render(), "regenerate it: python -m bot.settings_table"


def test_every_setting_has_a_description() -> None:
    assert [n for n, f in Settings.model_fields.items() if not f.description] == []
