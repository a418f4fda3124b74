"""Excel import of people, members and candidates: template, dry run, import.

Anyone who may read the organisation sees its import history and reports (auditors check who
imported what); only those who may edit it upload, run a dry run or import (403 otherwise).
"""

from __future__ import annotations

import re
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from admission.imports import columns, files, people, template, workbook
from admission.imports.mapping import SKIP_SHEET, ColumnMapping, missing_required, sheet_suggestion, suggest
from admission.models import ImportBatch
from members import cccd as cccd_rules
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
        name, data = uploaded.name or "", uploaded.read()
        try:
            layout, saved = people.import_layout(organisation=organisation, file_name=name, data=data)
            if not people.import_mapping_needed(layout=layout, saved=saved, organisation=organisation):
                # The template, or a file laid out like one confirmed before: straight to the dry run.
                batch = people.import_dry_run(
                    acting_user=request.user,
                    organisation=organisation,
                    file_name=name,
                    data=data,
                    ip_address=client_ip(request),
                )
                return redirect("import_batch", batch.pk)
        except workbook.ImportFileRefused as refused:
            form.add_error("file", refused.message)
        else:
            sha256 = files.import_file_keep(data=data, now=timezone.now())
            uploads = dict(request.session.get(_UPLOADS, {}))
            uploads[sha256] = {"organisation": organisation.pk, "name": name}
            request.session[_UPLOADS] = dict(list(uploads.items())[-5:])  # the last few uploads
            return redirect("import_mapping", organisation.pk, sha256)
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


_UPLOADS = "import_uploads"


def _branches(request: AuthenticatedRequest, organisation: Organisation) -> list[tuple[str, str]]:
    """(code, name) of the branches here that the user may import into."""
    scope = scope_for(request.user)
    return [
        (o.code, o.name)
        for o in organisation_list(user=request.user)
        .filter(path__startswith=organisation.path, kind__in=BRANCH_KINDS)
        .order_by("path")
        if scope.can_edit(o)
    ]


_DIGITS = re.compile(r"\d[\d .]{8,}\d")


def _sample(text: str) -> str:
    """A cell shown as an example on the mapping page, any CCCD-like number masked."""
    return _DIGITS.sub(lambda m: cccd_rules.mask_cccd(re.sub(r"[ .]", "", m.group())), text)


class ImportMappingForm(forms.Form):
    """One choice per distinct header of the file (a field, or ignored) and, where asked, one per
    sheet (a branch, none, or not imported); the suggestions are the initial values."""

    save = forms.BooleanField(
        label=gettext_lazy("Lưu cách ghép này cho lần nhập sau"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(
        self,
        *args: Any,
        layout: workbook.Layout,
        saved: ColumnMapping | None,
        branches: list[tuple[str, str]],
        ask_sheets: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.layout = layout
        headers = layout.headers()
        self.suggestions = suggest(headers, saved.columns if saved else {})
        field_choices = [("", _("— Bỏ qua cột này —"))] + [(c.key, c.header) for c in columns.COLUMNS]
        self.column_rows: list[dict[str, Any]] = []
        for index, folded in enumerate(headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                choices=field_choices,
                required=False,
                initial=self.suggestions[folded].key,
                label=folded,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            found = [(s, c) for s in layout.sheets for c in s.columns if c.folded == folded]
            samples: list[str] = []
            for sheet, column in found:
                samples += [_sample(v) for v in sheet.samples(column.index)]
            self.column_rows.append(
                {
                    "field": self[name],
                    "folded": folded,
                    "label": found[0][1].label,
                    "where": ", ".join(
                        f"{c.letter}" + (f" ({s.title})" if len(layout.sheets) > 1 else "") for s, c in found
                    ),
                    "samples": samples[:3],
                    "suggestion": self.suggestions[folded],
                }
            )
        self.sheet_rows: list[dict[str, Any]] = []
        if ask_sheets:
            sheet_choices = [
                ("", _("— Theo cột chi bộ hoặc tổ chức đang nhập —")),
                (SKIP_SHEET, _("— Không nhập trang này —")),
                *((code, f"{name} ({code})") for code, name in branches),
            ]
            codes = {code for code, _name in branches}
            for index, sheet in enumerate(layout.sheets):
                name = f"sheet_{index}"
                known = saved.sheets.get(sheet.title) if saved else None
                code, percent = sheet_suggestion(sheet.title, branches)
                initial = known if known is not None and (known in codes or known in ("", SKIP_SHEET)) else code
                self.fields[name] = forms.ChoiceField(
                    choices=sheet_choices,
                    required=False,
                    initial=initial,
                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
                )
                reason = (
                    _("đã chọn ở lần nhập trước")
                    if known is not None and known == initial
                    else _("giống tên chi bộ %(percent)s%%") % {"percent": percent}
                    if code
                    else _("không giống chi bộ nào bạn được nhập")
                )
                self.sheet_rows.append(
                    {"field": self[name], "title": sheet.title, "header_row": sheet.header_row, "reason": reason}
                )

    def mapping(self) -> ColumnMapping:
        headers = self.layout.headers()
        return ColumnMapping(
            columns={folded: self.cleaned_data.get(f"col_{i}") or "" for i, folded in enumerate(headers)},
            sheets={
                sheet.title: self.cleaned_data.get(f"sheet_{i}") or ""
                for i, sheet in enumerate(self.layout.sheets)
                if f"sheet_{i}" in self.fields
            },
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        mapping = self.mapping()
        for sheet in self.layout.sheets:
            if mapping.sheets.get(sheet.title) == SKIP_SHEET:
                continue
            chosen: dict[str, list[str]] = {}
            for column in sheet.columns:
                key = mapping.columns.get(column.folded, "")
                if key:
                    chosen.setdefault(key, []).append(column.label)
            for key, labels in chosen.items():
                if len(labels) > 1:
                    self.add_error(
                        None,
                        _("«%(field)s» được chọn cho nhiều cột: %(columns)s. Mỗi mục chỉ ghép với một cột.")
                        % {"field": columns.COLUMN_BY_KEY[key].header, "columns": ", ".join(f"«{c}»" for c in labels)},
                    )
            missing = missing_required(chosen)
            if missing:
                self.add_error(
                    None,
                    _("Trang «%(sheet)s»: chưa có cột nào ghép vào %(fields)s.")
                    % {"sheet": sheet.title, "fields": ", ".join(f"«{h}»" for h in missing)},
                )
        if all(mapping.sheets.get(s.title) == SKIP_SHEET for s in self.layout.sheets):
            self.add_error(None, _("Mọi trang tính đều bị bỏ qua: không có gì để nhập."))
        return cleaned


def _upload_name(request: AuthenticatedRequest, organisation: Organisation, sha256: str) -> str:
    """The name of a file this user uploaded here (this session, or a dry run of theirs); 404 otherwise."""
    entry = request.session.get(_UPLOADS, {}).get(sha256)
    if entry and entry.get("organisation") == organisation.pk:
        return str(entry.get("name") or "")
    batch = people.import_dry_run_of_file(user=request.user, organisation=organisation, sha256=sha256)
    if batch is None:
        raise Http404
    return batch.file_name


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping(request: AuthenticatedRequest, pk: int, sha256: str) -> HttpResponse:
    """Confirm or change which column goes to which field (and which sheet to which branch), then
    run the dry run with it."""
    organisation = _organisation(request, pk, edit=True)
    name = _upload_name(request, organisation, sha256)
    data = files.import_file_read_sha(sha256=sha256)
    if data is None:
        messages.error(request, _("Tệp không còn được lưu; hãy tải lên lại."))
        return redirect("import_page", organisation.pk)
    try:
        layout, saved = people.import_layout(organisation=organisation, file_name=name, data=data)
    except workbook.ImportFileRefused as refused:  # pragma: no cover - the upload read the same bytes
        messages.error(request, refused.message)
        return redirect("import_page", organisation.pk)
    suggested = suggest(layout.headers(), saved.columns if saved else {})
    ask_sheets = people.sheets_asked(
        layout, mapped={s.key for s in suggested.values() if s.key}, organisation=organisation
    ) or any(s.title in (saved.sheets if saved else {}) for s in layout.sheets)
    form = ImportMappingForm(
        request.POST or None,
        layout=layout,
        saved=saved,
        branches=_branches(request, organisation),
        ask_sheets=ask_sheets,
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = people.import_dry_run(
                acting_user=request.user,
                organisation=organisation,
                file_name=name,
                data=data,
                ip_address=client_ip(request),
                mapping=form.mapping(),
                save_mapping=form.cleaned_data["save"],
            )
        except workbook.ImportFileRefused as refused:
            form.add_error(None, refused.message)
        else:
            return redirect("import_batch", batch.pk)
    return render(
        request,
        "admission/imports/mapping.html",
        {
            "organisation": organisation,
            "form": form,
            "file_name": name,
            "layout": layout,
            "saved": saved is not None,
        },
    )


@login_required
@require_GET
def import_template(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request, pk, edit=False)
    # The branch codes offered in the "Mã chi bộ" list: branches here that the user may import into.
    branches = _branches(request, organisation)
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
            "several_sheets": len({r.get("sheet") for r in rows}) > 1,
            "columns": report.get("columns", []),
            "ignored": [c for c in report.get("columns", []) if not c.get("field")],
            "sheets": report.get("sheets", []),
            "skipped": report.get("skipped", []),
            "inferred": report.get("inferred", 0),
            "can_remap": can_apply
            or (
                batch.status == ImportBatch.Status.DRY_RUN
                and applied is None
                and batch.created_by_id == request.user.pk
                and scope_for(request.user).can_edit(batch.organisation)
                and files.import_file_read(batch=batch) is not None
            ),
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
    if (dry_run.report or {}).get("inferred") and request.POST.get("confirm_inferred") != "1":
        messages.error(
            request, _("Hãy kiểm tra loại và bước suy ra từ các ngày rồi đánh dấu ô xác nhận trước khi nhập.")
        )
        return redirect("import_batch", dry_run.pk)
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
            mapping=ColumnMapping.from_json((dry_run.report or {}).get("mapping")),
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
    path("organisations/<int:pk>/import/map/<str:sha256>/", import_mapping, name="import_mapping"),
    path("imports/<int:pk>/", import_batch, name="import_batch"),
    path("imports/<int:pk>/apply/", import_apply, name="import_apply"),
]
