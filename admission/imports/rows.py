"""What the import would do with each row (RowPlan) and with the file (Plan), and their report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from admission.domain.stages import Stage
from admission.imports.columns import COLUMN_BY_KEY, COLUMNS, KIND_LABELS
from admission.models import Candidate
from members import cccd as cccd_rules
from members import names
from members.models import Organisation, PartyMember, Person

_HEADER_ORDER = {c.header: index for index, c in enumerate(COLUMNS)}


def _column_order(error: tuple[str, str]) -> int:
    """Errors are listed in the order of the file's columns (row-level ones last)."""
    return _HEADER_ORDER.get(error[0], len(COLUMNS))


@dataclass
class RowPlan:
    row: int
    sheet: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column header, message)
    notes: list[str] = field(default_factory=list)
    year_only: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (year, as typed)
    inferred: str = ""  # what was inferred from the dates (kind, stage), shown for confirmation
    outcome: str = ""  # create | update | unchanged | error
    branch: Organisation | None = None
    person: Person | None = None  # new (unsaved) or existing with the file's changes applied
    person_new: bool = False
    person_changed: list[str] = field(default_factory=list)
    member: PartyMember | None = None
    member_changed: list[str] = field(default_factory=list)
    candidate: Candidate | None = None  # an existing open candidacy
    path: list[Stage] = field(default_factory=list)  # the stages still to walk, current first
    candidate_new: bool = False

    def has_error(self, key: str) -> bool:
        return any(header == COLUMN_BY_KEY[key].header for header, _message in self.errors)

    def error(self, key: str, message: str) -> None:
        header = COLUMN_BY_KEY[key].header if key in COLUMN_BY_KEY else ""
        if (header, message) not in self.errors:
            self.errors.append((header, message))

    def report(self) -> dict[str, Any]:
        kind = self.values.get("kind")
        stage = self.values.get("stage")
        number = self.values.get("cccd") or ""
        return {
            "row": self.row,
            "sheet": self.sheet,
            "name": names.normalize_name(self.values.get("full_name") or ""),
            "cccd": cccd_rules.mask_cccd(number),
            "branch": self.values.get("branch") or "",
            "kind": KIND_LABELS.get(kind, "") if kind else "",
            "stage": str(stage) if stage else "",
            "outcome": self.outcome,
            "errors": [{"column": c, "message": m} for c, m in sorted(self.errors, key=_column_order)],
            "notes": list(self.notes),
            "inferred": self.inferred,
        }


@dataclass
class Plan:
    rows: list[RowPlan]

    @property
    def error_rows(self) -> list[RowPlan]:
        return [r for r in self.rows if r.errors]

    def counts(self) -> dict[str, int]:
        found = Counter(r.outcome for r in self.rows)
        return {k: found.get(k, 0) for k in ("create", "update", "unchanged", "error")}

    def report(self, **extra: Any) -> dict[str, Any]:
        return {
            "rows": [r.report() for r in self.rows],
            "counts": self.counts(),
            # What the import would write on an inference: unchanged rows need no confirmation.
            "inferred": sum(1 for r in self.rows if r.inferred and r.outcome in ("create", "update")),
            **extra,
        }
