"""The hand-off page of new official members (admission.documents.handoff): a committee chooses a
period, sees how many members its subtree recognised and downloads them as Excel."""

from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from admission.documents import generate as docgen
from admission.documents.handoff import COLUMNS, Period, handoff_rows
from admission.documents.spreadsheet import Sheet, workbook_bytes
from config.replica import replica_reads
from members.forms import DateInput
from members.http import AuthenticatedRequest
from members.selectors import organisation_get

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("Công nhận từ ngày"), widget=DateInput())
    end = forms.DateField(label=gettext_lazy("đến ngày"), widget=DateInput())

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.add_input(Submit("show", _("Xem"), css_class="btn-danger"))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            self.add_error("end", _("Ngày cuối không được trước ngày đầu."))
        return data


def _period(request: AuthenticatedRequest) -> tuple[PeriodForm, Period | None]:
    today = timezone.localdate()
    if "start" not in request.GET and "end" not in request.GET:
        form = PeriodForm(initial={"start": dt.date(today.year, 1, 1), "end": today})
        return form, Period(dt.date(today.year, 1, 1), today)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, Period(form.cleaned_data["start"], form.cleaned_data["end"])


@login_required
@require_GET
def handoff_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    form, period = _period(request)
    rows = handoff_rows(user=request.user, organisation=organisation, period=period) if period else []
    return render(
        request,
        "admission/handoff.html",
        {"organisation": organisation, "form": form, "period": period, "rows": rows, "columns": COLUMNS},
    )


@login_required
@require_GET
@replica_reads
def handoff_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    form, period = _period(request)
    if period is None:
        return render(
            request,
            "admission/handoff.html",
            {"organisation": organisation, "form": form, "period": None, "rows": [], "columns": COLUMNS},
            status=400,
        )
    rows = handoff_rows(user=request.user, organisation=organisation, period=period)
    sheet = Sheet(
        _("Đảng viên chính thức mới"),
        [str(label) for _key, label in COLUMNS],
        [[row[key] for key, _label in COLUMNS] for row in rows],
        widths=[26, 8, 12, 14, 10, 10, 30, 30, 20, 16, 14, 16, 12, 12, 14, 14, 30, 30],
    )
    response = HttpResponse(workbook_bytes([sheet]), content_type=XLSX)
    stem = f"dang-vien-chinh-thuc_{organisation.code}_{period.start.isoformat()}_{period.end.isoformat()}"
    response["Content-Disposition"] = f'attachment; filename="{docgen.ascii_fold(stem)}.xlsx"'
    return response


urlpatterns: list[URLPattern] = [
    path("organisations/<int:pk>/handoff/", handoff_page, name="handoff_page"),
    path("organisations/<int:pk>/handoff/export/", handoff_export, name="handoff_export"),
]
