"""The candidate's self-service pages (/me/) and the secretary's page that manages them.

The candidate's pages never take an id: the case is the login's own (candidate_selectors.own_candidacy),
re-checked on every request, so a revoked access or a closed candidacy ends it at once. Each page
view and each write is audited. The secretary's page is scoped like the candidate page (candidate_get)
and its writes need the branch's own secretary or deputy (services.candidate_access).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.timezone import now as timezone_now
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from admission import candidate_forms, candidate_selectors, selectors
from admission.candidate_selectors import OwnCandidacy
from admission.documents import candidate_uploads, uploads
from admission.models import BiographyDraft, Candidate
from admission.services import candidate_access as access_services
from members.auth import client_ip
from members.http import AuthenticatedRequest
from members.models import AuditLog
from members.services import audit_record


def _audit(request: AuthenticatedRequest, candidate: Candidate, page: str) -> None:
    audit_record(
        user=request.user,
        action=AuditLog.Action.SELF_SERVICE if page.startswith("Người vào Đảng") else AuditLog.Action.VIEW_PERSON,
        person=candidate.person,
        detail=f"{page} #{candidate.pk}",
        ip_address=client_ip(request),
    )


def _own(request: AuthenticatedRequest, page: str) -> OwnCandidacy:
    own = candidate_selectors.own_candidacy(user=request.user)
    _audit(request, own.candidate, f"Người vào Đảng xem: {page}")
    return own


def _ended(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "admission/candidate_self/ended.html", status=410)


# --- The candidate's pages ------------------------------------------------------------------------


@login_required
def self_case(request: AuthenticatedRequest) -> HttpResponse:
    own = _own(request, "hồ sơ của tôi")
    if own.ended:
        return _ended(request)
    case = candidate_selectors.own_case(own=own, today=timezone_now().date())
    return render(request, "admission/candidate_self/case.html", {"own": own, "case": case})


@login_required
def self_upload(request: AuthenticatedRequest) -> HttpResponse:
    own = _own(request, "tải bản chụp")
    if own.ended:
        return _ended(request)
    names = dict(candidate_selectors.DocumentType.choices)
    open_items = [(code, str(names[code])) for code in own.access.open_items if code in names]
    if not open_items:
        messages.info(request, _("Chi bộ chưa mở giấy tờ nào để bạn tự tải lên."))
        return redirect("self_case")
    form = candidate_forms.OwnUploadForm(request.POST or None, request.FILES or None, open_items=open_items)
    if request.method == "POST" and form.is_valid():
        try:
            candidate_uploads.own_scan_upload(
                access=own.access,
                doc_type=form.cleaned_data["doc_type"],
                uploaded_file=form.cleaned_data["file"],
                now=timezone_now(),
                ip_address=client_ip(request),
            )
        except uploads.ScanRefused as refused:
            form.add_error("file", refused.message)
        else:
            messages.success(request, _("Đã tải lên bản chụp. Chi bộ sẽ kiểm tra và ghi nhận."))
            return redirect("self_case")
    return render(
        request,
        "admission/candidate_self/form.html",
        {"form": form, "title": _("Tải lên bản chụp giấy tờ"), "multipart": True},
    )


@login_required
def self_biography(request: AuthenticatedRequest) -> HttpResponse:
    own = _own(request, "bản nháp lý lịch")
    if own.ended:
        return _ended(request)
    draft = BiographyDraft.objects.filter(candidate=own.candidate).first()
    locked = draft is not None and draft.locked_at is not None
    family, history, notes = candidate_forms.biography_forms(
        request.POST if request.method == "POST" and not locked else None, draft.data if draft else None
    )
    if request.method == "POST" and not locked and family.is_valid() and history.is_valid() and notes.is_valid():
        try:
            access_services.biography_draft_save(
                acting_user=request.user,
                candidate=own.candidate,
                data=candidate_forms.biography_data(family, history, notes),
                now=timezone_now(),
                ip_address=client_ip(request),
            )
        except access_services.AccessRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Đã lưu bản nháp lý lịch."))
            return redirect("self_biography")
    return render(
        request,
        "admission/candidate_self/biography.html",
        {"own": own, "draft": draft, "locked": locked, "family": family, "history": history, "notes": notes},
    )


@login_required
def self_biography_print(request: AuthenticatedRequest) -> HttpResponse:
    own = _own(request, "bản in lý lịch")
    if own.ended:
        return _ended(request)
    return _biography_print(request, own.candidate, back=reverse("self_biography"))


def _biography_print(request: HttpRequest, candidate: Candidate, *, back: str) -> HttpResponse:
    draft = BiographyDraft.objects.filter(candidate=candidate).first()
    return render(
        request,
        "admission/candidate_self/biography_print.html",
        {"candidate": candidate, "person": candidate.person, "data": draft.data if draft else {}, "draft": draft,
         "back": back},
    )  # fmt: skip


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link: the candidate chooses a password, is logged in and lands on their case.
    The token is the credential (tested in tests/functional/admission/test_candidate_self.py)."""
    access = candidate_selectors.invitation_get(token=token)
    now = timezone_now()
    problem = None
    if access is None:
        problem = _("Đường dẫn mời không đúng. Hãy kiểm tra lại thư mời hoặc đề nghị bí thư chi bộ gửi lời mời mới.")
    elif access.revoked_at is not None or access.accepted_at is not None:
        problem = _("Lời mời này đã được dùng hoặc đã bị thu hồi.")
    elif now >= access.expires_at:
        problem = _("Lời mời đã hết hạn; hãy đề nghị bí thư chi bộ gửi lời mời mới.")
    elif access_services.candidacy_closed(access.candidate):
        problem = _("Hồ sơ đã kết thúc; lời mời không còn hiệu lực.")
    if problem is not None or access is None:
        return render(request, "admission/candidate_self/invitation.html", {"problem": problem}, status=404)
    form = SetPasswordForm(access.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = access_services.candidate_access_accept(
                access=access, password=form.cleaned_data["new_password1"], now=now, ip_address=client_ip(request)
            )
        except access_services.AccessRefused as refused:
            form.add_error(None, refused.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Bạn đã đặt mật khẩu. Từ nay đăng nhập bằng tên đăng nhập %(username)s.")
                             % {"username": user.username})  # fmt: skip
            return redirect("self_case")
    return render(
        request,
        "admission/candidate_self/invitation.html",
        {"form": form, "access": access, "username": access.user.username},
    )


# --- The secretary's page -------------------------------------------------------------------------


def _invitation_link(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("self_invitation", kwargs={"token": token}))


def _send_invitation(request: HttpRequest, email: str, link: str, candidate: Candidate) -> bool:
    """Send after the commit (the service's transaction is over); a failure only means the
    secretary copies the link shown on the page."""
    context = {"link": link, "name": candidate.person.full_name, "days": access_services.INVITATION_VALID.days}
    try:
        send_mail(
            render_to_string("emails/candidate-invitation-subject.txt", context).strip(),
            render_to_string("emails/candidate-invitation-body.txt", context),
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
    except OSError:
        return False
    return True


@login_required
def self_service_manage(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    candidate = selectors.candidate_get(user=request.user, pk=pk)
    manager = access_services.may_manage_access(request.user, candidate)
    if request.method == "POST" and not manager:
        raise PermissionDenied
    _audit(request, candidate, "Trang quyền tự theo dõi hồ sơ")
    accesses = candidate_selectors.candidate_accesses(candidate=candidate)
    current = next((a for a in accesses if a.revoked_at is None), None)
    invite_form = candidate_forms.InviteForm(
        request.POST if "invite" in request.POST else None,
        initial={"email": (current.email if current else candidate.person.email)},
    )
    items_form = candidate_forms.OpenItemsForm(
        request.POST if "open_items" in request.POST else None, initial={"items": current.open_items if current else []}
    )
    now = timezone_now()
    ip = client_ip(request)
    link = None
    if request.method == "POST":
        try:
            if "invite" in request.POST and invite_form.is_valid():
                access, token = access_services.candidate_access_invite(
                    acting_user=request.user,
                    candidate=candidate,
                    email=invite_form.cleaned_data["email"],
                    now=now,
                    ip_address=ip,
                )
                link = _invitation_link(request, token)
                if _send_invitation(request, access.email, link, candidate):
                    messages.success(request, _("Đã gửi lời mời đến %(email)s.") % {"email": access.email})
                else:
                    messages.warning(
                        request, _("Chưa gửi được thư; hãy sao chép đường dẫn dưới đây gửi cho người vào Đảng.")
                    )
                accesses = candidate_selectors.candidate_accesses(candidate=candidate)
                current = accesses[0]
            elif "open_items" in request.POST and current is not None and items_form.is_valid():
                access_services.candidate_access_open_items(
                    acting_user=request.user, access=current, items=items_form.cleaned_data["items"], ip_address=ip
                )
                messages.success(request, _("Đã lưu các giấy tờ được tự tải lên."))
                return redirect("self_service_manage", pk=candidate.pk)
            elif "revoke" in request.POST and current is not None:
                access_services.candidate_access_revoke(
                    acting_user=request.user, access=current, now=now, ip_address=ip
                )
                messages.success(request, _("Đã thu hồi quyền tự theo dõi hồ sơ."))
                return redirect("self_service_manage", pk=candidate.pk)
            elif "lock" in request.POST or "unlock" in request.POST:
                access_services.biography_draft_lock(
                    acting_user=request.user, candidate=candidate, lock="lock" in request.POST, now=now, ip_address=ip
                )
                messages.success(request, _("Đã cập nhật bản nháp lý lịch."))
                return redirect("self_service_manage", pk=candidate.pk)
        except access_services.AccessRefused as refused:
            messages.error(request, refused.message)
    draft = BiographyDraft.objects.filter(candidate=candidate).first()
    context: dict[str, Any] = {
        "candidate": candidate,
        "manager": manager,
        "accesses": accesses,
        "current": current,
        "invite_form": invite_form,
        "items_form": items_form,
        "link": link,
        "draft": draft,
        "closed": access_services.candidacy_closed(candidate),
        "valid_days": access_services.INVITATION_VALID.days,
    }
    return render(request, "admission/candidate_self/manage.html", context)


@login_required
def self_service_biography(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The candidate's biography draft in the form's layout, for the secretary to review and print."""
    candidate = selectors.candidate_get(user=request.user, pk=pk)
    _audit(request, candidate, "Bản in lý lịch tự khai")
    return _biography_print(request, candidate, back=reverse("self_service_manage", kwargs={"pk": candidate.pk}))


# Mounted at /me/ (config.urls; settings.CANDIDATE_PATHS).
self_urlpatterns: list[URLPattern] = [
    path("", self_case, name="self_case"),
    path("uploads/", self_upload, name="self_upload"),
    path("biography/", self_biography, name="self_biography"),
    path("biography/print/", self_biography_print, name="self_biography_print"),
    path("invitation/<str:token>/", invitation_accept, name="self_invitation"),
]

# Under /admission/ (admission.urls).
staff_urlpatterns: list[URLPattern] = [
    path("candidates/<int:pk>/self-service/", self_service_manage, name="self_service_manage"),
    path("candidates/<int:pk>/self-service/biography/", self_service_biography, name="self_service_biography"),
]
