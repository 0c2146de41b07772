"""Project roles as a Flywheel site defines them: built-in roles and their actions.

A permission entry on a project names role ids; what a user may do there is the union
of those roles' ``actions`` (values of the SDK's ``flywheel.models.Action``). The three
built-in roles carry ``default_flywheel_role`` (ro / rw / admin); custom roles a site
admin creates carry none.
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]

# Every value of flywheel.models.action.Action (flywheel-sdk 23.0.0), in its order.
ALL_ACTIONS: tuple[str, ...] = (
    "containers_view_metadata",
    "containers_create_hierarchy",
    "containers_modify_metadata",
    "containers_delete_hierarchy",
    "containers_delete_project",
    "copy_by_reference",
    "analyses_view_metadata",
    "analyses_create_sdk",
    "analyses_create_job",
    "analyses_modify_metadata",
    "analyses_delete",
    "files_view_metadata",
    "files_view_contents",
    "files_download",
    "files_create_bulk",
    "files_create_single",
    "files_modify_metadata",
    "files_move",
    "files_delete_non_device_data",
    "files_delete_device_data",
    "tags_view",
    "tags_manage",
    "notes_view",
    "notes_manage",
    "project_permissions_view",
    "project_permissions_manage",
    "project_sharing_manage",
    "gear_rules_view",
    "gear_rules_manage",
    "data_views_view",
    "data_views_manage",
    "session_templates_view",
    "session_templates_manage",
    "jobs_view",
    "jobs_manage",
    "jobs_manage_others",
    "settings_modify",
    "settings_view",
    "reader_task_admin",
    "reader_task_view",
    "annotations_manage",
    "annotations_view_others",
    "annotations_edit_others",
    "annotations_delete_others",
    "form_admin",
    "form_responses_manage",
    "form_responses_view_others",
    "form_responses_edit_others",
    "imports_manage",
    "exports_manage",
    "jupyterlab_servers_read",
    "jupyterlab_servers_launch",
    "jupyterlab_servers_create",
    "jupyterlab_servers_modify",
    "jupyterlab_servers_delete",
    "audit_trail_reports_manage",
    "audit_trail_reports_view",
    "tasks_view",
    "tasks_create",
    "tasks_modify",
    "tasks_assign",
    "tasks_report_create",
    "tasks_report_delete",
    "tasks_report_read",
    "malware_findings_view",
)

READ_ONLY_ACTIONS: tuple[str, ...] = (
    "containers_view_metadata",
    "files_view_metadata",
    "files_view_contents",
    "files_download",
    "analyses_view_metadata",
    "tags_view",
    "notes_view",
    "project_permissions_view",
    "jobs_view",
    "gear_rules_view",
    "data_views_view",
    "session_templates_view",
)

READ_WRITE_ACTIONS: tuple[str, ...] = (
    *READ_ONLY_ACTIONS,
    "containers_create_hierarchy",
    "containers_modify_metadata",
    "analyses_create_job",
    "analyses_create_sdk",
    "analyses_modify_metadata",
    "files_create_bulk",
    "files_create_single",
    "files_modify_metadata",
    "tags_manage",
    "notes_manage",
    "jobs_manage",
)

# label -> (stable id, default_flywheel_role, actions). The ids are readable strings so
# permissions in test worlds read well; the SDK treats role ids as opaque.
BUILTIN_ROLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "read-only": ("role-read-only", "ro", READ_ONLY_ACTIONS),
    "read-write": ("role-read-write", "rw", READ_WRITE_ACTIONS),
    "admin": ("role-admin", "admin", ALL_ACTIONS),
}

ROLE_IDS = {label: rid for label, (rid, _, _) in BUILTIN_ROLES.items()}


def role_doc(
    role_id: str, label: str, actions: tuple[str, ...] | list[str], default: str | None
) -> Doc:
    """A stored role; ``in_use`` is computed when served."""
    unknown = [a for a in actions if a not in ALL_ACTIONS]
    if unknown:
        raise ValueError(f"unknown role actions {unknown}; see flywheel.models.Action")
    return {
        "_id": role_id,
        "label": label,
        "default_flywheel_role": default,
        "actions": list(actions),
    }


def builtin_roles() -> dict[str, Doc]:
    """Fresh documents of the three roles every site has, by id."""
    return {
        rid: role_doc(rid, label, actions, default)
        for label, (rid, default, actions) in BUILTIN_ROLES.items()
    }
