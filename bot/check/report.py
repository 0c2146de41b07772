"""`fwbot check`'s report: one line per check for people, or one JSON object.

Text: ``✔ slack: auth.test ok as @fwbot in "lab"; scopes ok`` and
``✘ flywheel: ... — fix: ...``, then a summary line. JSON:
``{"ok": bool, "checks": [{"name", "status", "detail", "fix"}]}``. Every text is one
line, and no secret the checks knew of ever appears in it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TextIO

from bot.check.checks import CheckResult

MARKS = {"pass": "✔", "fail": "✘", "warn": "!", "skip": "-"}
ASCII_MARKS = {"pass": "ok", "fail": "FAIL", "warn": "warn", "skip": "skip"}
MIN_SECRET = 6  # shorter values are not hunted for in the text (they would match words)
HIDDEN = "[hidden]"


def one_line(text: str) -> str:
    return " ".join(text.split())


def redact(result: CheckResult, secrets: list[str]) -> CheckResult:
    """The result on one line each, with every known secret (and the part of a Flywheel key
    after its last colon) replaced."""
    hunted: set[str] = set()
    for secret in secrets:
        secret = secret.strip()
        hunted.update({secret, secret.rsplit(":", 1)[-1]})
    hunted = {s for s in hunted if len(s) >= MIN_SECRET}

    def clean(text: str) -> str:
        for secret in sorted(hunted, key=len, reverse=True):
            text = text.replace(secret, HIDDEN)
        return one_line(text)

    return dataclasses.replace(result, detail=clean(result.detail), fix=clean(result.fix))


def passed(results: list[CheckResult]) -> bool:
    """True when no check failed (warnings and skips alone do not fail the run; a skip
    always follows a failure)."""
    return not any(r.status == "fail" for r in results)


def as_json(results: list[CheckResult]) -> str:
    return json.dumps(
        {
            "ok": passed(results),
            "checks": [
                {"name": r.name, "status": r.status, "detail": r.detail, "fix": r.fix or None}
                for r in results
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


def _marks(out: TextIO) -> tuple[dict[str, str], str]:
    try:
        "".join(MARKS.values()).encode(out.encoding or "ascii")
        return MARKS, " — fix: "
    except (UnicodeEncodeError, LookupError):
        return ASCII_MARKS, " -- fix: "


def as_text(results: list[CheckResult], out: TextIO) -> str:
    marks, fix_sep = _marks(out)
    lines = []
    for r in results:
        detail = f"skipped: {r.detail}" if r.status == "skip" else r.detail
        fix = f"{fix_sep}{r.fix}" if r.fix and r.status in ("fail", "warn") else ""
        lines.append(f"{marks[r.status]} {r.name}: {detail}{fix}")
    counts = {s: sum(r.status == s for r in results) for s in ("fail", "warn", "skip")}
    if passed(results):
        summary = f"fwbot check: all {len(results)} checks passed"
        if counts["warn"]:
            summary = f"fwbot check: no failures, {counts['warn']} warning(s)"
    else:
        parts = [f"{counts['fail']} of {len(results)} checks failed"]
        parts += [
            f"{counts[s]} {w}" for s, w in (("skip", "skipped"), ("warn", "warned")) if counts[s]
        ]
        summary = "fwbot check: " + ", ".join(parts)
    return "\n".join([*lines, summary])
