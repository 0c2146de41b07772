"""The /fw grammar: tokens, quoting, suggestions and limits, on a small launch-like grammar."""

from __future__ import annotations

import pytest

from commands.grammar import (
    MAX_TEXT,
    ArgSpec,
    CommandSpec,
    CommandUsageError,
    FlagSpec,
    Grammar,
    OptionSpec,
    clean,
    tokenize,
)

HELP = CommandSpec(
    name="help",
    summary="Help",
    usage="/fw help [COMMAND]",
    args=(ArgSpec("command", "COMMAND", "a command", variadic=True),),
)
LAUNCH = CommandSpec(
    name="launch",
    aliases=("run",),
    summary="Launch a batch",
    usage="/fw launch GEAR project=P [size=large] [label=TEXT] [dry-run]",
    args=(ArgSpec("gear", "GEAR", "the gear", required=True),),
    options=(
        OptionSpec("project", "P", "the project", required=True),
        OptionSpec("size", "SIZE", "VM size", choices=("large", "small")),
        OptionSpec("label", "TEXT", "analysis label"),
    ),
    flags=(FlagSpec("dry-run", "plan only"),),
)
CONFIGS = CommandSpec(name="configs", summary="Saved configs", usage="/fw configs")
CONFIG_SHOW = CommandSpec(
    name="config show",
    summary="One config",
    usage="/fw config show NAME",
    args=(ArgSpec("name", "NAME", "config name", required=True),),
)
GEARS = CommandSpec(
    name="gears",
    summary="Gears",
    usage="/fw gears [TEXT]",
    args=(ArgSpec("text", "TEXT", "filter", variadic=True),),
)
GRAMMAR = Grammar([HELP, LAUNCH, CONFIGS, CONFIG_SHOW, GEARS])


def parse_error(text: str) -> CommandUsageError:
    with pytest.raises(CommandUsageError) as caught:
        GRAMMAR.parse(text)
    return caught.value


def test_words_options_and_flags_are_bound_to_the_command() -> None:
    inv = GRAMMAR.parse("launch qsiprep-hpc project=gear_testing size=large dry-run")
    assert inv.command == "launch"
    assert inv.arg("gear") == "qsiprep-hpc"
    assert dict(inv.options) == {"project": "gear_testing", "size": "large"}
    assert inv.flags == {"dry-run"}


def test_flags_take_dashes_including_a_phone_em_dash() -> None:
    assert GRAMMAR.parse("launch g project=p --dry-run").flags == {"dry-run"}
    assert GRAMMAR.parse("launch g project=p —dry-run").flags == {"dry-run"}


def test_command_words_and_keys_ignore_case() -> None:
    inv = GRAMMAR.parse("LAUNCH g Project=P")
    assert inv.command == "launch"
    assert inv.option("project") == "P"


def test_alias_routes_to_the_command() -> None:
    assert GRAMMAR.parse("run g project=p").command == "launch"


def test_longest_slug_wins() -> None:
    inv = GRAMMAR.parse("config show qsiprep-64dir")
    assert inv.command == "config show"
    assert inv.arg("name") == "qsiprep-64dir"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ('launch g project=p label="QSIPrep run 2"', "QSIPrep run 2"),
        ("launch g project=p label='QSIPrep run 2'", "QSIPrep run 2"),
        ("launch g project=p label=“QSIPrep run 2”", "QSIPrep run 2"),
        ("launch g project=p label=‘QSIPrep run 2’", "QSIPrep run 2"),
        ("launch g project=p label=„QSIPrep run 2“", "QSIPrep run 2"),
        ('launch g project=p label="it’s a=b"', "it’s a=b"),
        ('launch g project=p label="QSIPrep_{date}"', "QSIPrep_{date}"),
    ],
)
def test_quoted_values_keep_spaces_with_straight_or_smart_quotes(text: str, label: str) -> None:
    assert GRAMMAR.parse(text).option("label") == label


def test_a_quoted_word_is_one_positional_even_if_it_looks_like_a_flag() -> None:
    assert GRAMMAR.parse('gears "dry-run"').arg("text") == "dry-run"
    assert GRAMMAR.parse("gears “BIDS curation”").arg("text") == "BIDS curation"


def test_an_apostrophe_inside_a_word_is_not_a_quote() -> None:
    assert GRAMMAR.parse("gears o’brien's").arg("text") == "o’brien's"


def test_unicode_anywhere() -> None:
    inv = GRAMMAR.parse('launch gëar-ü project=研究 label="Ünïcode 🧠 ラベル"')
    assert inv.arg("gear") == "gëar-ü"
    assert inv.option("project") == "研究"
    assert inv.option("label") == "Ünïcode 🧠 ラベル"


def test_variadic_argument_takes_the_rest_of_the_words() -> None:
    assert GRAMMAR.parse("gears bids   curation").arg("text") == "bids curation"


@pytest.mark.parametrize("quote", ['"', "“", "‘", "'"])
def test_unbalanced_quote_says_so_and_shows_what_to_type(quote: str) -> None:
    err = parse_error(f"launch g project=p label={quote}my label")
    assert "never closed" in err.message
    assert "label=" in err.message
    assert err.hint is not None
    closing = {'"': '"', "“": "”", "‘": "’", "'": "'"}[quote]
    assert f"label={quote}my label{closing}" in err.hint


def test_unknown_command_suggests_the_nearest() -> None:
    err = parse_error("lanuch g project=p")
    assert err.message == "Unknown command `lanuch`. Did you mean `launch`?"
    assert err.hint is not None
    assert "`gears`" in err.hint and "`help`" in err.hint


def test_unknown_command_without_a_near_match_just_lists_commands() -> None:
    err = parse_error("xyzzy")
    assert err.message == "Unknown command `xyzzy`."
    assert err.hint == "Commands: `help`, `launch`, `configs`, `config show`, `gears`."


def test_unknown_option_suggests_the_nearest_key() -> None:
    err = parse_error("launch g projcet=gear_testing")
    assert err.message == "Unknown option `projcet=` for `/fw launch`. Did you mean `project=`?"
    assert err.command == "launch"


def test_unknown_flag_suggests_the_nearest_flag() -> None:
    err = parse_error("launch g project=p --dryrun")
    assert err.message == "Unknown flag `--dryrun` for `/fw launch`. Did you mean `dry-run`?"


def test_extra_word_that_looks_like_a_key_suggests_the_key() -> None:
    err = parse_error("launch g projec p")
    assert err.message.startswith("Unexpected word `projec` for `/fw launch`.")
    assert err.message.endswith("Did you mean `project=`?")
    assert err.hint == f"Usage: `{LAUNCH.usage}`"


def test_value_outside_choices_names_them_and_suggests() -> None:
    err = parse_error("launch g project=p size=lrage")
    assert "`large`, `small`" in err.message
    assert "Did you mean `size=large`?" in err.message


def test_missing_required_argument_and_option_show_usage() -> None:
    err = parse_error("launch project=p")
    assert err.message.startswith("`/fw launch` needs GEAR")
    assert err.hint == f"Usage: `{LAUNCH.usage}`"
    err = parse_error("launch qsiprep-hpc")
    assert err.message.startswith("`/fw launch` needs `project=`")


def test_repeated_and_empty_options_are_errors() -> None:
    assert "twice" in parse_error("launch g project=a project=b").message
    assert "needs a value" in parse_error("launch g project=").message
    assert "option name" in parse_error("launch g =p").message


def test_starting_with_an_option_asks_for_a_command() -> None:
    err = parse_error("project=gear_testing")
    assert err.message == "Start with a command, not `project=gear_testing`."


def test_empty_text_is_the_overview_help() -> None:
    for text in ("", "   ", "\n\t"):
        inv = GRAMMAR.parse(text)
        assert inv.command == "help"
        assert inv.arg("command") is None
        assert not inv.wants_help


@pytest.mark.parametrize("word", ["help", "--help", "-h", "—help", "HELP"])
def test_help_after_any_command_asks_for_its_help(word: str) -> None:
    inv = GRAMMAR.parse(f"launch {word}")
    assert inv.command == "launch"
    assert inv.wants_help


def test_help_wins_over_other_errors_in_the_same_text() -> None:
    assert GRAMMAR.parse("launch --help projcet=x").wants_help


def test_text_over_the_limit_is_refused_briefly() -> None:
    err = parse_error("gears " + "x" * 10_000)
    assert err.message == "That is too long for /fw (10,006 characters; the limit is 2,000)."
    assert len(err.user_text()) < 200
    assert GRAMMAR.parse("gears " + "x" * (MAX_TEXT - 6)).arg("text") == "x" * (MAX_TEXT - 6)


def test_control_and_zero_width_characters_are_dropped() -> None:
    assert clean("gears\x00 qsi\x07prep\u200b\x1b") == "gears qsiprep"
    assert GRAMMAR.parse("ge\x00ars\tqsi\x08prep").arg("text") == "qsiprep"


def test_tokens_record_keys_and_quoting() -> None:
    tokens = tokenize('launch label="a b" x=y=z')
    assert [(t.key, t.value, t.quoted) for t in tokens] == [
        (None, "launch", False),
        ("label", "a b", True),
        ("x", "y=z", False),
    ]


def test_long_user_words_are_shortened_in_messages() -> None:
    err = parse_error("z" * 500)
    assert len(err.message) < 80


def test_declaring_a_slug_twice_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="twice"):
        Grammar([HELP, GEARS, CommandSpec(name="list", aliases=("gears",), summary="", usage="")])


def test_bidi_overrides_are_dropped_so_echoed_words_read_right() -> None:
    assert clean("gear\u202e qsiprep\u2066-hpc\u2069") == "gear qsiprep-hpc"
