"""JSON bodies with every string in Unicode NFC (the pages do the same for forms)."""

import json
import unicodedata
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(item) for item in value]
    if isinstance(value, dict):
        return {_nfc(key): _nfc(item) for key, item in value.items()}
    return value


class NFCJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return _nfc(super().parse(stream, media_type, parser_context))
        except ParseError as exc:
            # DRF's "JSON parse error - …" is English only: the position, in the user's language.
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, json.JSONDecodeError):
                message = _("Nội dung gửi lên không phải JSON hợp lệ (dòng %(line)s, cột %(column)s).") % {
                    "line": cause.lineno,
                    "column": cause.colno,
                }
            else:
                message = _("Nội dung gửi lên không phải JSON hợp lệ.")
            raise ParseError(message) from exc
