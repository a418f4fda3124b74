"""API tokens stored as digests (members.models.ApiToken) and the DRF authentication that reads them.

Replaces rest_framework.authtoken, which keeps the key itself in the database. A token
- is created only from a browser session that passed the second factor (when it is required);
- expires `API_TOKEN_LIFETIME_DAYS` after its creation;
- stops working when the user's password or roles change (its `grant` no longer matches), and
  when the user's roles come to require the second factor after a token made without it;
- may be read-only: then any write through it is refused (403), whatever the user's roles;
- records its last use (to the minute).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions, permissions

from members.models import ApiToken, User
from members.selectors import scope_for


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `key` is its only plain copy, to be shown once."""

    key: str
    token: ApiToken

    @property
    def created(self) -> Any:
        return self.token.created

    @property
    def expires(self) -> dt.datetime:
        return token_expires(self.token)

    @property
    def read_only(self) -> bool:
        return self.token.read_only


LAST_USE_RESOLUTION = dt.timedelta(minutes=1)


class SecondFactorRequired(Exception):  # noqa: N818 - named after the rule
    """Tokens are created only from a session that passed the second factor."""


def token_grant(user: User) -> str:
    """A keyed digest of what a token of `user` stands on: the password hash, the superuser flag and
    the active roles (as scope_for reads them, so checking costs no query the request does not make)."""
    roles = sorted((role, org_id) for role, org_id, _name in scope_for(user).roles)
    # (Frozen in members/migrations/0011: change both or neither.)
    material = f"{user.password}|{user.is_superuser}|{roles}"
    return salted_hmac("members.api_tokens.grant", material, algorithm="sha256").hexdigest()


def token_expires(token: ApiToken) -> dt.datetime:
    return token.created + dt.timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)


def token_problem(token: ApiToken, *, now: dt.datetime) -> str | None:
    """Why `token` does not work any more ("expired", "revoked", "second_factor"), None if it does."""
    from members.twofactor import requires_second_factor

    if not token.user.is_active:
        return "inactive"
    if token_expires(token) <= now:
        return "expired"
    if not constant_time_compare(token.grant, token_grant(token.user)):
        return "revoked"
    if not token.second_factor and requires_second_factor(token.user):
        return "second_factor"
    return None


def token_rotate(*, acting_user: User, second_factor: bool = False, read_only: bool = False) -> IssuedToken:
    """Create the user's API token, replacing (revoking) any previous one.

    `second_factor`: the creating session passed the second factor; required when
    `TWO_FACTOR_REQUIRED` is on (SecondFactorRequired otherwise), so a stolen password alone never
    yields a token. Side effects: one durable transaction; the old row deleted, a new one inserted.
    """
    if getattr(settings, "TWO_FACTOR_REQUIRED", True) and not second_factor:
        raise SecondFactorRequired
    key = secrets.token_hex(20)
    grant = token_grant(acting_user)
    with transaction.atomic(durable=True):
        ApiToken.objects.filter(user=acting_user).delete()
        token = ApiToken.objects.create(
            user=acting_user,
            digest=token_digest(key),
            grant=grant,
            second_factor=second_factor,
            read_only=read_only,
        )
    return IssuedToken(key=key, token=token)


def token_revoke(*, acting_user: User) -> bool:
    """Delete the user's API token; True if there was one. Side effects: one durable transaction."""
    with transaction.atomic(durable=True):
        deleted, _rows = ApiToken.objects.filter(user=acting_user).delete()
    return deleted > 0


PROBLEM_MESSAGES = {
    "inactive": gettext_lazy("Tài khoản đã bị khóa hoặc xóa."),
    "expired": gettext_lazy("Token đã hết hạn. Tạo token mới trên trang tài liệu API."),
    "revoked": gettext_lazy("Token đã bị thu hồi vì mật khẩu hoặc vai trò của tài khoản đã thay đổi. Tạo token mới."),
    "second_factor": gettext_lazy("Tài khoản cần xác thực hai lớp: tạo token mới sau khi xác thực hai lớp."),
}


class DigestTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` or `Authorization: Bearer <key>`, looked up by the key's digest;
    expired, revoked and (for writes) read-only tokens are refused.

    `Token` is DRF's word and what the docs page shows; `Bearer` (RFC 6750) is what generated
    clients and most HTTP tools send by default, so both are accepted for the same key
    (docs/decisions.md, "API tokens: Token and Bearer").
    """

    model = ApiToken
    keywords = ("Token", "Bearer")

    def authenticate(self, request: Any) -> tuple[User, ApiToken] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in {word.lower().encode() for word in self.keywords}:
            return None  # another scheme (or none): the next authentication class decides
        if len(parts) == 1:
            raise exceptions.AuthenticationFailed(_("Thiếu token sau %(keyword)s.") % {"keyword": parts[0].decode()})
        if len(parts) > 2:
            raise exceptions.AuthenticationFailed(_("Token không được chứa dấu cách."))
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Token chứa ký tự không hợp lệ.")) from None
        user, token = self.authenticate_credentials(key)
        if token.read_only and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied(_("Token chỉ đọc: không được ghi dữ liệu."))
        return user, token

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Token không hợp lệ."))
        now = timezone.now()
        problem = token_problem(token, now=now)
        if problem is not None:
            raise exceptions.AuthenticationFailed(str(PROBLEM_MESSAGES[problem]))
        if token.last_used_at is None or now - token.last_used_at >= LAST_USE_RESOLUTION:
            # A conditional write at most once a minute per token, outside any transaction.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token
