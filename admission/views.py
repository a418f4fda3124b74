"""Thin views of the pipeline: parse, call a selector or service, render."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language, gettext_lazy, override
from django.utils.translation import gettext as _

from admission import forms, reminders, selectors, services
from admission.documents import upload_views, uploads
from admission.documents import views as document_views
from admission.domain.attendance import explanation, quorum_warnings
from admission.domain.eligibility import IntroductionMode
from admission.domain.reasons import Reason, format_reason
from admission.domain.remedies import REMEDIES
from admission.domain.stages import STAGE_INFO, IllegalTransition, Stage
from admission.domain.transfers import NOT_TRANSFERABLE
from admission.domain.votes import Threshold
from admission.filters import ReviewQueueFilter
from admission.models import AttendanceStatus, Candidate, DocumentType
from admission.rulebook import calendar_for
from admission.templatetags.admission_tags import stage_label
from admission.workflow import (
    BODY_LABELS,
    NEXT_STEP,
    RETURN_TARGET,
    STEP_BY_KEY,
    TURN,
    Body,
    Step,
    VoteBy,
    steps_for,
)
from members.auth import client_ip
from members.http import AuthenticatedRequest
from members.models import AuditLog, Person, User
from members.selectors import branch_official_members, organisation_get, scope_for, transfer_destinations
from members.services import audit_record


def reason_messages(reasons: tuple[Reason, ...] | list[Reason]) -> list[str]:
    """Reasons in the user's language, with the rule point that produced each."""
    lang: Literal["vi", "en"] = "en" if (get_language() or "vi").startswith("en") else "vi"
    return [f"{format_reason(r, lang)}" + (f" ({r.rule})" if r.rule else "") for r in reasons]


def _run_service(action: Callable[[], Any], report: Callable[[str], Any]) -> tuple[bool, Any]:
    """Run a write service; hand its refusals (rule reasons, someone else's change) to `report`
    instead of raising, so the form is shown again with what was typed."""
    try:
        return True, action()
    except services.StepRefused as refused:
        for item, text in zip(refused.reasons, reason_messages(refused.reasons), strict=True):
            report(text)
            if isinstance(report, FormErrors):
                report.remedy(item)
    except (services.ConcurrentStageChange, IllegalTransition):
        report(_("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang và kiểm tra."))
    return False, None


# Where a page remedy (admission.domain.remedies.PAGES) takes the user, for a candidate, and the
# link's words.
REMEDY_PAGES: dict[str, tuple[str, str, Any]] = {
    "documents": ("document_add", "", gettext_lazy("Cập nhật giấy tờ của hồ sơ")),
    "mentors": ("mentor_add", "", gettext_lazy("Phân công đảng viên giúp đỡ, giới thiệu")),
    "verifications": ("candidate_detail", "#verifications", gettext_lazy("Xem các yêu cầu thẩm tra lý lịch")),
    "flags": ("candidate_flags", "", gettext_lazy("Phê duyệt, ngoại lệ, gia hạn")),
    "history": ("candidate_detail", "#timeline", gettext_lazy("Xem diễn biến để đính chính hoặc hủy bước")),
    "meeting": ("candidate_detail", "#votes", gettext_lazy("Xem cuộc họp chi bộ và điểm danh")),
    "returns": ("candidate_detail", "#open-return", gettext_lazy("Xem các giấy tờ bị trả lại")),
    "votes": ("candidate_detail", "#votes", gettext_lazy("Xem các biểu quyết")),
}


class FormErrors:
    """Reports a service's refusals on a form, and collects the links to the pages that lift them
    (admission.domain.remedies) as `form.remedy_links`, which form.html shows under the errors."""

    def __init__(self, form: Any, candidate: Candidate | None = None) -> None:
        self.form = form
        self.candidate = candidate
        if not hasattr(form, "remedy_links"):
            form.remedy_links = []

    def __call__(self, text: str) -> None:
        self.form.add_error(None, text)

    def remedy(self, item: Reason) -> None:
        found = REMEDIES.get(item.code)
        if self.candidate is None or found is None or found.kind != "page":
            return
        url_name, anchor, words = REMEDY_PAGES[found.target]
        link = (str(words), reverse(url_name, args=[self.candidate.pk]) + anchor)
        if link not in self.form.remedy_links:
            self.form.remedy_links.append(link)


def _form_errors(form: Any, candidate: Candidate | None = None) -> FormErrors:
    return FormErrors(form, candidate)


# The audit log's words for the pages that show a candidate (stored as written: the log is a record).
AUDIT_PAGES = {
    "candidate": "Trang ứng viên",
    "dossier review": "Trang xét hồ sơ",
    "mentor_comment": "Trang nhận xét của đảng viên giúp đỡ",
}


def _audit_view(request: AuthenticatedRequest, candidate: Candidate, page: str) -> None:
    """Every view of a person's data is written to the audit log (Decree 13/2023)."""
    audit_record(
        user=request.user,
        action=AuditLog.Action.VIEW_PERSON,
        person=candidate.person,
        detail=f"{AUDIT_PAGES[page]} #{candidate.pk}",
        ip_address=client_ip(request),
    )


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
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The home page: each role's to-do first (overdue and due soon, meetings this month, returned
    dossiers, dossiers at the committee), then the members overview of the user's scope."""
    from members import selectors as member_selectors
    from members.models import Role

    step_pattern = _url_pattern_with_key("candidate_step")
    todo = selectors.home_todo(
        user=request.user,
        today=timezone.localdate(),
        step_url=step_pattern,
        candidate_url=_url_pattern("candidate_detail"),
        review_url=_url_pattern("dossier_review"),
    )
    context = {
        "todo": todo,
        "horizon": selectors.HOME_HORIZON_DAYS,
        "today": timezone.localdate(),
        "mentees": selectors.mentee_list(user=request.user)[: selectors.HOME_LIMIT],
        # The members overview below the to-do (members.views.dashboard's context).
        "stats": member_selectors.scope_statistics(user=request.user),
        "roots": member_selectors.attach_member_counts(
            member_selectors.organisation_children(user=request.user, parent=None)[:20]
        ),
        "scope": scope_for(request.user),
        "role_labels": Role.choices,
    }
    return render(request, "admission/home.html", context)


def _url_pattern_with_key(name: str) -> Callable[[int, str], str]:
    """As _url_pattern, for a URL of an object id and a slug (a candidate's step form)."""
    placeholder, slug = "2147483647", "step-key-placeholder"
    before, middle_after = reverse(name, args=[int(placeholder), slug]).split(placeholder)
    middle, after = middle_after.split(slug)
    return lambda pk, key: f"{before}{pk}{middle}{key}{after}"


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


@dataclass(slots=True)
class BoardColumnView:
    stage: str
    label: str  # in the user's language
    cards: list[selectors.BoardCard]  # their markup is built by admission_tags.board_cards


def _url_pattern(name: str) -> Callable[[int], str]:
    """The URL of `name` for any object id with one reverse(): the URL of a placeholder id, split
    around it (a list page would otherwise reverse once per row)."""
    before, after = _url_parts(name)
    return lambda pk: f"{before}{pk}{after}"


def _url_parts(name: str) -> tuple[str, str]:
    """The URL of `name` for an object id, as the text before and after the id."""
    placeholder = "2147483647"
    before, after = reverse(name, args=[int(placeholder)]).split(placeholder)
    return before, after


def _board_view(columns: list[selectors.BoardColumn]) -> list[BoardColumnView]:
    english = (get_language() or "vi").startswith("en")
    return [
        BoardColumnView(
            stage=column.stage.value,
            label=STAGE_INFO[column.stage].label_en if english else STAGE_INFO[column.stage].label_vi,
            cards=column.cards,
        )
        for column in columns
    ]


@login_required
def board(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The branch's board; `?q=` searches names (no diacritics needed), `?stage=` and `?overdue=`
    filter. Cards can be selected for the bulk actions (the meeting's agenda, a printed list)."""
    organisation = _branch(request, pk)
    today = timezone.localdate()
    filters = forms.BoardFilterForm(request.GET)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    columns = selectors.branch_board(
        user=request.user, organisation=organisation, today=today, search=wanted.get("q", "")
    )
    if wanted.get("stage"):
        columns = [c for c in columns if c.stage.value == wanted["stage"]]
    if wanted.get("overdue"):
        for column in columns:
            column.cards = [card for card in column.cards if card.overdue]
        columns = [c for c in columns if c.cards]
    context = {
        "organisation": organisation,
        "columns": _board_view(columns),
        "card_url": _url_parts("candidate_detail"),
        "today": today,
        "can_edit": scope_for(request.user).can_edit(organisation),
        "total": sum(len(c.cards) for c in columns),
        "filters": filters,
        "filtered": any(wanted.get(name) for name in ("q", "stage", "overdue")),
    }
    return render(request, "admission/board.html", context)


@login_required
def board_print(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A list to print: the candidates selected on the board (`?c=`), or the sympathiser list
    (`?list=sympathisers`: those the branch listed, S1 and S2), or every open candidate."""
    organisation = _branch(request, pk)
    today = timezone.localdate()
    cards = [
        card
        for column in selectors.branch_board(user=request.user, organisation=organisation, today=today)
        for card in column.cards
    ]
    selected = _chosen_ids(request)
    sympathisers = request.GET.get("list") == "sympathisers"
    if selected:
        cards = [card for card in cards if card.candidate.pk in selected]
    elif sympathisers:
        cards = [card for card in cards if card.candidate.stage in (Stage.S1, Stage.S2)]
    born = dict(
        selectors.candidate_list(user=request.user, organisation=organisation)
        .filter(pk__in=[card.candidate.pk for card in cards])
        .values_list("pk", "person__date_of_birth")
    )
    lang = _lang()
    rows = [
        {
            "name": card.name,
            "born": born.get(card.candidate.pk),
            "stage": STAGE_INFO[card.candidate.stage_enum].label_en
            if lang == "en"
            else STAGE_INFO[card.candidate.stage_enum].label_vi,
            "since": card.candidate.stage_entered_on,
            "next_step": card.next_step.label if card.next_step else "",
            "deadline": card.deadline.day if card.deadline else None,
            "overdue": card.overdue,
        }
        for card in cards
    ]
    title = (
        _("Danh sách cảm tình Đảng") if sympathisers and not selected else _("Danh sách theo dõi phát triển đảng viên")
    )
    return render(
        request,
        "admission/board_print.html",
        {"organisation": organisation, "rows": rows, "title": title, "today": today},
    )


@login_required
def candidate_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """New candidate in one flow: a new person's data (or someone already in the branch's list);
    possible duplicates inside the scope are offered instead before anyone new is entered."""
    organisation = _branch(request, pk)
    if not scope_for(request.user).can_edit(organisation):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form = forms.CandidateCreateForm(
        data, people=selectors.people_without_candidacy(user=request.user, organisation=organisation)
    )
    entering_new = data is not None and not data.get("person")
    new_form = forms.NewPersonForm(data if entering_new else None, instance=Person(organisation=organisation))
    duplicates: list[selectors.PossibleDuplicate] = []
    if data is not None and form.is_valid():
        ok, candidate = False, None
        if form.cleaned_data["person"] is not None:
            person = form.cleaned_data["person"]
            ok, candidate = _run_service(
                lambda: services.candidate_create(acting_user=request.user, person=person), _form_errors(form)
            )
        elif new_form.is_valid():
            duplicates = selectors.possible_duplicates(
                user=request.user,
                organisation=organisation,
                full_name=new_form.cleaned_data["full_name"],
                date_of_birth=new_form.cleaned_data["date_of_birth"],
                cccd=new_form.cleaned_data.get("cccd"),
            )
            confirmed = form.cleaned_data["confirm_new"] and not any(d.same_cccd for d in duplicates)
            if not duplicates or confirmed:
                try:
                    ok, candidate = _run_service(
                        lambda: services.candidate_create_with_person(
                            acting_user=request.user, person=new_form.instance
                        ),
                        _form_errors(new_form),
                    )
                except ValidationError as error:
                    new_form.add_error(None, error)
        if ok and candidate is not None:
            messages.success(request, _("Đã bắt đầu theo dõi %(name)s.") % {"name": candidate.person.full_name})
            return redirect("candidate_detail", pk=candidate.pk)
    return render(
        request,
        "admission/candidate_create.html",
        {
            "form": form,
            "new_form": new_form,
            "duplicates": duplicates,
            "same_cccd": any(d.same_cccd for d in duplicates),
            "title": _("Theo dõi quần chúng ưu tú"),
            "organisation": organisation,
        },
    )


def _steps_for_user(request: AuthenticatedRequest, candidate: Candidate) -> list[Step]:
    """The steps this user's body records now (services.may_record): the page offers only those."""
    return [step for step in steps_for(candidate.stage_enum) if services.may_record(request.user, candidate, step)]


@login_required
def candidate_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        candidate = selectors.candidate_get(user=request.user, pk=pk)
    except Http404:
        if selectors.mentee_list(user=request.user).filter(pk=pk).exists():
            return redirect("mentee_detail", pk=pk)  # a helper reads their mentee on the mentor's page
        raise
    _audit_view(request, candidate, "candidate")
    # The selector reads every section in one query, open return and pending documents included.
    context: dict[str, Any] = selectors.candidate_page(candidate=candidate, today=timezone.localdate())
    can_edit = scope_for(request.user).can_edit(candidate.organisation)
    committee = services.due_committee(candidate)
    context.update(
        candidate=candidate,
        steps=_steps_for_user(request, candidate),
        can_edit=can_edit,
        can_transfer=_may_transfer(request, candidate),
        transfer_acts=_may_act_on_transfer(request, candidate),
        can_verify=can_edit and services.may_verify(request.user, candidate),
        is_mentor=services.assigned_mentor(request.user, candidate) is not None,
        due_committee=committee,
        **upload_views.scans_context(candidate=candidate, scans=context.pop("scans")),
        **document_views.documents_context(
            candidate=candidate, user=request.user, documents=context.pop("generated_documents"), can_generate=can_edit
        ),
    )
    context["checklist"] = [(code, label, context["documents"].get(code)) for code, label in DocumentType.choices]
    context.update(_correction_links(request, candidate, context["transitions"], can_edit))
    context.update(_quick_step(candidate, context["steps"]) if can_edit else {})
    return render(request, "admission/candidate_detail.html", context)


def _quick_step(candidate: Candidate, steps: list[Step]) -> dict[str, Any]:
    """The stage's usual next step, when it is a plain step the user records here: its form on the
    candidate page itself (today's date filled in), posted to the step's own page, which shows
    the form again with the reasons when the step is refused. Saves a page load per step."""
    step = next((s for s in steps if s.kind == "step" and s.key == NEXT_STEP.get(candidate.stage_enum)), None)
    if step is None:
        return {}
    form = forms.StepForm(step=step, initial={"on_date": timezone.localdate()}, auto_id="quick_%s")
    form.helper.form_action = reverse("candidate_step", args=[candidate.pk, step.key])
    intro = _introduction_intro(candidate, form) if step.key == "introduction" else ""
    return {"quick_step": step, "quick_form": form, "quick_intro": intro}


def _correction_links(
    request: AuthenticatedRequest, candidate: Candidate, transitions: list[Any], can_edit: bool
) -> dict[str, Any]:
    """Which recorded steps this user may correct, and whether the last one can be undone."""
    if not can_edit or not transitions:
        return {"correctable": set(), "can_undo": False}
    latest = transitions[-1]
    correctable = {
        t.pk for t in transitions if services.may_correct(request.user, candidate, t, latest=t.pk == latest.pk)
    }
    can_undo = latest.pk in correctable and services.undo_refusal(candidate, latest) is None
    return {"correctable": correctable, "can_undo": can_undo}


def _may_act_on_transfer(request: AuthenticatedRequest, candidate: Candidate) -> dict[str, bool]:
    """The acts around a transfer the deciding committee's staff may record now (T11, T13)."""
    committee = services.committee_of(Body.DECIDING_COMMITTEE, candidate)
    if committee is None or not scope_for(request.user).acts_for_committee(committee.id):
        return {"forward": False, "reconsider": False}
    return {
        "forward": candidate.transferred_on is not None and candidate.transfer_forwarded_date is None,
        "reconsider": candidate.reconsideration_requested_date is None
        and candidate.stage_enum in services.RECONSIDERED_STAGES
        and candidate.transfers.exists(),
    }


@login_required
def transfer_forwarded(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """T11: the dossier forwarded by the old place's committee, received at the destination (HD06 3.9b)."""
    candidate = _editable_candidate(request, pk)
    if not _may_act_on_transfer(request, candidate)["forward"]:
        raise PermissionDenied
    return _simple_form_view(
        request,
        pk,
        forms.TransferForwardedForm,
        _("Ghi nhận hồ sơ đã được chuyển đến (chuyển sinh hoạt)"),
        lambda c, data: services.transfer_forwarded(acting_user=request.user, candidate=c, on_date=data["on_date"]),
    )


@login_required
def transfer_reconsideration(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """T13: the destination asks the sending committee to reconsider (HD06 3.9c)."""
    candidate = _editable_candidate(request, pk)
    if not _may_act_on_transfer(request, candidate)["reconsider"]:
        raise PermissionDenied
    return _simple_form_view(
        request,
        pk,
        forms.ReconsiderationForm,
        _("Đề nghị xem xét lại (chuyển sinh hoạt)"),
        lambda c, data: services.transfer_reconsideration_request(
            acting_user=request.user, candidate=c, on_date=data["on_date"], note=data["note"]
        ),
    )


def _may_transfer(request: AuthenticatedRequest, candidate: Candidate) -> bool:
    """The sending branch records a transfer (its secretary or deputy, or an administrator; HD06 3.9)."""
    return candidate.stage_enum not in NOT_TRANSFERABLE and scope_for(request.user).acts_for_branch(
        candidate.organisation
    )


@login_required
def candidate_transfer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Chuyển sinh hoạt: the sending branch moves the candidate or probationer to another branch."""
    candidate = _editable_candidate(request, pk)
    if not scope_for(request.user).acts_for_branch(candidate.organisation):
        raise PermissionDenied
    destinations = transfer_destinations(
        user=request.user, organisation=candidate.organisation, on=timezone.localdate()
    )
    form = forms.TransferForm(request.POST or None, destinations=destinations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, transfer = _run_service(
            lambda: services.candidate_transfer(
                acting_user=request.user,
                candidate=candidate,
                to_branch=data["to_branch"],
                on_date=data["on_date"],
                note=data["note"],
            ),
            _form_errors(form, candidate),
        )
        if ok:
            messages.success(
                request,
                _("Đã chuyển sinh hoạt %(name)s đến %(branch)s. Chi bộ nơi đến đã được thông báo.")
                % {"name": candidate.person.full_name, "branch": transfer.to_organisation.name},
            )
            if scope_for(request.user).can_read(transfer.to_organisation):
                return redirect("candidate_detail", pk=candidate.pk)
            return redirect("admission_board", pk=transfer.from_organisation_id)  # the person left the scope
    return render(
        request,
        "admission/form.html",
        {"form": form, "title": _("Chuyển sinh hoạt"), "candidate": candidate, "rule": "HD06 3.9"},
    )


@login_required
def candidate_step(request: AuthenticatedRequest, pk: int, step_key: str) -> HttpResponse:
    candidate = _editable_candidate(request, pk)
    step = STEP_BY_KEY.get(step_key)
    if step is None or candidate.stage_enum not in step.from_stages:
        raise Http404
    if not services.may_record(request.user, candidate, step):
        raise PermissionDenied
    form: Any
    if step.kind == "vote":
        meetings = _vote_meetings(request, candidate) if step.vote == VoteBy.BRANCH else None
        # `?meeting=`: the meeting page's link to a vote held at it chooses that meeting.
        wanted = request.GET.get("meeting", "")
        initial = {"meeting": int(wanted)} if any(str(m.pk) == wanted for m, _label in meetings or []) else {}
        form = forms.VoteRecordForm(request.POST or None, step=step, meetings=meetings, initial=initial)
    else:
        form = forms.StepForm(request.POST or None, step=step)
    intro = ""
    if step.key == "introduction":
        intro = _introduction_intro(candidate, form)
    if request.method == "POST" and form.is_valid():
        ok, _result = _run_service(
            lambda: _record_step(request, candidate, step, form.cleaned_data), _form_errors(form, candidate)
        )
        if ok:
            # Committee staff came from the dossier review page and go back to it; a secretary who
            # came from a meeting's page (`next`, a page of this site) goes back to that meeting.
            next_url = request.GET.get("next", "")
            if next_url == "review":
                return redirect("dossier_review", pk=candidate.pk)
            if next_url.startswith("/") and url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}
            ):
                return redirect(next_url)
            return redirect("candidate_detail", pk=candidate.pk)
    links = _open_verification_links(candidate) if step.key == "verification" else []
    if step.kind == "vote" and step.vote == VoteBy.BRANCH and scope_for(request.user).can_edit(candidate.organisation):
        next_url = reverse("candidate_step", args=[candidate.pk, step.key])
        links.append(
            (
                _("Ghi biên bản và điểm danh một cuộc họp chi bộ chưa có trong danh sách"),
                f"{reverse('meeting_create', args=[candidate.organisation_id])}?next={next_url}",
            )
        )
    return render(
        request,
        "admission/form.html",
        {"form": form, "title": step.label, "candidate": candidate, "rule": step.rule, "links": links, "intro": intro},
    )


def _introduction_intro(candidate: Candidate, form: Any) -> str:
    """The introduction step: the form the person's facts suggest is pre-selected, and the page says
    who counts as introducer in each form (the helpers by default, rules §3 S5)."""
    today = timezone.localdate()
    mode = services.introduction_mode_default(candidate, today)
    form.fields["introduction_mode"].initial = mode.name
    form.fields["introduction_mode"].help_text = _(
        "Hai đảng viên chính thức giới thiệu; hoặc Đoàn TNCS Hồ Chí Minh (người trong độ tuổi đoàn viên) hay "
        "Công đoàn cơ sở giới thiệu bằng nghị quyết cùng một đảng viên (ĐL 4.1; QĐ294 3.1). Khi đó ghi ngày "
        "nghị quyết của Đoàn/Công đoàn."
    )
    names = {}
    for m, needed in ((IntroductionMode.TWO_MEMBERS, 2), (IntroductionMode.YOUTH_UNION_PLUS_ONE, 1)):
        counted = [x.member.person.full_name for x in services.introducers(candidate, m)]
        names[m] = f"{', '.join(counted) or _('chưa có')} ({len(counted)}/{needed})"
    return _(
        "Đảng viên giúp đỡ được tính là người giới thiệu. Nếu hai đảng viên giới thiệu: %(two)s. Nếu Đoàn hoặc "
        "Công đoàn giới thiệu cùng một đảng viên: %(one)s. Thiếu người thì phân công ở mục «Đảng viên giúp đỡ, "
        "người giới thiệu» trên trang hồ sơ."
    ) % {"two": names[IntroductionMode.TWO_MEMBERS], "one": names[IntroductionMode.YOUTH_UNION_PLUS_ONE]}


def _record_step(request: AuthenticatedRequest, candidate: Candidate, step: Any, data: dict[str, Any]) -> None:
    """Record a step or a vote through its service and say how it went."""
    if step.kind != "vote":
        services.candidate_step(
            acting_user=request.user,
            candidate=candidate,
            step_key=step.key,
            data=services.StepInput.from_fields(step, data),
        )
        messages.success(request, _("Đã ghi nhận: %(step)s.") % {"step": step.label})
        return
    vote = services.candidate_vote(acting_user=request.user, candidate=candidate, step_key=step.key, **data)
    counts = {"yes": vote.yes, "n": vote.denominator, "required": vote.required}
    if vote.counts_from_attendance and vote.meeting is not None:
        statuses = list(vote.meeting.attendance.values_list("status", flat=True))
        how = _counts_text(selectors.meeting_counts(vote.meeting, statuses))
        messages.info(request, _("Mẫu số lấy từ điểm danh: %(how)s.") % {"how": how})
    if vote.passed:
        messages.success(request, _("Biểu quyết đạt: %(yes)s/%(n)s (cần %(required)s).") % counts)
    else:
        messages.warning(
            request, _("Biểu quyết không đạt: %(yes)s/%(n)s (cần %(required)s). Kết quả đã được ghi lại.") % counts
        )


def _simple_form_view(
    request: AuthenticatedRequest, pk: int, form_class: Any, title: str, save: Any, **form_kwargs: Any
) -> HttpResponse:
    """Shared GET/POST handling of the small forms on the candidate page."""
    candidate = _editable_candidate(request, pk)
    extra = {key: value(candidate) for key, value in form_kwargs.items()}
    form = form_class(request.POST or None, **extra)
    if request.method == "POST" and form.is_valid():
        ok, _result = _run_service(lambda: save(candidate, form.cleaned_data), _form_errors(form, candidate))
        if ok:
            messages.success(request, _("Đã lưu."))
            return redirect("candidate_detail", pk=candidate.pk)
    return render(request, "admission/form.html", {"form": form, "title": title, "candidate": candidate})


@login_required
def mentor_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Assign a helper (the introducer by default) or an introducer only, from the picker of the
    branch's members with the conditions each does not meet (QĐ294 3.2; rules §3 S5)."""
    candidate = _editable_candidate(request, pk)
    picker = selectors.helper_picker(user=request.user, candidate=candidate, on=timezone.localdate())
    form = forms.MentorForm(request.POST or None, picker=picker)
    if request.method == "POST" and form.is_valid():
        ok, _result = _run_service(
            lambda: services.mentor_assign(acting_user=request.user, candidate=candidate, **form.cleaned_data),
            _form_errors(form, candidate),
        )
        if ok:
            messages.success(request, _("Đã lưu."))
            return redirect("candidate_detail", pk=candidate.pk)
    intro = _(
        "Đảng viên giúp đỡ là người giới thiệu: chỉ phân công một lần. Khi hai đảng viên giới thiệu, phân công "
        "thêm người giới thiệu thứ hai; khi Đoàn TNCS Hồ Chí Minh hoặc Công đoàn cơ sở giới thiệu, chỉ cần "
        "đảng viên giúp đỡ. Danh sách gồm đảng viên của chi bộ; người chưa đủ điều kiện không chọn được, có ghi lý do."
    )
    if picker.replacement:
        intro += " " + _(
            "Người được phân công lần này thay người đã thôi giúp đỡ khi chuyển sinh hoạt: không cần đủ 12 tháng "
            "(HD06 3.9a)."
        )
    return render(
        request,
        "admission/form.html",
        {
            "form": form,
            "title": _("Phân công đảng viên giúp đỡ, người giới thiệu"),
            "candidate": candidate,
            "rule": "ĐL 4; QĐ294 3.1-3.2",
            "intro": intro,
        },
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
    if not services.may_verify(request.user, _editable_candidate(request, pk)):
        raise PermissionDenied
    return _simple_form_view(
        request,
        pk,
        forms.VerificationForm,
        _("Thêm yêu cầu thẩm tra lý lịch"),
        lambda c, d: services.verification_record(acting_user=request.user, candidate=c, **d),
    )


def _verification(request: AuthenticatedRequest, pk: int, verification_pk: int) -> tuple[Candidate, Any]:
    """The candidate (in scope, editable) and its request; only the branch and the grassroots
    committee staff record verification (services.may_verify)."""
    candidate = _editable_candidate(request, pk)
    item = candidate.verifications.filter(pk=verification_pk).first()
    if item is None:
        raise Http404
    if not services.may_verify(request.user, candidate):
        raise PermissionDenied
    return candidate, item


def _verification_intro(item: Any) -> str:
    return _("%(subject)s → %(addressee)s · gửi ngày %(sent)s, nơi nhận nhận được ngày %(received)s") % {
        "subject": item.subject,
        "addressee": item.addressee,
        "sent": item.sent_on.strftime("%d/%m/%Y"),
        "received": item.received_on.strftime("%d/%m/%Y"),
    }


def _verification_reply_view(
    request: AuthenticatedRequest, pk: int, verification_pk: int, *, correcting: bool
) -> HttpResponse:
    candidate, item = _verification(request, pk, verification_pk)
    if (item.state != "answered") if correcting else not item.is_open:
        messages.warning(request, _("Yêu cầu thẩm tra này đã thay đổi; xem lại tình trạng trên trang."))
        return redirect("candidate_detail", pk=candidate.pk)
    initial = {}
    if correcting:
        fields = ("replied_on", "reply_number", "outcome", "issue_political", "issue_compliance", "issue_ethics")
        initial = {name: getattr(item, name) for name in (*fields, "findings")}
    form = forms.VerificationReplyForm(
        request.POST or None, request.FILES or None, correcting=correcting, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload, why = data.pop("scan"), data.pop("reason", None)

        def save() -> None:
            services.verification_reply_check(acting_user=request.user, request=item, reason_text=why, **data)
            scan = None
            if upload is not None:
                scan = uploads.scan_upload(
                    acting_user=request.user,
                    candidate=candidate,
                    doc_type="A3",  # the biography and its verification documents
                    uploaded_file=upload,
                    ip_address=client_ip(request),
                )
            if correcting:
                services.verification_reply_correct(
                    acting_user=request.user, request=item, reason_text=why or "", scan=scan, **data
                )
            else:
                services.verification_reply_record(acting_user=request.user, request=item, scan=scan, **data)

        try:
            ok, _result = _run_service(save, _form_errors(form, candidate))
        except uploads.ScanRefused as refused:
            form.add_error("scan", refused.message)
            ok = False
        if ok:
            messages.success(
                request,
                (
                    _("Đã sửa trả lời thẩm tra: %(subject)s.")
                    if correcting
                    else _("Đã ghi nhận trả lời thẩm tra: %(subject)s.")
                )
                % {"subject": item.subject},
            )
            return redirect("candidate_detail", pk=candidate.pk)
    title = _("Sửa trả lời thẩm tra lý lịch") if correcting else _("Ghi nhận trả lời thẩm tra lý lịch")
    return render(
        request,
        "admission/form.html",
        {"form": form, "title": title, "candidate": candidate, "rule": "HD06 3.4", "intro": _verification_intro(item)},
    )


@login_required
def verification_reply(request: AuthenticatedRequest, pk: int, verification_pk: int) -> HttpResponse:
    return _verification_reply_view(request, pk, verification_pk, correcting=False)


@login_required
def verification_correct(request: AuthenticatedRequest, pk: int, verification_pk: int) -> HttpResponse:
    return _verification_reply_view(request, pk, verification_pk, correcting=True)


@login_required
def verification_cancel(request: AuthenticatedRequest, pk: int, verification_pk: int) -> HttpResponse:
    candidate, item = _verification(request, pk, verification_pk)
    if not item.is_open:
        messages.warning(request, _("Yêu cầu thẩm tra này đã thay đổi; xem lại tình trạng trên trang."))
        return redirect("candidate_detail", pk=candidate.pk)
    form = forms.VerificationCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, _result = _run_service(
            lambda: services.verification_cancel(
                acting_user=request.user, request=item, reason_text=form.cleaned_data["reason"]
            ),
            _form_errors(form, candidate),
        )
        if ok:
            messages.success(request, _("Đã hủy yêu cầu thẩm tra: %(subject)s.") % {"subject": item.subject})
            return redirect("candidate_detail", pk=candidate.pk)
    return render(
        request,
        "admission/form.html",
        {
            "form": form,
            "title": _("Hủy yêu cầu thẩm tra lý lịch"),
            "candidate": candidate,
            "intro": _verification_intro(item),
        },
    )


def _open_verification_links(candidate: Candidate) -> list[tuple[str, str]]:
    """The reply form of each request still awaiting its reply (shown with the verification step)."""
    return [
        (
            _("Ghi nhận trả lời: %(subject)s → %(addressee)s") % {"subject": v.subject, "addressee": v.addressee},
            reverse("verification_reply", args=[candidate.pk, v.pk]),
        )
        for v in candidate.verifications.filter(replied_on__isnull=True, cancelled_on__isnull=True)
    ]


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


def _lang() -> Literal["vi", "en"]:
    return "en" if (get_language() or "vi").startswith("en") else "vi"


def _counts_text(counts: Any) -> str:
    """How a meeting's attendance gives the vote denominator (QĐ294 9.3.2, 9.3.4), in the user's language."""
    return format_reason(explanation(counts), _lang())


def _vote_meetings(request: AuthenticatedRequest, candidate: Candidate) -> list[tuple[Any, str]]:
    """The branch's meetings a vote can be held at, each labelled with its date and how it counts."""
    choices = []
    for meeting, counts in selectors.branch_meetings_for_vote(user=request.user, organisation=candidate.organisation):
        if meeting.attendance_recorded:  # the present count is what the ballots must add up to
            how = _("có mặt %(present)s · %(counts)s") % {"present": counts.present, "counts": _counts_text(counts)}
        else:
            how = _("chưa có điểm danh, nhập số liệu")
        choices.append((meeting, f"{meeting.held_on:%d/%m/%Y} · {how}"))
    return choices


def _roster_day(request: AuthenticatedRequest) -> Any:
    """The meeting day whose official members the form lists: the posted date, else ?on=, else today."""
    raw = (request.POST.get("held_on") if request.method == "POST" else request.GET.get("on")) or ""
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(raw.strip(), pattern).date()  # noqa: DTZ007 - a calendar day, no time
    return timezone.localdate()


@login_required
def meeting_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A branch meeting: attendance of each official member of the branch on the day, the minutes,
    the sympathiser-list decisions. `?on=dd/mm/yyyy` lists the members of that day; `?next=` (a
    page of this site) is where to go after saving (the vote form that asked for the meeting)."""
    organisation = _branch(request, pk)
    if not scope_for(request.user).can_edit(organisation):
        raise PermissionDenied
    open_candidates = list(
        selectors.candidate_list(user=request.user, organisation=organisation).order_by("person__sort_key")
    )
    outstanding = [c for c in open_candidates if c.stage == Stage.S0]
    listed = [c for c in open_candidates if c.stage in {Stage.S1, Stage.S2}]
    day = _roster_day(request)
    roster = list(branch_official_members(user=request.user, organisation=organisation, on=day))
    # Chosen on the board (`?c=`, a bulk action): those outstanding are ticked to be listed; every
    # other one is named with where their act is recorded. Only this branch's open candidates in the
    # user's scope count (`open_candidates`): any other id is dropped without a word.
    chosen = _chosen_ids(request)
    agenda = _agenda_notes([c for c in open_candidates if c.pk in chosen])
    initial: dict[str, Any] = {"held_on": day, **{f"add_{c.pk}": True for c in outstanding if c.pk in chosen}}
    form = forms.MeetingForm(
        request.POST or None, outstanding=outstanding, listed=listed, roster=roster, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        add, keep, remove = form.decisions()
        ok, meeting = _run_service(
            lambda: services.meeting_record(
                acting_user=request.user,
                organisation=organisation,
                held_on=form.cleaned_data["held_on"],
                attendance=form.attendance(),
                official_members=form.cleaned_data.get("official_members"),
                present=form.cleaned_data.get("present"),
                minutes=form.cleaned_data["minutes"],
                add=add,
                keep=keep,
                remove=remove,
            ),
            _form_errors(form),
        )
        if ok:
            messages.success(request, _("Đã lưu biên bản họp chi bộ."))
            _quorum_messages(request, meeting)
            next_url = request.GET.get("next", "")
            if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                return redirect(next_url)
            votes = [note.pk for note in agenda if note.kind == "vote"]
            # The meeting page then links each vote still to record, with this meeting chosen.
            query = f"?{urlencode([('c', pk) for pk in votes])}" if votes else ""
            return redirect(reverse("branch_meeting", args=[meeting.pk]) + query)
    return render(
        request,
        "admission/meeting_form.html",
        {
            "form": form,
            "title": _("Họp chi bộ: điểm danh, biên bản, xét danh sách cảm tình Đảng"),
            "organisation": organisation,
            "roster_day": day,
            "roster": roster,
            "agenda": agenda,
            "chosen": sorted(chosen),
            # The board's button was pressed (`agenda=1`) or ids came, but nobody here was chosen.
            "nobody_chosen": not agenda and ("agenda" in request.GET or bool(request.GET.getlist("c"))),
        },
    )


def _chosen_ids(request: AuthenticatedRequest) -> set[int]:
    """The candidate ids a board's bulk form sent (`?c=`); anything not a plain short number is dropped."""
    return {int(v) for v in request.GET.getlist("c") if v.isascii() and v.isdigit() and len(v) <= 9}


@dataclass(frozen=True)
class AgendaNote:
    """A person chosen on the board for the meeting, and where the branch's act about them is written.

    kind: "add" (outstanding: ticked for the sympathiser list on the form), "review" (on the list:
    kept or removed on the form), "vote" (the branch's vote is due: recorded on the person's vote page
    with the meeting chosen), "step" (the branch's next step, on its own page), "committee" (a
    committee's turn: nothing for the branch to record)."""

    pk: int
    kind: Literal["add", "review", "vote", "step", "committee"]
    name: str
    stage: str
    url: str = ""
    label: str = ""  # the linked step's name, or the body whose turn it is


def _agenda_notes(candidates: list[Candidate]) -> list[AgendaNote]:
    notes = []
    for c in candidates:
        stage = c.stage_enum
        step = STEP_BY_KEY.get(NEXT_STEP.get(stage, ""))
        body = TURN.get(stage)
        kind: Literal["add", "review", "vote", "step", "committee"]
        url, label = "", ""
        if stage == Stage.S0:
            kind = "add"
        elif stage in {Stage.S1, Stage.S2}:
            kind = "review"
        elif step is None or body != Body.BRANCH:
            kind, url = "committee", reverse("candidate_detail", args=[c.pk])
            label = str(BODY_LABELS[body]) if body is not None else ""
        else:
            kind = "vote" if step.kind == "vote" and step.vote == VoteBy.BRANCH else "step"
            url, label = reverse("candidate_step", args=[c.pk, step.key]), str(step.label)
        notes.append(AgendaNote(c.pk, kind, c.person.full_name, stage_label(c.stage), url, label))
    return notes


def _quorum_messages(request: AuthenticatedRequest, meeting: Any) -> None:
    counts = selectors.meeting_counts(meeting, list(meeting.attendance.values_list("status", flat=True)))
    for text in reason_messages(quorum_warnings(counts)):
        messages.warning(request, text)


@login_required
def branch_meetings(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The branch's past meetings, newest first, with their counts."""
    organisation = _branch(request, pk)
    page = Paginator(selectors.branch_meeting_list(user=request.user, organisation=organisation), 50).get_page(
        request.GET.get("page")
    )
    meeting_url = _url_pattern("branch_meeting")
    rows = [
        {
            "meeting": m,
            "url": meeting_url(m.pk),
            "day": m.held_on.strftime("%d/%m/%Y"),
            "denominator": m.denominator,
            "required": Threshold.TWO_THIRDS.required(max(m.denominator, 0)),
            "short": m.denominator > 0 and m.present < Threshold.TWO_THIRDS.required(m.denominator),
        }
        for m in page
    ]
    return render(
        request,
        "admission/branch_meetings.html",
        {
            "organisation": organisation,
            "page": page,
            "rows": rows,
            "can_edit": scope_for(request.user).can_edit(organisation),
        },
    )


def _correction_lines(correction: Any) -> list[str]:
    """What a correction changed, one line per change, in the user's language."""
    status = dict(AttendanceStatus.choices)
    lines = []
    for change in correction.changes:
        kind = change.get("kind")
        if kind == "attendance":
            lines.append(
                _("Điểm danh %(name)s: %(before)s → %(after)s")
                % {
                    "name": change["name"],
                    "before": status.get(change["before"], change["before"]),
                    "after": status.get(change["after"], change["after"]),
                }
            )
        elif kind == "minutes":
            lines.append(_("Sửa biên bản tóm tắt"))
        elif kind == "decision":
            lines.append(
                _("Lý do về %(name)s: “%(before)s” → “%(after)s”")
                % {"name": change["name"], "before": change["before"], "after": change["after"]}
            )
        elif kind == "vote":
            line = _("Biểu quyết về %(name)s: mẫu số %(n0)s → %(n1)s, cần %(r0)s → %(r1)s") % {
                "name": change["name"],
                "n0": change["denominator_before"],
                "n1": change["denominator_after"],
                "r0": change["required_before"],
                "r1": change["required_after"],
            }
            if change.get("needs_correction"):
                line += " · " + _("kết quả đã ghi không còn đúng: cần sửa lại biểu quyết")
            lines.append(line)
    return lines


def _branch_meeting(request: AuthenticatedRequest, pk: int) -> tuple[Any, dict[str, Any]]:
    meeting = selectors.branch_meeting_get(user=request.user, pk=pk)
    context = selectors.branch_meeting_page(user=request.user, meeting=meeting)
    after_next = context["next_meeting"] is not None
    scope = scope_for(request.user)
    context.update(
        meeting=meeting,
        organisation=meeting.organisation,
        can_edit=scope.can_edit(meeting.organisation)
        and services.may_edit_meeting(request.user, meeting, after_next=after_next),
        correcting=after_next,
    )
    return meeting, context


@login_required
def branch_meeting(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One meeting: attendance, the counts and the denominator they give, minutes, list decisions,
    the votes held at it, and the corrections made since."""
    meeting, context = _branch_meeting(request, pk)
    counts = context["counts"]
    context.update(
        explanation=_counts_text(counts),
        warnings=reason_messages(quorum_warnings(counts)),
        corrections=[(c, _correction_lines(c)) for c in context["corrections"]],
        votes_to_record=_votes_to_record(request, meeting, {v.candidate_id for v in context["votes"]}),
    )
    return render(request, "admission/branch_meeting.html", context)


def _votes_to_record(request: AuthenticatedRequest, meeting: Any, voted: set[int]) -> list[AgendaNote]:
    """The people chosen on the board for this meeting (`?c=`, kept by the new-meeting form) whose
    branch vote is still due and not yet recorded at it, each linked to their vote page with this
    meeting chosen and a way back here. Ids outside the user's scope or of another branch are
    dropped without a word (the scoped selector); one query, only when ids came."""
    chosen = _chosen_ids(request) - voted
    if not chosen or not scope_for(request.user).can_edit(meeting.organisation):
        return []
    candidates = (
        selectors.candidate_list(user=request.user, organisation=meeting.organisation)
        .filter(pk__in=chosen)
        .order_by("person__sort_key", "pk")
    )
    back = f"{reverse('branch_meeting', args=[meeting.pk])}?{urlencode([('c', pk) for pk in sorted(chosen)])}"
    query = urlencode({"meeting": meeting.pk, "next": back})
    return [replace(n, url=f"{n.url}?{query}") for n in _agenda_notes(list(candidates)) if n.kind == "vote"]


@login_required
def branch_meeting_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Edit a meeting until the branch's next one; then correct it with a reason (kept with the change)."""
    meeting, context = _branch_meeting(request, pk)
    if not context["can_edit"]:
        raise PermissionDenied
    form = forms.MeetingEditForm(
        request.POST or None,
        attendance=context["attendance"],
        decisions=context["decisions"],
        minutes=meeting.minutes,
        correcting=context["correcting"],
    )
    if request.method == "POST" and form.is_valid():
        ok, correction = _run_service(
            lambda: services.meeting_update(
                acting_user=request.user,
                meeting=meeting,
                attendance=form.attendance(),
                minutes=form.cleaned_data["minutes"],
                decision_reasons=form.decision_reasons(),
                reason_text=form.cleaned_data["reason"],
            ),
            _form_errors(form),
        )
        if ok:
            if correction is None:
                messages.info(request, _("Không có thay đổi nào."))
            else:
                messages.success(request, _("Đã lưu thay đổi của cuộc họp."))
                for line in _correction_lines(correction):
                    messages.info(request, line)
                meeting.refresh_from_db()
                _quorum_messages(request, meeting)
            return redirect("branch_meeting", pk=meeting.pk)
    context.update(form=form, title=_("Sửa cuộc họp chi bộ ngày %(day)s") % {"day": f"{meeting.held_on:%d/%m/%Y}"})
    return render(request, "admission/meeting_form.html", context)


# The sections of the approvals page: the form of each act and the service that records it.
APPROVAL_FORMS: dict[str, type[Any]] = {
    "facts": forms.BranchFactsForm,
    "political": forms.PoliticalIssueForm,
    "extension": forms.ExtensionForm,
    "consent": forms.ConsentForm,
    "withdraw": forms.ConsentWithdrawForm,
}


def _record_approval(user: User, candidate: Candidate, act: str, data: dict[str, Any]) -> Any:
    if act in {"facts", "political", "extension"}:
        return services.candidate_update_flags(acting_user=user, candidate=candidate, **data)
    if act == "consent":
        return services.consent_record(acting_user=user, candidate=candidate, **data)
    return services.consent_withdraw(acting_user=user, candidate=candidate, **data)


@login_required
def candidate_flags(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Approvals, exceptions and the extension: each user sees and changes only the acts their body
    owns (services.approvals); the others are shown read-only. A section posted by someone else's
    body is refused by the service with its reason, shown on that section's form."""
    candidate = Candidate.objects.select_related("organisation", "person").get(pk=_editable_candidate(request, pk).pk)
    user = request.user
    consents = list(candidate.consents.select_related("recorded_by", "withdrawn_by").order_by("-recorded_at", "-pk"))
    in_force = [c for c in consents if c.withdrawn_at is None]
    owns = {
        "facts": True,
        "political": not candidate.political_issue_unresolved or services.may_clear_political_issue(user, candidate),
        "extension": services.may_extend_deadline(user, candidate),
        "consent": services.may_record_consent(user, candidate),
    }
    owns["withdraw"] = owns["consent"] and bool(in_force)
    initial: dict[str, dict[str, Any]] = {
        "facts": {name: getattr(candidate, name) for name in services.BRANCH_FLAGS},
        "political": {"political_issue_unresolved": candidate.political_issue_unresolved},
        "extension": {"deadline_extended": candidate.deadline_extended},
        "consent": {"granted_on": timezone.localdate()},
        "withdraw": {"kind": in_force[0].kind if in_force else None},
    }
    act = request.POST.get("act", "") if request.method == "POST" else ""
    sections: dict[str, Any] = {
        key: form_class(initial=initial[key]) for key, form_class in APPROVAL_FORMS.items() if owns[key]
    }
    if act in APPROVAL_FORMS:
        posted = APPROVAL_FORMS[act](request.POST)
        sections[act] = posted  # shown with its refusal even when the section is not the user's
        if posted.is_valid():
            ok, _result = _run_service(
                lambda: _record_approval(user, candidate, act, posted.cleaned_data), _form_errors(posted)
            )
            if ok:
                messages.success(request, _("Đã lưu."))
                return redirect("candidate_detail", pk=candidate.pk)
    return render(
        request,
        "admission/candidate_flags.html",
        {
            "candidate": candidate,
            "sections": sections,
            "consents": consents,
            "in_force": in_force,
            "title": _("Phê duyệt, ngoại lệ, gia hạn"),
        },
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
    # A copy of the account for the form (a rejected POST must not change request.user), read with
    # the login in this request (admission.backends); its calendar token is the one shown below.
    account = copy.copy(request.user)
    token = account.calendar_token
    form = forms.PreferencesForm(request.POST or None, instance=account)
    if request.method == "POST":
        if "calendar" in request.POST:
            services.calendar_token_set(acting_user=request.user, enable=request.POST["calendar"] == "on")
            messages.success(request, _("Đã cập nhật liên kết lịch."))
            return redirect("preferences")
        if form.is_valid():
            account = form.save()
            # In the language just chosen: the next page is shown in it (UserLanguageMiddleware).
            with override(account.preferred_language or "vi"):
                messages.success(request, _("Đã lưu."))
            return redirect("preferences")
    feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[token])) if token else ""
    return render(request, "admission/preferences.html", {"form": form, "feed_url": feed_url})


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's meetings and deadlines as iCalendar; the secret token is the only credential."""
    user = User.objects.filter(calendar_token=token, is_active=True).exclude(calendar_token="").first()
    if user is None or len(token) < 20:
        raise Http404
    base = settings.TRACKER_BASE_URL.rstrip("/")
    candidate_url = _url_pattern("candidate_detail")
    body = selectors.calendar_ics(
        user=user, today=timezone.localdate(), candidate_url=lambda pk: f"{base}{candidate_url(pk)}"
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _expected_text(candidate: Candidate, committee: Any) -> str:
    """What the committee is expected to record on a dossier of its queue: the act, or the rulings
    it chooses between (deadlock, annulment)."""
    rulings = selectors.EXPECTED_RULINGS.get(candidate.stage_enum)
    if rulings:
        return _(" hoặc ").join(str(STEP_BY_KEY[key].label) for key in rulings)
    step = selectors.expected_act(candidate, committee)
    return str(step.label) if step is not None else ""


@login_required
def committee_queue(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The dossiers waiting for one committee, overdue first (the committee review queue)."""
    committee = organisation_get(user=request.user, pk=pk)
    if committee.is_branch:
        raise Http404
    today = timezone.localdate()
    queue = ReviewQueueFilter(
        request.GET or None, queryset=selectors.review_queue(user=request.user, committee=committee)
    )
    page = Paginator(queue.qs, 50).get_page(request.GET.get("page"))
    calendar = calendar_for(committee)
    lang = "en" if (get_language() or "vi").startswith("en") else "vi"
    review_url = _url_pattern("dossier_review")
    # Links, stage labels and dates computed here once per row rather than by template tags and filters.
    rows = [
        {
            "candidate": c,
            "url": review_url(c.pk),
            "stage_label": STAGE_INFO[c.stage_enum].label_en if lang == "en" else STAGE_INFO[c.stage_enum].label_vi,
            "expected": _expected_text(c, committee),
            "due": c.next_due_on.strftime("%d/%m/%Y") if c.next_due_on else "—",
            "waited": calendar.working_days_between(c.stage_entered_on, today),
            "left": abs(calendar.working_days_between(today, c.next_due_on)) if c.next_due_on else None,
            "overdue": c.next_due_on is not None and c.next_due_on < today,
        }
        for c in page
    ]
    return render(
        request, "admission/queue.html", {"committee": committee, "filter": queue, "page": page, "rows": rows}
    )


# --- Committee review: dossier page, return, resubmit, meetings --------------------------------


def _review_context(request: AuthenticatedRequest, candidate: Candidate) -> dict[str, Any]:
    """Everything the dossier review page shows, and what this user may do on it."""
    today = timezone.localdate()
    context: dict[str, Any] = selectors.dossier_review(candidate=candidate, today=today)
    committee = services.due_committee(candidate)
    can_act = committee is not None and scope_for(request.user).acts_for_committee(committee.id)
    calendar = context.pop("calendar")
    context.update(
        candidate=candidate,
        committee=committee,
        can_act=can_act,
        can_edit=scope_for(request.user).can_edit(candidate.organisation),
        steps=_steps_for_user(request, candidate) if can_act else [],
        can_return=can_act and candidate.stage_enum in RETURN_TARGET,
        flag_messages=reason_messages(context["flags"]),
        waited=calendar.working_days_between(candidate.stage_entered_on, today),
        overdue=candidate.next_due_on is not None and candidate.next_due_on < today,
        days_left=(abs(calendar.working_days_between(today, candidate.next_due_on)) if candidate.next_due_on else None),
    )
    for document in context["documents"]:
        document.messages = reason_messages(document.problems)
    context.update(upload_views.scans_context(candidate=candidate, scans=context.pop("scans")))
    context.update(
        document_views.documents_context(
            candidate=candidate,
            user=request.user,
            documents=context.pop("generated_documents"),
            can_generate=context["can_edit"],
        )
    )
    return context


@login_required
def dossier_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The committee's review of one dossier; a POST returns it to the branch with reasons."""
    candidate = selectors.candidate_get(user=request.user, pk=pk)
    _audit_view(request, candidate, "dossier review")
    context = _review_context(request, candidate)
    codes = [d.code for d in context["documents"]]
    form = forms.DossierReturnForm(request.POST or None, document_codes=codes)
    if request.method == "POST":
        if not context["can_return"]:
            raise PermissionDenied
        if form.is_valid():
            ok, _result = _run_service(
                lambda: services.dossier_return(
                    acting_user=request.user,
                    candidate=candidate,
                    note=form.cleaned_data["note"],
                    documents=form.documents(),
                ),
                _form_errors(form, candidate),
            )
            if ok:
                messages.success(request, _("Đã trả hồ sơ về chi bộ. Chi bộ đã được thông báo."))
                return redirect("dossier_review", pk=candidate.pk)
    context["return_form"] = form
    context["labels"] = dict(DocumentType.choices)
    return render(request, "admission/dossier_review.html", context)


@login_required
def dossier_resubmit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The branch sends a returned dossier up again (POST only)."""
    if request.method != "POST":
        raise Http404
    candidate = _editable_candidate(request, pk)
    ok, _result = _run_service(
        lambda: services.dossier_resubmit(
            acting_user=request.user, candidate=candidate, note=request.POST.get("note", "")
        ),
        lambda text: messages.error(request, text),
    )
    if ok:
        messages.success(request, _("Đã gửi lại hồ sơ lên cấp trên."))
    return redirect("candidate_detail", pk=candidate.pk)


def _committee(request: AuthenticatedRequest, pk: int) -> Any:
    committee = organisation_get(user=request.user, pk=pk)
    if committee.is_branch:
        raise Http404
    return committee


@login_required
def committee_meetings(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A committee's meetings, and a new one with the dossiers of its queue on the agenda."""
    committee = _committee(request, pk)
    can_act = scope_for(request.user).acts_for_committee(committee.pk)
    queue = selectors.review_queue(user=request.user, committee=committee)
    form = forms.CommitteeMeetingForm(
        request.POST or None, queue=queue, initial={"candidates": list(queue.values_list("pk", flat=True)[:200])}
    )
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied
        if form.is_valid():
            ok, meeting = _run_service(
                lambda: services.committee_meeting_create(
                    acting_user=request.user,
                    committee=committee,
                    held_on=form.cleaned_data["held_on"],
                    title=form.cleaned_data["title"],
                    candidates=list(form.cleaned_data["candidates"]),
                ),
                _form_errors(form),
            )
            if ok:
                messages.success(request, _("Đã lập chương trình họp."))
                return redirect("committee_meeting", pk=meeting.pk)
    meetings = selectors.committee_meeting_list(user=request.user, committee=committee)[:50]
    return render(
        request,
        "admission/committee_meetings.html",
        {"committee": committee, "meetings": meetings, "form": form, "can_act": can_act},
    )


@login_required
def committee_meeting(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The printable agenda of a meeting and the outcome per dossier."""
    meeting = selectors.committee_meeting_get(user=request.user, pk=pk)
    can_act = scope_for(request.user).acts_for_committee(meeting.committee_id)
    items = selectors.agenda_items(user=request.user, meeting=meeting)
    form = forms.AgendaOutcomeForm(request.POST or None, items=items)
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied
        if form.is_valid():
            ok, changed = _run_service(
                lambda: services.agenda_outcomes_record(
                    acting_user=request.user, meeting=meeting, outcomes=form.outcomes()
                ),
                _form_errors(form),
            )
            if ok:
                messages.success(request, _("Đã lưu kết quả xét (%(n)s hồ sơ thay đổi).") % {"n": changed})
                return redirect("committee_meeting", pk=meeting.pk)
    return render(
        request,
        "admission/committee_meeting.html",
        {"meeting": meeting, "committee": meeting.committee, "form": form, "can_act": can_act},
    )
