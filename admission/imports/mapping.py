"""Which column of the file goes to which field, and which sheet to which branch.

A suggestion comes, in this order, from the organisation's saved mapping (the header seen and
confirmed before), from the template's own header (exact), or from the most similar known name
of a field, accents, case and punctuation aside (stdlib difflib, with the reason shown:
"giống «Họ và tên» 92%"). The user confirms or changes it on the mapping page; the confirmed
mapping is stored with the dry run (the import re-reads the file with the same one) and saved for
the organisation's next file.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from admission.imports.columns import ALIASES, COLUMN_BY_KEY, COLUMNS, MAPPING_REQUIRED, NEVER_MAPPED, fold

# A header at least this similar to a field's name is suggested for it; below, it is ignored
# unless the user maps it.
SUGGEST_AT = 0.75
SKIP_SHEET = "-"  # a sheet the user chose not to import

SAVED, EXACT, SIMILAR, NONE = "saved", "exact", "similar", "none"


@functools.cache
def _names() -> tuple[tuple[str, str, str], ...]:
    """(folded name, name as written, field key) for every known name; "" key: never mapped."""
    found = [(fold(c.header), c.header, c.key) for c in COLUMNS]
    found += [(fold(alias), alias, key) for key, aliases in ALIASES.items() for alias in aliases]
    found += [(fold(name), name, "") for name in NEVER_MAPPED]
    return tuple(found)


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


@functools.lru_cache(maxsize=4096)
def best_match(folded: str) -> tuple[str, str, float]:
    """(field key or "", the known name it resembles, similarity 0..1) for one folded header.

    A header of several names ("CMND/CCCD", "Ngày tháng năm sinh (dd/mm/yyyy)") is also
    compared part by part."""
    if not folded:
        return "", "", 0.0
    parts = [p.strip() for p in folded.split("/") if p.strip() and p.strip() != folded]
    best = ("", "", 0.0)
    best_rank = (0.0, False)
    for name, written, key in _names():
        whole = _ratio(folded, name)
        part = max((_ratio(p, name) for p in parts), default=0.0)
        # The whole header first, then the template's own name (first in _names) on a tie.
        rank = (max(whole, part), whole >= part)
        if rank > best_rank:
            best, best_rank = (key, written, rank[0]), rank
    return best


def looks_like_header(folded: str, saved: Mapping[str, str]) -> bool:
    """Whether a cell reads like a header: known to the saved mapping or similar to a field."""
    if folded in saved:
        return True
    key, _written, score = best_match(folded)
    return bool(key) and score >= SUGGEST_AT


@dataclass(frozen=True)
class Suggestion:
    key: str  # the field, "" for ignored
    source: str  # saved | exact | similar | none
    matched: str = ""  # the known name it resembles
    percent: int = 0

    @property
    def reason(self) -> str:
        if self.source == SAVED:
            return _("đã chọn ở lần nhập trước")
        if self.source == EXACT:
            return _("đúng tiêu đề tệp mẫu")
        if self.matched and self.key:
            return _("giống «%(name)s» %(percent)s%%") % {"name": self.matched, "percent": self.percent}
        if self.matched:
            return _("giống «%(name)s» %(percent)s%%: cột không cần nhập") % {
                "name": self.matched,
                "percent": self.percent,
            }
        return _("không giống mục nào")


def suggest(headers: Iterable[str], saved: Mapping[str, str]) -> dict[str, Suggestion]:
    """A suggestion for each distinct folded header; each field goes to at most one header (the
    most similar), saved and exact choices first."""
    exact = {fold(c.header): c.key for c in COLUMNS}
    result: dict[str, Suggestion] = {}
    taken: set[str] = set()
    similar: list[tuple[float, str, str, str]] = []
    for folded in dict.fromkeys(headers):
        if folded in saved and (saved[folded] in COLUMN_BY_KEY or saved[folded] == ""):
            result[folded] = Suggestion(saved[folded], SAVED)
            taken.add(saved[folded])
        elif folded in exact:
            result[folded] = Suggestion(exact[folded], EXACT, COLUMN_BY_KEY[exact[folded]].header, 100)
            taken.add(exact[folded])
        else:
            key, written, score = best_match(folded)
            similar.append((score, folded, key, written))
    for score, folded, key, written in sorted(similar, key=lambda s: -s[0]):
        percent = round(score * 100)
        if key and score >= SUGGEST_AT and key not in taken:
            result[folded] = Suggestion(key, SIMILAR, written, percent)
            taken.add(key)
        else:  # below the threshold, a field already taken, or a column never imported (STT, notes)
            never = not key and score >= SUGGEST_AT
            result[folded] = Suggestion("", NONE, written if never else "", percent)
    return result


@dataclass
class ColumnMapping:
    """The confirmed choices: folded header -> field key ("" ignored), sheet title -> branch code
    ("" none: the row's cell or the organisation; SKIP_SHEET: not imported)."""

    columns: dict[str, str] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"columns": dict(self.columns), "sheets": dict(self.sheets)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ColumnMapping | None:
        if not data:
            return None
        columns = {str(k): str(v) for k, v in (data.get("columns") or {}).items() if v == "" or v in COLUMN_BY_KEY}
        return cls(columns=columns, sheets={str(k): str(v) for k, v in (data.get("sheets") or {}).items()})


def missing_required(keys: Iterable[str]) -> list[str]:
    """The headers of the required fields no column is mapped to."""
    have = set(keys)
    return [COLUMN_BY_KEY[key].header for key in MAPPING_REQUIRED if key not in have]


def sheet_suggestion(title: str, branches: Iterable[tuple[str, str]]) -> tuple[str, int]:
    """(branch code, percent) of the branch whose code or name the sheet's title resembles most,
    "chi bộ"/"CB" aside; ("", 0) when none is close. `branches` are (code, name) in the user's scope."""

    def core(text: str) -> str:
        words = fold(text).split()
        while words and words[0] in {"chi", "bo", "cb"}:
            words = words[1:]
        return " ".join(words)

    title_core = core(title)
    if not title_core:
        return "", 0
    best = ("", 0.0)
    for code, name in branches:
        score = (
            1.0 if fold(code) == fold(title) else max(_ratio(title_core, core(name)), _ratio(title_core, fold(code)))
        )
        if score > best[1]:
            best = (code, score)
    return (best[0], round(best[1] * 100)) if best[1] >= 0.8 else ("", 0)
