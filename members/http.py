from django.http import HttpRequest

from members.models import User


class AuthenticatedRequest(HttpRequest):
    """The request type of views behind login_required (for the type checker)."""

    user: User  # type: ignore[assignment]
