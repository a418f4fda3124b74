"""The sending committee's page of the dossiers it has still to forward after a transfer (T11).

A candidate whose dossier had gone up when they moved belongs to the destination at once; the old
place's competent committee still owes the forwarding within 15 working days (HD06 3.9b) and is
reminded of it (admission.reminders), but no longer reads the candidate's page. This page lists
what it owes and records the forwarding (services.transfer_forwarded).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from admission import forms, selectors, services
from admission.views import _form_errors, _run_service
from members.http import AuthenticatedRequest
from members.models import COMMITTEE_ROLES
from members.selectors import scope_for


@login_required
def transfers_to_forward(request: AuthenticatedRequest) -> HttpResponse:
    """GET: the list, earliest due first, with a form per row; POST `transfer`, `on_date`: record it."""
    scope = scope_for(request.user)
    if not scope.everything and not any(role in COMMITTEE_ROLES for role, _org, _name in scope.roles):
        raise PermissionDenied
    rows = selectors.transfers_to_forward(user=request.user)
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
    today = timezone.localdate()
    return render(
        request,
        "admission/transfers_to_forward.html",
        {
            "rows": [
                (t, form if posted is not None and t.pk == posted.pk else forms.TransferForwardedForm()) for t in rows
            ],
            "today": today,
        },
    )
