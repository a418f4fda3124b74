"""The reminder schedule of the pipeline: kept by every stage transition, in its transaction.

Each transition recomputes `Candidate.next_reminder_at` from the pure schedule
(`admission.domain.reminders`) and writes the in-app notifications of returns, approvals and
decisions (architecture C.1). This is part of the pipeline core because the transition itself
must keep it; the sweep that sends what falls due is the reminders feature (`admission.reminders`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from admission import dates as date_rules
from admission.domain.calendar import WorkingCalendar
from admission.domain.deadlines import ComputedDate, verification_reply_deadline
from admission.domain.reminders import (
    DEADLINE_LEADS,
    PROBATION_LEADS,
    VERIFICATION_LEADS,
    LeadTimes,
    ReminderKind,
    next_occurrence,
)
from admission.domain.rules import RuleBook
from admission.domain.stages import STAGE_INFO, Stage
from admission.models import (
    Candidate,
    CandidateTransfer,
    MentorComment,
    MentorCommentKind,
    Mentorship,
    Notification,
    ReminderSettings,
    StageTransition,
    VerificationRequest,
)
from admission.workflow import TURN, VALIDITY_ONLY_STAGES, Body, body_committee, turn_of
from members.authority import OrgNode
from members.models import BRANCH_ROLES, Organisation, Role, RoleAssignment, User
from members.selectors import organisation_authority

REMINDER_HOUR = 7  # local time at which a day's reminders become due
# Transitions the secretary and mentor are told about at once.
NOTIFIED_TRANSITIONS = {
    (Stage.S8A, Stage.S8): "returned",
    (Stage.S9, Stage.S8): "returned",
    (Stage.S10, Stage.S8): "returned",
    (Stage.S8, Stage.S9): "approved",
    (Stage.S8A, Stage.S9): "approved",
    (Stage.S9, Stage.S10): "approved",
    (Stage.S9, Stage.S11): "decided",
    (Stage.S10, Stage.S11): "decided",
    (Stage.S16, Stage.S17): "decided",
    # The result, yes or no, is notified to the proposing branch (QĐ294 4.3.1).
    (Stage.S10, Stage.S1): "refused",
    (Stage.S9, Stage.S1): "refused",  # by a delegated grassroots committee, the deciding body
    (Stage.S16, Stage.SY): "escalated",  # three failed grassroots resolutions (QĐ294 4.2.3)
    (Stage.S15, Stage.SY): "escalated",
    **{(stage, Stage.SX): "decided" for stage in (Stage.S13, Stage.S14, Stage.S15, Stage.S16, Stage.SY)},
}
STAGE_CHANGE_TEXT = {
    "returned": (
        "Hồ sơ của {name} đã bị trả về chi bộ: {note}",
        "The dossier of {name} was returned to the branch: {note}",
    ),
    "approved": (
        "Hồ sơ của {name} đã được chuyển lên cấp trên ({stage_vi})",
        "The dossier of {name} moved up ({stage_en})",
    ),
    "decided": ("Đã có quyết định đối với {name}: {stage_vi}", "A decision was issued for {name}: {stage_en}"),
    "escalated": (
        "Hồ sơ của {name} đã được báo cáo cấp trên sau 3 lần biểu quyết không đạt: {note}",
        "The dossier of {name} was reported to the committees above after three failed votes: {note}",
    ),
    "refused": (
        "Cấp ủy có thẩm quyền quyết định không kết nạp {name}, trở lại danh sách cảm tình Đảng: {note}",
        "The competent committee decided not to admit {name}, back on the sympathiser list: {note}",
    ),
}


@dataclass(frozen=True)
class Plan:
    kind: ReminderKind
    target: dt.date
    leads: LeadTimes
    label_vi: str
    label_en: str


@dataclass(frozen=True)
class Leads:
    probation: LeadTimes = PROBATION_LEADS
    deadline: LeadTimes = DEADLINE_LEADS


def reminder_plan(
    candidate: Candidate, *, calendar: WorkingCalendar, rulebook: RuleBook, leads: Leads | None = None
) -> Plan | None:
    """What to remind about for the step in progress, if anything (the legal date that bounds it)."""
    stage = candidate.stage_enum
    dates = date_rules.candidate_dates(
        candidate, calendar=calendar, rulebook=rulebook, only=date_rules.stage_deadline_names(stage) | {"probation_end"}
    )
    info = STAGE_INFO[stage]
    leads = leads or Leads()
    if stage == Stage.S13 and dates.probation_end is not None:
        return Plan(
            ReminderKind.PROBATION, dates.probation_end.day, leads.probation, "hết thời kỳ dự bị", "end of probation"
        )
    if stage in VALIDITY_ONLY_STAGES:
        return None  # validity dates are shown on the board and in the monthly review
    deadline = date_rules.stage_deadline(stage, dates)
    if deadline is None:
        return None
    return Plan(ReminderKind.DEADLINE, deadline.day, leads.deadline, info.label_vi.lower(), info.label_en.lower())


def due_at(day: dt.date, now: dt.datetime) -> dt.datetime:
    moment = dt.datetime.combine(day, dt.time(REMINDER_HOUR), tzinfo=timezone.get_current_timezone())
    return max(moment, now) if day <= timezone.localdate(now) else moment


def candidate_schedule_reminder(
    *,
    candidate: Candidate,
    transition: StageTransition | None,
    now: dt.datetime,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> None:
    """Set the candidate's next reminder for a new stage visit (called inside the transition's transaction).

    Occurrences already past are skipped (no backfill blast for imported or late-recorded data).
    """
    plan = reminder_plan(
        candidate,
        calendar=calendar,
        rulebook=rulebook,
        leads=leads_for([candidate.organisation])[candidate.organisation_id],
    )
    occurrence = next_occurrence(plan.target, plan.leads, today=timezone.localdate(now)) if plan else None
    candidate.next_reminder_at = due_at(occurrence.day, now) if occurrence else None
    candidate.reminder_sequence = occurrence.sequence if occurrence else None
    if transition is not None:
        candidate.stage_transition = transition
    Candidate.objects.filter(pk=candidate.pk).update(
        next_reminder_at=candidate.next_reminder_at,
        reminder_sequence=candidate.reminder_sequence,
        stage_transition=candidate.stage_transition,
    )


def verification_reply_due(
    request: VerificationRequest, *, calendar: WorkingCalendar, rulebook: RuleBook
) -> ComputedDate:
    """When the addressee must reply: 30 WD in Vietnam, 90 WD abroad, from receipt (T3, HD06 3.4d)."""
    return verification_reply_deadline(
        request_received_date=request.received_on,
        abroad=request.abroad,
        calendar=calendar,
        rules=rulebook.for_date(request.received_on),
    )


def verification_schedule_reminder(
    request: VerificationRequest, *, now: dt.datetime, calendar: WorkingCalendar, rulebook: RuleBook
) -> None:
    """Set (unsaved) the request's next reply-deadline reminder: the first occurrence from today
    on (VERIFICATION_LEADS; none already past is sent), or none once it is answered or cancelled."""
    if not request.is_open:
        request.next_reminder_at, request.reminder_sequence = None, None
        return
    target = verification_reply_due(request, calendar=calendar, rulebook=rulebook).day
    occurrence = next_occurrence(target, VERIFICATION_LEADS, today=timezone.localdate(now))
    request.next_reminder_at = due_at(occurrence.day, now)
    request.reminder_sequence = occurrence.sequence


def transition_notify(*, candidate: Candidate, transition: StageTransition, now: dt.datetime) -> None:
    """In-app notifications (and tomorrow's digest): the branch and mentors hear of returns,
    approvals and decisions; a committee's staff hear that a dossier reached them or came back."""
    stage = Stage(transition.to_stage)
    info = STAGE_INFO[stage]
    params = {
        "name": candidate.person.full_name,
        "branch": candidate.organisation.name,
        "note": transition.note or "—",
        "stage_vi": info.label_vi,
        "stage_en": info.label_en,
    }
    committee = _new_committee(candidate, transition)
    if committee is not None:
        texts = RESUBMITTED_TEXT if transition.basis.startswith("Return ") else ARRIVAL_TEXT
        users = staff_users([committee.id])[committee.id]
        _stage_notes(candidate, transition, f"arrived:{transition.pk}", users, texts, params, now)
    what = NOTIFIED_TRANSITIONS.get((Stage(transition.from_stage), stage))
    if what is not None:
        users = (
            branch_users({candidate.organisation_id})[candidate.organisation_id]
            | mentor_users([candidate.pk])[candidate.pk]
        )
        _stage_notes(candidate, transition, f"stage:{transition.pk}", users, STAGE_CHANGE_TEXT[what], params, now)


def chain_notify(*, candidate: Candidate, act_key: str, now: dt.datetime) -> None:
    """After an act recorded within the stage (workflow.CHAIN: the sub-committee's appraisal of a
    recognition resolution), the staff of the committee whose turn it now is hear that the dossier
    reached them, as after a transition."""
    authority = organisation_authority(organisation=candidate.organisation)
    committee = body_committee(turn_of(candidate, authority), authority)
    if committee is None:
        return
    info = STAGE_INFO[candidate.stage_enum]
    params = {
        "name": candidate.person.full_name,
        "branch": candidate.organisation.name,
        "note": "—",
        "stage_vi": info.label_vi,
        "stage_en": info.label_en,
    }
    users = staff_users([committee.id])[committee.id]
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                key=f"arrived:{act_key}",
                kind=Notification.Kind.STAGE_CHANGE,
                organisation_id=candidate.organisation_id,
                candidate=candidate,
                text_vi=ARRIVAL_TEXT[0].format(**params)[:300],
                text_en=ARRIVAL_TEXT[1].format(**params)[:300],
                created_at=now,
            )
            for user_id in users
        ],
        ignore_conflicts=True,
    )


ARRIVAL_TEXT = (
    "Hồ sơ của {name} ({branch}) đã chuyển đến, chờ cấp ủy xử lý: {stage_vi}",
    "The dossier of {name} ({branch}) has reached you: {stage_en}",
)
RESUBMITTED_TEXT = (
    "Chi bộ đã nộp lại hồ sơ của {name} ({branch}): {stage_vi}",
    "The branch resubmitted the dossier of {name} ({branch}): {stage_en}",
)


TRANSFER_IN_TEXT = (
    "{name} chuyển sinh hoạt đến chi bộ từ {origin} ngày {day} ({stage_vi}): {note}",
    "{name} moved to your branch from {origin} on {day} ({stage_en}): {note}",
)
TRANSFER_OUT_TEXT = (
    "{name} đã chuyển sinh hoạt đến {destination} ngày {day}",
    "{name} moved to {destination} on {day}",
)
TRANSFER_COMMITTEE_TEXT = (
    "Hồ sơ của {name} chuyển đến {destination} ngày {day}, chờ cấp ủy xử lý: {stage_vi}",
    "The dossier of {name} moved to {destination} on {day} and awaits you: {stage_en}",
)


def transfer_notify(
    *, candidate: Candidate, transfer: CandidateTransfer, tell_committee: bool, now: dt.datetime
) -> None:
    """In-app notices of a transfer (HD06 3.9): the destination branch's secretaries and deputies,
    the sending branch's (each notice under its branch, which they still read), and, when asked,
    the staff of the committee whose turn it now is at the destination."""
    stage = Stage(transfer.stage_after)
    info = STAGE_INFO[stage]
    params = {
        "name": candidate.person.full_name,
        "origin": transfer.from_organisation.name,
        "destination": transfer.to_organisation.name,
        "day": transfer.on_date.strftime("%d/%m/%Y"),
        "note": transfer.note,
        "stage_vi": info.label_vi,
        "stage_en": info.label_en,
    }
    rows: list[tuple[int, str, int, tuple[str, str]]] = []  # (user, key, organisation, texts)
    destination, origin = transfer.to_organisation_id, transfer.from_organisation_id
    rows += [
        (u, f"transfer-in:{transfer.pk}", destination, TRANSFER_IN_TEXT)
        for u in branch_users([destination])[destination]
    ]
    rows += [(u, f"transfer-out:{transfer.pk}", origin, TRANSFER_OUT_TEXT) for u in branch_users([origin])[origin]]
    body = TURN.get(stage, Body.BRANCH)
    committee = body_committee(body, organisation_authority(organisation=candidate.organisation))
    if tell_committee and committee is not None:
        key = f"transfer-committee:{transfer.pk}"
        rows += [(u, key, destination, TRANSFER_COMMITTEE_TEXT) for u in staff_users([committee.id])[committee.id]]
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                key=key,
                kind=Notification.Kind.STAGE_CHANGE,
                organisation_id=organisation_id,
                candidate=candidate,
                transition=transfer.transition,
                text_vi=texts[0].format(**params)[:300],
                text_en=texts[1].format(**params)[:300],
                created_at=now,
            )
            for user_id, key, organisation_id, texts in rows
        ],
        ignore_conflicts=True,
    )


FORWARD_TEXT = (
    "{name} đã chuyển sinh hoạt đến {destination} ngày {day}: chuyển hồ sơ đến cấp ủy nơi đến trước ngày "
    "{due} (15 ngày làm việc, HD06 3.9b)",
    "{name} moved to {destination} on {day}: forward the dossier to the destination's committee by {due} "
    "(15 working days, HD06 3.9b)",
)


def forward_notify(
    *, candidate: Candidate, transfer: CandidateTransfer, committee_id: int, due: dt.date, now: dt.datetime
) -> None:
    """Remind the old place's competent committee that it forwards the dossier of a candidate who moved
    after it went up, with the day it is due (T11, HD06 3.9b); under its own organisation, which its
    staff read (the candidate's page is the destination's now)."""
    params = {
        "name": candidate.person.full_name,
        "destination": transfer.to_organisation.name,
        "day": transfer.on_date.strftime("%d/%m/%Y"),
        "due": due.strftime("%d/%m/%Y"),
    }
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                key=f"transfer-forward:{transfer.pk}",
                kind=Notification.Kind.STAGE_CHANGE,
                organisation_id=committee_id,
                candidate=candidate,
                transition=transfer.transition,
                text_vi=FORWARD_TEXT[0].format(**params)[:300],
                text_en=FORWARD_TEXT[1].format(**params)[:300],
                created_at=now,
            )
            for user_id in staff_users([committee_id])[committee_id]
        ],
        ignore_conflicts=True,
    )


def _new_committee(candidate: Candidate, transition: StageTransition) -> OrgNode | None:
    """The committee whose turn the transition makes it (workflow.TURN), if another holds it now."""
    authority = organisation_authority(organisation=candidate.organisation)
    body = turn_of(candidate, authority)  # the candidate as the transition left it
    if body == Body.BRANCH or TURN.get(Stage(transition.from_stage)) == body:
        return None  # the branch's turn, or the same committee still holds it
    return body_committee(body, authority)


def _stage_notes(
    candidate: Candidate,
    transition: StageTransition,
    key: str,
    users: Iterable[int],
    texts: tuple[str, str],
    params: dict[str, str],
    now: dt.datetime,
) -> None:
    """One in-app notification of the transition per user (unique key: a re-run adds none)."""
    vi, en = texts
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                key=key,
                kind=Notification.Kind.STAGE_CHANGE,
                organisation_id=candidate.organisation_id,
                candidate=candidate,
                transition=transition,
                text_vi=vi.format(**params)[:300],
                text_en=en.format(**params)[:300],
                created_at=now,
            )
            for user_id in users
        ],
        ignore_conflicts=True,
    )


# --- Recipients: one query each for a whole batch ------------------------------------------


# Active users holding one of the roles on each organisation, by one index probe per organisation
# (PostgreSQL): LATERAL … OFFSET 0 keeps the planner from the plan it chose for `organisation_id IN
# (…)` with a sweep's batch of 1,000 branches, a scan of the whole role table (300,000 rows with a
# secretary in every branch) once per batch.
_USERS_WITH_ROLES_SQL = """
SELECT o.id, a.user_id
FROM unnest(%(organisations)s::bigint[]) AS o(id) CROSS JOIN LATERAL (
    SELECT a.user_id FROM {roles} a JOIN {users} u ON u.id = a.user_id
    WHERE a.organisation_id = o.id AND a.role = ANY(%(roles)s) AND a.active AND u.is_active
    OFFSET 0
) a
"""


def users_with_roles(organisation_ids: Iterable[int], roles: Iterable[str]) -> defaultdict[int, set[int]]:
    """Active users holding one of `roles` on each organisation (one query)."""
    found: defaultdict[int, set[int]] = defaultdict(set)
    ids, wanted = sorted(set(organisation_ids)), sorted(str(role) for role in roles)
    if not ids:
        return found
    if connection.vendor == "postgresql":
        sql = _USERS_WITH_ROLES_SQL.format(roles=RoleAssignment._meta.db_table, users=User._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(sql, {"organisations": ids, "roles": wanted})
            rows: Iterable[tuple[int, int]] = cursor.fetchall()
    else:
        rows = RoleAssignment.objects.filter(
            organisation_id__in=ids, role__in=wanted, active=True, user__is_active=True
        ).values_list("organisation_id", "user_id")
    for org_id, user_id in rows:
        found[org_id].add(user_id)
    return found


def branch_users(organisation_ids: Iterable[int]) -> defaultdict[int, set[int]]:
    return users_with_roles(organisation_ids, BRANCH_ROLES)


def staff_users(organisation_ids: Iterable[int]) -> defaultdict[int, set[int]]:
    return users_with_roles(organisation_ids, [Role.COMMITTEE_STAFF])


def mentor_users(candidate_ids: Iterable[int]) -> defaultdict[int, set[int]]:
    found: defaultdict[int, set[int]] = defaultdict(set)
    for candidate_id, user_id in Mentorship.objects.filter(
        candidate_id__in=list(candidate_ids), ended_on__isnull=True, member__person__account__isnull=False
    ).values_list("candidate_id", "member__person__account"):
        found[candidate_id].add(user_id)
    return found


def mentors_signed_end_comment(candidate_ids: Iterable[int]) -> defaultdict[int, set[int]]:
    """The users whose signed end-of-probation comment each candidate has (HD06 4.3): they owe
    nothing more, so the end-of-probation reminder no longer goes to them (docs/decisions.md)."""
    found: defaultdict[int, set[int]] = defaultdict(set)
    for candidate_id, user_id in MentorComment.objects.filter(
        candidate_id__in=list(candidate_ids),
        kind=MentorCommentKind.END_OF_PROBATION,
        signed=True,
        mentor__person__account__isnull=False,
    ).values_list("candidate_id", "mentor__person__account"):
        found[candidate_id].add(user_id)
    return found


def leads_for(organisations: Iterable[Organisation]) -> dict[int, Leads]:
    """Each organisation's lead times: its nearest ancestor's ReminderSettings (one query)."""
    orgs = {o.pk: o for o in organisations}
    ancestors = {pk: o.ancestor_ids() for pk, o in orgs.items()}
    settings_by_org = {
        s.organisation_id: s
        for s in ReminderSettings.objects.filter(organisation_id__in={i for ids in ancestors.values() for i in ids})
    }
    found = {}
    for pk, ids in ancestors.items():
        nearest = next((settings_by_org[i] for i in reversed(ids) if i in settings_by_org), None)
        found[pk] = Leads(*nearest.lead_times()) if nearest else Leads()  # type: ignore[arg-type]
    return found


def mentor_review_cadences(organisations: Iterable[Organisation]) -> dict[int, str]:
    """Each organisation's periodic mentor-review cadence (domain.mentor_reviews.Cadence): its nearest
    ancestor's ReminderSettings, like the lead times; "" (off) without any (one query)."""
    ancestors = {o.pk: o.ancestor_ids() for o in organisations}
    cadence_by_org = dict(
        ReminderSettings.objects.filter(organisation_id__in={i for ids in ancestors.values() for i in ids}).values_list(
            "organisation_id", "mentor_review_cadence"
        )
    )
    return {
        pk: next((cadence_by_org[i] for i in reversed(ids) if i in cadence_by_org), "") for pk, ids in ancestors.items()
    }


def next_meeting_reminder(organisation: Organisation, after: dt.date) -> dt.date:
    """Two days before the branch's monthly meeting day (default the 5th), on or after `after`."""
    return meeting_reminder_day(organisation.meeting_day, after)


def meeting_reminder_day(meeting_day: int, after: dt.date) -> dt.date:
    day = min(meeting_day, 28)
    candidate = dt.date(after.year, after.month, day) - dt.timedelta(days=2)
    if candidate < after:
        year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
        candidate = dt.date(year, month, day) - dt.timedelta(days=2)
    return candidate
