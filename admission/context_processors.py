from typing import Any

from django.http import HttpRequest

from admission.selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread badge of the navigation bar (one COUNT on an index)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from members.selectors import scope_for

    return {
        "unread_notifications": unread_count(user=user),  # type: ignore[arg-type]
        # Evaluated only where the menu asks (the scope is cached on the user for the request).
        "can_audit": lambda: scope_for(user).audits,
    }
