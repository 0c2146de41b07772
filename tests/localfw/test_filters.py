"""Unit tests for the Flywheel filter parser and matcher."""

from __future__ import annotations

import pytest

from bot.localfw.filters import Clause, FilterError, matches, parse, split_clauses

DOC = {
    "label": "sub-01, run 2",
    "state": "failed",
    "attempt": 2,
    "tags": ["fwbot:b7k2q", "priority"],
    "created": "2024-01-08T12:30:00+00:00",
    "gear_info": {"name": "qsiprep-hpc", "version": "0.21.4"},
    "parents": {"project": "p1"},
    "files": [{"name": "a.html.zip"}, {"name": "b.log"}],
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
    assert parse(text)[-1].value == ("p", "q")


def test_quoted_values_and_escaped_commas() -> None:
    assert parse('label="sub-01, run 2"') == [Clause("label", "=", "sub-01, run 2")]
    assert parse(r"label=sub-01\, run 2") == [Clause("label", "=", "sub-01, run 2")]
    assert split_clauses(r"a=1\,2,b=3") == [r"a=1\,2", "b=3"]


def test_bad_filters_raise() -> None:
    for bad in ("no-operator", 'label="open', "label=~(", "tags=|notalist"):
        with pytest.raises(FilterError):
            parse(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("state=failed", True),
        ("state=complete", False),
        ("state!=complete", True),
        ("state!=failed", False),
        ("attempt>1", True),
        ("attempt>=3", False),
        ("attempt<10", True),  # numeric, not string ("2" > "10" as text)
        ("attempt<=2", True),
        ("created>2024-01-08T12:00:00Z", True),
        ("created<2024-01-08", False),
        ("gear_info.name=~^qsiprep", True),
        ("gear_info.name=~^fmriprep", False),
        ("state=|[pending,failed]", True),
        ("state=|[pending,running]", False),
        ("tags=fwbot:b7k2q", True),  # any element of a list field
        ("tags!=fwbot:b7k2q", False),
        ("tags=fwbot:other", False),
        ("parents.project=p1", True),
        ("files.name=b.log", True),
        (r"label=sub-01\, run 2", True),
        ("missing=x", False),
        ("missing!=x", True),
        ("state=failed,attempt=1", False),
    ],
)
def test_matching(text: str, expected: bool) -> None:
    assert matches(DOC, parse(text)) is expected
