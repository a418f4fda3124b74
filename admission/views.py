"""Thin views of the pipeline: parse, call a selector or service, render."""

from __future__ import annotations

from typing import Any, Literal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from admission import forms, reminders, selectors, services
from admission.domain.reasons import Reason, format_reason
from admission.domain.stages import IllegalTransition, Stage
from admission.filters import ReviewQueueFilter
from admission.models import Candidate, DocumentType
from admission.rulebook import calendar_for
from admission.workflow import STEP_BY_KEY, steps_for
from members.http import AuthenticatedRequest
from members.models import User
from members.selectors import organisation_get, scope_for


def reason_messages(reasons: tuple[Reason, ...] | list[Reason]) -> list[str]:
    """Reasons in the user's language, with the rule point that produced each."""
    lang: Literal["vi", "en"] = "en" if (get_language() or "vi").startswith("en") else "vi"
    return [f"{format_reason(r, lang)}" + (f" ({r.rule})" if r.rule else "") for r in reasons]


def _editable_candidate(request: AuthenticatedRequest, pk: int) -> Any:
    candidate = selectors.candidate_get(user=request.user, pk=pk)
    if not scope_for(request.user).can_edit(candidate.organisation):
        raise PermissionDenied
    return candidate


def _branch(request: AuthenticatedRequest, pk: int) -> Any:
    organisation = organisation_get(user=request.user, pk=pk)
    if not organisation.is_branch:
        raise Http404
    return organisation


@login_required
def overview(request: AuthenticatedRequest) -> HttpResponse:
    branches = selectors.branches_overview(user=request.user, today=timezone.localdate())
    mentees = selectors.mentee_list(user=request.user)
    committees = [
        (org_id, name)
        for role, org_id, name in scope_for(request.user).roles
        if role in {"committee_staff", "committee_leader"}
    ]
    return render(
        request, "admission/overview.html", {"branches": branches, "mentees": mentees, "committees": committees}
    )


@login_required
def board(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = _branch(request, pk)
    today = timezone.localdate()
    columns = selectors.branch_board(user=request.user, organisation=organisation, today=today)
    context = {
        "organisation": organisation,
        "columns": columns,
        "today": today,
        "can_edit": scope_for(request.user).can_edit(organisation),
        "total": sum(len(c.cards) for c in columns),
    }
    return render(request, "admission/board.html", context)


@login_required
def candidate_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = _branch(request, pk)
    if not scope_for(request.user).can_edit(organisation):
        raise PermissionDenied
    form = forms.CandidateCreateForm(
        request.POST or None, people=selectors.people_without_candidacy(user=request.user, organisation=organisation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            candidate = services.candidate_create(acting_user=request.user, person=form.cleaned_data["person"])
        except services.StepRefused as refused:
            for text in reason_messages(refused.reasons):
                form.add_error(None, text)
        else:
            messages.success(request, _("Đã bắt đầu theo dõi %(name)s.") % {"name": candidate.person.full_name})
            return redirect("candidate_detail", pk=candidate.pk)
    return render(
        request,
        "admission/form.html",
        {"form": form, "title": _("Theo dõi quần chúng ưu tú"), "organisation": organisation},
    )


@login_required
def candidate_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    candidate = selectors.candidate_get(user=request.user, pk=pk)
    context: dict[str, Any] = selectors.candidate_page(candidate=candidate, today=timezone.localdate())
    context.update(
        candidate=candidate,
        steps=steps_for(candidate.stage_enum),
        can_edit=scope_for(request.user).can_edit(candidate.organisation),
    )
    context["checklist"] = [(code, label, context["documents"].get(code)) for code, label in DocumentType.choices]
    return render(request, "admission/candidate_detail.html", context)


@login_required
def candidate_step(request: AuthenticatedRequest, pk: int, step_key: str) -> HttpResponse:
    candidate = _editable_candidate(request, pk)
    step = STEP_BY_KEY.get(step_key)
    if step is None or candidate.stage_enum not in step.from_stages:
        raise Http404
    form: Any
    if step.kind == "vote":
        form = forms.VoteRecordForm(request.POST or None, step=step)
    else:
        form = forms.StepForm(request.POST or None, step=step)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if step.kind == "vote":
                vote = services.candidate_vote(acting_user=request.user, candidate=candidate, step_key=step_key, **data)
                if vote.passed:
                    messages.success(
                        request,
                        _("Biểu quyết đạt: %(yes)s/%(n)s (cần %(required)s).")
                        % {"yes": vote.yes, "n": vote.denominator, "required": vote.required},
                    )
                else:
                    messages.warning(
                        request,
                        _("Biểu quyết không đạt: %(yes)s/%(n)s (cần %(required)s). Kết quả đã được ghi lại.")
                        % {"yes": vote.yes, "n": vote.denominator, "required": vote.required},
                    )
            else:
                services.candidate_step(acting_user=request.user, candidate=candidate, step_key=step_key, data=data)
                messages.success(request, _("Đã ghi nhận: %(step)s.") % {"step": step.label})
        except services.StepRefused as refused:
            for text in reason_messages(refused.reasons):
                form.add_error(None, text)
        except (services.ConcurrentStageChange, IllegalTransition):
            form.add_error(None, _("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang và kiểm tra."))
        else:
            return redirect("candidate_detail", pk=candidate.pk)
    return render(
        request, "admission/form.html", {"form": form, "title": step.label, "candidate": candidate, "rule": step.rule}
    )


def _simple_form_view(
    request: AuthenticatedRequest, pk: int, form_class: Any, title: str, save: Any, **form_kwargs: Any
) -> HttpResponse:
    """Shared GET/POST handling of the small forms on the candidate page."""
    candidate = _editable_candidate(request, pk)
    extra = {key: value(candidate) for key, value in form_kwargs.items()}
    form = form_class(request.POST or None, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            save(candidate, form.cleaned_data)
        except services.StepRefused as refused:
            for text in reason_messages(refused.reasons):
                form.add_error(None, text)
        else:
            messages.success(request, _("Đã lưu."))
            return redirect("candidate_detail", pk=candidate.pk)
    return render(request, "admission/form.html", {"form": form, "title": title, "candidate": candidate})


@login_required
def mentor_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _simple_form_view(
        request,
        pk,
        forms.MentorForm,
        _("Phân công đảng viên giúp đỡ / giới thiệu"),
        lambda c, d: services.mentor_assign(acting_user=request.user, candidate=c, **d),
        members=forms.members_for_mentoring,
    )


@login_required
def document_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _simple_form_view(
        request,
        pk,
        forms.DocumentForm,
        _("Cập nhật giấy tờ trong hồ sơ"),
        lambda c, d: services.document_record(acting_user=request.user, candidate=c, **d),
    )


@login_required
def verification_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _simple_form_view(
        request,
        pk,
        forms.VerificationForm,
        _("Thêm yêu cầu thẩm tra lý lịch"),
        lambda c, d: services.verification_record(acting_user=request.user, candidate=c, **d),
    )


@login_required
def task_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _simple_form_view(
        request,
        pk,
        forms.TaskForm,
        _("Giao nhiệm vụ thử thách"),
        lambda c, d: services.task_assign(acting_user=request.user, candidate=c, **d),
    )


@login_required
def task_result(request: AuthenticatedRequest, pk: int, task_pk: int) -> HttpResponse:
    candidate = _editable_candidate(request, pk)
    task = candidate.tasks.filter(pk=task_pk).first()
    if task is None:
        raise Http404
    return _simple_form_view(
        request,
        pk,
        forms.TaskResultForm,
        _("Kết quả nhiệm vụ: %(task)s") % {"task": task.description},
        lambda c, d: services.task_complete(acting_user=request.user, task=task, **d),
    )


@login_required
def meeting_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = _branch(request, pk)
    if not scope_for(request.user).can_edit(organisation):
        raise PermissionDenied
    open_candidates = list(
        selectors.candidate_list(user=request.user, organisation=organisation).order_by("person__sort_key")
    )
    outstanding = [c for c in open_candidates if c.stage == Stage.S0]
    listed = [c for c in open_candidates if c.stage in {Stage.S1, Stage.S2}]
    form = forms.MeetingForm(request.POST or None, outstanding=outstanding, listed=listed)
    if request.method == "POST" and form.is_valid():
        add, keep, remove = form.decisions()
        try:
            services.meeting_record(
                acting_user=request.user,
                organisation=organisation,
                held_on=form.cleaned_data["held_on"],
                official_members=form.cleaned_data["official_members"],
                present=form.cleaned_data["present"],
                minutes=form.cleaned_data["minutes"],
                add=add,
                keep=keep,
                remove=remove,
            )
        except services.StepRefused as refused:
            for text in reason_messages(refused.reasons):
                form.add_error(None, text)
        else:
            messages.success(request, _("Đã lưu biên bản họp chi bộ."))
            return redirect("admission_board", pk=organisation.pk)
    return render(
        request,
        "admission/form.html",
        {"form": form, "title": _("Họp chi bộ: xét danh sách cảm tình Đảng"), "organisation": organisation},
    )


@login_required
def candidate_flags(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    candidate = _editable_candidate(request, pk)
    form = forms.FlagsForm(request.POST or None, instance=Candidate.objects.get(pk=candidate.pk))
    if request.method == "POST" and form.is_valid():
        services.candidate_update_flags(acting_user=request.user, candidate=candidate, **form.cleaned_data)
        messages.success(request, _("Đã lưu."))
        return redirect("candidate_detail", pk=candidate.pk)
    return render(
        request,
        "admission/form.html",
        {"form": form, "title": _("Phê duyệt và trường hợp đặc biệt"), "candidate": candidate},
    )


@login_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    """The in-app list of reminders and notices (read/unread)."""
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()] or None
        reminders.notifications_mark_read(user=request.user, ids=ids, now=timezone.now())
        return redirect("notification_list")
    items = selectors.notification_list(user=request.user)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "admission/notifications.html", {"page": page})


@login_required
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    """E-mail digest on/off and hour; the private calendar (ICS) link, revocable."""
    form = forms.PreferencesForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST":
        if "calendar" in request.POST:
            services.calendar_token_set(acting_user=request.user, enable=request.POST["calendar"] == "on")
            messages.success(request, _("Đã cập nhật liên kết lịch."))
            return redirect("preferences")
        if form.is_valid():
            form.save()
            messages.success(request, _("Đã lưu."))
            return redirect("preferences")
    token = User.objects.values_list("calendar_token", flat=True).get(pk=request.user.pk)
    feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[token])) if token else ""
    return render(request, "admission/preferences.html", {"form": form, "feed_url": feed_url})


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's meetings and deadlines as iCalendar; the secret token is the only credential."""
    user = User.objects.filter(calendar_token=token, is_active=True).exclude(calendar_token="").first()
    if user is None or len(token) < 20:
        raise Http404
    body = selectors.calendar_ics(user=user, today=timezone.localdate())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
def committee_queue(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The dossiers waiting for one committee, overdue first (issue 5: review queue)."""
    committee = organisation_get(user=request.user, pk=pk)
    if committee.is_branch:
        raise Http404
    today = timezone.localdate()
    queue = ReviewQueueFilter(
        request.GET or None, queryset=selectors.review_queue(user=request.user, committee=committee)
    )
    page = Paginator(queue.qs, 50).get_page(request.GET.get("page"))
    calendar = calendar_for(committee)
    rows = [
        {
            "candidate": c,
            "waited": calendar.working_days_between(c.stage_entered_on, today),
            "left": abs(calendar.working_days_between(today, c.next_due_on)) if c.next_due_on else None,
            "overdue": c.next_due_on is not None and c.next_due_on < today,
        }
        for c in page
    ]
    return render(
        request, "admission/queue.html", {"committee": committee, "filter": queue, "page": page, "rows": rows}
    )
