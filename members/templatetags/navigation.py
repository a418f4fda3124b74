"""The navigation bar of every page (templates/_navbar.html, `{% navbar %}` in base.html).

It is the same for every request that shows the same things, yet it cost a third of a page that
reads almost nothing (a dozen `{% url %}`, as many translations and conditions per request). So it
is rendered once per process for each combination of what it shows: the language, the URL prefix
and configuration, whether the user is signed in, what their roles let them open (their own case
only; organisation pages; the audit log; the admin) and which section is active. All of these are
read from the current request each time (the roles with the login, members.backends), so a role
granted or withdrawn, a language switched or a section left shows at once: the cache only ever
holds renderings of other combinations, never an older state of this one.

What belongs to one request only (its CSRF token, its path, the unread count, the user's name) is
left as holes in the cached rendering and filled at each request, escaped as the template would.
With DEBUG on (templates reloaded when edited) nothing is cached.
"""

import re
from collections.abc import Callable
from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.base import render_value_in_context
from django.template.context import Context
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

TEMPLATE = "_navbar.html"
_HOLE = re.compile("\ue000(\\w+)\ue001")  # private-use characters: never in a translation, never escaped
_CACHE: dict[tuple[Any, ...], tuple[str, ...]] = {}
_CACHE_MAX = 256  # ~2 languages x a few role combinations x ~8 active sections; a bound all the same


def _hole(name: str) -> SafeString:
    return mark_safe(f"\ue000{name}\ue001")  # noqa: S308 - a placeholder of our own


def _active(request: Any) -> tuple[bool, ...]:
    """Which section of the bar is highlighted, as the page's URL says (dashboard, admission,
    statistics, organisation tree, member list, person list, the "more" menu)."""
    match = getattr(request, "resolver_match", None)
    url_name = (getattr(match, "url_name", None) or "") if match is not None else ""
    app_name = (getattr(match, "app_name", None) or "") if match is not None else ""
    path = getattr(request, "path", "") or ""
    return (
        url_name == "dashboard",
        app_name == "admission" or "admission" in path,
        "statistics" in url_name or "plan_" in url_name,
        url_name == "organisation_tree",
        url_name == "member_list",
        url_name == "person_list",
        url_name in ("audit_log", "api_docs"),
    )


ACTIVE_NAMES = ("dashboard", "admission", "statistics", "organisation_tree", "member_list", "person_list", "more")


def _shown(context: Any) -> tuple[Any, ...]:
    """What the bar shows for this request (the cache key, less language and URL configuration)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return (False,)
    scope = context.get("user_scope")
    candidate_only = bool(getattr(scope, "candidate_only", False))
    if candidate_only:
        return (True, True)
    can_audit = context.get("can_audit")
    if callable(can_audit):  # admission.context_processors: evaluated only where the menu asks
        can_audit = can_audit()
    return (
        True,
        False,
        bool(getattr(scope, "is_empty", False)),
        bool(can_audit),
        bool(user.is_staff),
        _active(context.get("request")),
    )


def _render(shown: tuple[Any, ...], language: str) -> tuple[str, ...]:
    """The bar for `shown`, split around its holes: (text, hole name, text, hole name, …, text)."""
    authenticated = shown[0]
    candidate_only = authenticated and shown[1]
    full = authenticated and not candidate_only
    nav = {
        "authenticated": authenticated,
        "candidate_only": candidate_only,
        "scope_empty": full and shown[2],
        "can_audit": full and shown[3],
        "is_staff": full and shown[4],
        "active": dict(zip(ACTIVE_NAMES, shown[5], strict=True)) if full else {},
    }
    csrf_input = CsrfTokenNode().render(Context({"csrf_token": _hole("csrf")}))
    html = get_template(TEMPLATE).render(
        {
            "nav": nav,
            "LANGUAGE_CODE": language,
            "csrf_token": _hole("csrf"),
            "hole_badge": _hole("badge"),
            "hole_name": _hole("name"),
            "hole_next": _hole("next"),
        }
    )
    # The whole CSRF input is one hole: a request without a token gets none, as {% csrf_token %} does.
    html = html.replace(csrf_input, _hole("csrf_input")).removesuffix("\n")  # the file's last newline
    return tuple(_HOLE.split(html))


def _badge(context: Any) -> str:
    unread = context.get("unread_notifications")
    if not unread:
        return ""
    return format_html(
        '<span class="badge rounded-pill text-bg-warning ms-1" id="unread-count">{}</span>',
        render_value_in_context(unread, context),
    )


def _name(context: Any) -> str:
    user = context.get("user")
    return render_value_in_context(user.get_full_name() or user.username, context) if user is not None else ""


def _next(context: Any) -> str:
    request = context.get("request")
    return render_value_in_context(request.get_full_path(), context) if request is not None else ""


FILL: dict[str, Callable[[Any], str]] = {
    "csrf_input": lambda context: CsrfTokenNode().render(context),
    "badge": _badge,
    "name": _name,
    "next": _next,
}


@register.simple_tag(takes_context=True)
def navbar(context: Any) -> SafeString:
    language = get_language() or settings.LANGUAGE_CODE
    shown = _shown(context)
    key = (language, get_script_prefix(), get_urlconf(), shown)
    pieces = None if settings.DEBUG else _CACHE.get(key)
    if pieces is None:
        pieces = _render(shown, language)
        if not settings.DEBUG:
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            _CACHE[key] = pieces
    filled: dict[str, str] = {}
    parts = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            parts.append(piece)
        else:
            value = filled.get(piece)
            if value is None:
                value = filled[piece] = str(FILL[piece](context))
            parts.append(value)
    return mark_safe("".join(parts))  # noqa: S308 - the template's own output and values escaped by FILL


def _clear(**_kwargs: Any) -> None:
    _CACHE.clear()


# A test that changes settings (the URL configuration, the languages…) starts from an empty cache.
setting_changed.connect(_clear, dispatch_uid="members.templatetags.navigation")
