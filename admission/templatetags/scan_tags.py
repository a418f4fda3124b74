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


@register.simple_tag(takes_context=True)
def scans_for(context: template.Context, doc_type: str, scans: Any = None) -> list[Any]:
    """The scans the partial shows: `scans` when the includer passed them, else `scans_by_type[doc_type]`.

    (An unset `scans` arrives as "" from the template engine, hence the truthiness test.)
    """
    if scans:
        return list(scans)
    return list(get_item(context.get("scans_by_type"), doc_type) or [])
