"""Plans and statistics pages, charts and Excel exports (issue 6).

Thin views: organisations are scoped by `organisation_get` (404 outside the user's scope), the
figures come from `admission.reporting.statistics` as one JSON-serialisable dictionary, which
`present()` turns into labelled, formatted rows with a link to the people behind each number.
Charts read the same figures from a `json_script` block (strict CSP: no inline script).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import get_format, number_format
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from admission.domain import statistics as stats
from admission.domain.stages import STAGE_INFO, Stage
from admission.models import AnnualPlan, StatisticsReport
from admission.reporting import statistics
from admission.reporting.cache import cache_seconds, figures_forget, statistics_figures_cached
from members.auth import client_ip
from members.forms import DateInput
from members.http import AuthenticatedRequest
from members.models import AuditLog, EducationLevel, Gender, Organisation, OrganisationKind
from members.selectors import organisation_get, organisation_roots, scope_for
from members.services import audit_record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PEOPLE_PER_PAGE = 50
SHORTCUT_YEARS = 5

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
FIGURE_TITLES = {
    "admitted": gettext_lazy("Đảng viên được kết nạp"),
    "recognised": gettext_lazy("Đảng viên được công nhận chính thức"),
    "removed": gettext_lazy("Đảng viên dự bị bị xóa tên"),
    "members_baseline": gettext_lazy("Đảng viên tại ngày làm mốc"),
    "members_end": gettext_lazy("Đảng viên tại cuối kỳ"),
    "funnel": gettext_lazy("Lớp nhận thức về Đảng trong kỳ"),
    "deadline": gettext_lazy("Thời hạn"),
    "stage": gettext_lazy("Người đã qua bước"),
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
}
STATE_LABELS = {
    "official": gettext_lazy("chính thức"),
    "probationary": gettext_lazy("dự bị"),
    "all": gettext_lazy("tổng số"),
}


# --- Forms -------------------------------------------------------------------------------------


class StatisticsForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("Từ ngày"), widget=DateInput())
    end = forms.DateField(label=gettext_lazy("Đến ngày"), widget=DateInput())
    admitted_by = forms.ChoiceField(label=gettext_lazy("Tính số kết nạp"), choices=StatisticsReport.AdmittedBy.choices)
    baseline = forms.ChoiceField(label=gettext_lazy("So với số đảng viên"), choices=StatisticsReport.Baseline.choices)
    term_start = forms.DateField(
        label=gettext_lazy("Ngày đầu nhiệm kỳ"),
        widget=DateInput(),
        required=False,
        help_text=gettext_lazy("Mặc định 01/01 của năm đầu nhiệm kỳ (2025, 2030 …)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError(_("Ngày kết thúc phải sau ngày bắt đầu."))
            if (end - start).days > statistics.MAX_PERIOD_DAYS:
                raise ValidationError(_("Kỳ thống kê dài nhất 10 năm."))
        return data


def _default_params(today: dt.date) -> dict[str, str]:
    return statistics.StatisticsQuery.for_year(today.year).as_params()


def _query_from(request: AuthenticatedRequest) -> tuple[StatisticsForm, statistics.StatisticsQuery]:
    """The form bound to the query string (defaults: this year, by ceremony, start of the year).

    An invalid form keeps its errors for the page and the figures fall back to the defaults.
    """
    today = timezone.localdate()
    data = {**_default_params(today), **{k: v for k, v in request.GET.items() if k in StatisticsForm.base_fields}}
    form = StatisticsForm(data)
    if form.is_valid():
        d = form.cleaned_data
        query = statistics.StatisticsQuery(
            start=d["start"],
            end=d["end"],
            admitted_by=d["admitted_by"],
            baseline=d["baseline"],
            term_start=d["term_start"],
        )
    else:
        query = statistics.StatisticsQuery.for_year(today.year)
    return form, query


class PlanForm(forms.Form):
    organisation = forms.IntegerField(widget=forms.HiddenInput)
    admit = forms.IntegerField(label=gettext_lazy("Số kết nạp"), min_value=0, max_value=100000, required=False)
    awareness_class = forms.IntegerField(
        label=gettext_lazy("Lớp nhận thức"), min_value=0, max_value=100000, required=False
    )
    new_member_class = forms.IntegerField(
        label=gettext_lazy("Lớp đảng viên mới"), min_value=0, max_value=100000, required=False
    )
    note = forms.CharField(label=gettext_lazy("Ghi chú"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("admit", "awareness_class", "new_member_class"):
            self.fields[name].widget.attrs.update(
                {"class": "form-control form-control-sm text-end", "inputmode": "numeric"}
            )
        self.fields["note"].widget.attrs.update({"class": "form-control form-control-sm"})


PlanFormSet = forms.formset_factory(PlanForm, extra=0)


# --- Presentation ------------------------------------------------------------------------------


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
                for o in statistics.OUTCOMES
            ],
        }
        for row in figures["deadlines"]
    ]
    structure = [
        {"label": kind_labels[kind], "count": figures["structure"].get(kind, 0)} for kind in statistics.STRUCTURE_KINDS
    ]
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
        "funnel": funnel,
        "funnel_median": _number(figures["funnel"]["median_months"]),
        "funnel_median_value": figures["funnel"]["median_months"],
        "stages": stages,
        "deadlines": deadlines,
        "outcome_labels": [str(OUTCOME_LABELS[o]) for o in statistics.OUTCOMES],
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


# --- Views -------------------------------------------------------------------------------------


def _people_link(organisation: Organisation, query: statistics.StatisticsQuery) -> Callable[[str, str], str]:
    base = f"{reverse('statistics_people', args=[organisation.pk])}?{urlencode(query.as_params())}"

    def link(figure: str, key: str) -> str:
        return f"{base}&{urlencode({'figure': figure, 'key': key})}"

    return link


def _year_links(request: AuthenticatedRequest, query: statistics.StatisticsQuery) -> list[tuple[int, str, bool]]:
    today = timezone.localdate()
    links = []
    for year in range(today.year - SHORTCUT_YEARS + 1, today.year + 1):
        params = {**request.GET.dict(), **statistics.StatisticsQuery.for_year(year).as_params()}
        params.pop("page", None)
        is_current = query.start == dt.date(year, 1, 1) and query.end == dt.date(year, 12, 31)
        links.append(
            (year, f"?{urlencode({k: v for k, v in params.items() if k in StatisticsForm.base_fields})}", is_current)
        )
    return links


def _roots_or_redirect(request: AuthenticatedRequest, url_name: str) -> HttpResponse:
    roots = list(organisation_roots(user=request.user).order_by("path"))
    if len(roots) == 1:
        return redirect(url_name, pk=roots[0].pk)
    return render(request, "admission/statistics/index.html", {"roots": roots, "url_name": url_name})


@login_required
@require_GET
def statistics_index(request: AuthenticatedRequest) -> HttpResponse:
    """The statistics of the user's organisation (or a choice when they have several)."""
    return _roots_or_redirect(request, "statistics_organisation")


@login_required
@require_GET
def plan_index(request: AuthenticatedRequest) -> HttpResponse:
    return _roots_or_redirect(request, "plan_list")


@login_required
@require_GET
def statistics_organisation(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    form, query = _query_from(request)
    cached = statistics_figures_cached(
        user=request.user, organisation=organisation, query=query, today=timezone.localdate()
    )
    figures = cached.figures
    context = {
        "organisation": organisation,
        "computed_at": cached.computed_at,
        "figures_key": cached.key,
        "figures_seconds": cache_seconds(),
        "form": form,
        "query": query,
        "query_string": urlencode(query.as_params()),
        "year_links": _year_links(request, query),
        # Only rendered when the HTML of these figures is not in the cache yet.
        "f": SimpleLazyObject(lambda: present(figures, _people_link(organisation, query))),
        "charts": chart_data(figures),
        "can_edit": scope_for(request.user).can_edit(organisation),
        "reports": statistics.statistics_report_list(user=request.user, organisation=organisation),
        "hidden_params": query.as_params().items(),
    }
    return render(request, "admission/statistics/page.html", context)


def _posted_query(form: StatisticsForm) -> statistics.StatisticsQuery:
    d = form.cleaned_data
    return statistics.StatisticsQuery(
        start=d["start"], end=d["end"], admitted_by=d["admitted_by"], baseline=d["baseline"], term_start=d["term_start"]
    )


@login_required
@require_POST
def statistics_recompute(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Drop the cached figures of this organisation (the page's "recompute" button) and show the page again."""
    organisation = organisation_get(user=request.user, pk=pk)
    form = StatisticsForm(request.POST)
    figures_forget(organisation=organisation)
    target = reverse("statistics_organisation", args=[organisation.pk])
    if form.is_valid():
        target = f"{target}?{urlencode(_posted_query(form).as_params())}"
    return redirect(target)


@login_required
@require_GET
def statistics_people(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    _form, query = _query_from(request)
    figure, key = request.GET.get("figure", ""), request.GET.get("key", "")
    people = statistics.statistics_people(
        user=request.user, organisation=organisation, query=query, figure=figure, key=key, today=timezone.localdate()
    )
    page = Paginator(people.rows, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "organisation": organisation,
        "query": query,
        "page": page,
        "people": people,
        "title": _figure_title(figure, key),
        "date_label": DATE_LABELS.get(people.date_field or "", ""),
        "back_url": f"{reverse('statistics_organisation', args=[organisation.pk])}?{urlencode(query.as_params())}",
        "export_url": f"{reverse('statistics_people_export', args=[organisation.pk])}?"
        + urlencode({**query.as_params(), "figure": figure, "key": key}),
        "admitted_by_label": dict(StatisticsReport.AdmittedBy.choices)[query.admitted_by],
    }
    return render(request, "admission/statistics/people.html", context)


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


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _statistics_sheets(organisation: Organisation, p: Mapping[str, Any]) -> list[statistics.Sheet]:
    """Every table of the statistics page, with Vietnamese (or English) headers."""
    t = p["totals"]
    sheets = [
        statistics.Sheet(
            _("Số liệu"),
            [_("Chỉ tiêu thống kê"), _("Giá trị")],
            [
                [_("Tổ chức"), organisation.name],
                [_("Từ ngày"), p["start"]],
                [_("Đến ngày"), p["end"]],
                [_("Tính số kết nạp"), str(p["admitted_by_label"])],
                [_("Số kết nạp"), t["admitted"]],
                [_("Chỉ tiêu kết nạp"), t["plan"]],
                [_("Chỉ tiêu của cấp mình"), t["plan_own"]],
                [_("Tổng chỉ tiêu của các đơn vị trực thuộc"), t["plan_children"]],
                [_("Tỷ lệ so với chỉ tiêu"), statistics.Percent(t["plan_percent"])],
                [_("Mốc so sánh"), str(p["baseline"]["label"])],
                [_("Ngày làm mốc"), p["baseline"]["day"]],
                [_("Số đảng viên làm mốc"), p["baseline"]["members"]],
                [_("Tỷ lệ kết nạp so với số đảng viên làm mốc"), statistics.Percent(t["baseline_percent"])],
                [_("Công nhận chính thức"), t["recognised"]],
                [_("Xóa tên đảng viên dự bị"), t["removed"]],
                [_("Đảng viên chính thức cuối kỳ"), p["members_end"]["official"]],
                [_("Đảng viên dự bị cuối kỳ"), p["members_end"]["probationary"]],
                [_("Ngày đầu nhiệm kỳ"), p["term_start"]],
            ],
            widths=(48, 40),
        ),
        statistics.Sheet(
            _("Theo đơn vị"),
            [
                _("Đơn vị trực thuộc"),
                _("Cấp"),
                _("Chỉ tiêu"),
                _("Đã kết nạp"),
                _("Tỷ lệ so với chỉ tiêu"),
                _("Đảng viên làm mốc"),
                _("Tỷ lệ so với đảng viên làm mốc"),
                _("Công nhận chính thức"),
                _("Xóa tên"),
                _("Chính thức cuối kỳ"),
                _("Dự bị cuối kỳ"),
            ],
            [
                [
                    c["name"],
                    str(c["kind_label"]),
                    c["plan"],
                    c["admitted"],
                    statistics.Percent(c["plan_percent"]),
                    c["baseline_members"],
                    statistics.Percent(c["baseline_percent"]),
                    c["recognised"],
                    c["removed"],
                    c["official"],
                    c["probationary"],
                ]
                for c in p["children"]
            ],
            widths=(40, 26),
        ),
        statistics.Sheet(
            _("Cơ cấu kết nạp"),
            [_("Tiêu chí"), _("Nhóm"), _("Số người"), _("Tỷ lệ")],
            [
                [b["title"], row["label"], row["count"], statistics.Percent(_share(row["count"], t["admitted"]))]
                for b in p["breakdowns"]
                for row in b["rows"]
            ],
            widths=(30, 44, 12, 12),
        ),
        statistics.Sheet(
            _("Xu hướng 5 năm"),
            [
                _("Năm"),
                _("Đã kết nạp"),
                _("Chỉ tiêu"),
                _("Tỷ lệ so với chỉ tiêu"),
                _("Đảng viên đầu năm"),
                _("Tỷ lệ so với đảng viên đầu năm"),
            ],
            [
                [
                    r["year"],
                    r["admitted"],
                    r["plan"],
                    statistics.Percent(r["plan_percent"]),
                    r["members"],
                    statistics.Percent(r["members_percent"]),
                ]
                for r in p["trend"]
            ],
        ),
        statistics.Sheet(
            _("Lớp nhận thức"),
            [_("Bước"), _("Số người"), _("Tỷ lệ")],
            [[s["label"], s["count"], statistics.Percent(s["percent"])] for s in p["funnel"]]
            + [[_("Số tháng trung vị từ giấy chứng nhận đến lễ kết nạp"), p["funnel_median_value"], None]],
            widths=(56, 12, 12),
        ),
        statistics.Sheet(
            _("Thời gian các bước"),
            [_("Bước"), _("Tên bước"), _("Số lượt"), _("Trung vị (ngày làm việc)"), _("Phân vị 90 (ngày làm việc)")],
            [[s["stage"], s["label"], s["count"], s["median"], s["p90"]] for s in p["stages"]],
            widths=(8, 50, 10, 16, 16),
        ),
        statistics.Sheet(
            _("Thời hạn"),
            [_("Thời hạn"), *[str(label) for label in p["outcome_labels"]], _("Tỷ lệ đúng hạn")],
            [
                [d["label"], *[c["count"] for c in d["cells"]], statistics.Percent(d["met_percent"])]
                for d in p["deadlines"]
            ],
            widths=(70, 12, 12, 16, 14, 14),
        ),
        statistics.Sheet(
            _("Tổ chức"),
            [_("Loại tổ chức"), _("Số lượng")],
            [[s["label"], s["count"]] for s in p["structure"]]
            + [
                [_("Đảng viên chính thức"), p["members_end"]["official"]],
                [_("Đảng viên dự bị"), p["members_end"]["probationary"]],
            ],
            widths=(44, 12),
        ),
    ]
    return sheets


def _share(part: int, whole: int) -> str | None:
    value = stats.percentage(part, whole, decimals=stats.PLAN_DECIMALS)
    return None if value is None else str(value)


@login_required
@require_GET
def statistics_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    _form, query = _query_from(request)
    figures = statistics_figures_cached(
        user=request.user, organisation=organisation, query=query, today=timezone.localdate()
    ).figures
    presented = present(figures, lambda _figure, _key: None)
    content = statistics.workbook_bytes(_statistics_sheets(organisation, presented))
    audit_record(
        user=request.user,
        action=AuditLog.Action.EXPORT,
        detail=f"statistics org={organisation.pk} {query.start:%d/%m/%Y}-{query.end:%d/%m/%Y}",
        ip_address=client_ip(request),
    )
    return _xlsx(content, f"thong-ke-{organisation.code}-{query.start:%Y%m%d}-{query.end:%Y%m%d}.xlsx")


@login_required
@require_GET
def statistics_people_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    _form, query = _query_from(request)
    figure, key = request.GET.get("figure", ""), request.GET.get("key", "")
    people = statistics.statistics_people(
        user=request.user, organisation=organisation, query=query, figure=figure, key=key, today=timezone.localdate()
    )
    headers = [_("STT"), _("Họ và tên"), _("Ngày sinh"), _("Giới tính"), _("Dân tộc"), _("Chi bộ")]
    date_label = DATE_LABELS.get(people.date_field or "")
    if date_label:
        headers.append(str(date_label))
    headers.append(_("Trạng thái") if people.is_members else _("Bước"))
    genders = dict(Gender.choices)
    rows: list[list[Any]] = []
    for number, row in enumerate(people.rows.iterator(chunk_size=2000), start=1):
        person = row.person
        values: list[Any] = [
            number,
            person.full_name,
            person.date_of_birth,
            str(genders.get(person.gender, person.gender)),
            person.ethnicity,
            row.organisation.name,
        ]
        if date_label:
            values.append(row.figure_date)
        values.append(row.get_status_display() if people.is_members else f"{row.stage} · {_stage_label(row.stage)}")
        rows.append(values)
    sheet = statistics.Sheet(
        _("Danh sách"),
        headers,
        rows,
        widths=(6, 30, 12, 10, 12, 34, 16, 30) if date_label else (6, 30, 12, 10, 12, 34, 30),
    )
    content = statistics.workbook_bytes([sheet])
    audit_record(
        user=request.user,
        action=AuditLog.Action.EXPORT,
        detail=f"statistics people org={organisation.pk} {figure} {key} rows={len(rows)}",
        ip_address=client_ip(request),
    )
    return _xlsx(content, f"danh-sach-{organisation.code}-{figure}.xlsx")


@login_required
@require_POST
def statistics_report_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    if not scope_for(request.user).can_edit(organisation):
        raise PermissionDenied
    form = StatisticsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Kỳ thống kê không hợp lệ."))
        return redirect("statistics_organisation", pk=organisation.pk)
    query = _posted_query(form)
    now = timezone.now()
    figures = statistics.statistics_figures(
        user=request.user, organisation=organisation, query=query, today=timezone.localdate(now)
    )
    report = statistics.statistics_report_save(
        acting_user=request.user, organisation=organisation, query=query, figures=figures, now=now
    )
    messages.success(request, _("Đã lưu báo cáo thống kê."))
    return redirect("statistics_report", pk=report.pk)


@login_required
@require_GET
def statistics_report(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A saved report, exactly as it was computed (no links: the people may have changed since)."""
    report = statistics.statistics_report_get(user=request.user, pk=pk)
    figures = report.figures
    # Reports saved by this version of the page; anything else (entered in the admin, an older
    # layout) shows its recorded period and baseline only.
    readable = isinstance(figures, dict) and figures.get("version") == statistics.FIGURES_VERSION
    context = {
        "organisation": report.organisation,
        "report": report,
        "f": present(figures, lambda _figure, _key: None) if readable else None,
        "charts": chart_data(figures) if readable else None,
    }
    return render(request, "admission/statistics/report.html", context)


def _plan_year(request: AuthenticatedRequest) -> int:
    value = request.GET.get("year") or request.POST.get("year") or ""
    today = timezone.localdate()
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else today.year


@login_required
def plan_list(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A year's plans of an organisation and its children; editable rows for those who may edit."""
    organisation = organisation_get(user=request.user, pk=pk)
    scope = scope_for(request.user)
    year = _plan_year(request)
    if request.method == "POST" and not scope.can_edit(organisation):
        raise PermissionDenied
    table = statistics.plan_table(user=request.user, organisation=organisation, year=year)
    rows = [table["parent"], *table["children"]]
    editable_ids = {row["id"] for row in rows if scope.can_edit(_org_stub(row))}
    editable = [row for row in rows if row["id"] in editable_ids]
    initial = [
        {
            "organisation": row["id"],
            "admit": row["plan"].admit if row["plan"] else None,
            "awareness_class": row["plan"].awareness_class if row["plan"] else None,
            "new_member_class": row["plan"].new_member_class if row["plan"] else None,
            "note": row["plan"].note if row["plan"] else "",
        }
        for row in editable
    ]
    formset = PlanFormSet(request.POST or None, initial=initial, prefix="plan") if editable else None
    if request.method == "POST" and formset is not None and formset.is_valid():
        changed = _plans_save(request, formset, editable_ids, year)
        messages.success(request, _("Đã lưu chỉ tiêu năm %(year)s (%(n)s đơn vị).") % {"year": year, "n": changed})
        return redirect(f"{reverse('plan_list', args=[organisation.pk])}?year={year}")
    # Forms follow the editable rows in order (the formset was built from them).
    forms_by_id = dict(zip([row["id"] for row in editable], formset.forms if formset else [], strict=False))
    context = {
        "organisation": organisation,
        "year": year,
        "years": range(year - 2, year + 3),
        "table": table,
        "rows": [
            {
                **row,
                "form": forms_by_id.get(row["id"]) if row["id"] in editable_ids else None,
                "plan_percent_text": _pct(row["plan_percent"]),
            }
            for row in rows
        ],
        "formset": formset,
        "can_edit": bool(editable_ids),
        "mismatch": table["parent"]["plan"] is not None
        and table["children_sum"] is not None
        and table["parent"]["plan"].admit != table["children_sum"],
        "statistics_url": f"{reverse('statistics_organisation', args=[organisation.pk])}?"
        + urlencode(statistics.StatisticsQuery.for_year(year).as_params()),
    }
    return render(request, "admission/statistics/plans.html", context)


def _org_stub(row: Mapping[str, Any]) -> Organisation:
    return Organisation(pk=row["id"], path=row["path"])


def _plans_save(request: AuthenticatedRequest, formset: Any, editable_ids: set[int], year: int) -> int:
    """One service call per changed row the user may edit; rows of other organisations are refused."""
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=editable_ids)}
    changed = 0
    for form in formset.forms:
        if not form.has_changed():
            continue
        data = form.cleaned_data
        org = orgs.get(data["organisation"])
        if org is None:
            raise PermissionDenied
        statistics.annual_plan_set(
            acting_user=request.user,
            organisation=org,
            year=year,
            admit=data["admit"] or 0,
            awareness_class=data["awareness_class"] or 0,
            new_member_class=data["new_member_class"] or 0,
            note=data["note"] or "",
        )
        changed += 1
    return changed


@login_required
@require_GET
def plan_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    year = _plan_year(request)
    table = statistics.plan_table(user=request.user, organisation=organisation, year=year)
    rows = []
    for row in [table["parent"], *table["children"]]:
        plan: AnnualPlan | None = row["plan"]
        rows.append(
            [
                row["name"],
                year,
                plan.admit if plan else None,
                row["effective"],
                row["admitted"],
                statistics.Percent(row["plan_percent"]),
                plan.awareness_class if plan else None,
                row["certificates"],
                plan.new_member_class if plan else None,
                row["new_member_class"],
                plan.note if plan else "",
            ]
        )
    sheet = statistics.Sheet(
        _("Chỉ tiêu %(year)s") % {"year": year},
        [
            _("Tổ chức"),
            _("Năm"),
            _("Chỉ tiêu kết nạp"),
            _("Chỉ tiêu áp dụng (tổng hợp cấp dưới)"),
            _("Đã kết nạp"),
            _("Tỷ lệ so với chỉ tiêu"),
            _("Chỉ tiêu lớp nhận thức"),
            _("Đã cấp giấy chứng nhận lớp nhận thức"),
            _("Chỉ tiêu lớp đảng viên mới"),
            _("Đã học lớp đảng viên mới"),
            _("Ghi chú"),
        ],
        rows,
        widths=(40, 8, 14, 18, 12, 14, 14, 18, 14, 16, 30),
    )
    audit_record(
        user=request.user,
        action=AuditLog.Action.EXPORT,
        detail=f"plans org={organisation.pk} year={year}",
        ip_address=client_ip(request),
    )
    return _xlsx(statistics.workbook_bytes([sheet]), f"chi-tieu-{organisation.code}-{year}.xlsx")


urlpatterns: list[URLPattern] = [
    path("statistics/", statistics_index, name="statistics_index"),
    path("organisations/<int:pk>/statistics/", statistics_organisation, name="statistics_organisation"),
    path("organisations/<int:pk>/statistics/people/", statistics_people, name="statistics_people"),
    path("organisations/<int:pk>/statistics/export.xlsx", statistics_export, name="statistics_export"),
    path(
        "organisations/<int:pk>/statistics/people/export.xlsx",
        statistics_people_export,
        name="statistics_people_export",
    ),
    path("organisations/<int:pk>/statistics/reports/", statistics_report_save, name="statistics_report_save"),
    path("organisations/<int:pk>/statistics/recompute/", statistics_recompute, name="statistics_recompute"),
    path("statistics/reports/<int:pk>/", statistics_report, name="statistics_report"),
    path("plans/", plan_index, name="plan_index"),
    path("organisations/<int:pk>/plans/", plan_list, name="plan_list"),
    path("organisations/<int:pk>/plans/export.xlsx", plan_export, name="plan_export"),
]
