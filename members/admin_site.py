"""The Django admin behind the application's own login and second factor.

The admin's stock login form is neither throttled nor audited and knows nothing of the second
factor. Here `/admin/login/` is the application's login (the same throttled, audited form and
page as `/accounts/login/`), and the admin answers only sessions that passed the second factor
whenever it is required (`TWO_FACTOR_REQUIRED`), whatever the user's roles.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode


def verified_enough(request: HttpRequest) -> bool:
    """True when the session needs no second factor or has passed it."""
    user = request.user
    if not getattr(settings, "TWO_FACTOR_REQUIRED", True):
        return True
    return bool(getattr(user, "is_verified", lambda: False)())


class TrackerAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and verified_enough(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        from members.http import safe_next
        from members.views import admin_login_view

        target = safe_next(request, request.GET.get(REDIRECT_FIELD_NAME)) or reverse("admin:index")
        user = request.user
        if user.is_authenticated:
            if not verified_enough(request):
                return redirect(f"{reverse('two_factor')}?{urlencode({'next': target})}")
            if not (user.is_active and user.is_staff):
                raise PermissionDenied
            return redirect(target)
        # The application's login view itself (throttled, audited), going on to the admin.
        return admin_login_view(request)  # type: ignore[return-value]
