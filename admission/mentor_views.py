"""The helper's (đảng viên giúp đỡ) pages: their mentees, each mentee's page, and the comment they
write and sign (Mẫu 11-KNĐ; HD06 4.3, 3.10). Only the candidate's current mentor opens the comment
page (services.assigned_mentor); the service checks again.

A helper reads what a helper needs (selectors.mentee_get): the mentee's stage and dates and their own
comments; never the votes, the history, the dossier or other people's comments. The candidate
page and the other candidate pages are not theirs (selectors.candidate_list has no mentee clause).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from admission import dates as date_rules
from admission import forms, rulebook, selectors, services
from admission.models import MentorComment
from admission.views import _form_errors, _run_service
from members.auth import client_ip
from members.http import AuthenticatedRequest
from members.models import AuditLog
from members.services import audit_record


def _audit(request: AuthenticatedRequest, candidate: object, page: str) -> None:
    audit_record(
        user=request.user,
        action=AuditLog.Action.VIEW_PERSON,
        person=candidate.person,  # type: ignore[attr-defined]
        detail=f"{page} #{candidate.pk}",  # type: ignore[attr-defined]
        ip_address=client_ip(request),
    )


@login_required
def mentee_workspace(request: AuthenticatedRequest) -> HttpResponse:
    rows = selectors.mentee_workspace(user=request.user, today=timezone.localdate())
    return render(request, "admission/mentees.html", {"rows": rows})


@login_required
def mentee_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One mentee as the helper sees them: stage and entered date, the stage's deadline, the end of
    probation, and the helper's own comments."""
    candidate = selectors.mentee_get(user=request.user, pk=pk)
    _audit(request, candidate, "Trang người được giúp đỡ")
    dates = date_rules.candidate_dates(
        candidate,
        calendar=rulebook.calendar_for(candidate.organisation),
        rulebook=rulebook.rulebook_for(candidate.organisation),
    )
    probation_end = candidate.official_date or (dates.probation_end.day if dates.probation_end else None)
    # mentee_get found the user's person among the helpers, so person_id is set.
    comments = MentorComment.objects.filter(
        candidate=candidate, mentor__person_id=request.user.person_id or 0
    ).order_by("written_at", "pk")
    return render(
        request,
        "admission/mentee_detail.html",
        {
            "candidate": candidate,
            "deadline": date_rules.stage_deadline(candidate.stage_enum, dates),
            "probation_end": probation_end,
            "comments": list(comments),
            "is_mentor": services.assigned_mentor(request.user, candidate) is not None,
        },
    )


@login_required
def mentor_comment(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        candidate = selectors.mentee_get(user=request.user, pk=pk)
    except Http404:
        selectors.candidate_get(user=request.user, pk=pk)  # 404 unless the user reads the candidate
        raise PermissionDenied from None  # the branch's staff read the comments, the helper writes them
    if services.assigned_mentor(request.user, candidate) is None:
        raise PermissionDenied  # an introducer only: the helper writes (HD06 4.3)
    _audit(request, candidate, "Trang nhận xét của đảng viên giúp đỡ")
    kind = request.GET.get("kind")
    form = forms.MentorCommentForm(request.POST or None, initial={"kind": kind} if kind else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, comment = _run_service(
            lambda: services.mentor_comment_write(
                acting_user=request.user,
                candidate=candidate,
                kind=data["kind"],
                text=data["text"],
                sign=data["sign"],
                signed_on=data["signed_on"],
            ),
            _form_errors(form, candidate),
        )
        if ok:
            if comment.signed:
                messages.success(request, _("Đã ký nhận xét."))
            else:
                messages.success(request, _("Đã lưu bản nháp nhận xét (chưa ký)."))
            return redirect("mentee_detail", pk=candidate.pk)
    return render(
        request,
        "admission/mentor_comment.html",
        {
            "form": form,
            "title": _("Nhận xét của đảng viên giúp đỡ"),
            "candidate": candidate,
            "rule": "HD06 4.3",
            "intro": _("Bản nhận xét đã ký được đưa vào hồ sơ công nhận đảng viên chính thức (Mẫu 11-KNĐ)."),
        },
    )
