"""Plans and statistics pages, charts and Excel exports.

Thin views: organisations are scoped by `organisation_get` (404 outside the user's scope), the
figures come from `admission.reporting.statistics` as one JSON-serialisable dictionary, which
`presentation.present()` turns into labelled, formatted rows with a link to the people behind each
number; the forms are in `forms`, the Excel sheets in `exports` and the routes in `urls`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from admission.models import StatisticsReport
from admission.reporting import people as people_lists
from admission.reporting import statistics
from admission.reporting.cache import cache_seconds, figures_forget, statistics_figures_cached
from admission.reporting.exports import _statistics_sheets, people_sheet, plan_sheet, workbook_bytes
from admission.reporting.forms import PlanFormSet, StatisticsForm, _posted_query, _query_from
from admission.reporting.plans import annual_plan_set, plan_table
from admission.reporting.presentation import DATE_LABELS, _figure_title, _pct, chart_data, present
from admission.reporting.query import StatisticsQuery
from config.replica import replica_reads
from members.auth import client_ip
from members.http import AuthenticatedRequest
from members.models import AuditLog, Organisation
from members.selectors import organisation_get, organisation_roots, scope_for
from members.services import audit_record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PEOPLE_PER_PAGE = 50
SHORTCUT_YEARS = 5


def _people_link(organisation: Organisation, query: StatisticsQuery) -> Callable[[str, str], str]:
    """The link of a figure to the people it counts. A province's page has ~650 of them: each
    value quoted by `quote_plus` (what `urlencode` does, without building a mapping per link)."""
    base = f"{reverse('statistics_people', args=[organisation.pk])}?{urlencode(query.as_params())}"

    def link(figure: str, key: str) -> str:
        return f"{base}&figure={quote_plus(figure)}&key={quote_plus(str(key))}"

    return link


def _year_links(request: AuthenticatedRequest, query: StatisticsQuery) -> list[tuple[int, str, bool]]:
    today = timezone.localdate()
    links = []
    for year in range(today.year - SHORTCUT_YEARS + 1, today.year + 1):
        params = {**request.GET.dict(), **StatisticsQuery.for_year(year).as_params()}
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
@replica_reads
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
@replica_reads
def statistics_people(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    _form, query = _query_from(request)
    figure, key = request.GET.get("figure", ""), request.GET.get("key", "")
    people = people_lists.statistics_people(
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


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
@replica_reads
def statistics_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    _form, query = _query_from(request)
    figures = statistics_figures_cached(
        user=request.user, organisation=organisation, query=query, today=timezone.localdate()
    ).figures
    presented = present(figures, lambda _figure, _key: None)
    content = workbook_bytes(_statistics_sheets(organisation, presented))
    audit_record(
        user=request.user,
        action=AuditLog.Action.EXPORT,
        detail=f"Thống kê tổ chức #{organisation.pk} {query.start:%d/%m/%Y}–{query.end:%d/%m/%Y}",
        ip_address=client_ip(request),
    )
    return _xlsx(content, f"thong-ke-{organisation.code}-{query.start:%Y%m%d}-{query.end:%Y%m%d}.xlsx")


@login_required
@require_GET
@replica_reads
def statistics_people_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    _form, query = _query_from(request)
    figure, key = request.GET.get("figure", ""), request.GET.get("key", "")
    people = people_lists.statistics_people(
        user=request.user, organisation=organisation, query=query, figure=figure, key=key, today=timezone.localdate()
    )
    sheet = people_sheet(people)
    content = workbook_bytes([sheet])
    audit_record(
        user=request.user,
        action=AuditLog.Action.EXPORT,
        detail=f"Danh sách người của thống kê, tổ chức #{organisation.pk} {figure} {key}: {len(sheet.rows)} dòng",
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
    table = plan_table(user=request.user, organisation=organisation, year=year)
    rows = [table["parent"], *table["children"]]
    # The body above sets a plan (annual_plan_set): a secretary sees their branch's plan read-only.
    editable_ids = {row["id"] for row in rows if scope.can_edit_above(_org_stub(row))}
    if request.method == "POST" and (not scope.can_edit(organisation) or not editable_ids):
        raise PermissionDenied
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
        # Rows the user edits but may not set (their own level's plan): shown read-only with why.
        "read_only_ids": {
            row["id"] for row in rows if row["id"] not in editable_ids and scope.can_edit(_org_stub(row))
        },
        "mismatch": table["parent"]["plan"] is not None
        and table["children_sum"] is not None
        and table["parent"]["plan"].admit != table["children_sum"],
        "statistics_url": f"{reverse('statistics_organisation', args=[organisation.pk])}?"
        + urlencode(StatisticsQuery.for_year(year).as_params()),
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
        annual_plan_set(
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
@replica_reads
def plan_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    year = _plan_year(request)
    table = plan_table(user=request.user, organisation=organisation, year=year)
    sheet = plan_sheet(table, year)
    audit_record(
        user=request.user,
        action=AuditLog.Action.EXPORT,
        detail=f"Chỉ tiêu năm {year}, tổ chức #{organisation.pk}",
        ip_address=client_ip(request),
    )
    return _xlsx(workbook_bytes([sheet]), f"chi-tieu-{organisation.code}-{year}.xlsx")
