"""The session login's user read in one query with what every page needs of it.

Django's ModelBackend reads the signed-in user by primary key on every request; then every page
read the user's active roles (members.selectors.scope_for: the navigation, the second-factor and
candidate middleware, every scoped query) and the admission app the unread notifications (the
badge of the navigation bar): three round trips before the page reads anything of its own.

`ScopedUserBackend.get_user` reads the user, their active roles (joined, one row per role) and
the subclasses' `request_annotations()` in one query, and gives the roles to `scope_for`
(`scope_rows_attach`). Nothing is cached across requests: every request reads them afresh, so a
role granted or withdrawn, or a notification read, shows on the next page. Authentication by
password is ModelBackend's, unchanged.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import FilteredRelation, Q
from django.http import HttpRequest

from members.selectors import SCOPE_ROW_FIELDS, scope_rows_attach

_ROLE = "active_role"  # the filtered relation: the user's active role assignments
_MARK = -7_310_511  # stands for the user's id while the statement is compiled (no real id)


class ScopedUserBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        """ModelBackend's; a refusal is final (PermissionDenied): the ModelBackend listed after this
        one in AUTHENTICATION_BACKENDS, kept for older sessions, must not check the password again."""
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            raise PermissionDenied
        return user

    def request_annotations(self) -> dict[str, Any]:
        """Expressions on the user (an `OuterRef("pk")` subquery each) read with it and set as
        attributes of that name on the user object (admission.backends: the unread count)."""
        return {}

    def get_user(self, user_id: Any) -> Any:
        sql, params, role_columns = self._statement()
        # One instance per active role (or one with NULL role columns); the columns that are no
        # field (request_annotations, the role's) are set as attributes.
        rows = list(get_user_model()._default_manager.raw(sql, [user_id if p == _MARK else p for p in params]))
        if not rows:
            return None
        user = rows[0]
        roles = [tuple(getattr(row, column) for column in role_columns) for row in rows]
        scope_rows_attach(user, [role for role in roles if role[0] is not None])
        for column in role_columns:
            delattr(user, column)
        return user if self.user_can_authenticate(user) else None

    def _statement(self) -> tuple[str, list[Any], list[str]]:
        """The SQL of the user's query and its parameters, compiled by the ORM once per process
        (compiling it costs ten times what PostgreSQL takes to run it); `_MARK` among the
        parameters stands for the user's id."""
        cached = type(self).__dict__.get("_compiled")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        model = get_user_model()
        fields = [f.attname for f in model._meta.concrete_fields]
        annotations = self.request_annotations()
        role_fields = [f"{_ROLE}__{name}" for name in SCOPE_ROW_FIELDS]
        query = (
            model._default_manager.filter(pk=_MARK)
            .annotate(**{_ROLE: FilteredRelation("roles", condition=Q(roles__active=True))}, **annotations)
            .order_by()
            .values_list(*fields, *annotations, *role_fields)
        )
        sql, params = query.query.sql_with_params()
        if [p for p in params if p == _MARK] != [_MARK]:
            raise ImproperlyConfigured(f"{type(self).__name__}: the user's id is not one parameter of its query")
        compiled = (sql, list(params), role_fields)
        type(self)._compiled = compiled  # type: ignore[attr-defined]
        return compiled
