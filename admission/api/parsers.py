"""JSON bodies with every string in Unicode NFC (the pages do the same for forms), nested at most
MAX_DEPTH levels: a body nested a thousand deep is a 400 in JSON, not a RecursionError (a 500)."""

import json
import unicodedata
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request body of the API nests more than a few levels.
MAX_DEPTH = 32


class TooDeep(Exception):
    pass


def _nfc(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise TooDeep
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {_nfc(key, depth + 1): _nfc(item, depth + 1) for key, item in value.items()}
    return value


class NFCJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return _nfc(super().parse(stream, media_type, parser_context))
        except (RecursionError, TooDeep):
            raise ParseError(
                _("Dữ liệu JSON lồng nhau quá sâu (tối đa %(depth)s cấp).") % {"depth": MAX_DEPTH}
            ) from None
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
