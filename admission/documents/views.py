"""Generated dossier documents (DOCX/PDF) and organisations' template versions.

Thin views: candidates are scoped by `selectors.candidate_get` and organisations by
`organisation_get` (404 outside the user's scope); the work is in `admission.documents.generate`,
`.templates`, `.context` and `.defaults`.
"""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from admission import selectors
from admission.documents import context as doccontext
from admission.documents import defaults as docdefaults
from admission.documents import generate as docgen
from admission.documents import templates as doctemplates
from admission.models import Candidate, DocumentJob, DocumentTemplate, GeneratedDocument, GeneratedKind, IssuedDocument
from members.auth import client_ip
from members.forms import DateInput
from members.http import AuthenticatedRequest
from members.models import Organisation, User
from members.selectors import organisation_get, scope_for

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENT_TYPES: dict[str, str] = {"docx": DOCX_CONTENT_TYPE, "pdf": "application/pdf"}
RECENT_DOCUMENTS = selectors.RECENT_GENERATED_DOCUMENTS


class GenerateForm(forms.Form):
    kind = forms.ChoiceField(choices=GeneratedKind.choices)
    format = forms.ChoiceField(choices=GeneratedDocument.Format.choices)


class TemplateUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Loại văn bản"), choices=GeneratedKind.choices)
    version = forms.CharField(
        label=gettext_lazy("Phiên bản"), max_length=20, help_text=gettext_lazy("Ví dụ: 2025-01 hoặc “sửa đổi 2”.")
    )
    effective_from = forms.DateField(label=gettext_lazy("Hiệu lực từ"), widget=DateInput())
    file = forms.FileField(
        label=gettext_lazy("Tệp mẫu (.docx)"),
        help_text=gettext_lazy("Văn bản Word có các thẻ như {{ person_name }}; tối đa 5 MB."),
    )
    note = forms.CharField(label=gettext_lazy("Ghi chú"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".docx," + DOCX_CONTENT_TYPE
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.attrs = {"enctype": "multipart/form-data"}
        self.helper.add_input(Submit("upload", _("Tải mẫu lên"), css_class="btn-danger"))


def documents_context(
    *,
    candidate: Candidate,
    user: User,
    documents: list[GeneratedDocument] | None = None,
    can_generate: bool = False,
) -> dict[str, Any]:
    """Context of `admission/_generated_documents.html`: one query, whatever the number of rows,
    none when the page already read `documents` (the latest RECENT_DOCUMENTS, newest first), and one
    for the files being made when a job was started for the candidate lately.
    `can_generate`: the user edits the candidate (the page knows it), so the form is shown."""
    if documents is None:
        documents = list(
            GeneratedDocument.objects.filter(candidate=candidate)
            .select_related("created_by", "issued")
            .order_by("-created_at", "-pk")[:RECENT_DOCUMENTS]
        )
    # Files still being made, and those that failed, of the last JOBS_SHOWN_FOR: read only when a
    # job was started for the candidate lately (a cache hint), so the page costs no query otherwise.
    jobs = []
    if cache.get(docgen.jobs_hint_key(candidate.pk)):
        jobs = list(
            DocumentJob.objects.filter(candidate=candidate, document__isnull=True)
            .exclude(created_at__lt=timezone.now() - docgen.JOBS_SHOWN_FOR)
            .order_by("-created_at", "-pk")[:RECENT_DOCUMENTS]
        )
    return {
        "generated_kinds": GeneratedKind.choices,
        "document_jobs": jobs,
        "generated_documents": documents,
        "generate_url": reverse("document_generate", args=[candidate.pk]),
        "candidate_pk": candidate.pk,
        "can_generate": can_generate,
    }


@login_required
@require_POST
def document_generate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    candidate = selectors.candidate_get(user=request.user, pk=pk)
    if not scope_for(request.user).can_edit(candidate.organisation):
        raise PermissionDenied  # auditors and mentors read, they do not generate
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Chọn loại văn bản và định dạng (DOCX hoặc PDF)."))
        return redirect("candidate_detail", pk=candidate.pk)
    kind, fmt = form.cleaned_data["kind"], form.cleaned_data["format"]
    try:
        if fmt == GeneratedDocument.Format.PDF:  # seconds of LibreOffice: on the `documents` queue
            job = docgen.document_job_start(
                acting_user=request.user, candidate=candidate, kind=kind, fmt=fmt, ip_address=client_ip(request)
            )
            return redirect("document_job", pk=job.pk)
        document = docgen.document_generate(  # a DOCX is filled in a fraction of a second
            acting_user=request.user, candidate=candidate, kind=kind, fmt=fmt, ip_address=client_ip(request)
        )
    except docgen.GenerationThrottled as exc:
        messages.error(request, exc.message)
        return redirect("candidate_detail", pk=candidate.pk)
    except (docgen.PdfUnavailable, doctemplates.TemplateRefused) as exc:
        messages.error(request, str(exc))
        return redirect("candidate_detail", pk=candidate.pk)
    return redirect("generated_download", pk=document.pk)


def _job(request: AuthenticatedRequest, pk: int) -> tuple[DocumentJob, Candidate]:
    """The job and its candidate, scoped through the candidate, or for a register entry's file
    through the entry's issuing body (selectors.candidate_of_issued); 404 outside the user's scope."""
    job = DocumentJob.objects.filter(pk=pk).select_related("document", "issued__issuer", "created_by").first()
    if job is None:
        raise Http404
    return job, _candidate_of_file(request, candidate_id=job.candidate_id, issued=job.issued)


def _candidate_of_file(request: AuthenticatedRequest, *, candidate_id: int, issued: IssuedDocument | None) -> Candidate:
    """The candidate of a file (a job's or a generated document's): scoped through the candidate, or
    for a register entry's file through the entry's issuing body (selectors.candidate_of_issued)."""
    if issued is not None:
        return selectors.candidate_of_issued(user=request.user, issued=issued)
    return selectors.candidate_get(user=request.user, pk=candidate_id)


@login_required
@require_GET
def document_job(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A file being made: "đang tạo" while the worker converts it (the page follows it), then the
    link to the file, or why it could not be made."""
    job, candidate = _job(request, pk)
    pending = job.status in (DocumentJob.Status.QUEUED, DocumentJob.Status.RUNNING)
    context = {
        "job": job,
        "candidate": candidate,
        # else the former place's committee and its transfer letter: back to what it owes
        "reads_candidate": scope_for(request.user).can_read(candidate.organisation),
        "pending": pending,
        "stale": pending and timezone.now() - job.created_at > docgen.JOB_STALE_AFTER,
    }
    return render(request, "admission/document_job.html", context)


@login_required
@require_GET
def document_job_status(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    """The job's state as JSON, for the page's polling (the shape of a meeting batch's)."""
    job, _candidate = _job(request, pk)
    done = 1 if job.status == DocumentJob.Status.DONE else 0
    return JsonResponse({"status": job.status, "done": done, "total": 1, "error": job.error})


@login_required
@require_GET
def generated_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    document = GeneratedDocument.objects.filter(pk=pk).select_related("issued__issuer").first()
    if document is None:
        raise Http404
    # Scoped through the candidate (or a register entry's issuing body): the same 404 as for a
    # candidate outside the scope.
    candidate = _candidate_of_file(request, candidate_id=document.candidate_id, issued=document.issued)
    handle = docgen.generated_document_open(
        acting_user=request.user, document=document, candidate=candidate, ip_address=client_ip(request)
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=docgen.download_name(full_name=candidate.person.full_name, kind=document.kind, fmt=document.format),
        content_type=CONTENT_TYPES.get(document.format, "application/octet-stream"),
    )


def _template_admin_organisation(request: AuthenticatedRequest, pk: int) -> Organisation:
    """404 outside the user's scope; 403 for a branch or without the right to edit (readers, secretaries)."""
    organisation = organisation_get(user=request.user, pk=pk)
    if organisation.is_branch or not scope_for(request.user).can_edit(organisation):
        raise PermissionDenied
    return organisation


def _template_variables() -> list[tuple[str, str]]:
    """(tag, example) for every value a template may print, from the sample data."""
    rows: list[tuple[str, str]] = []
    for key, value in doccontext.sample_context().items():
        if isinstance(value, dict):
            rows.extend((f"{{{{ {key}.{sub} }}}}", str(example)) for sub, example in value.items())
        elif isinstance(value, list):
            rows.append((f"{{%p for x in {key} %}} {{{{ x }}}} {{%p endfor %}}", ", ".join(value)))
        else:
            rows.append((f"{{{{ {key} }}}}", str(value)))
    return rows


@login_required
def document_templates(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = _template_admin_organisation(request, pk)
    form = TemplateUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            template = doctemplates.document_template_upload(
                acting_user=request.user,
                organisation=organisation,
                kind=data["kind"],
                version=data["version"],
                effective_from=data["effective_from"],
                file=data["file"],
                note=data["note"],
            )
        except doctemplates.TemplateRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Đã lưu mẫu “%(kind)s”, phiên bản %(version)s.")
                % {"kind": template.get_kind_display(), "version": template.version},
            )
            return redirect("document_templates", pk=organisation.pk)
    today = timezone.localdate()
    in_effect = doctemplates.templates_in_effect(organisation=organisation, on=today)
    context = {
        "organisation": organisation,
        "form": form,
        "today": today,
        "default_version": doctemplates.DEFAULT_TEMPLATE_VERSION,
        "kinds": [(value, label, in_effect.get(value)) for value, label in GeneratedKind.choices],
        "templates": DocumentTemplate.objects.filter(organisation=organisation)
        .select_related("uploaded_by")
        .order_by("kind", "-effective_from", "-pk"),
        "variables": _template_variables(),
    }
    return render(request, "admission/document_templates.html", context)


@login_required
@require_GET
def document_template_download(request: AuthenticatedRequest, pk: int, template_pk: int) -> FileResponse:
    """A version the organisation owns or inherits (an ancestor's or a national one)."""
    organisation = _template_admin_organisation(request, pk)
    template = (
        DocumentTemplate.objects.filter(pk=template_pk)
        .filter(Q(organisation__isnull=True) | Q(organisation_id__in=organisation.ancestor_ids()))
        .first()
    )
    if template is None:
        raise Http404
    try:
        handle = template.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    name = f"{template.kind}_{docgen.ascii_fold(template.version)}.docx".replace(" ", "-")
    return FileResponse(handle, as_attachment=True, filename=name, content_type=DOCX_CONTENT_TYPE)


@login_required
@require_GET
def document_template_default(request: AuthenticatedRequest, pk: int, kind: str) -> HttpResponse:
    """The built-in template of `kind`, for staff to start their own version from."""
    _template_admin_organisation(request, pk)
    if kind not in GeneratedKind.values:
        raise Http404
    response = HttpResponse(docdefaults.default_template_bytes(kind), content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{docgen.kind_file_label(kind)}_mac-dinh.docx"'
    return response


urlpatterns: list[URLPattern] = [
    path("candidates/<int:pk>/documents/generate/", document_generate, name="document_generate"),
    path("generated/<int:pk>/download/", generated_download, name="generated_download"),
    path("document-jobs/<int:pk>/", document_job, name="document_job"),
    path("document-jobs/<int:pk>/status/", document_job_status, name="document_job_status"),
    path("organisations/<int:pk>/templates/", document_templates, name="document_templates"),
    path(
        "organisations/<int:pk>/templates/<int:template_pk>/download/",
        document_template_download,
        name="document_template_download",
    ),
    path(
        "organisations/<int:pk>/templates/default/<slug:kind>/",
        document_template_default,
        name="document_template_default",
    ),
]
