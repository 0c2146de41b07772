"""The lines of a launch plan about its inputs and target level: per input, how many
targets have exactly one matching file, none or several; which targets are skipped and
why; and, for the first targets, the very files their jobs will get. Pure functions of the
plan (drawn into the preview by ``commands/render/batch.py``)."""

from __future__ import annotations

from bot.domain import TargetRef
from bot.service.launch.plan_model import InputStat, LaunchPlan

EXAMPLES_SHOWN = 3
SKIPS_SHOWN = 3
LEVEL_WORDS = {
    "session": ("session", "sessions"),
    "acquisition": ("acquisition", "acquisitions"),
    "subject": ("subject", "subjects"),
    "project": ("project", "projects"),
}


def count(level: str, n: int) -> str:
    one, many = LEVEL_WORDS.get(level, (level, f"{level}s"))
    return f"{n:,} {one if n == 1 else many}"


def who(target: TargetRef) -> str:
    """``sub-080010 ses-PNC1 acq-64dir_dwi``; a subject's label, or the project's."""
    return " ".join(p for p in (target.subject_label, target.label) if p) or target.key


def input_line(stat: InputStat, level: str) -> str:
    """``dwi ← acquisition acq-64dir_dwi, type nifti: 1,315 sessions with one file,
    14 with several (skipped: set `file:` or `pick: newest`), 82 with none (skipped)``."""
    parts = [f"{count(level, stat.one)} with one file"]
    if stat.picked:
        parts[0] += f" ({stat.picked:,} picked by `pick`)"
    if stat.several:
        parts.append(f"{stat.several:,} with several (skipped: set `file:` or `pick: newest`)")
    if stat.none:
        fate = "skipped" if stat.required else "run without it"
        parts.append(f"{stat.none:,} with none ({fate})")
    return f"{stat.name} ← {stat.source}: " + ", ".join(parts)


def input_facts(plan: LaunchPlan) -> list[str]:
    """The plan's input lines, the targets it leaves out and why, and examples of the files
    the first targets' jobs get; nothing for a plan whose inputs are project files only."""
    if not plan.input_stats and plan.target_type == "session":
        return []
    facts = [input_line(s, plan.target_type) for s in plan.input_stats]
    facts.extend(f"skipped {who(u.target)}: {u.reason}" for u in plan.unmatched[:SKIPS_SHOWN])
    if len(plan.unmatched) > SKIPS_SHOWN:
        facts.append(f"and {len(plan.unmatched) - SKIPS_SHOWN:,} more skipped for their inputs")
    for target in plan.to_launch[:EXAMPLES_SHOWN]:
        if isinstance(target, TargetRef) and target.inputs:
            files = ", ".join(
                f"{name} = {f.name}" + (f" (v{f.version})" if f.version is not None else "")
                for name, f in target.inputs.items()
            )
            facts.append(f"{who(target)}: {files}")
    if plan.target_type != "session":
        level = plan.target_type
        if plan.gear.summary.category == "analysis":
            facts.append(f"one job per {level}, each in a new analysis on the {level}")
        else:
            facts.append(f"one job per {level}, writing its outputs into the {level}")
    return facts
