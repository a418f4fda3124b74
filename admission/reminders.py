"""Reminder and notification services (architecture C): writes that keep deadlines from being missed.

1. Every stage transition recomputes `Candidate.next_reminder_at` from the pure schedule
   (`admission.domain.reminders`) and records notifications of committee returns/decisions.
2. `reminders_dispatch_due(now)` (beat, every 5 minutes, and `manage.py send_due_reminders`)
   claims due candidates and branches in batches (FOR UPDATE SKIP LOCKED), writes one
   Notification per recipient with a unique key, and advances each to its next occurrence.
3. `digests_dispatch_due(now)` creates at most one DigestDelivery per user and day and enqueues
   its send after commit; `digest_send(delivery_id)` claims it, re-checks the world and sends
   outside any transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.db import connection, transaction
from django.db.models import Count, F, Field, Model, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from django.utils import timezone

from admission import dates as date_rules
from admission.domain.calendar import WorkingCalendar
from admission.domain.reminders import (
    DEADLINE_LEADS,
    PROBATION_LEADS,
    LeadTimes,
    Occurrence,
    ReminderKind,
    current_occurrence,
    next_occurrence,
)
from admission.domain.stages import STAGE_INFO, Stage
from admission.models import (
    BranchReview,
    Candidate,
    DigestDelivery,
    Mentorship,
    Notification,
    ReminderSettings,
    StageTransition,
    TrialTask,
)
from admission.rulebook import RuleBook, calendars_and_rulebooks
from members.models import Organisation, Role, RoleAssignment, User
from members.selectors import scope_for

logger = logging.getLogger(__name__)
_Due = TypeVar("_Due", Candidate, BranchReview)

BATCH_SIZE = 500
# What the sweep reads of a candidate (the dates reminder_plan needs, and the names it shows).
REMINDER_FIELDS = (
    "stage",
    "next_reminder_at",
    "reminder_sequence",
    "stage_transition_id",
    "certificate_issue_date",
    "dossier_start_date",
    "branch_resolution_date",
    "decision_received_date",
    "ceremony_date",
    "recognition_branch_date",
    "deadline_extended",
    "person__full_name",
    "organisation__path",
    "organisation__parent_id",
    "organisation__name",
)
REMINDER_HOUR = 7  # local time at which a day's reminders become due
MAX_SEND_ATTEMPTS = 5
BRANCH_ROLES = (Role.BRANCH_SECRETARY, Role.BRANCH_DEPUTY)
# Steps the committee must act on: its staff are reminded before the deadline, not only after.
COMMITTEE_STAGES = frozenset({Stage.S8A, Stage.S9, Stage.S10, Stage.S16})
# Transitions the secretary and mentor are told about at once (issue 4, "stage changes").
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
    if stage in {Stage.S4, Stage.S5, Stage.S6, Stage.S7, Stage.S8}:
        return None  # validity dates are shown on the board and in the monthly review
    deadline = date_rules.stage_deadline(stage, dates)
    if deadline is None:
        return None
    return Plan(ReminderKind.DEADLINE, deadline.day, leads.deadline, info.label_vi.lower(), info.label_en.lower())


def _due_at(day: dt.date, now: dt.datetime) -> dt.datetime:
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
        leads=_leads_for([candidate.organisation])[candidate.organisation_id],
    )
    occurrence = next_occurrence(plan.target, plan.leads, today=timezone.localdate(now)) if plan else None
    candidate.next_reminder_at = _due_at(occurrence.day, now) if occurrence else None
    candidate.reminder_sequence = occurrence.sequence if occurrence else None
    if transition is not None:
        candidate.stage_transition = transition
    Candidate.objects.filter(pk=candidate.pk).update(
        next_reminder_at=candidate.next_reminder_at,
        reminder_sequence=candidate.reminder_sequence,
        stage_transition=candidate.stage_transition,
    )


def transition_notify(*, candidate: Candidate, transition: StageTransition, now: dt.datetime) -> None:
    """In-app notifications (and tomorrow's digest) for returns, approvals and decisions."""
    what = NOTIFIED_TRANSITIONS.get((Stage(transition.from_stage), Stage(transition.to_stage)))
    if what is None:
        return
    to_stage = STAGE_INFO[Stage(transition.to_stage)]
    vi, en = STAGE_CHANGE_TEXT[what]
    params = {
        "name": candidate.person.full_name,
        "note": transition.note or "—",
        "stage_vi": to_stage.label_vi,
        "stage_en": to_stage.label_en,
    }
    recipients = (
        _branch_users({candidate.organisation_id})[candidate.organisation_id]
        | _mentor_users([candidate.pk])[candidate.pk]
    )
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                key=f"stage:{transition.pk}",
                kind=Notification.Kind.STAGE_CHANGE,
                organisation_id=candidate.organisation_id,
                candidate=candidate,
                transition=transition,
                text_vi=vi.format(**params)[:300],
                text_en=en.format(**params)[:300],
                created_at=now,
            )
            for user_id in recipients
        ],
        ignore_conflicts=True,
    )


# --- Recipients: one query each for a whole batch ------------------------------------------


def _users_with_roles(organisation_ids: Iterable[int], roles: Iterable[str]) -> defaultdict[int, set[int]]:
    """Active users holding one of `roles` on each organisation (one query)."""
    found: defaultdict[int, set[int]] = defaultdict(set)
    for org_id, user_id in RoleAssignment.objects.filter(
        organisation_id__in=list(organisation_ids), role__in=list(roles), active=True, user__is_active=True
    ).values_list("organisation_id", "user_id"):
        found[org_id].add(user_id)
    return found


def _branch_users(organisation_ids: Iterable[int]) -> defaultdict[int, set[int]]:
    return _users_with_roles(organisation_ids, BRANCH_ROLES)


def _staff_users(organisation_ids: Iterable[int]) -> defaultdict[int, set[int]]:
    return _users_with_roles(organisation_ids, [Role.COMMITTEE_STAFF])


def _mentor_users(candidate_ids: Iterable[int]) -> defaultdict[int, set[int]]:
    found: defaultdict[int, set[int]] = defaultdict(set)
    for candidate_id, user_id in Mentorship.objects.filter(
        candidate_id__in=list(candidate_ids), ended_on__isnull=True, member__person__account__isnull=False
    ).values_list("candidate_id", "member__person__account"):
        found[candidate_id].add(user_id)
    return found


def _leads_for(organisations: Iterable[Organisation]) -> dict[int, Leads]:
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


# --- The sweep ---------------------------------------------------------------------------------


def reminders_dispatch_due(*, now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Claim every candidate and branch whose reminder is due and write their notifications.

    Each batch is one durable transaction: SELECT … FOR UPDATE SKIP LOCKED (a concurrent sweep
    takes other rows) from where the previous batch stopped in (due, id) order (_SweepState), one
    bulk INSERT of notifications (ON CONFLICT DO NOTHING on the unique (user, key): a re-run after
    a crash cannot duplicate), one UPDATE … FROM (VALUES …) advancing each row to its next
    occurrence. The number of queries per batch does not depend on how many are due.
    Returns the number of candidates and branches handled.
    """
    _branch_reviews_start(now=now)
    handled = 0
    state = _SweepState(now=now)
    while True:
        count = _dispatch_candidate_batch(state, batch_size=batch_size)
        handled += count
        if count < batch_size:
            break
    state = _SweepState(now=now)
    while True:
        count = _dispatch_review_batch(state, batch_size=batch_size)
        handled += count
        if count < batch_size:
            return handled


@dataclass
class _SweepState:
    """What the batches of one pass of the sweep share.

    - `after`: the (due, id) of the last row claimed. Each batch reads on from there in the order
      of the (next_reminder_at, id) index (keyset) instead of from the start: the rows earlier
      batches moved on leave dead index entries that every batch would otherwise walk again,
      and most branches share one due time. Rows moved on never come back within the sweep
      (their next reminder is after `now`); a row a concurrent sweep held (SKIP LOCKED) is that
      sweep's, or the next beat's if it rolled back.
    - `calendars`: one instance per distinct calendar, so that its working-day tables (built
      lazily, per year) are built once per sweep rather than once per organisation and batch.
    - `next_review`: a branch's next review reminder depends on its meeting day only.
    """

    now: dt.datetime
    after: tuple[dt.datetime | None, int] | None = None  # never None once set: due rows have a due time
    calendars: dict[WorkingCalendar, WorkingCalendar] = field(default_factory=dict)
    next_review: dict[int, dt.datetime] = field(default_factory=dict)

    def due(self, model: type[_Due]) -> QuerySet[_Due]:
        """The rows of `model` due by `now` after the last batch, claimed in (due, id) order
        (FOR UPDATE SKIP LOCKED: a concurrent sweep takes other rows)."""
        due = model._default_manager.select_for_update(skip_locked=True, of=("self",)).filter(
            next_reminder_at__lte=self.now
        )
        if self.after is not None:
            # A row comparison, so that the index scan starts right there.
            due = due.filter(TupleGreaterThan(Tuple(F("next_reminder_at"), F("pk")), self.after))
        return due.order_by("next_reminder_at", "pk")

    def shared_calendar(self, calendar: WorkingCalendar) -> WorkingCalendar:
        return self.calendars.setdefault(calendar, calendar)

    def review_after(self, meeting_day: int) -> dt.datetime:
        """The review reminder after today's: the first meeting reminder from tomorrow on."""
        found = self.next_review.get(meeting_day)
        if found is None:
            tomorrow = timezone.localdate(self.now) + dt.timedelta(days=1)
            found = _due_at(_meeting_reminder_day(meeting_day, tomorrow), self.now)
            self.next_review[meeting_day] = found
        return found


def _dispatch_candidate_batch(state: _SweepState, *, batch_size: int) -> int:
    now = state.now
    today = timezone.localdate(now)
    with transaction.atomic(durable=True):
        batch = list(state.due(Candidate).select_related("person", "organisation").only(*REMINDER_FIELDS)[:batch_size])
        if not batch:
            return 0
        last = (batch[-1].next_reminder_at, batch[-1].pk)  # before the loop below moves it on
        calendars, rulebooks = calendars_and_rulebooks({c.organisation for c in batch})
        leads = _leads_for({c.organisation for c in batch})
        parents = {c.organisation_id: c.organisation.parent_id for c in batch}
        branch_users = _branch_users(parents)
        staff_users = _staff_users({p for p in parents.values() if p})
        mentors = _mentor_users([c.pk for c in batch])
        rows: list[tuple[Any, ...]] = []
        for candidate in batch:
            plan = reminder_plan(
                candidate,
                calendar=state.shared_calendar(calendars[candidate.organisation_id]),
                rulebook=rulebooks[candidate.organisation_id],
                leads=leads[candidate.organisation_id],
            )
            if plan is None or candidate.reminder_sequence is None:
                candidate.next_reminder_at, candidate.reminder_sequence = None, None
                continue
            due = current_occurrence(plan.target, plan.leads, today=today, from_sequence=candidate.reminder_sequence)
            recipients = set(branch_users[candidate.organisation_id])
            if plan.kind == ReminderKind.PROBATION:
                recipients |= mentors[candidate.pk]
            if due.overdue or candidate.stage_enum in COMMITTEE_STAGES:
                # Escalation: the staff of the next level up are told too.
                recipients |= staff_users[parents[candidate.organisation_id] or 0]
            rows.extend(_candidate_notifications(candidate, plan, due, recipients, now))
            # After the last occurrence already due (current_occurrence): after today, so after now.
            following = next_occurrence(plan.target, plan.leads, today=today, after_sequence=due.sequence)
            candidate.next_reminder_at = _due_at(following.day, now)
            candidate.reminder_sequence = following.sequence
        _notifications_insert(rows)
        _advance(batch)
    state.after = last
    return len(batch)


def _advance(batch: list[Candidate]) -> None:
    """Write every candidate's next reminder (one statement)."""
    _rows_update(
        Candidate,
        ("next_reminder_at", "reminder_sequence"),
        [(c.pk, c.next_reminder_at, c.reminder_sequence) for c in batch],
    )


def _rows_update(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Set `fields` of many rows in one statement; each row is (pk, *values in the order of `fields`).

    On PostgreSQL an UPDATE … FROM (VALUES …): Django's bulk_update builds a CASE per row and per
    field, whose construction in Python and evaluation in PostgreSQL were most of the sweep's time.
    Elsewhere (SQLite, the embedded default) bulk_update.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(
            [model(pk=row[0], **dict(zip(fields, row[1:], strict=True))) for row in rows], list(fields)
        )
        return
    quote = connection.ops.quote_name
    # The primary key first; typed placeholders, or VALUES would type NULLs and numbers as text/integer.
    key, *columns = [model._meta.pk, *(cast("Field[Any, Any]", model._meta.get_field(name)) for name in fields)]
    names = [quote(str(f.column)) for f in (key, *columns)]  # type: ignore[union-attr]
    placeholder = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in (key, *columns)) + ")"  # type: ignore[union-attr]
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608 - names from the model
            f"FROM (VALUES {', '.join([placeholder] * len(rows))}) AS v({', '.join(names)}) "
            f"WHERE t.{names[0]} = v.{names[0]}",
            [value for row in rows for value in row],
        )


def _candidate_notifications(
    candidate: Candidate, plan: Plan, due: Occurrence, recipients: set[int], now: dt.datetime
) -> list[tuple[Any, ...]]:
    name = candidate.person.full_name
    when = plan.target.strftime("%d/%m/%Y")
    if due.overdue:
        vi, en = f"QUÁ HẠN {plan.label_vi} của {name} (hạn {when})", f"OVERDUE: {plan.label_en} of {name} (due {when})"
    else:
        vi, en = f"Sắp đến hạn {plan.label_vi} của {name}: {when}", f"Coming up: {plan.label_en} of {name} on {when}"
    kind = Notification.Kind.PROBATION if plan.kind == ReminderKind.PROBATION else Notification.Kind.DEADLINE
    key = f"{plan.kind}:{candidate.stage_transition_id}:{due.sequence}"
    return [
        (
            user_id,
            key,
            kind.value,
            candidate.organisation_id,
            candidate.pk,
            candidate.stage_transition_id,
            plan.target,
            due.overdue,
            vi[:300],
            en[:300],
            now,
        )
        for user_id in recipients
    ]


# The columns of the sweep's notification rows (_notifications_insert), in order.
NOTIFICATION_FIELDS = (
    "user",
    "key",
    "kind",
    "organisation",
    "candidate",
    "transition",
    "due_on",
    "overdue",
    "text_vi",
    "text_en",
    "created_at",
)


def _notifications_insert(rows: Sequence[Sequence[Any]]) -> None:
    """Write the sweep's notifications (value rows in NOTIFICATION_FIELDS order) in one statement,
    skipping any (user, key) already written: a re-run after a crash cannot duplicate one.

    On PostgreSQL a plain INSERT … VALUES … ON CONFLICT DO NOTHING: building a model instance per
    notification and bulk_create's per-field preparation were most of the Python time of a sweep
    that tells every branch (one notification per secretary and deputy). Elsewhere bulk_create.
    """
    if not rows:
        return
    fields = [cast("Field[Any, Any]", Notification._meta.get_field(name)) for name in NOTIFICATION_FIELDS]
    if connection.vendor != "postgresql":
        names = [f.attname for f in fields]
        Notification.objects.bulk_create(
            [Notification(**dict(zip(names, row, strict=True))) for row in rows], ignore_conflicts=True
        )
        return
    quote = connection.ops.quote_name
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Notification._meta.db_table)} ({', '.join(quote(str(f.column)) for f in fields)}) "  # noqa: S608 - names from the model
            f"VALUES {', '.join([placeholder] * len(rows))} ON CONFLICT DO NOTHING",
            [value for row in rows for value in row],
        )


def _next_meeting_reminder(organisation: Organisation, after: dt.date) -> dt.date:
    """Two days before the branch's monthly meeting day (default the 5th), on or after `after`."""
    return _meeting_reminder_day(organisation.meeting_day, after)


def _meeting_reminder_day(meeting_day: int, after: dt.date) -> dt.date:
    day = min(meeting_day, 28)
    candidate = dt.date(after.year, after.month, day) - dt.timedelta(days=2)
    if candidate < after:
        year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
        candidate = dt.date(year, month, day) - dt.timedelta(days=2)
    return candidate


def _branch_reviews_start(*, now: dt.datetime) -> None:
    """Give every branch without one its first monthly-review reminder (new branches, imports)."""
    missing = Organisation.objects.filter(
        kind__in=["branch", "grassroots_branch", "village_branch"], review_reminder__isnull=True
    ).only("pk", "meeting_day")
    today = timezone.localdate(now)
    BranchReview.objects.bulk_create(
        [
            BranchReview(organisation=o, next_reminder_at=_due_at(_next_meeting_reminder(o, today), now))
            for o in missing
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


def branch_review_schedule(*, organisation: Organisation, now: dt.datetime) -> BranchReview:
    """Start (or restart) the monthly-review reminders of a branch."""
    day = _next_meeting_reminder(organisation, timezone.localdate(now))
    review, _created = BranchReview.objects.update_or_create(
        organisation=organisation, defaults={"next_reminder_at": _due_at(day, now)}
    )
    return review


def _dispatch_review_batch(state: _SweepState, *, batch_size: int) -> int:
    """One durable transaction: claim up to `batch_size` due branch reviews, tell the branches'
    secretaries and deputies, move each review on to next month."""
    with transaction.atomic(durable=True):
        batch = list(
            state.due(BranchReview).values_list(
                "pk",
                "organisation_id",
                "next_reminder_at",
                "sequence",
                "organisation__meeting_day",
                "organisation__name",
            )[:batch_size]
        )
        if not batch:
            return 0
        users = _branch_users({org_id for _pk, org_id, *_rest in batch})
        rows: list[tuple[Any, ...]] = []
        if users:  # most branches have no secretary login: their counts are not needed
            rows = _review_notifications([r for r in batch if users.get(r[1])], users, now=state.now)
        _notifications_insert(rows)
        _rows_update(
            BranchReview,
            ("next_reminder_at", "sequence"),
            [(pk, state.review_after(meeting_day), sequence + 1) for pk, _o, _d, sequence, meeting_day, _n in batch],
        )
    state.after = (batch[-1][2], batch[-1][0])
    return len(batch)


def _review_notifications(
    reviews: list[tuple[Any, ...]], users: dict[int, set[int]], *, now: dt.datetime
) -> list[tuple[Any, ...]]:
    """The monthly-review notifications of the branches that have someone to tell (two queries)."""
    today = timezone.localdate(now)
    ids = [org_id for _pk, org_id, *_rest in reviews]
    listed = dict(
        Candidate.objects.filter(organisation_id__in=ids, stage__in=["S1", "S2"])
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .values_list("organisation_id", "n")
    )
    tasks_due = dict(
        TrialTask.objects.filter(
            candidate__organisation_id__in=ids,
            closed=False,
            done_on__isnull=True,
            due_on__lte=today + dt.timedelta(days=7),
        )
        .values("candidate__organisation_id")
        .annotate(n=Count("pk"))
        .values_list("candidate__organisation_id", "n")
    )
    rows: list[tuple[Any, ...]] = []
    kind = Notification.Kind.MONTHLY_REVIEW.value
    for _pk, org_id, due, sequence, _meeting_day, name in reviews:
        meeting = due.astimezone(timezone.get_current_timezone()).date() + dt.timedelta(days=2)
        when = meeting.strftime("%d/%m/%Y")
        people, tasks = listed.get(org_id, 0), tasks_due.get(org_id, 0)
        vi = f"Sinh hoạt chi bộ {name} ngày {when}: xét {people} người trong danh sách cảm tình Đảng, {tasks} nhiệm vụ đến hạn"
        en = f"Branch meeting of {name} on {when}: review {people} sympathisers, {tasks} tasks due"
        key = f"review:{org_id}:{sequence}"
        rows.extend(
            (user_id, key, kind, org_id, None, None, meeting, False, vi[:300], en[:300], now)
            for user_id in users[org_id]
        )
    return rows


# --- Digests ----------------------------------------------------------------------------------


class TransientSendError(Exception):
    """The SMTP server said no (or could not be reached): nothing was accepted, retry later."""


def digests_dispatch_due(*, now: dt.datetime) -> list[int]:
    """Create today's digest for every user whose digest hour has come and who has something new.

    At most one DigestDelivery per user and day (unique). Every delivery still pending today is
    (re-)enqueued after commit: if the broker was down at the last sweep, it goes out now, and
    a duplicate in the queue is harmless (the send claims the row first).
    """
    today = timezone.localdate(now)
    hour = timezone.localtime(now).hour
    with transaction.atomic(durable=True):
        waiting = (
            User.objects.filter(is_active=True, email_digest=True, digest_hour__lte=hour)
            .exclude(email="")
            .filter(notifications__digest__isnull=True, notifications__read_at__isnull=True)
            .exclude(digests__day=today)
            .values_list("pk", flat=True)
            .distinct()
        )
        DigestDelivery.objects.bulk_create(
            [DigestDelivery(user_id=user_id, day=today, created_at=now) for user_id in waiting], ignore_conflicts=True
        )
        pending = list(
            DigestDelivery.objects.filter(day=today, status=DigestDelivery.Status.PENDING).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue(pending), robust=True)
    return pending


def _enqueue(delivery_ids: list[int]) -> None:
    from admission.tasks import digest_send as digest_send_task

    for delivery_id in delivery_ids:
        digest_send_task.delay(delivery_id)


def digest_items(*, user: User, candidates_in_stage: bool = True) -> list[Notification]:
    """The notifications a digest may contain: not e-mailed, unread, still true and still in scope.

    An item about a stage visit that has ended (the candidate moved on between sweep and send)
    is left out; so is anything the user can no longer see (their role changed).
    """
    scope = scope_for(user)
    items = list(
        Notification.objects.filter(user=user, digest__isnull=True, read_at__isnull=True)
        .select_related("candidate", "organisation")
        .order_by("-overdue", "organisation__path", "due_on", "pk")
    )
    return [
        n
        for n in items
        if scope.can_read(n.organisation)
        and (
            n.candidate is None
            or n.kind == Notification.Kind.STAGE_CHANGE
            or n.candidate.stage_transition_id == n.transition_id
        )
    ]


def digest_send(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Send one digest at most once. Returns the final status.

    1. Claim: pending -> sending by a conditional UPDATE; anyone else (a duplicate task, a
       redelivery after a crash) finds no pending row and stops.
    2. Re-check the world (digest_items); nothing left -> skipped.
    3. Send outside any transaction.
    4. Sent -> mark the row and its notifications. Refused or unreachable (known not accepted)
       -> back to pending for a retry, failed after MAX_SEND_ATTEMPTS. Anything else (the
       server may have accepted it) -> unknown: flagged for staff, never re-sent automatically.
    """
    from admission.emails import digest_message

    now = now or timezone.now()
    claimed = DigestDelivery.objects.filter(pk=delivery_id, status=DigestDelivery.Status.PENDING).update(
        status=DigestDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return "not-claimed"
    delivery = DigestDelivery.objects.select_related("user").get(pk=delivery_id)
    items = digest_items(user=delivery.user)
    if not items:
        DigestDelivery.objects.filter(pk=delivery_id).update(status=DigestDelivery.Status.SKIPPED)
        return DigestDelivery.Status.SKIPPED
    message = digest_message(user=delivery.user, items=items, day=delivery.day)
    try:
        message.send()  # outside any transaction: never hold a DB transaction across SMTP
    except (
        smtplib.SMTPRecipientsRefused,
        smtplib.SMTPSenderRefused,
        smtplib.SMTPDataError,
        smtplib.SMTPConnectError,
        ConnectionRefusedError,
    ) as error:
        final = (
            DigestDelivery.Status.FAILED if delivery.attempts >= MAX_SEND_ATTEMPTS else DigestDelivery.Status.PENDING
        )
        DigestDelivery.objects.filter(pk=delivery_id).update(status=final, error=str(error)[:300])
        if final == DigestDelivery.Status.PENDING:
            raise TransientSendError(str(error)) from error
        return final
    except Exception as error:
        logger.exception("digest %s: outcome unknown", delivery_id)
        DigestDelivery.objects.filter(pk=delivery_id).update(
            status=DigestDelivery.Status.UNKNOWN, error=str(error)[:300]
        )
        return DigestDelivery.Status.UNKNOWN
    with transaction.atomic():
        DigestDelivery.objects.filter(pk=delivery_id).update(
            status=DigestDelivery.Status.SENT, sent_at=timezone.now(), error=""
        )
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(digest_id=delivery_id)
    return DigestDelivery.Status.SENT


def stale_sends_flag(*, now: dt.datetime, older_than: dt.timedelta = dt.timedelta(minutes=15)) -> int:
    """Rows stuck in `sending` (the worker died mid-send) become `unknown` for staff to check."""
    return DigestDelivery.objects.filter(status=DigestDelivery.Status.SENDING, claimed_at__lt=now - older_than).update(
        status=DigestDelivery.Status.UNKNOWN, error="worker stopped during the send"
    )


def notifications_mark_read(*, user: User, ids: list[int] | None, now: dt.datetime) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=now)


def sweep(*, now: dt.datetime) -> dict[str, int]:
    """Everything beat triggers every five minutes (and `manage.py send_due_reminders`)."""
    handled = reminders_dispatch_due(now=now)
    digests = digests_dispatch_due(now=now)
    stale = stale_sends_flag(now=now)
    return {"reminders": handled, "digests": len(digests), "stale": stale}
