"""The register of issued documents: issuing a document about a candidate (its number, day, signer,
recipients), an issuing body's register page with its Excel export, cancelling an entry and
generating its files again.

Thin views: candidates are scoped by `selectors.candidate_get`, organisations by
`organisation_get` (404 outside the user's scope); the work is in `admission.documents.register`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from admission import selectors
from admission.documents import generate as docgen
from admission.documents import register as docregister
from admission.documents import templates as doctemplates
from admission.documents.kinds import POSITIONS, SPECS
from admission.documents.spreadsheet import Sheet, workbook_bytes
from admission.models import Candidate, GeneratedDocument, GeneratedKind, IssuedDocType, IssuedDocument
from config.replica import replica_reads
from members.auth import client_ip
from members.forms import DateInput
from members.http import AuthenticatedRequest
from members.selectors import organisation_get, scope_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REGISTERED_KINDS = [(value, label) for value, label in GeneratedKind.choices if SPECS[value].doc_type is not None]


class IssueForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Văn bản"), choices=REGISTERED_KINDS)
    issued_on = forms.DateField(label=gettext_lazy("Ngày ban hành"), widget=DateInput())
    signer_name = forms.CharField(label=gettext_lazy("Họ tên người ký"), max_length=120)
    signer_position = forms.ChoiceField(
        label=gettext_lazy("Chức vụ người ký"),
        choices=[(POSITIONS[0], gettext_lazy("Bí thư")), (POSITIONS[1], gettext_lazy("Phó Bí thư"))],
    )
    recipients = forms.CharField(
        label=gettext_lazy("Nơi nhận"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Mỗi nơi nhận một dòng; để trống thì dùng nơi nhận mặc định của loại văn bản."),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Tạo tệp"), choices=GeneratedDocument.Format.choices, initial=GeneratedDocument.Format.PDF
    )

    def __init__(self, *args: Any, kinds: list[str] | None = None, **kwargs: Any) -> None:
        """`kinds`: only these documents (a page for one kind: the former place's transfer letter)."""
        super().__init__(*args, **kwargs)
        if kinds is not None:
            choices = [(value, label) for value, label in REGISTERED_KINDS if value in kinds]
            kind_field = cast(forms.ChoiceField, self.fields["kind"])
            kind_field.choices = choices
            if len(choices) == 1:
                kind_field.widget = forms.HiddenInput()
        self.helper = FormHelper()
        self.helper.add_input(Submit("issue", _("Cấp số, vào sổ và tạo tệp"), css_class="btn-danger"))

    def clean_recipients(self) -> tuple[str, ...]:
        text = self.cleaned_data.get("recipients") or ""
        return tuple(line.strip().lstrip("-").strip() for line in text.splitlines() if line.strip())


def _generate_file(
    request: AuthenticatedRequest, *, candidate: Candidate, issued: IssuedDocument, fmt: str
) -> str | None:
    """Make the entry's file (a PDF on the `documents` queue, a DOCX at once) and return where to
    follow or download it; on failure the entry stands (it was issued) and the user is told."""
    try:
        if fmt == GeneratedDocument.Format.PDF:
            job = docgen.document_job_start(
                acting_user=request.user,
                candidate=candidate,
                kind=issued.kind,
                fmt=fmt,
                ip_address=client_ip(request),
                issued=issued,
            )
            return reverse("document_job", args=[job.pk])
        document = docgen.document_generate(
            acting_user=request.user,
            candidate=candidate,
            kind=issued.kind,
            fmt=fmt,
            ip_address=client_ip(request),
            issued=issued,
        )
        return reverse("generated_download", args=[document.pk])
    except PermissionDenied:
        messages.warning(request, _("Bạn không được tạo tệp cho hồ sơ của chi bộ này; số đã cấp vẫn giữ nguyên."))
    except (docgen.GenerationThrottled, docgen.PdfUnavailable, doctemplates.TemplateRefused) as exc:
        messages.warning(
            request,
            _("Văn bản đã vào sổ, số %(symbol)s, nhưng chưa tạo được tệp: %(error)s Có thể tạo lại từ sổ văn bản.")
            % {"symbol": issued.symbol, "error": getattr(exc, "message", str(exc))},
        )
    return None


def issue_with_file(
    request: AuthenticatedRequest, *, candidate: Candidate, form: IssueForm
) -> tuple[IssuedDocument, str | None] | None:
    """Issue the valid `form`'s document and start its file: the entry and where to follow the file
    (None when no file could be started: the user was told). None when the register refused it:
    the reason is on the form."""
    data = form.cleaned_data
    try:
        issued = docregister.document_issue(
            acting_user=request.user,
            candidate=candidate,
            request=docregister.IssueRequest(
                kind=data["kind"],
                issued_on=data["issued_on"],
                signer_name=data["signer_name"],
                signer_position=data["signer_position"],
                recipients=data["recipients"],
            ),
        )
    except docregister.IssueRefused as exc:
        form.add_error(None, exc.message)
        return None
    messages.success(
        request, _("Đã vào sổ: %(kind)s, số %(symbol)s.") % {"kind": issued.get_kind_display(), "symbol": issued.symbol}
    )
    return issued, _generate_file(request, candidate=candidate, issued=issued, fmt=data["format"])


@login_required
def document_issue(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET: the form (the kind preselected with ?kind=); POST: issue, then make the file."""
    candidate = selectors.candidate_get(user=request.user, pk=pk)
    initial = {"issued_on": timezone.localdate(), "kind": request.GET.get("kind", "")}
    form = IssueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        issued_and_file = issue_with_file(request, candidate=candidate, form=form)
        if issued_and_file is not None:
            issued, follow = issued_and_file
            if follow is None:
                return redirect("document_register", pk=issued.issuer_id)
            if form.cleaned_data["format"] == GeneratedDocument.Format.PDF:
                return redirect(follow)  # the file is being made: its page follows it
            return redirect("candidate_detail", pk=candidate.pk)
    issuers = [
        (label, docregister.document_issuer(candidate=candidate, kind=value)) for value, label in REGISTERED_KINDS
    ]
    scope = scope_for(request.user)
    issuers_shown = [(label, issuer, issuer is not None and scope.can_edit(issuer)) for label, issuer in issuers]
    context = {
        "candidate": candidate,
        "form": form,
        "issuers": issuers_shown,
        # A reader (an auditor, a committee above or beside) sees the register, not a form it cannot use.
        "can_issue": any(may_issue for _label, _issuer, may_issue in issuers_shown),
        "issued": IssuedDocument.objects.filter(candidate=candidate).select_related("issuer").order_by("-created_at"),
    }
    return render(request, "admission/document_issue.html", context)


def _term_from(request: AuthenticatedRequest, terms: list[dt.date]) -> dt.date | None:
    value = request.GET.get("term", "")
    if not value:
        return terms[0] if terms else None
    try:
        term = dt.date.fromisoformat(value)
    except ValueError:
        return terms[0] if terms else None
    return term if term in terms else None


@login_required
@require_GET
def document_register(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    terms = docregister.register_terms(issuer=organisation)
    term = _term_from(request, terms)
    entries = list(docregister.register_entries(issuer=organisation, term=term)) if term else []
    files: dict[int, list[GeneratedDocument]] = {}
    for file in GeneratedDocument.objects.filter(issued__in=[e.pk for e in entries]).order_by("-created_at"):
        files.setdefault(file.issued_id or 0, []).append(file)
    context = {
        "organisation": organisation,
        "terms": terms,
        "term": term,
        "entries": [(entry, files.get(entry.pk, [])) for entry in entries],
        "counts": [(t.label, n) for t in IssuedDocType if (n := sum(1 for e in entries if e.doc_type == t.value))],
        "can_edit": scope_for(request.user).can_edit(organisation),
    }
    return render(request, "admission/document_register.html", context)


@login_required
@require_GET
@replica_reads
def document_register_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(user=request.user, pk=pk)
    terms = docregister.register_terms(issuer=organisation)
    term = _term_from(request, terms)
    entries = list(docregister.register_entries(issuer=organisation, term=term)) if term else []
    sheet = Sheet(
        _("Sổ văn bản"),
        [
            _("Số"),
            _("Số và ký hiệu"),
            _("Loại văn bản"),
            _("Ngày ban hành"),
            _("Trích yếu"),
            _("Người ký"),
            _("Chức vụ"),
            _("Nơi nhận"),
            _("Trạng thái"),
            _("Lý do hủy"),
        ],
        [
            [
                e.number,
                e.symbol,
                e.get_doc_type_display(),
                e.issued_on,
                e.summary,
                e.signer_name,
                e.signer_position,
                "; ".join(e.recipient_lines),
                _("Đã hủy") if e.cancelled else _("Có hiệu lực"),
                e.cancel_reason,
            ]
            for e in entries
        ],
        widths=[6, 16, 14, 14, 50, 24, 14, 40, 14, 30],
    )
    response = HttpResponse(workbook_bytes([sheet]), content_type=XLSX)
    stem = f"so-van-ban_{organisation.code}_{term.isoformat() if term else 'trong'}"
    response["Content-Disposition"] = f'attachment; filename="{docgen.ascii_fold(stem)}.xlsx"'
    return response


def _entry(request: AuthenticatedRequest, pk: int) -> IssuedDocument:
    """The entry, 404 when its issuing body is outside the user's scope."""
    entry = IssuedDocument.objects.filter(pk=pk).select_related("issuer").first()
    if entry is None:
        raise Http404
    organisation_get(user=request.user, pk=entry.issuer_id)
    return entry


@login_required
@require_POST
def issued_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    if not scope_for(request.user).can_edit(entry.issuer):
        raise PermissionDenied
    try:
        docregister.issued_document_cancel(
            acting_user=request.user, document=entry, reason=request.POST.get("reason", "")
        )
    except docregister.IssueRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã hủy văn bản số %(symbol)s; số này không cấp lại.") % {"symbol": entry.symbol})
    return redirect(f"{_register_url(entry)}#entry-{entry.pk}")


@login_required
@require_POST
def issued_generate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    if entry.candidate_id is None:
        raise Http404
    candidate = selectors.candidate_of_issued(user=request.user, issued=entry)
    fmt = request.POST.get("format", "")
    if fmt not in GeneratedDocument.Format.values:
        messages.error(request, _("Chọn định dạng DOCX hoặc PDF."))
    elif entry.cancelled:
        messages.error(request, _("Văn bản số %(symbol)s đã bị hủy; không tạo tệp mới.") % {"symbol": entry.symbol})
    else:
        follow = _generate_file(request, candidate=candidate, issued=entry, fmt=fmt)
        if follow is not None:
            return redirect(follow)
    return redirect(f"{_register_url(entry)}#entry-{entry.pk}")


def _register_url(entry: IssuedDocument) -> str:
    return f"{reverse('document_register', args=[entry.issuer_id])}?term={entry.term_start.isoformat()}"


urlpatterns: list[URLPattern] = [
    path("candidates/<int:pk>/documents/issue/", document_issue, name="document_issue"),
    path("organisations/<int:pk>/register/", document_register, name="document_register"),
    path("organisations/<int:pk>/register/export/", document_register_export, name="document_register_export"),
    path("register/<int:pk>/cancel/", issued_cancel, name="issued_cancel"),
    path("register/<int:pk>/generate/", issued_generate, name="issued_generate"),
]
