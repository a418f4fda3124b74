"""The helper's (đảng viên giúp đỡ) pages: their mentees, and the comment they write and sign
(Mẫu 11-KNĐ; HD06 4.3, 3.10). Only the candidate's current mentor opens the comment page
(services.assigned_mentor); the service checks again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from admission import forms, selectors, services
from admission.views import _audit_view, _form_errors, _run_service
from members.http import AuthenticatedRequest


@login_required
def mentee_workspace(request: AuthenticatedRequest) -> HttpResponse:
    rows = selectors.mentee_workspace(user=request.user, today=timezone.localdate())
    return render(request, "admission/mentees.html", {"rows": rows})


@login_required
def mentor_comment(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    candidate = selectors.candidate_get(user=request.user, pk=pk)
    if services.assigned_mentor(request.user, candidate) is None:
        raise PermissionDenied
    _audit_view(request, candidate, "mentor_comment")
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
            return redirect("candidate_detail", pk=candidate.pk)
    return render(
        request,
        "admission/form.html",
        {
            "form": form,
            "title": _("Nhận xét của đảng viên giúp đỡ"),
            "candidate": candidate,
            "rule": "HD06 4.3",
            "intro": _("Bản nhận xét đã ký được đưa vào hồ sơ công nhận đảng viên chính thức (Mẫu 11-KNĐ)."),
        },
    )
