from typing import Any

from django.http import HttpRequest

from members.selectors import scope_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The user's scope for the navigation bar (cached per request by scope_for)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {"user_scope": scope}
