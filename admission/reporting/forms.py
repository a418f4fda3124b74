"""The forms of the statistics and plans pages, and the statistics query read from them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admission.models import StatisticsReport
from admission.reporting.query import MAX_PERIOD_DAYS, StatisticsQuery
from members.forms import DateInput
from members.http import AuthenticatedRequest


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
            if (end - start).days > MAX_PERIOD_DAYS:
                raise ValidationError(_("Kỳ thống kê dài nhất 10 năm."))
        return data


def _default_params(today: dt.date) -> dict[str, str]:
    return StatisticsQuery.for_year(today.year).as_params()


def _query_from(request: AuthenticatedRequest) -> tuple[StatisticsForm, StatisticsQuery]:
    """The form bound to the query string (defaults: this year, by ceremony, start of the year).

    An invalid form keeps its errors for the page and the figures fall back to the defaults.
    """
    today = timezone.localdate()
    data = {**_default_params(today), **{k: v for k, v in request.GET.items() if k in StatisticsForm.base_fields}}
    form = StatisticsForm(data)
    if form.is_valid():
        d = form.cleaned_data
        query = StatisticsQuery(
            start=d["start"],
            end=d["end"],
            admitted_by=d["admitted_by"],
            baseline=d["baseline"],
            term_start=d["term_start"],
        )
    else:
        query = StatisticsQuery.for_year(today.year)
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


def _posted_query(form: StatisticsForm) -> StatisticsQuery:
    d = form.cleaned_data
    return StatisticsQuery(
        start=d["start"], end=d["end"], admitted_by=d["admitted_by"], baseline=d["baseline"], term_start=d["term_start"]
    )
