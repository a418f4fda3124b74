"""API tokens stored as digests (members.models.ApiToken) and the DRF authentication that reads them.

Replaces rest_framework.authtoken, which keeps the key itself in the database.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from members.models import ApiToken, User


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


def token_rotate(*, acting_user: User) -> IssuedToken:
    """Create the user's API token, replacing (revoking) any previous one.

    Side effects: one durable transaction; the old row deleted, a new one inserted.
    """
    key = secrets.token_hex(20)
    with transaction.atomic(durable=True):
        ApiToken.objects.filter(user=acting_user).delete()
        token = ApiToken.objects.create(user=acting_user, digest=token_digest(key))
    return IssuedToken(key=key, token=token)


def token_revoke(*, acting_user: User) -> bool:
    """Delete the user's API token; True if there was one. Side effects: one durable transaction."""
    with transaction.atomic(durable=True):
        deleted, _rows = ApiToken.objects.filter(user=acting_user).delete()
    return deleted > 0


class DigestTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` or `Authorization: Bearer <key>`, looked up by the key's digest.

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
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Token không hợp lệ."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Tài khoản đã bị khóa hoặc xóa."))
        return token.user, token
