"""The dossier on one page: every checklist item in order with its state, the scans of each,
several files at once, notes, and the items the steps and generated documents ticked.

Each item is its own small form; with htmx (django-htmx's `request.htmx`) only that item's row is
sent back and swapped, without it the page is loaded again. The uploads keep their checks by
content (admission.documents.uploads): every file of a post is checked before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from admission import selectors, services
from admission.documents import uploads
from admission.domain.reasons import format_reason
from admission.domain.stages import STAGE_INFO
from admission.models import (
    DOCUMENTS_BEFORE_BRANCH_VOTE,
    DOCUMENTS_BEFORE_RECOGNITION_VOTE,
    Candidate,
    DocumentScan,
    DocumentType,
    DossierItem,
)
from admission.workflow import STEP_BY_KEY
from members.auth import client_ip
from members.forms import DateInput
from members.http import AuthenticatedRequest
from members.selectors import scope_for


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); an empty list when none."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class DossierItemForm(forms.Form):
    """One checklist item: its date and state, a note, and any number of scans."""

    issued_on = forms.DateField(label=gettext_lazy("Ngày ký/ngày cấp"), required=False, widget=DateInput())
    returned = forms.BooleanField(label=gettext_lazy("Trả lại, cần bổ sung"), required=False)
    note = forms.CharField(label=gettext_lazy("Ghi chú"), required=False, max_length=255)
    reason_text = forms.CharField(label=gettext_lazy("Lý do sửa"), required=False, max_length=255)
    scans = MultipleFileField(
        label=gettext_lazy("Bản chụp (chọn hoặc thả nhiều tệp)"), required=False, allow_empty_file=True
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("issued_on") and not data.get("scans") and not self.errors:
            raise forms.ValidationError(_("Nhập ngày ký/ngày cấp hoặc chọn tệp bản chụp."))
        return data


@dataclass
class DossierRow:
    code: str
    label: str
    item: DossierItem | None
    scans: list[DocumentScan]
    needed: bool  # required before the next vote of the candidate's phase and not held
    ticked_by: str  # the step or generated document that ticked it, in words
    form: DossierItemForm
    open: bool  # the form is shown (errors to correct)
    saved: bool = False


def _ticked_by_text(source: str) -> str:
    if not source:
        return ""
    if source.startswith("generated:"):
        return _("theo văn bản đã tạo từ mẫu")
    step = STEP_BY_KEY.get(source)
    return _("theo bước «%(step)s»") % {"step": step.label} if step else _("ghi nhận tự động")


def _phase_documents(candidate: Candidate) -> tuple[str, ...]:
    """The documents the next vote needs: the branch's admission vote (HD38 II.1.1a) until the
    decision, then the recognition vote's."""
    if STAGE_INFO[candidate.stage_enum].phase in ("probation", "done"):
        return DOCUMENTS_BEFORE_RECOGNITION_VOTE
    return DOCUMENTS_BEFORE_BRANCH_VOTE


def _row(
    candidate: Candidate,
    code: str,
    label: Any,
    item: DossierItem | None,
    scans: list[DocumentScan],
    form: DossierItemForm | None = None,
) -> DossierRow:
    held = item is not None and item.status == DossierItem.Status.RECEIVED
    if form is None:
        initial = {"issued_on": item.issued_on, "note": item.note, "returned": not held} if item else {}
        form = DossierItemForm(initial=initial, prefix=code)
    return DossierRow(
        code=code,
        label=str(label),
        item=item,
        scans=scans,
        needed=code in _phase_documents(candidate) and not held,
        ticked_by=_ticked_by_text(item.ticked_by) if item else "",
        form=form,
        open=form.is_bound and bool(form.errors),
    )


def _rows(candidate: Candidate) -> list[DossierRow]:
    items = {i.doc_type: i for i in DossierItem.objects.filter(candidate=candidate)}
    scans: dict[str, list[DocumentScan]] = {}
    for scan in uploads.scan_list(candidate=candidate):
        scans.setdefault(scan.doc_type, []).append(scan)
    return [_row(candidate, code, label, items.get(code), scans.get(code, [])) for code, label in DocumentType.choices]


def _page(request: AuthenticatedRequest, candidate: Candidate, replace: DossierRow | None = None) -> HttpResponse:
    rows = [replace if replace is not None and r.code == replace.code else r for r in _rows(candidate)]
    return render(
        request,
        "admission/dossier.html",
        {
            "candidate": candidate,
            "admission_rows": [r for r in rows if r.code.startswith("A")],
            "recognition_rows": [r for r in rows if r.code.startswith("R")],
            "held": sum(1 for r in rows if r.item and r.item.status == DossierItem.Status.RECEIVED),
            "can_edit": scope_for(request.user).can_edit(candidate.organisation),
        },
    )


@login_required
def candidate_dossier(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    candidate = selectors.candidate_get(user=request.user, pk=pk)  # 404 outside the user's scope
    return _page(request, candidate)


def _record(request: AuthenticatedRequest, candidate: Candidate, code: str, form: DossierItemForm) -> bool:
    """Check every file, then record the item (its own transaction), then store the files; a
    refusal of either leaves nothing of this post behind."""
    files = form.cleaned_data["scans"]
    for uploaded in files:
        try:
            uploads.detect_scan_type(uploaded)
        except uploads.ScanRefused as refused:
            form.add_error("scans", str(refused))
    if form.errors:
        return False
    if form.cleaned_data["issued_on"]:
        try:
            services.document_record(
                acting_user=request.user,
                candidate=candidate,
                doc_type=code,
                issued_on=form.cleaned_data["issued_on"],
                note=form.cleaned_data["note"],
                returned=form.cleaned_data["returned"],
                reason_text=form.cleaned_data["reason_text"],
            )
        except services.StepRefused as refused:
            lang: Literal["vi", "en"] = "en" if (get_language() or "vi").startswith("en") else "vi"
            for item in refused.reasons:
                form.add_error(None, format_reason(item, lang))
            return False
    for uploaded in files:
        uploaded.seek(0)
        try:
            uploads.scan_upload(
                acting_user=request.user,
                candidate=candidate,
                doc_type=code,
                uploaded_file=uploaded,
                ip_address=client_ip(request),
            )
        except uploads.ScanRefused as refused:  # checked above; only a file changed meanwhile
            form.add_error("scans", str(refused))
            return False
    return True


@login_required
@require_POST
def dossier_item(request: AuthenticatedRequest, pk: int, doc_type: str) -> HttpResponse:
    candidate = selectors.candidate_get(user=request.user, pk=pk)
    if not scope_for(request.user).can_edit(candidate.organisation):
        raise PermissionDenied
    labels = dict(DocumentType.choices)
    if doc_type not in labels:
        raise Http404
    form = DossierItemForm(request.POST, request.FILES, prefix=doc_type)
    saved = form.is_valid() and _record(request, candidate, doc_type, form)
    partial = bool(getattr(request, "htmx", False))  # django_htmx.middleware.HtmxMiddleware
    if saved and not partial:
        messages.success(request, _("Đã lưu %(code)s.") % {"code": doc_type})
        return redirect("candidate_dossier", pk=candidate.pk)
    item = DossierItem.objects.filter(candidate=candidate, doc_type=doc_type).first()
    scans = [s for s in uploads.scan_list(candidate=candidate) if s.doc_type == doc_type]
    row = _row(candidate, doc_type, labels[doc_type], item, scans, form=None if saved else form)
    row.saved = saved
    if not partial:  # the whole page again, this item's input kept with its errors
        return _page(request, candidate, replace=row)
    return render(request, "admission/_dossier_row.html", {"row": row, "candidate": candidate, "can_edit": True})
