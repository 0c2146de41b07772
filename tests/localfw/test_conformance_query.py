"""Conformance: filter and paging rules, pinned through the unmodified SDK.

Each test names its source: the SDK's endpoint docstrings (flywheel/api/*_api.py,
flywheel/finder.py), Flywheel's documented behaviour, or "no source; stricter" where
Flywheel documents nothing and localfw must not be kinder than the real server.
Only endpoints a project member can read are used (projects, sessions, acquisitions).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import flywheel
import pytest

from localfw import paging
from localfw.server import LocalFlywheel
from localfw.world import World
from tests.fixtures.localfw import SMALL_SESSIONS

ODD_LABEL = 'pilot, "v2"'


def gear_testing(fw: Any) -> Any:
    return fw.projects.find_first("label=gear_testing")


def status_of(call: Callable[[], Any]) -> int:
    with pytest.raises(flywheel.ApiException) as info:
        call()
    return int(info.value.status)


def add_odd_session(world: World) -> None:
    """A gear_testing session labelled with a comma and double quotes."""
    with world.lock:
        project = next(p for p in world.projects.values() if p["label"] == "gear_testing")
        subject = world.add_subject(project, "sub-odd")
        world.add_session(subject, ODD_LABEL, datetime(2024, 2, 1, tzinfo=UTC))


# -- typed values -------------------------------------------------------------


def test_unquoted_24_hex_is_an_object_id(fw: Any) -> None:
    """Flywheel (MongoDB) behaviour: an unquoted 24-hex value is an ObjectId and matches
    ObjectId fields; SDK sessions_api.get_all_sessions `:param filter: Comma separated
    filters to apply. ... (e.g. label=my-label,created>2018-09-22)`."""
    pid = gear_testing(fw).id
    sessions = fw.sessions.find(f"parents.project={pid}", limit=1000)
    assert len(sessions) == SMALL_SESSIONS
    one = sessions[7]
    assert [s.id for s in fw.get_all_sessions(filter=f"_id={one.id}")] == [one.id]


def test_quoted_24_hex_is_a_string_and_matches_no_object_id(fw: Any) -> None:
    """Flywheel (MongoDB) behaviour: a quoted value is always a string, and a string never
    equals an ObjectId, so `parents.project="<id>"` matches nothing."""
    p = gear_testing(fw)
    assert fw.sessions.find(f'parents.project="{p.id}"', limit=1000) == []
    assert fw.sessions.find(f"parents.project='{p.id}'", limit=1000) == []
    assert fw.projects.find(f'_id="{p.id}"', limit=10) == []


def test_quoted_string_matches_string_fields(fw: Any) -> None:
    """Flywheel behaviour: a quoted value is a string; labels and group ids are strings."""
    assert [p.label for p in fw.projects.find('label="gear_testing"', limit=10)] == ["gear_testing"]
    assert [p.label for p in fw.projects.find("label='gear_testing',group=\"pennlinc\"")] == [
        "gear_testing"
    ]
    p = gear_testing(fw)
    assert fw.projects.find(f"label={p.id}", limit=10) == []  # an ObjectId is not a label


def test_not_equal_is_typed_too(fw: Any) -> None:
    """Flywheel (MongoDB) behaviour: `!=` is the negation of the typed `=`, so a quoted id
    (a string) differs from every ObjectId."""
    p = gear_testing(fw)
    assert len(p.sessions.find(f'parents.project!="{p.id}"', limit=1000)) == SMALL_SESSIONS
    assert p.sessions.find(f"parents.project!={p.id}", limit=1000) == []


def test_comparisons_are_typed(fw: Any) -> None:
    """Flywheel (MongoDB) behaviour: `<`, `>`, `<=`, `>=` only compare values of one type:
    ObjectId with ObjectId, string with string."""
    p = gear_testing(fw)
    ids = sorted(s.id for s in p.sessions.find(limit=1000))
    mid = ids[100]
    assert len(p.sessions.find(f"_id>{mid}", limit=1000)) == SMALL_SESSIONS - 101
    assert len(p.sessions.find(f"_id<={mid}", limit=1000)) == 101
    assert p.sessions.find(f'_id>"{mid}"', limit=1000) == []
    assert p.sessions.find(f"_id>='{mid}'", limit=1000) == []
    assert len(p.sessions.find('label>"ses-01"', limit=1000)) == SMALL_SESSIONS // 2


def test_in_list_items_are_typed_one_by_one(fw: Any) -> None:
    """Flywheel (MongoDB) behaviour: each `=|[...]` item is typed by its own quoting."""
    p = gear_testing(fw)
    a, b = (s.id for s in p.sessions.find(limit=2))
    assert {s.id for s in p.sessions.find(f"_id=|[{a},{b}]", limit=10)} == {a, b}
    assert [s.id for s in p.sessions.find(f'_id=|[{a},"{b}"]', limit=10)] == [a]
    both = p.sessions.find("label=|[\"ses-01\",'ses-02']", limit=1000)
    assert len(both) == SMALL_SESSIONS


# -- regex --------------------------------------------------------------------


def test_unquoted_regex_is_searched_anywhere(fw: Any) -> None:
    """Flywheel behaviour: `=~` takes a regular expression, matched anywhere in the value
    (MongoDB `$regex`); backslashes reach the regex engine unchanged."""
    p = gear_testing(fw)
    assert len(p.sessions.find("label=~-02", limit=1000)) == SMALL_SESSIONS // 2
    assert len(p.sessions.find(r"label=~^ses\-0\d$", limit=1000)) == SMALL_SESSIONS


def test_quoted_regex_matches_nothing(fw: Any) -> None:
    """No source; stricter: Flywheel takes a quoted `=~` value as a literal string, not a
    pattern, so it matches nothing (not even a label equal to it)."""
    p = gear_testing(fw)
    assert p.sessions.find('label=~"ses"', limit=1000) == []
    assert p.sessions.find("label=~'.*'", limit=1000) == []
    assert p.sessions.find('label=~"ses-01"', limit=1000) == []


# -- escapes ------------------------------------------------------------------


def test_escaped_comma_is_a_comma_inside_or_outside_quotes(small_world: World, fw: Any) -> None:
    """SDK sessions_api `:param filter: Comma separated filters to apply. Commas not used as
    separators must be escaped with backslash '\\'.` A quote of the other kind is fine."""
    add_odd_session(small_world)
    found = fw.sessions.find(r"""label='pilot\, "v2"'""", limit=10)
    assert [s.label for s in found] == [ODD_LABEL]
    assert [s.label for s in fw.sessions.find(r"label=~^pilot\,\s.v2.$", limit=10)] == [ODD_LABEL]


def test_quotes_do_not_protect_commas(small_world: World, fw: Any) -> None:
    """SDK `:param filter:` "Commas not used as separators must be escaped with backslash"
    (no source; stricter: even inside quotes an unescaped comma separates, so the rest is
    a broken clause and the server answers 400)."""
    add_odd_session(small_world)
    assert status_of(lambda: fw.sessions.find("""label='pilot, "v2"'""", limit=10)) == 400
    assert status_of(lambda: fw.projects.find("label=gear_testing,x", limit=10)) == 400


def test_only_backslash_comma_is_an_escape(small_world: World, fw: Any) -> None:
    """SDK `:param filter:` documents only the escaped comma; no source; stricter: any other
    backslash stays in the value, so `\\"` is no escaped quote and `\\_` is not `_`."""
    add_odd_session(small_world)
    # \" is a backslash and a closing quote: the quoted value is broken -> 400
    bad = r'label="pilot\, \"v2\""'
    assert status_of(lambda: fw.sessions.find(bad, limit=10)) == 400
    assert fw.projects.find(r"label=gear\_testing", limit=10) == []
    assert fw.projects.find(r'label="gear\_testing"', limit=10) == []
    # an unquoted value cannot hold a quote character at all
    assert status_of(lambda: fw.sessions.find(r'label=pilot\, "v2"', limit=10)) == 400


# -- paging -------------------------------------------------------------------


@pytest.mark.parametrize("limit", [0, -1, "ten", "2.5", ""])
def test_limit_must_be_a_positive_integer(fw: Any, limit: Any) -> None:
    """SDK sessions_api `:param limit: The maximum number of entries to return.`
    Stricter than the SDK Finder's comment ("a limit of 0 is supported and returns all
    results"): a positive integer, else 400."""
    assert status_of(lambda: fw.get_all_sessions(limit=limit)) == 400


@pytest.mark.parametrize(
    "extra", [{"sort": "label:asc"}, {"skip": 0}, {"skip": 5}, {"page": 1}, {"page": 2}]
)
def test_after_id_cannot_be_combined_with_sort_skip_or_page(fw: Any, extra: Any) -> None:
    """SDK sessions_api `:param after_id: Paginate after the given id. (Cannot be used with
    sort, page or skip)`."""
    first = fw.sessions.find(limit=1)[0]
    call = lambda: fw.get_all_sessions(after_id=first.id, limit=3, **extra)  # noqa: E731
    assert status_of(call) == 400


def test_after_id_walks_ids_ascending(fw: Any) -> None:
    """SDK `:param after_id: Paginate after the given id.`; finder.py `iter_find` pages by
    250 with after_id = last id until an empty page (ObjectIds grow with creation)."""
    p = gear_testing(fw)
    first = fw.get_all_sessions(limit=3)
    after = fw.get_all_sessions(limit=3, after_id=first[-1].id)
    ids = [s.id for s in first + after]
    assert ids == sorted(ids) and len(set(ids)) == 6
    walked = [s.id for s in p.sessions.iter_find()]
    assert walked == sorted(walked) and len(walked) == SMALL_SESSIONS


def test_sorted_pages_use_page_and_limit(fw: Any) -> None:
    """SDK `:param sort: The sort fields and order. (e.g. label:asc,created:desc)` and
    `:param page: The page number (i.e. skip limit*page entries)`; finder.py pages sorted
    finds with page=1, 2, ... (so page 1 is the first page)."""
    p = gear_testing(fw)
    everything = p.sessions.find(sort="label:desc,created:asc", limit=1000)
    assert [s.label for s in everything[:2]] == ["ses-02", "ses-02"]
    second = fw.get_project_sessions(p.id, sort="label:desc,created:asc", limit=7, page=2)
    assert [s.id for s in second] == [s.id for s in everything[7:14]]
    skipped = fw.get_project_sessions(p.id, sort="label:desc,created:asc", limit=7, skip=3)
    assert [s.id for s in skipped] == [s.id for s in everything[3:10]]
    walked = list(p.sessions.iter_find(sort="label:asc", limit=100))
    assert len(walked) == SMALL_SESSIONS


def test_bad_sort_is_400(fw: Any) -> None:
    """SDK `:param sort: The sort fields and order. (e.g. label:asc,created:desc)`;
    no source; stricter: a direction other than asc/desc is refused."""
    assert status_of(lambda: fw.get_all_sessions(sort="label:up", limit=3)) == 400


def test_site_caps_page_size_and_no_limit_is_one_default_page(
    localfw: LocalFlywheel, small_world: World, fw: Any
) -> None:
    """The SDK's finder.py: "Force paginated find calls on core-api which now requires a
    page limit", so a request without `limit` answers one default page (100 here,
    `context.default_page_size`), never everything. A site caps the page size (finder.py:
    "we should enforce a max limit"), so a bigger `limit` gets at most MAX_PAGE_SIZE
    items. Only after_id paging to an empty page reaches everything."""
    with small_world.lock:
        session = next(iter(small_world.sessions.values()))
        for i in range(450):
            small_world.add_acquisition(session, f"extra-{i:03d}", [])
    total = len(small_world.acquisitions)
    assert total > paging.MAX_PAGE_SIZE
    assert len(fw.get_all_acquisitions(limit=paging.MAX_PAGE_SIZE + 500)) == paging.MAX_PAGE_SIZE
    assert len(fw.acquisitions.find()) == total  # iter_find: 250 per page, after_id
    assert len(fw.get_all_acquisitions()) == paging.DEFAULT_PAGE_SIZE == 100
    localfw.context.default_page_size = 2
    localfw.context.max_page_size = 2
    assert len(fw.get_all_acquisitions()) == 2
    assert len(fw.get_all_acquisitions(limit=1000)) == 2
    assert len(fw.acquisitions.find()) == total  # still everything, two at a time


@pytest.mark.parametrize(
    "call",
    [
        "get_all_projects",
        "get_all_subjects",
        "get_all_sessions",
        "get_all_acquisitions",
        "get_all_analyses",
        "get_all_gears",
        "get_all_groups",
        "get_all_roles",
        "get_all_users",
        "project_sessions",
        "project_subjects",
        "project_acquisitions",
        "subject_sessions",
        "session_acquisitions",
        "project_analyses",
    ],
)
def test_every_paged_listing_answers_one_default_page_without_limit(
    localfw: LocalFlywheel, small_world: World, fw: Any, admin_fw: Any, call: str
) -> None:
    """Every listing whose SDK method takes `limit` and `after_id` (the finders) answers
    one default page without `limit` (finder.py: "core-api now requires a page limit"),
    and caps a bigger `limit`; after_id walks the rest."""
    p = fw.projects.find_first("label=gear_testing")
    subject, session = p.subjects.find_first(), p.sessions.find_first()
    with small_world.lock:
        project_doc = small_world.projects[p.id]
        for i in range(3):
            small_world.add_user(f"extra{i}@example.org", "Extra", str(i))
            small_world.add_role(f"extra-{i}", ["containers_view_metadata"])
            small_world.add_group(f"group-{i}", f"Group {i}")
            small_world.add_project(f"group-{i}", f"project-{i}")
            small_world.add_analysis(project_doc, f"a-{i}")
            small_world.add_session(small_world.subjects[subject.id], f"extra-{i}", p.created)
            small_world.add_acquisition(small_world.sessions[session.id], f"extra-{i}", [])
    localfw.context.default_page_size = 2
    localfw.context.max_page_size = 3
    calls: dict[str, Callable[..., Any]] = {
        "project_sessions": lambda **kw: admin_fw.get_project_sessions(p.id, **kw),
        "project_subjects": lambda **kw: admin_fw.get_project_subjects(p.id, **kw),
        "project_acquisitions": lambda **kw: admin_fw.get_project_acquisitions(p.id, **kw),
        "subject_sessions": lambda **kw: admin_fw.get_subject_sessions(subject.id, **kw),
        "session_acquisitions": lambda **kw: admin_fw.get_session_acquisitions(session.id, **kw),
        "project_analyses": lambda **kw: admin_fw.get_project_analyses(p.id, **kw),
    }
    listing = calls.get(call) or getattr(admin_fw, call)
    first = listing()
    assert len(first) == 2
    assert len(listing(limit=100)) == 3
    rest = listing(limit=3, after_id=first[-1].id)
    assert rest and all(x.id > first[-1].id for x in rest)


# -- paging units -------------------------------------------------------------

DOCS: list[dict[str, Any]] = [{"_id": f"{i:024x}", "n": i % 3} for i in range(10)]


def test_page_unit_rules() -> None:
    """The same rules without HTTP: ValueError is what the server serves as 400."""
    assert len(paging.page(DOCS, {"limit": "8"}, max_page_size=4)) == 4
    assert len(paging.page(DOCS, {}, default_page_size=3)) == 3
    assert len(paging.page(DOCS, {}, default_page_size=None)) == 10
    assert len(paging.page(DOCS, {}, default_page_size=8, max_page_size=4)) == 4
    after = paging.page(DOCS, {"after_id": DOCS[6]["_id"], "limit": "2"})
    assert after == DOCS[7:9]
    by_n = paging.page(DOCS, {"sort": "n:desc,_id:asc", "limit": "2", "page": "2"})
    assert [d["_id"] for d in by_n] == [DOCS[8]["_id"], DOCS[1]["_id"]]
    bad: dict[str, str]
    for bad in (
        {"limit": "0"},
        {"limit": "+5"},
        {"limit": " 5"},
        {"skip": "-1"},
        {"page": "0"},
        {"after_id": ""},
        {"after_id": str(DOCS[0]["_id"]), "skip": "0"},
        {"sort": "n:sideways"},
        {"sort": ""},
    ):
        with pytest.raises(ValueError):
            paging.validate(bad)
