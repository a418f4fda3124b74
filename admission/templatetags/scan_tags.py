"""Template helpers of the scan partial (admission/_scans.html)."""

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """`scans_by_type|get_item:code`: a dict lookup by a variable key, which `{{ a.b }}` cannot do."""
    if not mapping:
        return None
    return mapping.get(key)
