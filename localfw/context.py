"""What route handlers share: the world, the clock, the job simulator, and list helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localfw import filters, paging
from localfw.router import HttpError, Request
from localfw.simulator import Clock, JobSimulator
from localfw.world import Doc, World


@dataclass
class Context:
    world: World
    clock: Clock
    simulator: JobSimulator
    max_page_size: int = paging.MAX_PAGE_SIZE  # a site may cap pages below the limit asked
    default_page_size: int = paging.DEFAULT_PAGE_SIZE  # what a listing without limit answers
    filter_permissions: bool = True  # core's _filter_permissions; False shows every entry
    roles_readable: bool = True  # False: GET /roles and /roles/{id} are for site admins

    def filtered(self, docs: list[Doc], req: Request) -> list[Doc]:
        """Documents matching the request's ``filter`` (a bad filter is a 400)."""
        try:
            clauses = filters.parse(req.query.get("filter"))
            return [d for d in docs if filters.matches(d, clauses)]
        except ValueError as exc:
            raise HttpError(400, str(exc)) from exc

    def paged(self, docs: list[Doc], req: Request, *, sdk_pages: bool = True) -> list[Doc]:
        """One page of ``docs`` per the request's sort/after_id/skip/page/limit.

        Without ``limit`` a list the SDK pages (its finder sends ``limit``/``after_id``)
        answers one default page; ``sdk_pages=False`` (an endpoint without those
        parameters in the SDK) answers everything unless a ``limit`` is sent."""
        default = self.default_page_size if sdk_pages else None
        try:
            return paging.page(
                docs, req.query, max_page_size=self.max_page_size, default_page_size=default
            )
        except ValueError as exc:
            raise HttpError(400, str(exc)) from exc

    def listing(self, docs: list[Doc], req: Request, *, sdk_pages: bool = True) -> list[Doc]:
        """Filter then page, as every list endpoint does."""
        return self.paged(self.filtered(docs, req), req, sdk_pages=sdk_pages)

    def gear(self, gear_id: Any) -> Doc:
        if not gear_id:
            raise HttpError(400, "Job must specify gear")
        gear = self.world.gears.get(str(gear_id))
        if gear is None:
            raise HttpError(404, f"Gear {gear_id} not found")
        return gear

    def origin(self, req: Request) -> Doc:
        return {"type": "user", "id": req.user}
