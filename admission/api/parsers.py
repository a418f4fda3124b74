"""JSON bodies with every string in Unicode NFC (the pages do the same for forms)."""

import unicodedata
from typing import Any

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
        return _nfc(super().parse(stream, media_type, parser_context))
