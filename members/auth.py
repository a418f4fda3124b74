"""Login with throttling of failures (per username and per client address)."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from members.models import AuditLog


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _keys(request: HttpRequest | None, username: str) -> list[str]:
    keys = [f"login-fail:user:{username.strip().lower()}"]
    if request is not None and client_ip(request):
        keys.append(f"login-fail:ip:{client_ip(request)}")
    return keys


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses further attempts after LOGIN_FAILURE_LIMIT failures within the window."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Tên đăng nhập hoặc mật khẩu không đúng."),
        "throttled": _("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        keys = _keys(self.request, username)
        if any(cache.get(k, 0) >= settings.LOGIN_FAILURE_LIMIT for k in keys):
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_FAILURE_WINDOW_SECONDS // 60},
            )
        try:
            return super().clean()
        except forms.ValidationError:
            for key in keys:
                cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
                cache.incr(key)
            from members.services import audit_record

            audit_record(
                user=None,
                action=AuditLog.Action.LOGIN_FAILED,
                detail=username[:100],
                ip_address=client_ip(self.request) if self.request else None,
            )
            raise
