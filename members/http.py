from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from members.models import User


class AuthenticatedRequest(HttpRequest):
    """The request type of views behind login_required (for the type checker)."""

    user: User  # type: ignore[assignment]


def safe_next(request: HttpRequest, value: str | None) -> str | None:
    """`next` only when it is a path on this site: no open redirect, and no bare word that
    `redirect()` would try to reverse as a view name."""
    if (
        value
        and value.startswith("/")
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return None
