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
    """`Authorization: Token <key>`, looked up by the key's digest."""

    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Token không hợp lệ."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Tài khoản đã bị khóa hoặc xóa."))
        return token.user, token
