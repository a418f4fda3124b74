from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# django-simple-history ships no Vietnamese; its history types get our own labels.
HISTORY_TYPES = {"+": _("Tạo mới"), "~": _("Cập nhật"), "-": _("Xóa")}


@register.filter
def history_type(value: str) -> str:
    return str(HISTORY_TYPES.get(value, value))


@register.filter
def user_label(user: object, nobody: str = "—") -> str:
    """A user's full name, else their login; `nobody` for None (a deleted user, or the system for
    an act no user recorded: `|user_label:_("hệ thống")`)."""
    if user is None:
        return str(nobody)
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full_name or getattr(user, "username", "") or "—"
