"""Pages that correct or take back what was recorded on a candidate (services.corrections).

Each page says what is corrected and asks for the reason; the candidate page lists the corrections
in its history. The links show only to users who may correct (services.may_correct); the services
check again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from admission import forms, services
from admission.models import Candidate, ListDecision, Mentorship, StageTransition, TrialTask, Vote
from admission.templatetags.admission_tags import stage_label
from admission.views import _editable_candidate, _form_errors, _run_service
from admission.workflow import STEP_BY_KEY
from members.http import AuthenticatedRequest


def _transition(candidate: Candidate, transition_pk: int) -> StageTransition:
    return get_object_or_404(StageTransition, pk=transition_pk, candidate=candidate)


def _stage_name(code: str) -> str:
    return stage_label(code)


def _step_intro(transition: StageTransition) -> str:
    step = STEP_BY_KEY[transition.step_key]
    return _("Bước “%(step)s” ghi ngày %(day)s (%(from)s → %(to)s).") % {
        "step": step.label,
        "day": transition.on_date.strftime("%d/%m/%Y"),
        "from": _stage_name(transition.from_stage),
        "to": _stage_name(transition.to_stage),
    }


@login_required
def step_correction(request: AuthenticatedRequest, pk: int, transition_pk: int) -> HttpResponse:
    candidate = _editable_candidate(request, pk)
    transition = _transition(candidate, transition_pk)
    latest = services.latest_transition(candidate)
    if not services.may_correct(request.user, candidate, transition, latest=latest == transition):
        raise PermissionDenied
    step = STEP_BY_KEY[transition.step_key]
    names = services.correctable_fields(transition)
    initial: dict[str, Any] = {name: getattr(candidate, name) for name in names}
    if not step.date_field:
        initial["on_date"] = transition.on_date
    form = forms.StepCorrectionForm(request.POST or None, step=step, names=names, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        why = data.pop("reason")
        on_date = data.pop("on_date", None)
        ok, _result = _run_service(
            lambda: services.step_correct(
                acting_user=request.user, transition=transition, reason_text=why, on_date=on_date, values=data
            ),
            _form_errors(form, candidate),
        )
        if ok:
            messages.success(request, _("Đã đính chính: %(step)s.") % {"step": step.label})
            return redirect("candidate_detail", pk=candidate.pk)
    return render(
        request,
        "admission/form.html",
        {
            "form": form,
            "title": _("Đính chính bước đã ghi"),
            "candidate": candidate,
            "rule": step.rule,
            "intro": _step_intro(transition),
        },
    )


@dataclass(frozen=True)
class TakeBack:
    """One "take back with a reason" page: what it is called, what it says, what it calls."""

    title: str
    submit: str
    intro: str
    done: str
    action: Callable[[str], object]  # the service, given the reason


def _take_back(request: AuthenticatedRequest, candidate: Candidate, page: TakeBack) -> HttpResponse:
    """The shared page of an undo or a withdrawal: the reason, then the service, then the candidate."""
    form = forms.CorrectionReasonForm(request.POST or None, submit=page.submit)
    if request.method == "POST" and form.is_valid():
        ok, _result = _run_service(lambda: page.action(form.cleaned_data["reason"]), _form_errors(form, candidate))
        if ok:
            messages.success(request, page.done)
            return redirect("candidate_detail", pk=candidate.pk)
    return render(
        request, "admission/form.html", {"form": form, "title": page.title, "candidate": candidate, "intro": page.intro}
    )


@login_required
def step_undo(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    candidate = _editable_candidate(request, pk)
    transition = services.latest_transition(candidate)
    if transition is None or not services.may_correct(request.user, candidate, transition, latest=True):
        raise PermissionDenied
    if services.undo_refusal(candidate, transition) is not None:
        raise Http404
    done = _("Đã hủy bước “%(step)s”; hồ sơ trở lại bước “%(stage)s”.") % {
        "step": STEP_BY_KEY[transition.step_key].label,
        "stage": _stage_name(transition.from_stage),
    }
    return _take_back(
        request,
        candidate,
        TakeBack(
            title=_("Hủy bước vừa ghi"),
            submit=_("Hủy bước này"),
            intro=_step_intro(transition),
            done=done,
            action=lambda why: services.step_undo(acting_user=request.user, candidate=candidate, reason_text=why),
        ),
    )


@login_required
def vote_withdraw(request: AuthenticatedRequest, pk: int, vote_pk: int) -> HttpResponse:
    candidate = _editable_candidate(request, pk)
    vote = get_object_or_404(Vote, pk=vote_pk, candidate=candidate)
    intro = _("Biểu quyết ngày %(day)s: %(yes)s/%(n)s tán thành (%(purpose)s).") % {
        "day": vote.held_on.strftime("%d/%m/%Y"),
        "yes": vote.yes,
        "n": vote.denominator,
        "purpose": vote.get_purpose_display(),
    }
    return _take_back(
        request,
        candidate,
        TakeBack(
            title=_("Rút lại kết quả biểu quyết"),
            submit=_("Rút lại kết quả biểu quyết"),
            intro=intro,
            done=_("Đã rút lại kết quả biểu quyết; có thể ghi lại với số liệu đúng."),
            action=lambda why: services.vote_withdraw(acting_user=request.user, vote=vote, reason_text=why),
        ),
    )


@login_required
def mentorship_withdraw(request: AuthenticatedRequest, pk: int, mentorship_pk: int) -> HttpResponse:
    candidate = _editable_candidate(request, pk)
    mentorship = get_object_or_404(
        Mentorship.objects.select_related("member__person"), pk=mentorship_pk, candidate=candidate
    )
    intro = _("%(name)s – %(role)s, phân công ngày %(day)s.") % {
        "name": mentorship.member.person.full_name,
        "role": mentorship.get_role_display(),
        "day": mentorship.assigned_on.strftime("%d/%m/%Y"),
    }
    return _take_back(
        request,
        candidate,
        TakeBack(
            title=_("Rút lại phân công giúp đỡ"),
            submit=_("Rút lại phân công"),
            intro=intro,
            done=_("Đã rút lại phân công."),
            action=lambda why: services.mentorship_withdraw(
                acting_user=request.user, mentorship=mentorship, reason_text=why
            ),
        ),
    )


@login_required
def task_withdraw(request: AuthenticatedRequest, pk: int, task_pk: int) -> HttpResponse:
    """A trial task given by mistake taken back, with a reason (the original stays in the history)."""
    candidate = _editable_candidate(request, pk)
    task = get_object_or_404(TrialTask, pk=task_pk, candidate=candidate)
    intro = _("%(task)s – hạn %(due)s.") % {"task": task.description, "due": task.due_on.strftime("%d/%m/%Y")}
    return _take_back(
        request,
        candidate,
        TakeBack(
            title=_("Rút lại nhiệm vụ đã giao"),
            submit=_("Rút lại nhiệm vụ"),
            intro=intro,
            done=_("Đã rút lại nhiệm vụ."),
            action=lambda why: services.task_withdraw(acting_user=request.user, task=task, reason_text=why),
        ),
    )


@login_required
def list_decision_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A meeting's decision on one person taken back (added, kept or removed by mistake)."""
    decision = get_object_or_404(
        ListDecision.objects.select_related("meeting__organisation", "candidate__person"), pk=pk
    )
    candidate = _editable_candidate(request, decision.candidate_id)
    meeting = decision.meeting
    if not services.may_edit_meeting(request.user, meeting, after_next=services.next_meeting(meeting) is not None):
        raise PermissionDenied
    intro = _("Cuộc họp ngày %(day)s: %(name)s – %(decision)s.") % {
        "day": meeting.held_on.strftime("%d/%m/%Y"),
        "name": decision.candidate.person.full_name,
        "decision": decision.get_decision_display(),
    }
    page = TakeBack(
        title=_("Rút lại kết quả xét danh sách cảm tình Đảng"),
        submit=_("Rút lại kết quả"),
        intro=intro,
        done=_("Đã rút lại kết quả của cuộc họp; bước của hồ sơ đã được trả lại như trước."),
        action=lambda why: services.list_decision_withdraw(
            acting_user=request.user, decision=decision, reason_text=why
        ),
    )
    response = _take_back(request, candidate, page)
    if response.status_code == 302:
        return redirect("branch_meeting", pk=meeting.pk)
    return response
