"""Thin views: parse the request, call a selector or service, render."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import selectors, services
from members.auth import ThrottledAuthenticationForm, client_ip
from members.forms import AuditFilterForm, MemberSearchForm, PersonForm
from members.http import AuthenticatedRequest, safe_next
from members.models import AuditLog, Person, Role

RECOVERY_CODES_SESSION_KEY = "two_factor_recovery_codes"  # shown once, then dropped from the session

# One login for everything (pages, admin): failures throttled per account and address, audited.
login_view = auth_views.LoginView.as_view(
    authentication_form=ThrottledAuthenticationForm, redirect_authenticated_user=True
)
# The same login at /admin/login/, going on to the admin when no `next` is given.
admin_login_view = auth_views.LoginView.as_view(
    authentication_form=ThrottledAuthenticationForm, next_page=reverse_lazy("admin:index")
)


def _page(request: HttpRequest, queryset: Any, per_page: int = 25, param: str = "page") -> Any:
    return Paginator(queryset, per_page).get_page(request.GET.get(param))


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    scope = selectors.scope_for(request.user)
    context = {
        "stats": selectors.scope_statistics(user=request.user),
        "roots": selectors.attach_member_counts(selectors.organisation_children(user=request.user, parent=None)[:20]),
        "scope": scope,
        "role_labels": Role.choices,
    }
    return render(request, "members/dashboard.html", context)


@login_required
def organisation_tree(request: AuthenticatedRequest) -> HttpResponse:
    page = _page(request, selectors.organisation_children(user=request.user, parent=None), 50)
    page.object_list = selectors.attach_member_counts(page.object_list)
    return render(request, "members/organisation_tree.html", {"page": page})


@login_required
def organisation_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = selectors.organisation_get(user=request.user, pk=pk)
    children = None
    if not organisation.is_branch:
        children = _page(request, selectors.organisation_children(user=request.user, parent=organisation), 50, "cpage")
        children.object_list = selectors.attach_member_counts(children.object_list)
    form = MemberSearchForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    status = form.cleaned_data["status"] if form.is_valid() else ""
    members = selectors.member_list(user=request.user, organisation=organisation, search=search, status=status)
    authority = selectors.organisation_authority(organisation=organisation) if organisation.is_branch else None
    context = {
        "organisation": organisation,
        "ancestors": selectors.organisation_ancestors(user=request.user, organisation=organisation),
        "children": children,
        "members": _page(request, members),
        "form": form,
        "authority": authority,
        "can_edit": selectors.scope_for(request.user).can_edit(organisation),
    }
    return render(request, "members/organisation_detail.html", context)


@login_required
def member_list(request: AuthenticatedRequest) -> HttpResponse:
    form = MemberSearchForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    status = form.cleaned_data["status"] if form.is_valid() else ""
    members = selectors.member_list(user=request.user, search=search, status=status)
    return render(
        request, "members/member_list.html", {"form": form, "members": _page(request, members), "search": search}
    )


@login_required
def person_list(request: AuthenticatedRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:100]
    people = selectors.person_list(user=request.user, search=search).select_related("membership")
    return render(request, "members/person_list.html", {"people": _page(request, people), "search": search})


@login_required
def person_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    person = selectors.person_get(user=request.user, pk=pk)
    services.audit_record(
        user=request.user,
        action=AuditLog.Action.VIEW_PERSON,
        person=person,
        detail="person",
        ip_address=client_ip(request),
    )
    context = {
        "person": person,
        "membership": getattr(person, "membership", None),
        "party_age": person.membership.party_age_years(timezone.localdate()) if hasattr(person, "membership") else None,
        "can_edit": selectors.scope_for(request.user).can_edit(person.organisation),
        "history": person.history.select_related("history_user").order_by("-history_date")[:20],  # type: ignore[attr-defined]
    }
    return render(request, "members/person_detail.html", context)


@login_required
@require_POST
def person_reveal(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Show the unmasked CCCD once; the reveal is written to the audit log."""
    person = selectors.person_get(user=request.user, pk=pk)
    value = services.person_reveal_identifier(acting_user=request.user, person=person, ip_address=client_ip(request))
    return render(request, "members/person_reveal.html", {"person": person, "cccd": value})


@login_required
def person_create(request: AuthenticatedRequest, organisation_pk: int) -> HttpResponse:
    organisation = selectors.organisation_get(user=request.user, pk=organisation_pk)
    if not selectors.scope_for(request.user).can_edit(organisation) or not organisation.is_branch:
        raise PermissionDenied
    form = PersonForm(request.POST or None, instance=Person(organisation=organisation))
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(acting_user=request.user, organisation=organisation, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Đã lưu %(name)s.") % {"name": person.full_name})
            return redirect("person_detail", pk=person.pk)
    return render(request, "members/person_form.html", {"form": form, "organisation": organisation})


@login_required
def person_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    person = selectors.person_get(user=request.user, pk=pk)
    if not selectors.scope_for(request.user).can_edit(person.organisation):
        raise PermissionDenied
    form = PersonForm(request.POST or None, instance=Person.objects.get(pk=person.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(acting_user=request.user, person=person, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Đã lưu %(name)s.") % {"name": person.full_name})
            return redirect("person_detail", pk=person.pk)
    return render(
        request, "members/person_form.html", {"form": form, "organisation": person.organisation, "person": person}
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the UI language; remembered on the account and in a cookie."""
    from django.conf import settings

    language = request.POST.get("language", "")
    next_url = safe_next(request, request.POST.get("next")) or reverse("dashboard")
    response = HttpResponseRedirect(next_url)
    if language in {code for code, _name in settings.LANGUAGES}:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]  # "Lax" in settings
        )
        if request.user.is_authenticated:
            services.user_set_language(user=request.user, language=language)  # type: ignore[arg-type]
    return response


@login_required
def audit_log(request: AuthenticatedRequest) -> HttpResponse:
    """Who viewed, exported, downloaded or revealed whose personal data (auditors, administrators)."""
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_log_list(
        user=request.user,
        action=filters.get("action") or "",
        since=filters.get("since"),
        until=filters.get("until"),
        search=filters.get("q") or "",
    )
    return render(request, "members/audit_log.html", {"form": form, "page": _page(request, entries, per_page=50)})


@login_required
def two_factor(request: AuthenticatedRequest) -> HttpResponse:
    """Confirm a login with a TOTP code; the first time, set up the authenticator app."""
    from members import twofactor

    target = safe_next(request, request.GET.get("next") or request.POST.get("next")) or ""
    if request.user.is_verified():  # type: ignore[attr-defined]
        return redirect(target or "dashboard")
    device = twofactor.confirmed_device(request.user)
    setting_up = device is None
    error = ""
    if request.method == "POST":
        if twofactor.second_factor_verify(request=request, token=request.POST.get("token", "")):
            messages.success(request, _("Đã xác thực hai lớp."))
            if setting_up:  # the authenticator is new: hand out the recovery codes, once
                request.session[RECOVERY_CODES_SESSION_KEY] = twofactor.recovery_codes_issue(
                    user=request.user, ip_address=client_ip(request)
                )
                recovery = reverse("two_factor_recovery")
                return redirect(f"{recovery}?{urlencode({'next': target})}" if target else recovery)
            return redirect(target or "dashboard")
        error = _(
            "Mã không đúng hoặc đã hết hạn. Nhập mã 6 chữ số đang hiện trong ứng dụng xác thực, "
            "hoặc một mã khôi phục chưa dùng."
        )
    context = {"setting_up": setting_up, "error": error, "next": target}
    if setting_up:
        context["secret"] = twofactor.secret_text(twofactor.pending_device(request.user))
    return render(request, "registration/two_factor.html", context)


@login_required
def two_factor_recovery(request: AuthenticatedRequest) -> HttpResponse:
    """The one-time recovery codes: shown once when the authenticator is set up or when the user
    asks for a new set (POST, which voids the old one); otherwise how many are left."""
    from django.http import Http404

    from members import twofactor

    if twofactor.confirmed_device(request.user) is None or not request.user.is_verified():  # type: ignore[attr-defined]
        raise Http404
    target = safe_next(request, request.GET.get("next")) or ""
    codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
    if request.method == "POST":
        codes = twofactor.recovery_codes_issue(user=request.user, ip_address=client_ip(request))
    context = {
        "codes": [f"{code[:4]}-{code[4:]}" for code in codes or []],
        "left": twofactor.recovery_codes_left(request.user),
        "next": target,
    }
    response = render(request, "registration/two_factor_recovery.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def two_factor_qr(request: AuthenticatedRequest) -> HttpResponse:
    """The QR code of the device being set up (SVG); nothing once a device is confirmed."""
    import io

    from django.http import Http404
    from django_otp.qr import write_qrcode_image

    from members import twofactor

    if twofactor.confirmed_device(request.user) is not None:
        raise Http404
    out = io.BytesIO()
    write_qrcode_image(twofactor.pending_device(request.user).config_url, out)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response
