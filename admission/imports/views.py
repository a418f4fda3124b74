"""Excel import of people, members and candidates: template, dry run, import.

Anyone who may read the organisation sees its import history and reports (auditors check who
imported what); only those who may edit it upload, run a dry run or import (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from admission.imports import columns, files, people, template, workbook
from admission.models import ImportBatch
from members.auth import client_ip
from members.http import AuthenticatedRequest
from members.models import BRANCH_KINDS, Organisation
from members.selectors import organisation_get, organisation_list, scope_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportUploadForm(forms.Form):
    # `accept` only narrows the file picker; the service checks the bytes (a zip holding
    # xl/workbook.xml). Empty files reach the service too, so every refusal reads the same way.
    file = forms.FileField(
        label=gettext_lazy("Tệp Excel (.xlsx)"),
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Tối đa %(limit)s MB và %(rows)s dòng. Chạy thử không ghi gì: xem lỗi từng dòng rồi mới nhập."
        ) % {"limit": workbook.IMPORT_MAX_BYTES // (1024 * 1024), "rows": workbook.IMPORT_MAX_ROWS}
        self.helper = FormHelper()
        self.helper.add_input(Submit("dry_run", _("Chạy thử"), css_class="btn-danger"))

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data["file"]
        # Refused before reading it into memory.
        if uploaded.size > workbook.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("Tệp lớn hơn %(limit)s MB; hãy chia thành nhiều tệp.")
                % {"limit": workbook.IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return uploaded


def _organisation(request: AuthenticatedRequest, pk: int, *, edit: bool) -> Organisation:
    organisation = organisation_get(user=request.user, pk=pk)  # 404 outside the user's scope
    if edit and not scope_for(request.user).can_edit(organisation):
        raise PermissionDenied
    return organisation


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request, pk, edit=request.method == "POST")
    can_edit = scope_for(request.user).can_edit(organisation)
    form = ImportUploadForm(request.POST or None, request.FILES or None) if can_edit else None
    if request.method == "POST" and form is not None and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            batch = people.import_dry_run(
                acting_user=request.user,
                organisation=organisation,
                file_name=uploaded.name or "",
                data=uploaded.read(),
                ip_address=client_ip(request),
            )
        except workbook.ImportFileRefused as refused:
            form.add_error("file", refused.message)
        else:
            return redirect("import_batch", batch.pk)
    page = Paginator(people.import_batch_list(organisation=organisation), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "admission/imports/page.html",
        {
            "organisation": organisation,
            "form": form,
            "can_edit": can_edit,
            "page": page,
            "columns": columns.COLUMNS,
            "max_mb": workbook.IMPORT_MAX_BYTES // (1024 * 1024),
        },
    )


@login_required
@require_GET
def import_template(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request, pk, edit=False)
    scope = scope_for(request.user)
    # The branch codes offered in the "Mã chi bộ" list: branches here that the user may import into.
    branches = [
        (o.code, o.name)
        for o in organisation_list(user=request.user)
        .filter(path__startswith=organisation.path, kind__in=BRANCH_KINDS)
        .order_by("path")
        if scope.can_edit(o)
    ]
    data = template.import_template_build(organisation=organisation, branch_codes=branches)
    response = HttpResponse(data, content_type=XLSX)
    name = slugify(organisation.code) or "to-chuc"
    response["Content-Disposition"] = f'attachment; filename="mau-nhap-excel-{name}.xlsx"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def import_batch(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = people.import_batch_get(user=request.user, pk=pk)  # 404 outside the user's scope
    report: dict[str, Any] = batch.report or {}
    rows = report.get("rows", [])
    only_errors = request.GET.get("errors") == "1"
    error_rows = sum(1 for r in rows if r.get("errors"))
    applied = people.import_batch_applied_after(batch=batch) if batch.status == ImportBatch.Status.DRY_RUN else None
    can_apply = (
        batch.status == ImportBatch.Status.DRY_RUN
        and error_rows == 0
        and applied is None
        and batch.created_by_id == request.user.pk
        and scope_for(request.user).can_edit(batch.organisation)
        and files.import_file_read(batch=batch) is not None
    )
    return render(
        request,
        "admission/imports/batch.html",
        {
            "batch": batch,
            "organisation": batch.organisation,
            "rows": [r for r in rows if r.get("errors")] if only_errors else rows,
            "only_errors": only_errors,
            "error_rows": error_rows,
            "counts": report.get("counts", {}),
            "file_error": report.get("error", ""),
            "applied": applied,
            "can_apply": can_apply,
        },
    )


@login_required
@require_POST
def import_apply(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    dry_run = people.import_batch_get(user=request.user, pk=pk)  # 404 outside the user's scope
    organisation = _organisation(request, dry_run.organisation_id, edit=True)
    # Only the person who ran the dry run imports it: the history then names who saw the report.
    if dry_run.created_by_id != request.user.pk or dry_run.status != ImportBatch.Status.DRY_RUN:
        raise PermissionDenied
    already = people.import_batch_applied_after(batch=dry_run)
    if already is not None:
        messages.info(request, _("Tệp này đã được nhập."))
        return redirect("import_batch", already.pk)
    data = files.import_file_read(batch=dry_run)
    if data is None:
        messages.error(request, _("Tệp chạy thử không còn được lưu; hãy tải tệp lên và chạy thử lại."))
        return redirect("import_page", organisation.pk)
    try:
        batch = people.import_apply(
            acting_user=request.user,
            organisation=organisation,
            file_name=dry_run.file_name,
            data=data,
            ip_address=client_ip(request),
            dry_run=dry_run,
        )
    except workbook.ImportFileRefused as refused:  # pragma: no cover - the dry run read the same bytes
        messages.error(request, refused.message)
        return redirect("import_page", organisation.pk)
    if batch.status == ImportBatch.Status.APPLIED:
        messages.success(
            request,
            _("Đã nhập %(rows)s dòng: tạo mới %(created)s, cập nhật %(updated)s, giữ nguyên %(unchanged)s.")
            % {
                "rows": batch.rows,
                "created": batch.created_count,
                "updated": batch.updated_count,
                "unchanged": batch.unchanged_count,
            },
        )
    else:
        messages.error(request, _("Không nhập: tệp có lỗi hoặc dữ liệu vừa thay đổi. Không có gì được ghi."))
    return redirect(reverse("import_batch", args=[batch.pk]))


urlpatterns: list[URLPattern] = [
    path("organisations/<int:pk>/import/", import_page, name="import_page"),
    path("organisations/<int:pk>/import/template.xlsx", import_template, name="import_template"),
    path("imports/<int:pk>/", import_batch, name="import_batch"),
    path("imports/<int:pk>/apply/", import_apply, name="import_apply"),
]
