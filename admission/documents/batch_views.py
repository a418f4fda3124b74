"""The documents of a committee meeting: start a batch (numbers in agenda order, files queued),
follow its progress, download the ZIP and the combined PDF.

Thin views: the meeting is scoped by `selectors.committee_meeting_get` (404 outside the user's
scope); the work is in `admission.documents.batch`.
"""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from admission import selectors
from admission.documents import batch as docbatch
from admission.documents import generate as docgen
from admission.documents import register as docregister
from admission.documents.kinds import POSITIONS
from admission.models import DocumentBatch, GeneratedKind
from members import services as member_services
from members.auth import client_ip
from members.forms import DateInput
from members.http import AuthenticatedRequest
from members.models import AuditLog
from members.selectors import scope_for


class BatchForm(forms.Form):
    issued_on = forms.DateField(label=gettext_lazy("Ngày ban hành"), widget=DateInput())
    signer_name = forms.CharField(label=gettext_lazy("Họ tên người ký"), max_length=120)
    signer_position = forms.ChoiceField(
        label=gettext_lazy("Chức vụ người ký"),
        choices=[(POSITIONS[0], gettext_lazy("Bí thư")), (POSITIONS[1], gettext_lazy("Phó Bí thư"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("start", _("Cấp số và tạo bộ văn bản"), css_class="btn-danger"))


def _may_issue(request: AuthenticatedRequest, committee: Any) -> bool:
    scope = scope_for(request.user)
    return scope.acts_for_committee(committee.pk) and scope.can_edit(committee)


@login_required
def meeting_documents(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET: what the agenda calls for and the batches made; POST: number and queue a batch."""
    meeting = selectors.committee_meeting_get(user=request.user, pk=pk)
    may_issue = _may_issue(request, meeting.committee)
    form = BatchForm(request.POST or None, initial={"issued_on": meeting.held_on})
    if request.method == "POST":
        if not may_issue:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                batch = docbatch.meeting_batch_start(
                    acting_user=request.user,
                    meeting=meeting,
                    request=docbatch.BatchRequest(
                        issued_on=data["issued_on"],
                        signer_name=data["signer_name"],
                        signer_position=data["signer_position"],
                    ),
                )
            except docregister.IssueRefused as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Đã cấp số %(n)s văn bản; đang tạo tệp.") % {"n": batch.total})
                return redirect("document_batch", pk=batch.pk)
    items = selectors.agenda_items(user=request.user, meeting=meeting)
    context = {
        "meeting": meeting,
        "committee": meeting.committee,
        "form": form,
        "may_issue": may_issue,
        "rows": [(item, GeneratedKind(kind).label if (kind := docbatch.agenda_kind(item)) else None) for item in items],
        "batches": docbatch.meeting_batches(meeting=meeting),
    }
    return render(request, "admission/meeting_documents.html", context)


def _batch(request: AuthenticatedRequest, pk: int) -> DocumentBatch:
    """The batch, 404 when its meeting is outside the user's scope."""
    batch = DocumentBatch.objects.filter(pk=pk).only("meeting_id").first()
    if batch is None:
        raise Http404
    meeting = selectors.committee_meeting_get(user=request.user, pk=batch.meeting_id)
    batch = DocumentBatch.objects.select_related("created_by").get(pk=pk)
    batch.meeting = meeting
    return batch


@login_required
@require_GET
def document_batch(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The batch's progress (the page reloads itself until it is done) and its files."""
    batch = _batch(request, pk)
    pending = batch.status in (DocumentBatch.Status.QUEUED, DocumentBatch.Status.RUNNING)
    context = {
        "batch": batch,
        "meeting": batch.meeting,
        "committee": batch.meeting.committee,
        "entries": docbatch.batch_entries(batch),
        "pending": pending,
        "percent": round(100 * batch.done_count / batch.total) if batch.total else 0,
        "stale": pending and (timezone.now() - batch.created_at).total_seconds() > 600,
    }
    return render(request, "admission/document_batch.html", context)


@login_required
@require_GET
def document_batch_status(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    """The progress as JSON, for the page's polling."""
    batch = _batch(request, pk)
    return JsonResponse({"status": batch.status, "done": batch.done_count, "total": batch.total, "error": batch.error})


@login_required
@require_GET
def document_batch_file(request: AuthenticatedRequest, pk: int, fmt: str) -> FileResponse:
    batch = _batch(request, pk)
    field = {"zip": batch.zip_file, "pdf": batch.pdf_file}.get(fmt)
    if field is None or batch.status != DocumentBatch.Status.DONE or not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    for entry in docbatch.batch_entries(batch):
        member_services.audit_record(
            user=request.user,
            action=AuditLog.Action.DOWNLOAD_DOCUMENT,
            person=entry.candidate.person if entry.candidate else None,
            detail=f"{entry.kind} {entry.symbol} (bộ văn bản họp #{batch.pk}, {fmt})",
            ip_address=client_ip(request),
        )
    meeting = batch.meeting
    stem = docgen.ascii_fold(f"van-ban-hop_{meeting.committee.code}_{meeting.held_on:%Y-%m-%d}")
    content_type = "application/zip" if fmt == "zip" else "application/pdf"
    return FileResponse(handle, as_attachment=True, filename=f"{stem}.{fmt}", content_type=content_type)


urlpatterns: list[URLPattern] = [
    path("meetings/<int:pk>/documents/", meeting_documents, name="meeting_documents"),
    path("document-batches/<int:pk>/", document_batch, name="document_batch"),
    path("document-batches/<int:pk>/status/", document_batch_status, name="document_batch_status"),
    path("document-batches/<int:pk>/<str:fmt>/", document_batch_file, name="document_batch_file"),
]
