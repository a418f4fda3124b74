"""Who may call what. What a user sees is decided by the scope (members.selectors.scope_for)
in every query; these classes only refuse writes to users who can change nothing."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from members.selectors import scope_for


class ReadOrEdit(BasePermission):
    """Reads for every authenticated user (their scope filters the rows); writes only for users
    holding an editing role somewhere. Auditors and mentors only read: 403 on any write.

    The organisation of the row is checked again by the services (`can_edit`): a secretary of
    branch B cannot write in branch A even though she may write somewhere.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return True
        scope = scope_for(user)
        return scope.everything or bool(scope.edit_paths)
