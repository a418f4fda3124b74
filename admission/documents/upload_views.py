"""Uploaded scans of dossier documents: upload, preview and download (scoped, audited)."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.csp import CSP
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

from admission import selectors
from admission.documents import uploads
from admission.models import Candidate, DocumentScan, DocumentType
from members.auth import client_ip
from members.http import AuthenticatedRequest, safe_next
from members.names import search_key
from members.selectors import scope_for

# The site-wide policy with one change: the file may be framed by our own pages (the PDF
# preview on the candidate and dossier pages). Every other page keeps frame-ancestors 'none'.
SCAN_FILE_CSP: dict[str, Any] = {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF]}


class ScanUploadForm(forms.Form):
    doc_type = forms.ChoiceField(label=gettext_lazy("Loại giấy tờ"), choices=DocumentType.choices)
    # `accept` only narrows the browser's file picker; the service checks the bytes. Empty files
    # reach the service too, so every refusal reads the same way.
    file = forms.FileField(
        label=gettext_lazy("Bản chụp (PDF, JPEG hoặc PNG)"),
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request so the labels follow the user's language.
        cast(forms.ChoiceField, self.fields["doc_type"]).choices = [
            (code, f"{code} · {label}") for code, label in DocumentType.choices
        ]
        self.fields["file"].help_text = _(
            "Tối đa %(limit)s MB. Loại tệp được kiểm tra theo nội dung, không theo tên tệp."
        ) % {"limit": uploads.megabytes(settings.UPLOAD_MAX_BYTES, round_up=False)}
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Tải lên"), css_class="btn-danger"))


@login_required
def scan_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    candidate = selectors.candidate_get(user=request.user, pk=pk)  # 404 outside the user's scope
    if not scope_for(request.user).can_edit(candidate.organisation):
        raise PermissionDenied
    requested_type = request.GET.get("doc", "")
    initial = {
        "doc_type": requested_type if requested_type in DocumentType.values else None,
        "next": safe_next(request, request.GET.get("next")) or "",
    }
    form = ScanUploadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            scan = uploads.scan_upload(
                acting_user=request.user,
                candidate=candidate,
                doc_type=form.cleaned_data["doc_type"],
                uploaded_file=form.cleaned_data["file"],
                ip_address=client_ip(request),
            )
        except uploads.ScanRefused as refused:
            form.add_error("file", refused.message)
        else:
            messages.success(
                request,
                _("Đã tải lên bản chụp «%(name)s» (%(doc)s).")
                % {"name": scan.original_name, "doc": scan.get_doc_type_display()},
            )
            return redirect(
                safe_next(request, form.cleaned_data["next"]) or reverse("candidate_detail", args=[candidate.pk])
            )
    return render(
        request,
        "admission/scan_form.html",
        {"form": form, "candidate": candidate, "title": _("Tải lên bản chụp giấy tờ")},
    )


def _download_name(scan: DocumentScan) -> str:
    """ASCII only (A4-don-xin-vao-dang.pdf): every browser and proxy keeps it intact."""
    stem = slugify(search_key(scan.original_name.rsplit(".", 1)[0]))[:60] or "scan"
    return f"{scan.doc_type}-{stem}{uploads.EXTENSIONS.get(scan.content_type, '')}"


@login_required
@xframe_options_sameorigin
@csp_override(SCAN_FILE_CSP)
def scan_file(request: AuthenticatedRequest, pk: int) -> FileResponse:
    scan = uploads.scan_get(user=request.user, pk=pk)  # 404 outside the scope of its candidate
    download = request.GET.get("download") == "1"
    opened = uploads.scan_open(
        acting_user=request.user,
        scan=scan,
        ip_address=client_ip(request),
        purpose="download" if download else "preview",
    )
    # The type is the one checked by content at upload, never the uploader's claim.
    response = FileResponse(
        opened, content_type=scan.content_type, as_attachment=download, filename=_download_name(scan)
    )
    # Personal documents: no shared or on-disk cache may keep a copy after the session ends.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def scans_context(*, candidate: Candidate, scans: list[DocumentScan] | None = None) -> dict[str, Any]:
    """What the partial admission/_scans.html needs: the scans grouped by document type (one query,
    none when the page already read `scans`, in uploads.scan_list's order)."""
    scans_by_type: dict[str, list[DocumentScan]] = {}
    if scans is None:
        scans = uploads.scan_list(candidate=candidate)
    for scan in scans:
        scans_by_type.setdefault(scan.doc_type, []).append(scan)
    return {"scans_by_type": scans_by_type, "scan_count": len(scans)}


urlpatterns: list[URLPattern] = [
    path("candidates/<int:pk>/scans/new/", scan_upload, name="scan_upload"),
    path("scans/<int:pk>/", scan_file, name="scan_file"),
]
