"""What route handlers share: the world, the clock and the job simulator,
plus the one launch path every way of starting a job goes through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.localfw import filters, paging
from bot.localfw.router import HttpError, Request
from bot.localfw.simulator import Clock, JobSimulator
from bot.localfw.world import Doc, World


@dataclass
class Context:
    world: World
    clock: Clock
    simulator: JobSimulator

    def listing(self, docs: list[Doc], req: Request) -> list[Doc]:
        """Filter then page, as every list endpoint does."""
        try:
            clauses = filters.parse(req.query.get("filter"))
            chosen = [d for d in docs if filters.matches(d, clauses)]
            return paging.page(chosen, req.query)
        except ValueError as exc:
            raise HttpError(400, str(exc)) from exc

    def gear(self, gear_id: Any) -> Doc:
        gear = self.world.gears.get(str(gear_id))
        if gear is None:
            raise HttpError(404, f"Gear {gear_id} not found")
        return gear

    def origin(self, req: Request) -> Doc:
        return {"type": "user", "id": req.user}

    def check_inputs(self, gear: Doc, inputs: dict[str, Any]) -> dict[str, Doc]:
        """Input refs must name a gear input and a file that exists."""
        declared = gear["gear"].get("inputs") or {}
        out: dict[str, Doc] = {}
        for key, ref in (inputs or {}).items():
            if key not in declared:
                raise HttpError(400, f"Gear {gear['gear']['name']} has no input {key!r}")
            if not isinstance(ref, dict):
                raise HttpError(400, f"Input {key!r} must be a file reference")
            found = self.world.container(str(ref.get("id")))
            names = [f["name"] for f in found[1].get("files", [])] if found else []
            if ref.get("name") not in names:
                raise HttpError(
                    400, f"Input {key!r}: file {ref.get('name')!r} not found on {ref.get('id')}"
                )
            out[key] = {"type": ref.get("type"), "id": ref.get("id"), "name": ref.get("name")}
        return out

    def launch(
        self,
        req: Request,
        gear: Doc,
        destination: Doc,
        *,
        inputs: dict[str, Any] | None,
        config: dict[str, Any] | None,
        tags: list[str] | None,
        label: str | None,
        batch: str | None = None,
    ) -> Doc:
        """Create one job; an analysis gear on a container gets its own analysis
        (labelled with the job label), the job's destination being that analysis."""
        world = self.world
        found = world.container(str(destination.get("id")))
        if found is None:
            raise HttpError(404, f"Destination {destination.get('id')} not found")
        checked = self.check_inputs(gear, inputs or {})
        full_config = {**default_config(gear), **(config or {})}
        now = self.clock.now()
        ctype, parent = found
        if gear.get("category") == "analysis" and ctype != "analysis":
            analysis_label = label or f"{gear['gear']['name']} {now:%Y-%m-%d %H:%M:%S}"
            _, job = world.add_analysis(
                parent,
                analysis_label,
                gear=gear,
                inputs=checked,
                config=full_config,
                tags=tags,
                job_label=label,
                origin=self.origin(req),
                now=now,
                batch=batch,
            )
            assert job is not None
        else:
            job = world.add_job(
                gear,
                {"type": ctype, "id": parent["_id"]},
                inputs=checked,
                config=full_config,
                tags=tags,
                label=label,
                origin=self.origin(req),
                now=now,
                batch=batch,
            )
        self.simulator.schedule(job)
        return job


def default_config(gear: Doc) -> dict[str, Any]:
    return {
        key: spec["default"]
        for key, spec in (gear["gear"].get("config") or {}).items()
        if isinstance(spec, dict) and spec.get("default") is not None
    }
