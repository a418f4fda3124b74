"""What the statistics templates show: labels, formatted percentages and people links for the
figures (live or saved), the charts' data and the people lists' headings.

Charts read the same figures from a `json_script` block (strict CSP: no inline script).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.formats import get_format, number_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from admission.domain import statistics as stats
from admission.domain.stages import STAGE_INFO, Stage
from admission.models import StatisticsReport
from admission.reporting.candidates import OUTCOME_FIGURES, OUTCOMES
from admission.reporting.statistics import STRUCTURE_KINDS
from members.models import EducationLevel, Gender, OrganisationKind

AGE_LABELS = {
    "under_18": gettext_lazy("Dưới 18 tuổi"),
    "18_30": gettext_lazy("Từ 18 đến 30 tuổi"),
    "31_40": gettext_lazy("Từ 31 đến 40 tuổi"),
    "41_50": gettext_lazy("Từ 41 đến 50 tuổi"),
    "51_60": gettext_lazy("Từ 51 đến 60 tuổi"),
    "over_60": gettext_lazy("Trên 60 tuổi"),
}
GROUP_LABELS = {
    "female": gettext_lazy("Nữ"),
    "ethnic_minority": gettext_lazy("Người dân tộc thiểu số"),
    "religious": gettext_lazy("Người có đạo"),
    "youth_union": gettext_lazy("Đoàn viên Đoàn TNCS Hồ Chí Minh"),
    "student": gettext_lazy("Học sinh, sinh viên"),
    "private_enterprise": gettext_lazy("Người lao động trong doanh nghiệp tư nhân"),
}
BREAKDOWN_TITLES = {
    "groups": gettext_lazy("Đối tượng"),
    "gender": gettext_lazy("Giới tính"),
    "age": gettext_lazy("Độ tuổi khi kết nạp"),
    "ethnicity": gettext_lazy("Dân tộc"),
    "religion": gettext_lazy("Tôn giáo"),
    "education": gettext_lazy("Trình độ giáo dục phổ thông"),
}
FUNNEL_LABELS = {
    "certificate": gettext_lazy("Được cấp giấy chứng nhận lớp nhận thức về Đảng"),
    "dossier": gettext_lazy("Được phép lập hồ sơ"),
    "branch_vote": gettext_lazy("Chi bộ đề nghị kết nạp"),
    "admitted": gettext_lazy("Đã kết nạp (lễ kết nạp)"),
}
DEADLINE_LABELS = {
    "decision": (
        gettext_lazy("Quyết định kết nạp"),
        gettext_lazy("45 ngày làm việc từ nghị quyết chi bộ (QĐ294 4.3.1)"),
    ),
    "ceremony": (
        gettext_lazy("Lễ kết nạp"),
        gettext_lazy("30 ngày làm việc từ khi chi bộ nhận quyết định (QĐ294 4.1)"),
    ),
    "recognition_branch": (
        gettext_lazy("Chi bộ xét công nhận chính thức"),
        gettext_lazy("30 ngày làm việc sau khi hết thời gian dự bị (QĐ294 4.2.1)"),
    ),
    "recognition_decision": (
        gettext_lazy("Quyết định công nhận chính thức"),
        gettext_lazy("30 ngày làm việc từ nghị quyết chi bộ (QĐ294 4.3.1)"),
    ),
}
OUTCOME_LABELS = {
    "met": gettext_lazy("Đúng hạn"),
    "late": gettext_lazy("Trễ hạn"),
    "overdue": gettext_lazy("Quá hạn, chưa làm"),
    "open": gettext_lazy("Chưa đến hạn"),
}
# The life-cycle outcomes of the period (candidates.outcome_transitions, outcome_transfers).
LIFECYCLE_LABELS = {
    "rejected": gettext_lazy("Không kết nạp"),
    "annulled": gettext_lazy("Hủy quyết định kết nạp"),
    "withdrawn": gettext_lazy("Rút hoặc đưa ra khỏi danh sách"),
    "transfers_in": gettext_lazy("Chuyển sinh hoạt đến"),
    "transfers_out": gettext_lazy("Chuyển sinh hoạt đi"),
}
LIFECYCLE_NOTES = {
    "rejected": gettext_lazy("Cấp ủy có thẩm quyền quyết định không kết nạp (QĐ294 4.3.1)"),
    "annulled": gettext_lazy("Quyết định kết nạp bị hủy (QĐ294 4.4; HD06 3.9)"),
    "withdrawn": gettext_lazy("Trước khi có quyết định kết nạp; không tính rà soát danh sách hằng tháng"),
    "transfers_in": gettext_lazy("Từ ngoài đơn vị vào"),
    "transfers_out": gettext_lazy("Ra ngoài đơn vị"),
}
FIGURE_TITLES = {
    "admitted": gettext_lazy("Đảng viên được kết nạp"),
    "recognised": gettext_lazy("Đảng viên được công nhận chính thức"),
    "removed": gettext_lazy("Đảng viên dự bị bị xóa tên"),
    "members_baseline": gettext_lazy("Đảng viên tại ngày làm mốc"),
    "members_end": gettext_lazy("Đảng viên tại cuối kỳ"),
    "funnel": gettext_lazy("Lớp nhận thức về Đảng trong kỳ"),
    "deadline": gettext_lazy("Thời hạn"),
    "stage": gettext_lazy("Người đã qua bước"),
    **LIFECYCLE_LABELS,
}
DATE_LABELS = {
    "ceremony_date": gettext_lazy("Ngày vào Đảng"),
    "admission_decision_date": gettext_lazy("Ngày quyết định kết nạp"),
    "official_date": gettext_lazy("Ngày chính thức"),
    "recognised_on": gettext_lazy("Ngày quyết định công nhận"),
    "removal_date": gettext_lazy("Ngày xóa tên"),
    "certificate_issue_date": gettext_lazy("Ngày cấp giấy chứng nhận"),
    "decision_date": gettext_lazy("Ngày quyết định kết nạp"),
    "recognition_branch_date": gettext_lazy("Ngày chi bộ xét công nhận"),
    "recognition_decision_date": gettext_lazy("Ngày quyết định công nhận"),
    "rejected_on": gettext_lazy("Ngày quyết định không kết nạp"),
    "annulled_on": gettext_lazy("Ngày hủy quyết định"),
    "withdrawn_on": gettext_lazy("Ngày ra khỏi danh sách"),
    "transferred_on": gettext_lazy("Ngày chuyển sinh hoạt"),
}
STATE_LABELS = {
    "official": gettext_lazy("chính thức"),
    "probationary": gettext_lazy("dự bị"),
    "all": gettext_lazy("tổng số"),
}


def _pct(value: str | None) -> str:
    """ "102.5" -> "102,5 %" in Vietnamese, "102.5 %" in English; "—" without a denominator."""
    separator = str(get_format("DECIMAL_SEPARATOR"))
    return stats.format_percent(None if value is None else Decimal(value), decimal_separator=separator)


def _number(value: float | None, decimals: int = 1) -> str:
    if value is None:
        return "—"
    return number_format(round(value, decimals), decimal_pos=decimals if value % 1 else 0)


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _stage_label(stage: str) -> str:
    info = STAGE_INFO[Stage(stage)]
    return info.label_en if (get_language() or "vi").startswith("en") else info.label_vi


def _breakdown_label(dimension: str, key: str) -> str:
    if dimension == "gender":
        return str(dict(Gender.choices).get(key, key))
    if dimension == "education":
        return str(dict(EducationLevel.choices).get(key, key))
    if dimension == "religion":
        return key or _("Không")
    if dimension == "age":
        return str(AGE_LABELS[key])
    if dimension == "groups":
        return str(GROUP_LABELS[key])
    return key or "—"


def present(figures: Mapping[str, Any], link: Callable[[str, str], str | None]) -> dict[str, Any]:
    """Labels, formatted percentages and people links for the figures (live or saved).

    `link(figure, key)` gives the URL of the people behind a number, or None (saved reports).
    """
    totals = figures["totals"]
    admitted = totals["admitted"]

    def linked(count: int, figure: str, key: str) -> str | None:
        """A link to the people behind a number; none behind a zero."""
        return link(figure, key) if count else None

    kind_labels = dict(OrganisationKind.choices)
    children = [
        {
            **child,
            "kind_label": kind_labels.get(child["kind"], child["kind"]),
            "plan_percent_text": _pct(child["plan_percent"]),
            "baseline_percent_text": _pct(child["baseline_percent"]),
            "admitted_url": linked(child["admitted"], "admitted", f"child:{child['id']}"),
            "recognised_url": linked(child["recognised"], "recognised", f"child:{child['id']}"),
            "removed_url": linked(child["removed"], "removed", f"child:{child['id']}"),
            "official_url": linked(child["official"], "members_end", f"official;child:{child['id']}"),
            "probationary_url": linked(child["probationary"], "members_end", f"probationary;child:{child['id']}"),
        }
        for child in figures["children"]
    ]
    breakdowns = []
    for dimension, title in BREAKDOWN_TITLES.items():
        dim_key = "group" if dimension == "groups" else dimension
        rows = [
            {
                "label": _breakdown_label(dimension, row["key"]),
                "count": row["count"],
                "percent": _pct(
                    None
                    if not admitted
                    else str(stats.percentage(row["count"], admitted, decimals=stats.PLAN_DECIMALS))
                ),
                "url": linked(row["count"], "admitted", f"{dim_key}:{row['key']}"),
            }
            for row in figures["breakdowns"][dimension]
        ]
        breakdowns.append({"key": dimension, "title": str(title), "rows": rows})
    funnel = [
        {
            **step,
            "label": str(FUNNEL_LABELS[step["key"]]),
            "percent_text": _pct(step["percent"]),
            "url": linked(step["count"], "funnel", step["key"]),
        }
        for step in figures["funnel"]["steps"]
    ]
    stages = [
        {
            **row,
            "label": _stage_label(row["stage"]),
            "median_text": _number(row["median"]),
            "p90_text": _number(row["p90"]),
            "url": linked(row["count"], "stage", row["stage"]),
        }
        for row in figures["time_in_stage"]
    ]
    deadlines = [
        {
            **row,
            "title": str(DEADLINE_LABELS[row["key"]][0]),
            "rule": str(DEADLINE_LABELS[row["key"]][1]),
            "label": "{} — {}".format(*DEADLINE_LABELS[row["key"]]),
            "met_percent_text": _pct(row["met_percent"]),
            "cells": [
                {"outcome": o, "count": row[o], "url": linked(row[o], "deadline", f"{row['key']}:{o}")}
                for o in OUTCOMES
            ],
        }
        for row in figures["deadlines"]
    ]
    # Reports saved before the outcomes were counted have none (shown without the table).
    saved_outcomes = figures.get("outcomes")
    outcomes = [
        {
            "key": key,
            "label": str(LIFECYCLE_LABELS[key]),
            "note": str(LIFECYCLE_NOTES[key]),
            "count": saved_outcomes.get(key, 0),
            "url": linked(saved_outcomes.get(key, 0), key, ""),
        }
        for key in OUTCOME_FIGURES
        if saved_outcomes is not None
    ]
    structure = [{"label": kind_labels[kind], "count": figures["structure"].get(kind, 0)} for kind in STRUCTURE_KINDS]
    trend = [
        {
            **row,
            "plan_percent_text": _pct(row["plan_percent"]),
            "members_percent_text": _pct(row["members_percent"]),
            "url": linked(row["admitted"], "admitted", f"year:{row['year']}"),
        }
        for row in figures["trend"]
    ]
    baseline = figures["baseline"]
    return {
        "organisation": figures["organisation"],
        "start": _date(figures["period"]["start"]),
        "end": _date(figures["period"]["end"]),
        "admitted_by_label": dict(StatisticsReport.AdmittedBy.choices)[figures["admitted_by"]],
        "baseline": {
            **baseline,
            "label": dict(StatisticsReport.Baseline.choices)[baseline["kind"]],
            "day": _date(baseline["date"]),
            "url": linked(baseline["members"], "members_baseline", "all"),
        },
        "totals": {
            **totals,
            "plan_percent_text": _pct(totals["plan_percent"]),
            "baseline_percent_text": _pct(totals["baseline_percent"]),
            "admitted_url": linked(totals["admitted"], "admitted", ""),
            "recognised_url": linked(totals["recognised"], "recognised", ""),
            "removed_url": linked(totals["removed"], "removed", ""),
            "plan_mismatch": totals["plan_own"] is not None
            and totals["plan_children"] is not None
            and totals["plan_own"] != totals["plan_children"],
        },
        "members_end": {
            **figures["members_end"],
            "day": _date(figures["members_end"]["date"]),
            "official_url": linked(figures["members_end"]["official"], "members_end", "official"),
            "probationary_url": linked(figures["members_end"]["probationary"], "members_end", "probationary"),
            "total_url": linked(figures["members_end"]["total"], "members_end", "all"),
        },
        "direct": figures["direct"],
        "direct_admitted_url": linked(figures["direct"]["admitted"], "admitted", "child:direct"),
        "children": children,
        "breakdowns": breakdowns,
        "outcomes": outcomes,
        "funnel": funnel,
        "funnel_median": _number(figures["funnel"]["median_months"]),
        "funnel_median_value": figures["funnel"]["median_months"],
        "stages": stages,
        "deadlines": deadlines,
        "outcome_labels": [str(OUTCOME_LABELS[o]) for o in OUTCOMES],
        "structure": structure,
        "structure_day": _date(figures["structure"]["date"]),
        "trend": trend,
        "term_start": _date(figures["term_start"]),
    }


def chart_data(figures: Mapping[str, Any]) -> dict[str, Any]:
    """What static/js/statistics_charts.js draws: numbers and the translated legend texts."""
    children = figures["children"]
    trend = figures["trend"]
    return {
        "locale": "en" if (get_language() or "vi").startswith("en") else "vi",
        "children": {
            "labels": [c["name"] for c in children],
            "plan": [c["plan"] for c in children],
            "admitted": [c["admitted"] for c in children],
        },
        "funnel": {
            "labels": [str(FUNNEL_LABELS[s["key"]]) for s in figures["funnel"]["steps"]],
            "counts": [s["count"] for s in figures["funnel"]["steps"]],
        },
        "trend": {
            "labels": [str(row["year"]) for row in trend],
            "admitted": [row["admitted"] for row in trend],
            "plan": [row["plan"] for row in trend],
            "percent": [None if row["members_percent"] is None else float(row["members_percent"]) for row in trend],
        },
        "text": {
            "plan": _("Chỉ tiêu"),
            "admitted": _("Đã kết nạp"),
            "people": _("Số người"),
            "percent": _("% so với đảng viên đầu năm"),
            "target": _("Mục tiêu 3–4 %/năm"),
        },
    }


def _figure_title(figure: str, key: str) -> str:
    """A heading such as "Đảng viên được kết nạp — Giới tính: Nữ"."""
    title = str(FIGURE_TITLES.get(figure, figure))
    if not key:
        return title
    dimension, _sep, value = key.partition(":")
    detail: str
    if figure == "deadline":
        detail = f"{DEADLINE_LABELS[dimension][0]} — {OUTCOME_LABELS[value]}"
    elif figure == "stage":
        detail = f"{key} · {_stage_label(key)}"
    elif figure == "funnel":
        detail = str(FUNNEL_LABELS[key])
    elif figure in {"members_baseline", "members_end"}:
        state, _sep, child = key.partition(";")
        detail = str(STATE_LABELS[state]) + (_(" — một đơn vị trực thuộc") if child else "")
    elif dimension == "group":
        detail = str(GROUP_LABELS[value])
    elif dimension == "child":
        detail = _("đơn vị trực thuộc") if value != "direct" else _("trực tiếp")
    elif dimension == "year":
        detail = _("năm %(year)s") % {"year": value}
    else:
        detail = f"{BREAKDOWN_TITLES.get(dimension, dimension)}: {_breakdown_label(dimension, value)}"
    return f"{title} — {detail}"
