"""The gateway protocol: everything fwbot asks of Flywheel, in fwbot's own terms.

The service layer depends on this protocol only; ``SdkGateway`` implements it
with flywheel-sdk, and unit tests may implement it with a fake.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain import GearDetail, GearSummary, ProjectRef, ProjectRole, SessionRef, UserRef


class FlywheelGateway(Protocol):
    def list_gears(self) -> list[GearSummary]:
        """Latest version of every gear on the site, sorted by name."""
        ...

    def get_gear(self, name: str, version: str | None = None) -> GearDetail | None:
        """One gear (latest or the given version) with all its versions; None if absent."""
        ...

    def find_project(self, label: str) -> ProjectRef | None:
        """The project with exactly this label (escaped: the label can never widen the query)."""
        ...

    def sessions_with_acquisition(self, project_id: str, label_contains: str) -> list[SessionRef]:
        """Sessions of a project having an acquisition whose label contains the text."""
        ...

    def project_roles(self, project_id: str) -> dict[str, ProjectRole]:
        """Flywheel user id (email) -> role on the project, from its permissions list."""
        ...

    def all_project_roles(self, email: str) -> dict[str, ProjectRole]:
        """Project label -> the user's role there, for every project the site has (one query)."""
        ...

    def find_user(self, email: str) -> UserRef | None:
        """The Flywheel user with this id (Flywheel user ids are emails); None if absent."""
        ...

    def service_account(self) -> str | None:
        """The Flywheel user fwbot's own API key belongs to (never someone to "ask")."""
        ...
