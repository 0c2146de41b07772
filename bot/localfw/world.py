"""In-memory state of the local Flywheel: containers, gears, users, jobs.

Documents are kept in the JSON shape Flywheel's API returns (``_id`` keys,
``parents``, ``files`` ...), so the HTTP layer can serve them almost as they
are. The builders below are the only way the demo world (and tests) create
containers, so document shapes are decided in one place.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Doc = dict[str, Any]

# Flywheel's default project roles. The ids are stable strings here so that
# permissions in the demo world read well; the SDK treats them as opaque.
ROLE_IDS = {"read-only": "role-read-only", "read-write": "role-read-write", "admin": "role-admin"}


def iso(ts: datetime) -> str:
    """Flywheel timestamps: ISO 8601 with an explicit UTC offset."""
    return ts.astimezone(UTC).isoformat()


class IdFactory:
    """Deterministic 24-hex ids (Mongo ObjectId shaped) derived from a seed.

    Ids increase with creation order, so sorting by id sorts by creation like
    real ObjectIds do, which ``after_id`` paging relies on.
    """

    def __init__(self, seed: int) -> None:
        self._prefix = hashlib.sha1(str(seed).encode()).hexdigest()[:8]
        self._counter = 0
        self._lock = threading.Lock()

    def new(self) -> str:
        with self._lock:
            self._counter += 1
            return f"{self._prefix}{self._counter:016x}"


@dataclass
class World:
    """Every collection the server serves, keyed by id."""

    seed: int = 0
    groups: dict[str, Doc] = field(default_factory=dict)
    projects: dict[str, Doc] = field(default_factory=dict)
    subjects: dict[str, Doc] = field(default_factory=dict)
    sessions: dict[str, Doc] = field(default_factory=dict)
    acquisitions: dict[str, Doc] = field(default_factory=dict)
    analyses: dict[str, Doc] = field(default_factory=dict)
    jobs: dict[str, Doc] = field(default_factory=dict)
    gears: dict[str, Doc] = field(default_factory=dict)
    users: dict[str, Doc] = field(default_factory=dict)
    batches: dict[str, Doc] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime(2024, 1, 8, 9, 0, tzinfo=UTC))
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        self.ids = IdFactory(self.seed)

    # -- builders ---------------------------------------------------------
    def add_user(self, email: str, firstname: str, lastname: str, *, root: bool = False) -> Doc:
        doc = {
            "_id": email,
            "email": email,
            "firstname": firstname,
            "lastname": lastname,
            "root": root,
            "created": iso(self.created_at),
            "modified": iso(self.created_at),
        }
        self.users[email] = doc
        return doc

    def add_group(self, group_id: str, label: str) -> Doc:
        doc = {
            "_id": group_id,
            "label": label,
            "permissions": [],
            "created": iso(self.created_at),
            "modified": iso(self.created_at),
        }
        self.groups[group_id] = doc
        return doc

    def add_project(
        self,
        group_id: str,
        label: str,
        *,
        file_names: list[str] | None = None,
        roles: dict[str, str] | None = None,
    ) -> Doc:
        """``roles`` maps user email -> 'read-only' | 'read-write' | 'admin'."""
        pid = self.ids.new()
        doc = {
            "_id": pid,
            "label": label,
            "group": group_id,
            "parents": {"group": group_id},
            "permissions": [
                {"_id": user, "role_ids": [ROLE_IDS[role]]} for user, role in (roles or {}).items()
            ],
            "files": [],
            "tags": [],
            "info": {},
            "notes": [],
            "analyses": [],
            "created": iso(self.created_at),
            "modified": iso(self.created_at),
            "container_type": "project",
        }
        self.projects[pid] = doc
        for name in file_names or []:
            self.add_file(doc, name, "project")
        return doc

    def add_file(self, parent: Doc, name: str, parent_type: str, *, size: int = 1024) -> Doc:
        fid = self.ids.new()
        fdoc = {
            "_id": fid,
            "file_id": fid,
            "version": 1,
            "name": name,
            "size": size,
            "type": _file_type(name),
            "mimetype": "application/octet-stream",
            "modality": None,
            "classification": {},
            "tags": [],
            "info": {},
            "origin": {"type": "user", "id": "admin@pennlinc.example"},
            "parent_ref": {"type": parent_type, "id": parent["_id"]},
            "parents": {**parent.get("parents", {}), parent_type: parent["_id"]},
            "created": iso(self.created_at),
            "modified": iso(self.created_at),
        }
        parent.setdefault("files", []).append(fdoc)
        return fdoc

    def add_subject(self, project: Doc, label: str) -> Doc:
        sid = self.ids.new()
        doc = {
            "_id": sid,
            "label": label,
            "code": label,
            "project": project["_id"],
            "parents": {"group": project["group"], "project": project["_id"]},
            "files": [],
            "tags": [],
            "info": {},
            "notes": [],
            "analyses": [],
            "created": iso(self.created_at),
            "modified": iso(self.created_at),
            "container_type": "subject",
        }
        self.subjects[sid] = doc
        return doc

    def add_session(self, subject: Doc, label: str, timestamp: datetime) -> Doc:
        sid = self.ids.new()
        doc = {
            "_id": sid,
            "label": label,
            "project": subject["project"],
            "subject": {"_id": subject["_id"], "label": subject["label"], "code": subject["code"]},
            "parents": {**subject["parents"], "subject": subject["_id"]},
            "timestamp": iso(timestamp),
            "files": [],
            "tags": [],
            "info": {},
            "notes": [],
            "analyses": [],
            "created": iso(self.created_at),
            "modified": iso(self.created_at),
            "container_type": "session",
        }
        self.sessions[sid] = doc
        return doc

    def add_acquisition(self, session: Doc, label: str, file_names: list[str]) -> Doc:
        aid = self.ids.new()
        doc = {
            "_id": aid,
            "label": label,
            "session": session["_id"],
            "parents": {**session["parents"], "session": session["_id"]},
            "files": [],
            "tags": [],
            "info": {},
            "notes": [],
            "analyses": [],
            "created": iso(self.created_at),
            "modified": iso(self.created_at),
            "container_type": "acquisition",
        }
        self.acquisitions[aid] = doc
        for name in file_names:
            self.add_file(doc, name, "acquisition")
        return doc

    def add_gear(self, manifest: Doc, *, category: str, created: datetime) -> Doc:
        """``manifest`` is the gear's manifest.json (name, label, version, config, inputs...)."""
        gid = self.ids.new()
        doc = {
            "_id": gid,
            "category": category,
            "gear": manifest,
            "exchange": {"rootfs-hash": "sha384:" + gid, "git-commit": "local"},
            "created": iso(created),
            "modified": iso(created),
        }
        self.gears[gid] = doc
        return doc

    def container(self, container_id: str) -> tuple[str, Doc] | None:
        """Find any container by id: (container_type, document)."""
        for ctype, coll in (
            ("project", self.projects),
            ("subject", self.subjects),
            ("session", self.sessions),
            ("acquisition", self.acquisitions),
            ("analysis", self.analyses),
            ("group", self.groups),
        ):
            if container_id in coll:
                return ctype, coll[container_id]
        return None


def _file_type(name: str) -> str:
    if name.endswith((".nii.gz", ".nii")):
        return "nifti"
    if name.endswith(".dcm.zip") or name.endswith(".dicom.zip"):
        return "dicom"
    if name.endswith(".html.zip") or name.endswith(".zip"):
        return "archive"
    if name.endswith((".json", ".tsv", ".csv", ".txt")):
        return "tabular data" if name.endswith((".tsv", ".csv")) else "text"
    return "source code" if name.endswith((".py", ".R")) else "file"
