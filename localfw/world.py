"""In-memory state of the local Flywheel: containers, gears, users, roles, API keys, jobs.

Documents are kept in the JSON shape Flywheel's API returns (``_id`` keys,
``parents``, ``files`` ...), so the HTTP layer can serve them almost as they
are. The builders below are the only way the demo world (and tests) create
containers, so document shapes are decided in one place.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localfw.roles import ROLE_IDS, builtin_roles, role_doc

Doc = dict[str, Any]

__all__ = ["ROLE_IDS", "Doc", "IdFactory", "World", "iso"]


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
    # parent container id -> ids of its analyses, in creation order
    analysis_index: dict[str, list[str]] = field(default_factory=dict)
    # job id -> log lines ({"fd": 1, "msg": ...}) served by GET /jobs/{id}/logs
    job_logs: dict[str, list[Doc]] = field(default_factory=dict)
    # role id -> role (the three built-in roles plus any from add_role)
    roles: dict[str, Doc] = field(default_factory=builtin_roles)
    # API key -> the user (``_id``) it belongs to; every request acts as its key's user
    api_keys: dict[str, str] = field(default_factory=dict)
    # keys revoked with revoke_key: answered 401 like unknown keys, never handed out again
    revoked_keys: set[str] = field(default_factory=set)
    # the user fwbot's own key belongs to (a plain user on a real site)
    service_account: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime(2024, 1, 8, 9, 0, tzinfo=UTC))
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        self.ids = IdFactory(self.seed)

    # -- builders ---------------------------------------------------------
    def add_user(
        self,
        email: str,
        firstname: str,
        lastname: str,
        *,
        root: bool = False,
        user_id: str | None = None,
    ) -> Doc:
        """A user whose ``_id`` is ``user_id`` (default: the email). On a real site the two
        may differ, and permissions, origins and keys name the ``_id``."""
        uid = user_id or email
        doc = {
            "_id": uid,
            "email": email,
            "firstname": firstname,
            "lastname": lastname,
            "root": root,
            "created": iso(self.created_at),
            "modified": iso(self.created_at),
        }
        self.users[uid] = doc
        return doc

    def add_role(self, label: str, actions: list[str] | tuple[str, ...]) -> str:
        """A custom role, as a site admin creates one: no ``default_flywheel_role``."""
        if any(r["label"] == label for r in self.roles.values()):
            raise ValueError(f"a role labelled {label!r} exists")
        # ObjectId-shaped but derived from the label, so adding a role shifts no other id
        rid = hashlib.sha1(f"role:{label}".encode()).hexdigest()[:24]
        self.roles[rid] = role_doc(rid, label, actions, None)
        return rid

    def role_id(self, role: str) -> str:
        """The id of a role given by label ('read-write', a custom label) or id."""
        if role in self.roles:
            return role
        for rid, doc in self.roles.items():
            if doc["label"] == role:
                return rid
        raise KeyError(f"no role {role!r}; built-in: {sorted(ROLE_IDS)}")

    def grant(self, project: Doc, user: str, role: str) -> None:
        """Give ``user`` ``role`` on ``project``, replacing any role they had there."""
        entry = {"_id": user, "role_ids": [self.role_id(role)]}
        perms = [p for p in project["permissions"] if p["_id"] != user]
        project["permissions"] = [*perms, entry]

    def bind_key(self, key: str, user: str) -> None:
        """Make ``key`` an API key of ``user`` (``_id``)."""
        with self.lock:
            self.revoked_keys.discard(key)
            self.api_keys[key] = user

    def key_for(self, user: str) -> str:
        """An API key of ``user`` (``_id``): an existing one, or a new one derived from the
        seed (never a revoked one)."""
        if user not in self.users:
            raise KeyError(f"no user {user!r}")
        with self.lock:
            for key, owner in self.api_keys.items():
                if owner == user:
                    return key
            for n in itertools.count():
                salt = f"{self.seed}:{user}" + (f":{n}" if n else "")
                key = "key-" + hashlib.sha1(salt.encode()).hexdigest()[:20]
                if key not in self.revoked_keys:
                    break
            self.api_keys[key] = user
            return key

    def revoke_key(self, key: str) -> None:
        """Revoke ``key``: from now on it is answered 401, like any unknown key. A full SDK
        key works too: as core's ``APIKey._preprocess_key``, only the last ``:`` part counts."""
        key = key.rsplit(":", 1)[-1]
        with self.lock:
            if key not in self.api_keys:
                raise KeyError(f"no API key {key!r}")
            del self.api_keys[key]
            self.revoked_keys.add(key)

    def site_admin(self) -> str:
        """A root user, made (``siteadmin@<service account's domain>``) if there is none."""
        for uid, doc in self.users.items():
            if doc.get("root"):
                return uid
        domain = (self.service_account or "@local").rpartition("@")[2] or "local"
        return str(self.add_user(f"siteadmin@{domain}", "Site", "Admin", root=True)["_id"])

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
        """``roles`` maps user ``_id`` -> a role label (built-in or from ``add_role``) or id."""
        pid = self.ids.new()
        doc = {
            "_id": pid,
            "label": label,
            "group": group_id,
            "parents": {"group": group_id},
            "permissions": [
                {"_id": user, "role_ids": [self.role_id(role)]}
                for user, role in (roles or {}).items()
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

    def upload_file(
        self,
        parent: Doc,
        name: str,
        parent_type: str,
        *,
        size: int = 1024,
        now: datetime | None = None,
    ) -> Doc:
        """Upload a file as Flywheel does: a name the container already has is replaced by
        a new version of that file (``version`` + 1, a new ``file_id``), never listed twice
        (core's ``hierarchy.upsert_fileinfo``); a new name is a new file at version 1."""
        files = parent.setdefault("files", [])
        old = next((f for f in files if f["name"] == name), None)
        if old is None:
            fdoc = self.add_file(parent, name, parent_type, size=size)
            if now is not None:
                fdoc["created"] = fdoc["modified"] = iso(now)
            return fdoc
        fid = self.ids.new()
        when = iso(now or self.created_at)
        old.update(
            {
                "_id": fid,
                "file_id": fid,
                "version": int(old.get("version") or 1) + 1,
                "size": size,
                "created": when,
                "modified": when,
                "replaced": when,
            }
        )
        return old

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

    def add_job(
        self,
        gear: Doc,
        destination: Doc,
        *,
        inputs: dict[str, Doc] | None = None,
        config: Doc | None = None,
        tags: list[str] | None = None,
        label: str | None = None,
        origin: Doc | None = None,
        now: datetime | None = None,
        attempt: int = 1,
        previous_job_id: str | None = None,
        batch: str | None = None,
    ) -> Doc:
        """Create a pending job. ``destination`` is ``{"type", "id"}``; ``inputs``
        maps input name -> file reference ``{"type", "id", "name"}``."""
        jid = self.ids.new()
        ts = iso(now or self.created_at)
        manifest = gear["gear"]
        inputs = dict(inputs or {})
        job = {
            "_id": jid,
            "id": jid,
            "gear_id": gear["_id"],
            "gear_info": {
                "id": gear["_id"],
                "name": manifest["name"],
                "version": manifest.get("version"),
                "category": gear.get("category"),
            },
            "state": "pending",
            "destination": dict(destination),
            "inputs": inputs,
            "config": {
                "config": dict(config or {}),
                "inputs": {k: self._job_config_input(k, ref) for k, ref in inputs.items()},
                "destination": dict(destination),
            },
            "tags": list(tags or []),
            "label": label,
            "saved_files": [],
            "outputs": [],
            "failure_reason": None,
            "origin": origin or {"type": "user", "id": next(iter(self.users), "admin@local")},
            "parents": self._parents_of(destination),
            "related_container_ids": self._related(destination, inputs),
            "profile": {
                "total_input_files": len(inputs),
                "total_input_size_bytes": sum(
                    int(self._file_doc(ref).get("size") or 0) for ref in inputs.values()
                ),
            },
            "priority": "medium",
            "attempt": attempt,
            "previous_job_id": previous_job_id,
            "batch": batch,
            "transitions": {},
            "created": ts,
            "modified": ts,
        }
        self.jobs[jid] = job
        self.job_logs[jid] = []
        return job

    def add_analysis(
        self,
        parent: Doc,
        label: str,
        *,
        gear: Doc | None = None,
        inputs: dict[str, Doc] | None = None,
        config: Doc | None = None,
        tags: list[str] | None = None,
        job_label: str | None = None,
        origin: Doc | None = None,
        now: datetime | None = None,
        batch: str | None = None,
    ) -> tuple[Doc, Doc | None]:
        """Create an analysis under ``parent`` and, given a gear, its job.

        The job's destination is the analysis itself, as Flywheel does for
        ``POST /sessions/{id}/analyses?job=true``. This is a plain builder (no
        validation, no tags added): served requests go through ``launch.py``.
        """
        ptype = parent["container_type"]
        aid = self.ids.new()
        ts = iso(now or self.created_at)
        parents = {**parent.get("parents", {}), ptype: parent["_id"]}
        doc: Doc = {
            "_id": aid,
            "label": label,
            "parent": {"type": ptype, "id": parent["_id"]},
            "parents": parents,
            "inputs": [self._file_doc(ref) for ref in (inputs or {}).values()],
            "files": [],
            "notes": [],
            "tags": [],
            "info": {},
            "description": "",
            "job": None,
            "gear_info": None,
            "created": ts,
            "modified": ts,
            "revision": 1,
            "container_type": "analysis",
        }
        self.analyses[aid] = doc
        self.analysis_index.setdefault(parent["_id"], []).append(aid)
        job = None
        if gear is not None:
            job = self.add_job(
                gear,
                {"type": "analysis", "id": aid},
                inputs=inputs,
                config=config,
                tags=tags,
                label=job_label if job_label is not None else label,
                origin=origin,
                now=now,
                batch=batch,
            )
            doc["job"] = job["_id"]
            doc["gear_info"] = dict(job["gear_info"])
        return doc, job

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

    def container_of_type(self, ctype: str, container_id: str) -> Doc | None:
        """The container of that type and id (a reference's type must be right)."""
        coll: dict[str, Doc] | None = {
            "project": self.projects,
            "subject": self.subjects,
            "session": self.sessions,
            "acquisition": self.acquisitions,
            "analysis": self.analyses,
            "group": self.groups,
        }.get(ctype)
        return None if coll is None else coll.get(container_id)

    def _parents_of(self, ref: Doc) -> Doc:
        """A job's ``parents``: the destination's own parents plus the destination, as
        core does (an analysis destination adds ``analysis``)."""
        found = self.container(ref.get("id", ""))
        if found is None:
            return {}
        ctype, doc = found
        parents = dict(doc.get("parents", {}))
        if ctype != "group":
            parents[ctype] = doc["_id"]
        return parents

    def _related(self, destination: Doc, inputs: dict[str, Doc]) -> list[str]:
        """Ids of the destination, the inputs' containers and their parents (not groups)."""
        related: list[str] = []
        for ref in [destination, *inputs.values()]:
            for key, cid in self._parents_of(ref).items():
                if key != "group" and cid not in related:
                    related.append(cid)
        return related

    def _file_doc(self, ref: Doc) -> Doc:
        """The file a ``{"type", "id", "name"}`` reference points at (or a stub)."""
        found = self.container(ref.get("id", ""))
        if found is not None:
            for f in found[1].get("files", []):
                if f["name"] == ref.get("name"):
                    return dict(f)
        return {
            "name": ref.get("name"),
            "parent_ref": {"type": ref.get("type"), "id": ref.get("id")},
        }

    def _job_config_input(self, key: str, ref: Doc) -> Doc:
        f = self._file_doc(ref)
        return {
            "base": "file",
            "hierarchy": {"type": ref.get("type"), "id": ref.get("id")},
            "location": {
                "name": ref.get("name"),
                "path": f"/flywheel/v0/input/{key}/{ref.get('name')}",
            },
            "object": {k: f.get(k) for k in ("type", "mimetype", "size", "file_id", "version")},
        }


# Flywheel core names a file's type from its extension (scitran/core api/filetypes.json);
# a name matching none has no type. Longest extensions first, so .dicom.zip is dicom and
# .html.zip (like any other .zip) an archive.
FILE_TYPES: dict[str, tuple[str, ...]] = {
    "bval": (".bval", ".bvals"),
    "bvec": (".bvec", ".bvecs"),
    "dicom": (".dcm", ".dcm.zip", ".dicom.zip"),
    "eeg": (".eeg.zip",),
    "gephysio": (".gephysio.zip",),
    "ismrmrd": (".h5", ".hdf5"),
    "MATLAB data": (".mat",),
    "MGH data": (".mgh", ".mgz", ".mgh.gz"),
    "nifti": (".nii.gz", ".nii"),
    "parrec": (".parrec.zip", ".par-rec.zip"),
    "pfile": (".7.gz", ".7", ".7.zip"),
    "PsychoPy data": (".psydat",),
    "qa": (".qa.png", ".qa.json", ".qa.html"),
    "archive": (".zip", ".tbz2", ".tar.gz", ".tbz", ".tar.bz2", ".tgz", ".tar", ".txz", ".tar.xz"),
    "document": (".docx", ".doc"),
    "image": (".jpg", ".tif", ".jpeg", ".gif", ".bmp", ".png", ".tiff"),
    "markup": (".html", ".htm", ".xml"),
    "markdown": (".md", ".markdown"),
    "log": (".log",),
    "pdf": (".pdf",),
    "presentation": (".ppt", ".pptx"),
    "source code": (
        ".c",
        ".py",
        ".cpp",
        ".js",
        ".m",
        ".json",
        ".java",
        ".php",
        ".css",
        ".toml",
        ".yaml",
        ".yml",
    ),
    "spreadsheet": (".xls", ".xlsx"),
    "tabular data": (".csv.gz", ".csv", ".tsv.gz", ".tsv"),
    "text": (".txt",),
    "video": (".mpeg", ".mpg", ".mov", ".mp4", ".m4v", ".mts"),
}
_BY_EXTENSION = sorted(
    ((ext, kind) for kind, exts in FILE_TYPES.items() for ext in exts),
    key=lambda pair: -len(pair[0]),
)


def _file_type(name: str) -> str | None:
    lowered = name.lower()
    return next((kind for ext, kind in _BY_EXTENSION if lowered.endswith(ext)), None)
