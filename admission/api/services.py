"""Writes of the API itself: a user's API token (the data writes are admission/members services)."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from members.models import User


def token_rotate(*, acting_user: User) -> Token:
    """Create the user's API token, replacing (revoking) any previous one.

    Side effects: one durable transaction; the old Token row deleted, a new one inserted.
    """
    with transaction.atomic(durable=True):
        Token.objects.filter(user=acting_user).delete()
        return Token.objects.create(user=acting_user)


def token_revoke(*, acting_user: User) -> bool:
    """Delete the user's API token; True if there was one. Side effects: one durable transaction."""
    with transaction.atomic(durable=True):
        deleted, _rows = Token.objects.filter(user=acting_user).delete()
    return deleted > 0
