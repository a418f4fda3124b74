"""What the statistics page is asked (the period, how admissions are dated, the baseline) and
how its percentages are rounded (rules §9; ``admission.domain.statistics``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from admission.domain import statistics as stats
from admission.models import StatisticsReport

AdmittedBy = StatisticsReport.AdmittedBy
ADMITTED_FIELD = {AdmittedBy.CEREMONY: "ceremony_date", AdmittedBy.DECISION: "admission_decision_date"}
TREND_YEARS = 5
# A period longer than this is refused by the form: ten years of reports is already a lot.
MAX_PERIOD_DAYS = 3700


@dataclass(frozen=True)
class StatisticsQuery:
    """What the user asked for: the period, how admissions are dated and the baseline."""

    start: dt.date
    end: dt.date
    admitted_by: str = AdmittedBy.CEREMONY
    baseline: str = stats.Baseline.YEAR_START
    term_start: dt.date | None = None

    @property
    def term(self) -> dt.date:
        return self.term_start or stats.default_term_start(self.start)

    @property
    def baseline_day(self) -> dt.date:
        return stats.baseline_date(stats.Baseline(self.baseline), period_start=self.start, term_start=self.term)

    @property
    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)

    @property
    def admitted_field(self) -> str:
        return ADMITTED_FIELD[AdmittedBy(self.admitted_by)]

    @property
    def trend_years(self) -> range:
        return range(self.end.year - TREND_YEARS + 1, self.end.year + 1)

    @classmethod
    def for_year(cls, year: int, **options: Any) -> StatisticsQuery:
        return cls(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31), **options)

    def as_params(self) -> dict[str, str]:
        """The query string of the page (dd/mm/yyyy, as the form reads it)."""
        params = {
            "start": self.start.strftime("%d/%m/%Y"),
            "end": self.end.strftime("%d/%m/%Y"),
            "admitted_by": str(self.admitted_by),
            "baseline": str(self.baseline),
        }
        if self.term_start:
            params["term_start"] = self.term_start.strftime("%d/%m/%Y")
        return params


# --- Percentages ---------------------------------------------------------------------------


def _pct_plan(part: int, whole: int | None) -> str | None:
    value = stats.percentage(part, whole, decimals=stats.PLAN_DECIMALS)
    return None if value is None else str(value)


def _pct_base(part: int, whole: int | None) -> str | None:
    value = stats.percentage(part, whole, decimals=stats.BASELINE_DECIMALS)
    return None if value is None else str(value)
