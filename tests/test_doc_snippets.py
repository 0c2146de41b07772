"""Every snippet in README.md and docs/*.md runs as written, or says it is a sketch.

The fenced code blocks and the indented (4-space) code blocks of each page are read
with a small Markdown reader (below), and:

- ```python blocks are run, each in a fresh interpreter (``python snippet.py``);
  ```python blocks of ``>>>`` lines and ```pycon blocks are run with ``python -m
  doctest``, so their printed results must match. A block whose first line is
  ``# sketch: <why>`` is not run: its test is skipped with that reason (``-ra`` prints
  it). Each run gets a fresh temporary working directory holding a copy of the
  repository's ``configs/`` (the docs are written as if run from a checkout's root,
  where ``./configs`` is), and an environment without ``FWBOT_*`` or ``DATABASE_URL``,
  so the developer's settings never change what a snippet does.
- A snippet naming the local Flywheel of ``fwbot localfw --port 8090``
  (``127.0.0.1:8090``) gets one: this module starts ``LocalFlywheel(build_demo_world(),
  api_key="fwbot-demo-key", clock=SimClock())``, what ``fwbot localfw`` serves (on a
  clock that stands still), on a free port, and replaces ``127.0.0.1:8090`` in the
  snippet's text with that server's ``127.0.0.1:PORT`` before running it. Nothing
  else in a snippet is changed.
- Shell blocks (```sh, ```bash, ```console, untagged or indented) are not run; every
  command line in them that runs ``fwbot`` (any path) must name a subcommand that
  ``fwbot --help`` has and parse with fwbot's own argument parser, every ``make``
  must name a Makefile target, and every ``python -m MODULE`` a module that exists.
- ```yaml blocks must parse.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.cli import build_parser
from localfw.demo_world import build_demo_world
from localfw.server import LocalFlywheel
from localfw.simulator import SimClock

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

SKETCH = re.compile(r"^#\s*sketch:\s*(?P<why>\S.*)$")
LOCALFW_IN_DOCS = "127.0.0.1:8090"  # `fwbot localfw --port 8090`, as the README starts it
LOCALFW_KEY = "fwbot-demo-key"  # what `fwbot localfw` prints unless --api-key
RUN_TIMEOUT = 110.0  # seconds; the README's tutorial loop takes about 20

PYTHON_LANGS = {"python", "py", "python3"}
DOCTEST_LANGS = {"pycon"}
SHELL_LANGS = {"", "sh", "bash", "shell", "console", "text"}
YAML_LANGS = {"yaml", "yml"}

FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:\s|$)")


# -- reading the Markdown -------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence, or of the first indented line
    lang: str  # the fence's info word, lowercased; "" for an indented block
    text: str
    indented: bool = False

    @property
    def where(self) -> str:
        page = self.page.relative_to(REPO) if self.page.is_relative_to(REPO) else self.page
        return f"{page.as_posix()}:{self.line}"

    @property
    def is_doctest(self) -> bool:
        return self.lang in DOCTEST_LANGS or (
            self.lang in PYTHON_LANGS
            and any(line.lstrip().startswith(">>>") for line in self.text.splitlines())
        )

    @property
    def sketch_reason(self) -> str | None:
        """The reason of a ``# sketch: <why>`` first line (``>>> # sketch: ...`` in a
        doctest), else None."""
        lines = self.text.strip().splitlines()
        if not lines:
            return None
        first = lines[0].strip()
        first = first.removeprefix(">>>").strip()
        match = SKETCH.match(first)
        return match["why"].strip() if match else None


def blocks_of(page: Path) -> list[Block]:
    """The page's fenced and indented code blocks, in order.

    Enough of CommonMark for these docs: a fence opens with three or more backticks or
    tildes (at most 3 spaces in) and closes with a line of at least as many of the same
    character; an indented block is lines of 4+ spaces after a blank line, outside a
    list item (where such lines continue the item), running on across blank lines.
    """
    lines = page.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    prev_blank = True
    in_list = False
    while i < len(lines):
        line = lines[i]
        fence = FENCE_OPEN.match(line)
        if fence:
            marker, indent = fence["fence"], len(fence["indent"])
            info = fence["info"].strip()
            lang = info.split()[0].lower() if info else ""
            body: list[str] = []
            j = i + 1
            while j < len(lines):
                stripped = lines[j].strip()
                if stripped.startswith(marker[0] * len(marker)) and not stripped.strip(marker[0]):
                    break
                body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j])
                j += 1
            out.append(Block(page, i + 1, lang, "\n".join(body) + "\n"))
            i, prev_blank, in_list = j + 1, False, False
            continue
        if not line.strip():
            prev_blank = True
            i += 1
            continue
        if line.startswith("    ") and prev_blank and not in_list:
            body, j = [], i
            while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
                body.append(lines[j][4:])
                j += 1
            while body and not body[-1].strip():
                body.pop()
            out.append(Block(page, i + 1, "", "\n".join(body) + "\n", indented=True))
            i, prev_blank = j, False
            continue
        if LIST_ITEM.match(line):
            in_list = True
        elif prev_blank and not line[:1].isspace():
            in_list = False  # a new paragraph (or heading) at the left margin ends the list
        prev_blank = False
        i += 1
    return out


ALL_BLOCKS = [block for page in PAGES for block in blocks_of(page)]
PYTHON_BLOCKS = [b for b in ALL_BLOCKS if b.lang in PYTHON_LANGS | DOCTEST_LANGS]
SHELL_BLOCKS = [b for b in ALL_BLOCKS if b.lang in SHELL_LANGS]
YAML_BLOCKS = [b for b in ALL_BLOCKS if b.lang in YAML_LANGS]


def ids(blocks: list[Block]) -> list[str]:
    return [b.where for b in blocks]


# -- running Python snippets ----------------------------------------------------------


@pytest.fixture(scope="module")
def docs_localfw() -> Iterator[LocalFlywheel]:
    """What `fwbot localfw` serves (the demo world, fwbot's key), on a free port."""
    lf = LocalFlywheel(build_demo_world(), api_key=LOCALFW_KEY, clock=SimClock())
    lf.start(host="127.0.0.1", port=0)
    try:
        yield lf
    finally:
        lf.stop()


def snippet_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FWBOT_") and k not in {"DATABASE_URL", "PYTHONSTARTUP"}
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=ids(PYTHON_BLOCKS))
def test_python_snippet_runs(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    why = block.sketch_reason
    if why is not None:
        pytest.skip(f"{block.where}: sketch: {why}")
    text = block.text
    if LOCALFW_IN_DOCS in text:
        lf: LocalFlywheel = request.getfixturevalue("docs_localfw")
        text = text.replace(LOCALFW_IN_DOCS, f"{lf.host}:{lf.port}")
    shutil.copytree(REPO / "configs", tmp_path / "configs")
    if block.is_doctest:
        script = tmp_path / "snippet.txt"
        argv = [sys.executable, "-m", "doctest", script.name]
    else:
        script = tmp_path / "snippet.py"
        argv = [sys.executable, script.name]
    script.write_text(text, encoding="utf-8")
    try:
        done = subprocess.run(
            argv,
            cwd=tmp_path,
            env=snippet_env(),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{block.where}: still running after {RUN_TIMEOUT:g} s")
    if done.returncode != 0:
        pytest.fail(
            f"{block.where} fails as written (exit {done.returncode}); fix it, or mark it "
            f"with a first line `# sketch: <why>`\n--- stdout\n{done.stdout}\n"
            f"--- stderr\n{done.stderr}",
            pytrace=False,
        )


# -- checking shell snippets ----------------------------------------------------------


def makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return {
        m[1] for m in re.finditer(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)\s*:(?!=)", text, re.MULTILINE)
    }


def command_lines(text: str) -> Iterator[list[str]]:
    """Each simple command of a shell block, as words, with comments, leading
    ``VAR=value`` assignments and prompts (``$ ``) removed; lines shlex cannot split
    (prose, tables) are passed over, and backslash-newline joins lines."""
    for raw in text.replace("\\\n", " ").splitlines():
        line = raw.strip().removeprefix("$ ")
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars="|;&")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            words = list(lexer)
        except ValueError:
            continue
        command: list[str] = []
        for word in [*words, ";"]:
            if word and set(word) <= set("|;&"):
                while command and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", command[0]):
                    command.pop(0)
                if command:
                    yield command
                command = []
            else:
                command.append(word)


def subcommands(parser: argparse.ArgumentParser) -> set[str]:
    return {
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


def shell_problems(block: Block) -> list[str]:
    parser = build_parser()
    known = subcommands(parser)
    targets = makefile_targets()
    problems: list[str] = []
    for words in command_lines(block.text):
        program = Path(words[0]).name
        args = words[1:]
        if program == "fwbot":
            if not args or not re.match(r"^[A-Za-z-]", args[0]):
                continue  # "fwbot" heading a table row, not a command
            if args[0] not in known:
                problems.append(f"`fwbot {args[0]}`: not a subcommand (fwbot has {sorted(known)})")
                continue
            try:
                parser.parse_args(args)
            except SystemExit:
                problems.append(f"`fwbot {shlex.join(args)}`: fwbot's parser refuses it")
        elif program == "make":
            for target in (a for a in args if not a.startswith("-") and "=" not in a):
                if target not in targets:
                    problems.append(f"`make {target}`: no such target in the Makefile")
        elif (
            program.startswith("python")
            and args[:1] == ["-m"]
            and len(args) > 1
            and importlib.util.find_spec(args[1]) is None
        ):
            problems.append(f"`python -m {args[1]}`: no such module")
    return problems


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=ids(SHELL_BLOCKS))
def test_shell_snippet_names_real_commands(block: Block) -> None:
    problems = shell_problems(block)
    assert not problems, f"{block.where}: " + "; ".join(problems)


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=ids(YAML_BLOCKS))
def test_yaml_snippet_parses(block: Block) -> None:
    yaml.safe_load(block.text)


# -- the reader itself ------------------------------------------------------------------


def test_the_reader_finds_the_readmes_snippets() -> None:
    readme = blocks_of(REPO / "README.md")
    langs = [b.lang for b in readme]
    assert "python" in langs and "yaml" in langs
    assert any("make demo" in b.text for b in readme if b.indented)
    # A list item's indented continuation is no code block.
    assert not any(b.text.startswith("**") for b in readme)


def test_the_reader_sees_sketch_markers_and_doctests(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Text\n\n```python\n# sketch: needs a real site\nfw.get(x)\n```\n\n"
        "- item\n\n    continued item\n\nPara\n\n    make demo\n\n"
        "```pycon\n>>> 1 + 1\n2\n```\n",
        encoding="utf-8",
    )
    sketch, indented, doctest = blocks_of(page)
    assert sketch.sketch_reason == "needs a real site" and not sketch.is_doctest
    assert indented.indented and indented.text == "make demo\n" and indented.line == 14
    assert doctest.is_doctest and doctest.sketch_reason is None


def test_shell_checks_catch_unknown_commands(tmp_path: Path) -> None:
    block = Block(
        tmp_path / "x.md",
        1,
        "sh",
        "FOO=1 .venv/bin/fwbot nosuch --x   # comment\nprintf 'a' | make nosuchtarget ARGS=1\n"
        ".venv/bin/python -m no_such_module_here\nmake demo\n",
    )
    problems = shell_problems(block)
    assert len(problems) == 3, problems


def test_a_sketch_is_skipped_with_its_reason(tmp_path: Path) -> None:
    block = Block(REPO / "README.md", 1, "python", "# sketch: needs a real site\nfw.get(x)\n")
    with pytest.raises(pytest.skip.Exception, match=r"README.md:1: sketch: needs a real site"):
        test_python_snippet_runs(block, tmp_path, None)  # type: ignore[arg-type]
