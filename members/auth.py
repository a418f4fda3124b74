"""Login with lock-out after repeated failures, per account and per client address.

Two counters with their own thresholds, in the shared cache (Redis in production, the database
cache in the embedded default, so every worker process counts the same failures):
- per account (`LOGIN_FAILURE_LIMIT`, default 5): guessing one user's password stops quickly,
  from any number of addresses;
- per address (`LOGIN_FAILURE_ADDRESS_LIMIT`, default 50): one address trying many accounts stops
  too, while failures against one account do not lock out the other users behind the same
  address (an office network, a reverse proxy).
Both count within `LOGIN_FAILURE_WINDOW_SECONDS`. Every failure is audited.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from members.models import AuditLog


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind our reverse proxy (DJANGO_BEHIND_PROXY) the
    address the proxy appended last to X-Forwarded-For (earlier entries are the client's say)."""
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")


def _account_key(username: str) -> str:
    return f"login-fail:user:{username.strip().lower()}"


def _address_key(address: str) -> str:
    return f"login-fail:ip:{address}"


def _count(key: str) -> int:
    cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        return 1


def login_locked(request: HttpRequest | None, username: str) -> bool:
    """Too many recent failures for this account, or from this address."""
    if cache.get(_account_key(username), 0) >= settings.LOGIN_FAILURE_LIMIT:
        return True
    address = client_ip(request) if request is not None else None
    return bool(address) and cache.get(_address_key(address or ""), 0) >= settings.LOGIN_FAILURE_ADDRESS_LIMIT


def login_failure_record(request: HttpRequest | None, username: str) -> None:
    """Count one failure against the account and the address, and audit it."""
    from members.services import audit_record

    _count(_account_key(username))
    address = client_ip(request) if request is not None else None
    if address:
        _count(_address_key(address))
    audit_record(user=None, action=AuditLog.Action.LOGIN_FAILED, detail=username[:100], ip_address=address)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses further attempts once the account or the address is locked out."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Tên đăng nhập hoặc mật khẩu không đúng."),
        "throttled": _("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if login_locked(self.request, username):
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_FAILURE_WINDOW_SECONDS // 60},
            )
        try:
            return super().clean()
        except forms.ValidationError:
            login_failure_record(self.request, username)
            raise


class ThrottledPasswordResetForm(PasswordResetForm):
    """Password reset requests, limited per address and per e-mail address typed (whether or not
    an account has it, so the limit tells nothing); the e-mail is written in the account's language."""

    error_messages = {
        "throttled": _("Bạn đã yêu cầu đặt lại mật khẩu quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút."),
    }

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self) -> str:
        from django.utils import timezone

        from members.ratelimit import rate_limit_hit

        email = self.cleaned_data["email"]
        keys = [f"password-reset:email:{email.strip().lower()}"]
        address = client_ip(self.request) if self.request is not None else None
        if address:
            keys.append(f"password-reset:ip:{address}")
        now = timezone.now()
        waits = [
            rate_limit_hit(
                key, limit=settings.PASSWORD_RESET_LIMIT, window=settings.PASSWORD_RESET_WINDOW_SECONDS, now=now
            )
            for key in keys
        ]
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            raise forms.ValidationError(
                self.error_messages["throttled"], code="throttled", params={"minutes": max(1, -(-wait // 60))}
            )
        return email

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        """In the language the account chose (Vietnamese unless English), not the requester's."""
        from django.utils import translation

        context = args[2] if len(args) > 2 else kwargs["context"]
        language = getattr(context["user"], "preferred_language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(*args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ThrottledPasswordResetForm
    subject_template_name = "registration/password_reset_subject.txt"
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def get_extra_email_context(self) -> dict[str, Any]:
        # Lazy: rendered in the account's language by send_mail.
        return {"site_title": settings.TRACKER_SITE_NAME, "base_url": settings.TRACKER_BASE_URL}

    @property
    def extra_email_context(self) -> dict[str, Any]:  # type: ignore[override]
        return self.get_extra_email_context()
