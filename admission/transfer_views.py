"""The sending committee's page of the dossiers it has still to forward after a transfer (T11).

A candidate whose dossier had gone up when they moved belongs to the destination at once; the old
place's competent committee still owes the forwarding within 15 working days (HD06 3.9b) and is
reminded of it (admission.reminders), but no longer reads the candidate's page. This page lists
what it owes, issues its letter forwarding the dossier (numbered in its own register, its file
made like any register entry's) and records the forwarding (services.transfer_forwarded).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from admission import forms, selectors, services
from admission.documents.register_views import IssueForm, issue_with_file
from admission.models import CandidateTransfer, GeneratedKind, IssuedDocument
from admission.views import _form_errors, _run_service
from members.http import AuthenticatedRequest
from members.models import COMMITTEE_ROLES
from members.selectors import scope_for


def _owed(request: AuthenticatedRequest) -> QuerySet[CandidateTransfer]:
    """What the user's committees have still to forward; 403 for a user acting for no committee."""
    scope = scope_for(request.user)
    if not scope.everything and not any(role in COMMITTEE_ROLES for role, _org, _name in scope.roles):
        raise PermissionDenied
    return selectors.transfers_to_forward(user=request.user)


@login_required
def transfers_to_forward(request: AuthenticatedRequest) -> HttpResponse:
    """GET: the list, earliest due first, with its letters and a form per row; POST `transfer`,
    `on_date`: record the forwarding."""
    rows = _owed(request)
    posted = None
    form = None
    if request.method == "POST":
        posted = get_object_or_404(rows, pk=request.POST.get("transfer") or 0)
        form = forms.TransferForwardedForm(request.POST)
        if form.is_valid():
            transfer = posted
            ok, _result = _run_service(
                lambda: services.transfer_forwarded(
                    acting_user=request.user, candidate=transfer.candidate, on_date=form.cleaned_data["on_date"]
                ),
                _form_errors(form),
            )
            if ok:
                messages.success(request, _("Đã ghi nhận việc chuyển hồ sơ."))
                return redirect("transfers_to_forward")
    owed = list(rows)
    letters = {
        letter.candidate_id: letter
        for letter in IssuedDocument.objects.filter(
            candidate__in=[t.candidate_id for t in owed], kind=GeneratedKind.TRANSFER_LETTER, cancelled=False
        )
    }
    return render(
        request,
        "admission/transfers_to_forward.html",
        {
            "rows": [
                (
                    t,
                    form if posted is not None and t.pk == posted.pk else forms.TransferForwardedForm(),
                    letters.get(t.candidate_id),
                )
                for t in owed
            ],
            "today": timezone.localdate(),
        },
    )


@login_required
def transfer_letter_issue(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The former place's committee issues its letter forwarding the dossier (T11, HD06 3.9b):
    the register's form with the kind fixed. GET: the form; POST: number it in the committee's own
    register and make its file (the file's page follows it, then back to this list)."""
    transfer = get_object_or_404(_owed(request), pk=pk)
    form = IssueForm(
        request.POST or None,
        initial={"issued_on": timezone.localdate(), "kind": GeneratedKind.TRANSFER_LETTER},
        kinds=[GeneratedKind.TRANSFER_LETTER],
    )
    if request.method == "POST" and form.is_valid():
        issued_and_file = issue_with_file(request, candidate=transfer.candidate, form=form)
        if issued_and_file is not None:
            issued, follow = issued_and_file
            if follow is not None:
                return redirect(follow)
            return redirect("document_register", pk=issued.issuer_id)
    return render(request, "admission/transfer_letter_issue.html", {"transfer": transfer, "form": form})
