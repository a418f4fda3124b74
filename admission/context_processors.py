from typing import Any

from django.http import HttpRequest

from admission.backends import UNREAD_ATTR
from admission.selectors import unread_count

SAFE_METHODS = frozenset({"GET", "HEAD"})


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread badge of the navigation bar: counted with the login (admission.backends) on a page
    that only reads; after a request that may have written (a POST rendering a page), counted now."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from members.selectors import scope_for

    unread = getattr(user, UNREAD_ATTR, None) if request.method in SAFE_METHODS else None
    return {
        "unread_notifications": unread_count(user=user) if unread is None else unread,  # type: ignore[arg-type]
        # Evaluated only where the menu asks (the scope is cached on the user for the request).
        "can_audit": lambda: scope_for(user).audits,
    }
