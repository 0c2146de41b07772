"""Unit tests for the Flywheel filter parser and matcher."""

from __future__ import annotations

import pytest

from localfw.filters import Clause, FilterError, Value, matches, parse, split_clauses

PROJECT_ID = "65a1b2c3d4e5f60718293a4b"
SESSION_ID = "65a1b2c3d4e5f60718293a4c"

DOC = {
    "_id": SESSION_ID,
    "label": "sub-01, run 2",
    "state": "failed",
    "attempt": 2,
    "tags": ["fwbot:b7k2q", "priority"],
    "created": "2024-01-08T12:30:00+00:00",
    "gear_info": {"name": "qsiprep-hpc", "version": "0.21.4"},
    "parents": {"group": "pennlinc", "project": PROJECT_ID},
    "files": [{"name": "a.html.zip"}, {"name": "b.log"}],
    "note": "a\\b",
}


def test_parse_all_operators() -> None:
    text = "a=1,b!=2,c<3,d<=4,e>5,f>=6,g=~^x.*,h=|[p,q]"
    ops = [(c.key, c.op) for c in parse(text)]
    assert ops == [
        ("a", "="),
        ("b", "!="),
        ("c", "<"),
        ("d", "<="),
        ("e", ">"),
        ("f", ">="),
        ("g", "=~"),
        ("h", "=|"),
    ]
    assert parse(text)[-1].value == (Value("p"), Value("q"))


def test_quoted_values_and_escaped_commas() -> None:
    assert parse(r'label="sub-01\, run 2"') == [
        Clause("label", "=", Value("sub-01, run 2", quoted=True))
    ]
    assert parse(r"label=sub-01\, run 2") == [Clause("label", "=", Value("sub-01, run 2"))]
    assert parse(r"""label='pilot\, "v2"'""") == [
        Clause("label", "=", Value('pilot, "v2"', quoted=True))
    ]
    assert split_clauses(r"a=1\,2,b=3") == [r"a=1\,2", "b=3"]
    # only "\," is an escape: other backslashes stay in the value
    assert parse(r"note=a\b") == [Clause("note", "=", Value("a\\b"))]
    assert parse(r"g=~^a\.b\,c") == [Clause("g", "=~", Value(r"^a\.b,c"))]


def test_quotes_do_not_protect_commas() -> None:
    """SDK: "Commas not used as separators must be escaped with backslash"."""
    with pytest.raises(FilterError):
        parse('label="sub-01, run 2"')


def test_bad_filters_raise() -> None:
    bad = (
        "no-operator",
        'label="open',
        "label=~(",
        "tags=|notalist",
        "tags=|[a,b",
        r'label="a\"b"',  # \" is not an escaped quote
        "label=O'Brien",  # stray quote in an unquoted value
    )
    for text in bad:
        with pytest.raises(FilterError):
            parse(text)


def test_quoted_regex_is_not_compiled() -> None:
    assert parse('label=~"("') == [Clause("label", "=~", Value("(", quoted=True))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("state=failed", True),
        ('state="failed"', True),
        ("state='failed'", True),
        ("state=complete", False),
        ("state!=complete", True),
        ("state!=failed", False),
        ("attempt>1", True),
        ("attempt>=3", False),
        ("attempt<10", True),  # numeric, not string ("2" > "10" as text)
        ("attempt<=2", True),
        ('attempt="2"', False),  # a quoted value is a string, never a number
        ("created>2024-01-08T12:00:00Z", True),
        ("created<2024-01-08", False),
        ('created="2024-01-08T12:30:00+00:00"', False),  # a string is not a date
        ("gear_info.name=~^qsiprep", True),
        ("gear_info.name=~prep-h", True),  # searched anywhere
        ("gear_info.name=~^fmriprep", False),
        ('gear_info.name=~"qsiprep"', False),  # quoted: a literal, not a regex
        ("created=~2024", False),  # regex only matches strings
        ("state=|[pending,failed]", True),
        ("state=|[pending,running]", False),
        ("tags=fwbot:b7k2q", True),  # any element of a list field
        ("tags!=fwbot:b7k2q", False),
        ("tags=fwbot:other", False),
        ("parents.group=pennlinc", True),
        ('parents.group="pennlinc"', True),
        (f"parents.project={PROJECT_ID}", True),
        (f'parents.project="{PROJECT_ID}"', False),  # quoted: a string, not an ObjectId
        (f"parents.project='{PROJECT_ID}'", False),
        (f'parents.project!="{PROJECT_ID}"', True),
        (f"parents.project!={PROJECT_ID}", False),
        (f"parents.project={PROJECT_ID.upper()}", False),
        (f"_id>{PROJECT_ID}", True),
        (f'_id>"{PROJECT_ID}"', False),
        (f"_id<={SESSION_ID}", True),
        (f"_id=|[{PROJECT_ID},{SESSION_ID}]", True),
        (f'_id=|[{PROJECT_ID},"{SESSION_ID}"]', False),  # each item typed by its quoting
        (f"label={PROJECT_ID}", False),
        ("_id=~^65a1", False),  # an ObjectId is not a string
        ("parents.project=~^65a1", False),
        ("files.name=b.log", True),
        (r"label=sub-01\, run 2", True),
        (r'label="sub-01\, run 2"', True),
        (r"label='sub-01\, run 2'", True),
        (r"note=a\b", True),
        (r'note="a\b"', True),
        (r"note=a\\b", False),
        ("missing=x", False),
        ("missing=null", True),
        ('missing="null"', False),
        ("missing!=x", True),
        ("state=failed,attempt=1", False),
    ],
)
def test_matching(text: str, expected: bool) -> None:
    assert matches(DOC, parse(text)) is expected
