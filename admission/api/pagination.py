"""Page-number pagination: `page` (from 1) and `page_size` (1-200, default 25), both validated.

A page past the last one is 404 (`not_found`, "Không có trang này." in the user's language);
an empty list is page 1 with `count` 0, never a 404.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 25


class Pagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()  # only numbers: `page=last` is not part of the contract
    invalid_page_message = gettext_lazy("Không có trang này.")  # DRF's "Invalid page." has no Vietnamese

    def get_page_size(self, request: Any) -> int:
        """DRF silently falls back to the default on a bad `page_size`; the API says so (400)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            message = _("Nhập một số nguyên từ 1 đến %(max)s.") % {"max": MAX_PAGE_SIZE}
            raise exceptions.ValidationError({self.page_size_query_param: [message]}, code="invalid")
        return int(raw)

    def get_page_number(self, request: Any, paginator: Any) -> str:
        """`page=` sent empty is not page 1 (DRF's default): the number must be given or left out."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return "1"
        if not re.fullmatch(r"[0-9]{1,18}", raw):
            raise exceptions.NotFound(self.invalid_page_message)
        return str(raw)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated: dict[str, Any] = super().get_paginated_response_schema(schema)
        paginated["description"] = (
            f"One page of results, in a stable order: `page` from 1, `page_size` 1-{MAX_PAGE_SIZE} "
            f"(default {DEFAULT_PAGE_SIZE}). Follow `next` until it is null; a page past the last one is 404."
        )
        properties = paginated["properties"]
        properties["count"]["description"] = "Number of results on all pages."
        properties["next"]["description"] = "Absolute URL of the next page (same filters), null on the last page."
        properties["previous"]["description"] = "Absolute URL of the previous page, null on the first page."
        properties["results"]["description"] = "The results of this page."
        for name in ("next", "previous"):
            properties[name].pop("example", None)  # DRF's api.example.org URLs are not ours
        return paginated

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the last one is 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, 1-{MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
