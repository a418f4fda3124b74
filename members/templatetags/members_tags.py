from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# django-simple-history ships no Vietnamese; its history types get our own labels.
HISTORY_TYPES = {"+": _("Tạo mới"), "~": _("Cập nhật"), "-": _("Xóa")}


@register.filter
def history_type(value: str) -> str:
    return str(HISTORY_TYPES.get(value, value))
