"""The reminder sweep (architecture C.2): what beat triggers every five minutes.

`reminders_dispatch_due(now)` (and `manage.py send_due_reminders`) claims due candidates and
branches in batches (FOR UPDATE SKIP LOCKED), writes one Notification per recipient with a unique
key, and advances each to its next occurrence. `sweep(now)` also runs the digests
(`admission.reminders.digests`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.db import connection, transaction
from django.db.models import Count, F, Field, Model, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from django.utils import timezone

from admission.domain.calendar import WorkingCalendar
from admission.domain.reminders import (
    DEADLINE_LEADS,
    VERIFICATION_LEADS,
    Occurrence,
    ReminderKind,
    current_occurrence,
    next_occurrence,
)
from admission.models import (
    CLOSED_STAGES,
    BranchReview,
    Candidate,
    CandidateTransfer,
    Notification,
    TrialTask,
    VerificationRequest,
)
from admission.reminders.digests import digests_dispatch_due, stale_sends_flag
from admission.rulebook import calendars_and_rulebooks
from admission.schedule import (
    Plan,
    branch_users,
    due_at,
    leads_for,
    meeting_reminder_day,
    mentor_users,
    mentors_signed_end_comment,
    next_meeting_reminder,
    reminder_plan,
    staff_users,
    verification_reply_due,
)
from admission.workflow import CHAIN, TURN, Body, body_committee, turn_of
from members.models import BRANCH_ROLES, Organisation, Person
from members.selectors import organisation_authority

_Due = TypeVar("_Due", Candidate, BranchReview, VerificationRequest, CandidateTransfer)

# Candidates (and verification requests, transfers) per batch: the queries of a batch are the same
# whatever its size (about ten), so 42,000 due candidates take 43 batches instead of 86.
BATCH_SIZE = 1000
# Branch reviews on PostgreSQL: nothing of a batch passes through Python (one statement), so a
# batch can be larger; it still commits on its own and holds its rows' locks for ~0.1 s.
REVIEW_BATCH_SIZE = 5000
# What the sweep reads of a candidate (the dates reminder_plan needs, and the names it shows): the
# candidate's own columns (claimed alone), then its person's and branch's (_batch_names, _batch_organisations).
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
    "recognition_appraisal_date",  # the recognition chain: whose turn it is at S16 (workflow.turn_of)
    "recognition_grassroots_date",
    "deadlock_ruling_date",
    "transfer_received_date",
    "deadline_extended",
    "person",
    "organisation",
)


def _batch_organisations(batch: list[Candidate]) -> dict[int, Organisation]:
    """The batch's branches, one instance each, by primary key (`id IN (…)`, one query). Joined to the
    claim instead, PostgreSQL read every due candidate's branch (a merge join from the first row, or a
    scan of all organisations) and sorted them before the LIMIT, in every batch; prefetched (a
    `(id) IN ((…), …)` of Django's tuple lookups, one instance per candidate, each set through the
    relation's descriptor) it was a tenth of the batch's Python time."""
    return {
        o.pk: o
        for o in Organisation.objects.filter(pk__in={c.organisation_id for c in batch}).only(
            "path", "parent_id", "name"
        )
    }


def _batch_names(batch: list[Candidate]) -> dict[int, str]:
    """The full name of each candidate's person, by person id (one query, no instances)."""
    return dict(Person.objects.filter(pk__in={c.person_id for c in batch}).values_list("pk", "full_name"))


# --- The sweep ---------------------------------------------------------------------------------


def reminders_dispatch_due(*, now: dt.datetime, batch_size: int | None = None) -> int:
    """Claim every candidate and branch whose reminder is due and write their notifications.

    Each batch is one durable transaction: SELECT … FOR UPDATE SKIP LOCKED (a concurrent sweep
    takes other rows) from where the previous batch stopped in (due, id) order (_SweepState), one
    bulk INSERT of notifications (ON CONFLICT DO NOTHING on the unique (user, key): a re-run after
    a crash cannot duplicate), one UPDATE … FROM (VALUES …) advancing each row to its next
    occurrence. The number of queries per batch does not depend on how many are due.
    On PostgreSQL a batch of branch reviews is one statement (_dispatch_review_batch_sql), in
    batches of REVIEW_BATCH_SIZE unless `batch_size` is given, and outside any transaction the
    branch reviews run beside the rest, on a connection of their own (_reviews_beside).
    Returns the number of candidates and branches handled.
    """
    _branch_reviews_start(now=now)
    if not _reviews_beside():
        return _dispatch_obligations(now=now, batch_size=batch_size) + _dispatch_reviews(now=now, batch_size=batch_size)
    stop = threading.Event()
    wrappers = list(connection.execute_wrappers)  # the caller's instrumentation sees both connections
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sweep-reviews") as pool:
        reviews = pool.submit(
            _on_own_connection, wrappers, _dispatch_reviews, now=now, batch_size=batch_size, stop=stop
        )
        try:
            handled = _dispatch_obligations(now=now, batch_size=batch_size)
        except BaseException:
            stop.set()  # the reviews end after their batch in progress (committed whole, or not at all)
            raise
        return handled + reviews.result()


def _reviews_beside() -> bool:
    """Whether the branch reviews run in a thread beside the candidates' batches: on PostgreSQL,
    where a batch of reviews is one statement (PostgreSQL's work, not Python's), and only outside
    any transaction, where each batch commits on its own anyway (a caller's transaction, e.g. a
    test's, is not visible to another connection). A sweep that tells every branch is then bound by
    the longer of the two parts instead of their sum: PostgreSQL checks and writes the reviews'
    notifications on one core while the candidates' reminder plans are computed on the other."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _on_own_connection(wrappers: list[Any], work: Callable[..., int], **kwargs: Any) -> int:
    """Run `work` in this thread on its own database connection (Django's are per thread) with the
    caller's execute wrappers, and close the connection afterwards."""
    try:
        with ExitStack() as stack:
            for wrapper in wrappers:
                stack.enter_context(connection.execute_wrapper(wrapper))
            return work(**kwargs)
    finally:
        connection.close()


def _dispatch_obligations(*, now: dt.datetime, batch_size: int | None) -> int:
    """The candidates' reminders, then the verification requests' and the transfers' (batches)."""
    handled = 0
    size = batch_size or BATCH_SIZE
    for dispatch_batch in (_dispatch_candidate_batch, _dispatch_verification_batch, _dispatch_forwarding_batch):
        state = _SweepState(now=now)
        while True:
            count = dispatch_batch(state, batch_size=size)
            handled += count
            if count < size:
                break
    return handled


def _dispatch_reviews(*, now: dt.datetime, batch_size: int | None, stop: threading.Event | None = None) -> int:
    """The branches' monthly reviews, in batches, until none is due (or `stop` is set)."""
    handled = 0
    state = _SweepState(now=now)
    set_based = connection.vendor == "postgresql"
    size = batch_size or (REVIEW_BATCH_SIZE if set_based else BATCH_SIZE)
    while stop is None or not stop.is_set():
        if set_based:
            count = _dispatch_review_batch_sql(state, batch_size=size)
        else:
            count = _dispatch_review_batch(state, batch_size=size)
        handled += count
        if count < size:
            break
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
            found = due_at(meeting_reminder_day(meeting_day, tomorrow), self.now)
            self.next_review[meeting_day] = found
        return found


def _dispatch_candidate_batch(state: _SweepState, *, batch_size: int) -> int:
    now = state.now
    today = timezone.localdate(now)
    with transaction.atomic(durable=True):
        batch = list(state.due(Candidate).only(*REMINDER_FIELDS)[:batch_size])
        if not batch:
            return 0
        last = (batch[-1].next_reminder_at, batch[-1].pk)  # before the loop below moves it on
        organisations = _batch_organisations(batch)
        names = _batch_names(batch)
        calendars, rulebooks = calendars_and_rulebooks(organisations.values())
        leads = leads_for(organisations.values())
        parents = {pk: o.parent_id for pk, o in organisations.items()}
        owners = _owning_committees(batch, organisations)
        users_of_branch = branch_users(parents)
        users_of_staff = staff_users(
            {p for p in parents.values() if p} | {i for pair in owners.values() for i in pair if i is not None}
        )
        mentors = mentor_users([c.pk for c in batch])
        signed = mentors_signed_end_comment([c.pk for c in batch])
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
            recipients = set(users_of_branch[candidate.organisation_id])  # the branch follows its candidate
            if plan.kind == ReminderKind.PROBATION:
                recipients |= mentors[candidate.pk] - signed[candidate.pk]  # until they sign their comment
            committee, above = owners.get(candidate.pk, (None, None))
            if committee is not None:
                # A committee's act (workflow.TURN): its staff are told before the deadline, and the
                # committee above it too once it is overdue (escalation follows ownership).
                recipients |= users_of_staff[committee]
                if due.overdue and above is not None:
                    recipients |= users_of_staff[above]
            elif due.overdue:
                # The branch's act is overdue: the staff of the level above the branch are told.
                recipients |= users_of_staff[parents[candidate.organisation_id] or 0]
            rows.extend(_candidate_notifications(candidate, names[candidate.person_id], plan, due, recipients, now))
            # After the last occurrence already due (current_occurrence): after today, so after now.
            following = next_occurrence(plan.target, plan.leads, today=today, after_sequence=due.sequence)
            candidate.next_reminder_at = due_at(following.day, now)
            candidate.reminder_sequence = following.sequence
        _notifications_insert(rows)
        _advance(batch)
    state.after = last
    return len(batch)


def _owning_committees(
    batch: list[Candidate], organisations: dict[int, Organisation]
) -> dict[int, tuple[int, int | None]]:
    """For each candidate whose step is a committee's (workflow.TURN): that committee and the one above it.

    One query for the rows of every ancestor of the batch's branches, whatever the batch size.
    """
    # A stage with a chain within it may be a committee's turn whatever its TURN (workflow.CHAIN).
    waiting = [c for c in batch if TURN.get(c.stage_enum, Body.BRANCH) != Body.BRANCH or c.stage_enum in CHAIN]
    if not waiting:
        return {}
    ids = {i for c in waiting for i in organisations[c.organisation_id].ancestor_ids()}
    rows = {
        o.pk: o
        for o in Organisation.objects.filter(pk__in=ids).only(
            "kind", "name", "delegated_to_admit", "upper_level_powers", "parent_id", "path"
        )
    }
    found: dict[int, tuple[int, int | None]] = {}
    for candidate in waiting:
        organisation = organisations[candidate.organisation_id]
        chain = [rows[i] for i in organisation.ancestor_ids() if i in rows]
        authority = organisation_authority(organisation=organisation, chain=chain)
        committee = body_committee(turn_of(candidate, authority), authority)
        if committee is not None:
            found[candidate.pk] = (committee.id, rows[committee.id].parent_id)
    return found


# What the sweep reads of a verification request and its candidate.
VERIFICATION_FIELDS = (
    "subject",
    "addressee",
    "abroad",
    "received_on",
    "replied_on",
    "cancelled_on",
    "next_reminder_at",
    "reminder_sequence",
    "candidate__stage",
    "candidate__stage_transition_id",
    "candidate__organisation_id",
    "candidate__person__full_name",
    "candidate__organisation__path",
    "candidate__organisation__parent_id",
    "candidate__organisation__name",
    "candidate__organisation__kind",
)


def _dispatch_verification_batch(state: _SweepState, *, batch_size: int) -> int:
    """One durable transaction: claim up to `batch_size` verification requests whose reply reminder
    is due (T3), tell the branch's secretary and deputy 7 days before the reply is due, and, once
    it is overdue, the grassroots committee staff too (they certify the biography; where the tree
    has none, the decider), then move each on to its next occurrence (weekly while overdue).

    The same queries whatever the batch size: the requests with their candidate, branch and
    person; the calendars and rule books; the organisation chains; the branch users; the staff.
    A request answered or cancelled, or whose candidacy is closed, only has its reminder cleared.
    A request without a sequence (scheduled by the migration) gets its first occurrence from
    today on, sent only if it falls today: no backfill of past ones.
    """
    now = state.now
    today = timezone.localdate(now)
    with transaction.atomic(durable=True):
        batch = list(
            state.due(VerificationRequest)
            .select_related("candidate__person", "candidate__organisation")
            .only(*VERIFICATION_FIELDS)[:batch_size]
        )
        if not batch:
            return 0
        last = (batch[-1].next_reminder_at, batch[-1].pk)
        live = [r for r in batch if r.is_open and r.candidate.stage not in CLOSED_STAGES]
        live_ids = {r.pk for r in live}
        for request in batch:
            if request.pk not in live_ids:
                request.next_reminder_at, request.reminder_sequence = None, None
        organisations = {r.candidate.organisation for r in live}
        calendars, rulebooks = calendars_and_rulebooks(organisations) if live else ({}, {})
        committees = _grassroots_committees(organisations)
        users_of_branch = branch_users({o.pk for o in organisations}) if live else {}
        users_of_staff = staff_users(set(committees.values())) if committees else {}
        rows: list[tuple[Any, ...]] = []
        for request in live:
            candidate = request.candidate
            target = verification_reply_due(
                request,
                calendar=state.shared_calendar(calendars[candidate.organisation_id]),
                rulebook=rulebooks[candidate.organisation_id],
            ).day
            if request.reminder_sequence is None:
                due = next_occurrence(target, VERIFICATION_LEADS, today=today)
                if due.day > today:  # scheduled, not sent
                    request.next_reminder_at, request.reminder_sequence = due_at(due.day, now), due.sequence
                    continue
            else:
                due = current_occurrence(
                    target, VERIFICATION_LEADS, today=today, from_sequence=request.reminder_sequence
                )
            recipients = set(users_of_branch.get(candidate.organisation_id, ()))
            committee = committees.get(candidate.organisation_id)
            if due.overdue and committee is not None:
                recipients |= users_of_staff.get(committee, set())
            rows.extend(_verification_notifications(request, target, due, recipients, now))
            following = next_occurrence(target, VERIFICATION_LEADS, today=today, after_sequence=due.sequence)
            request.next_reminder_at, request.reminder_sequence = due_at(following.day, now), following.sequence
        _notifications_insert(rows)
        _rows_update(
            VerificationRequest,
            ("next_reminder_at", "reminder_sequence"),
            [(r.pk, r.next_reminder_at, r.reminder_sequence) for r in batch],
        )
    state.after = last
    return len(batch)


# What the sweep reads of a transfer whose dossier the old place forwards (T11).
FORWARDING_FIELDS = (
    "forwarded_on",
    "forward_due_on",
    "forwarding_committee_id",
    "forwarding_committee__parent",
    "transition_id",
    "next_reminder_at",
    "reminder_sequence",
    "to_organisation__name",
    "candidate__stage",
    "candidate__person__full_name",
)


def _dispatch_forwarding_batch(state: _SweepState, *, batch_size: int) -> int:
    """One durable transaction: claim up to `batch_size` transfers whose dossier the old place's
    competent committee has still to forward (T11, HD06 3.9b: 15 WD from the move), tell that
    committee's staff 7 and 1 days before and on the day, then weekly once overdue with the
    committee above it too (escalation follows ownership, as for a candidate's step), and move
    each on to its next occurrence. A transfer forwarded meanwhile, or whose candidacy is closed,
    only has its reminder cleared. The same queries whatever the batch size.
    """
    now = state.now
    today = timezone.localdate(now)
    with transaction.atomic(durable=True):
        batch = list(
            state.due(CandidateTransfer)
            .select_related("candidate__person", "to_organisation", "forwarding_committee")
            .only(*FORWARDING_FIELDS)[:batch_size]
        )
        if not batch:
            return 0
        last = (batch[-1].next_reminder_at, batch[-1].pk)
        live = [
            t
            for t in batch
            if t.forwarded_on is None
            and t.forward_due_on is not None
            and t.forwarding_committee is not None
            and t.reminder_sequence is not None
            and t.candidate.stage not in CLOSED_STAGES
        ]
        for transfer in set(batch) - set(live):
            transfer.next_reminder_at, transfer.reminder_sequence = None, None
        senders = [cast("Organisation", t.forwarding_committee) for t in live]
        users_of_staff = staff_users({o.pk for o in senders} | {o.parent_id for o in senders if o.parent_id})
        rows: list[tuple[Any, ...]] = []
        for transfer in live:
            target, sender = (
                cast("dt.date", transfer.forward_due_on),
                cast("Organisation", transfer.forwarding_committee),
            )
            due = current_occurrence(
                target, DEADLINE_LEADS, today=today, from_sequence=cast("int", transfer.reminder_sequence)
            )
            recipients = set(users_of_staff.get(sender.pk, ()))
            if due.overdue and sender.parent_id is not None:
                recipients |= users_of_staff.get(sender.parent_id, set())
            rows.extend(_forwarding_notifications(transfer, due, recipients, now))
            following = next_occurrence(target, DEADLINE_LEADS, today=today, after_sequence=due.sequence)
            transfer.next_reminder_at, transfer.reminder_sequence = due_at(following.day, now), following.sequence
        _notifications_insert(rows)
        _rows_update(
            CandidateTransfer,
            ("next_reminder_at", "reminder_sequence"),
            [(t.pk, t.next_reminder_at, t.reminder_sequence) for t in batch],
        )
    state.after = last
    return len(batch)


def _forwarding_notifications(
    transfer: CandidateTransfer, due: Occurrence, recipients: set[int], now: dt.datetime
) -> list[tuple[Any, ...]]:
    name, destination = transfer.candidate.person.full_name, transfer.to_organisation.name
    return _obligation_notifications(
        what=(
            f"chuyển hồ sơ của {name} đến {destination} (chuyển sinh hoạt)",
            f"forward the dossier of {name} to {destination} (transfer)",
        ),
        key=f"transfer-forward:{transfer.pk}:{due.sequence}",
        kind=Notification.Kind.DEADLINE,
        about=(transfer.forwarding_committee_id, transfer.candidate_id, transfer.transition_id),
        target=cast("dt.date", transfer.forward_due_on),
        due=due,
        recipients=recipients,
        now=now,
    )


def _grassroots_committees(organisations: set[Organisation]) -> dict[int, int]:
    """Each branch's grassroots committee (workflow.body_committee: the decider where there is
    none), by id: one query for the rows of every ancestor of the branches."""
    if not organisations:
        return {}
    ids = {i for o in organisations for i in o.ancestor_ids()}
    rows = {
        o.pk: o
        for o in Organisation.objects.filter(pk__in=ids).only(
            "kind", "name", "delegated_to_admit", "upper_level_powers", "parent_id", "path"
        )
    }
    found: dict[int, int] = {}
    for organisation in organisations:
        chain = [rows[i] for i in organisation.ancestor_ids() if i in rows]
        committee = body_committee(
            Body.GRASSROOTS_COMMITTEE, organisation_authority(organisation=organisation, chain=chain)
        )
        if committee is not None:
            found[organisation.pk] = committee.id
    return found


def _verification_notifications(
    request: VerificationRequest, target: dt.date, due: Occurrence, recipients: set[int], now: dt.datetime
) -> list[tuple[Any, ...]]:
    candidate = request.candidate
    name = candidate.person.full_name
    return _obligation_notifications(
        what=(
            f"trả lời thẩm tra lý lịch của {name} ({request.subject} – {request.addressee})",
            f"reply to the background verification of {name} ({request.subject} – {request.addressee})",
        ),
        key=f"{ReminderKind.VERIFICATION}:{request.pk}:{due.sequence}",
        kind=Notification.Kind.VERIFICATION,
        about=(candidate.organisation_id, candidate.pk, candidate.stage_transition_id),
        target=target,
        due=due,
        recipients=recipients,
        now=now,
    )


def _obligation_notifications(
    *,
    what: tuple[str, str],
    key: str,
    kind: Notification.Kind,
    about: tuple[int | None, int | None, int | None],
    target: dt.date,
    due: Occurrence,
    recipients: set[int],
    now: dt.datetime,
) -> list[tuple[Any, ...]]:
    """The value rows (NOTIFICATION_FIELDS) of one reminder of an obligation with a row of its own
    (a verification reply, a transfer's forwarding): "coming up" before its day, "overdue" after it.
    `what` is the act in Vietnamese and English; `about` the (organisation, candidate, transition)."""
    when = target.strftime("%d/%m/%Y")
    what_vi, what_en = what
    if due.overdue:
        vi, en = f"QUÁ HẠN {what_vi} (hạn {when})", f"OVERDUE: {what_en} (due {when})"
    else:
        vi, en = f"Sắp đến hạn {what_vi}: {when}", f"Coming up: {what_en} on {when}"
    return [(user_id, key, kind.value, *about, target, due.overdue, vi[:300], en[:300], now) for user_id in recipients]


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
    candidate: Candidate, name: str, plan: Plan, due: Occurrence, recipients: set[int], now: dt.datetime
) -> list[tuple[Any, ...]]:
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


def _branch_reviews_start(*, now: dt.datetime) -> None:
    """Give every branch without one its first monthly-review reminder (new branches, imports)."""
    missing = Organisation.objects.filter(
        kind__in=["branch", "grassroots_branch", "village_branch"], review_reminder__isnull=True
    ).only("pk", "meeting_day")
    today = timezone.localdate(now)
    BranchReview.objects.bulk_create(
        [BranchReview(organisation=o, next_reminder_at=due_at(next_meeting_reminder(o, today), now)) for o in missing],
        ignore_conflicts=True,
        batch_size=1000,
    )


def branch_review_schedule(*, organisation: Organisation, now: dt.datetime) -> BranchReview:
    """Start (or restart) the monthly-review reminders of a branch."""
    day = next_meeting_reminder(organisation, timezone.localdate(now))
    review, _created = BranchReview.objects.update_or_create(
        organisation=organisation, defaults={"next_reminder_at": due_at(day, now)}
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
        users = branch_users({org_id for _pk, org_id, *_rest in batch})
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


# One batch of due branch reviews in one statement (PostgreSQL): claim (FOR UPDATE SKIP LOCKED, in
# keyset order after the previous batch, on the review_due_keyset index alone), the branches' names
# and meeting days, their secretaries and deputies, the counts of the notification's text (per
# branch with someone to tell),
# the notifications (ON CONFLICT DO NOTHING on (user, key)), each review moved on to the reminder
# after today's for its meeting day (%(next)s: VALUES (day, due) for days 1-28,
# meeting_reminder_day caps the day at 28). The texts are _review_notifications' exactly.
# Every lookup of a claimed branch is an index probe per branch (LATERAL … OFFSET 0 keeps the
# planner from joining the whole table instead, correlated counts): with 300,000 organisations,
# accounts and roles, a hash join read the roles and a merge join the organisations from their
# first row in every batch, i.e. the tables once per batch (docs/decisions.md).
_REVIEW_BATCH_SQL = """
WITH claimed AS (
    SELECT r.id, r.organisation_id, r.next_reminder_at, r.sequence
    FROM admission_branchreview r
    WHERE r.next_reminder_at <= %(now)s AND (r.next_reminder_at, r.id) > (%(after_at)s, %(after_id)s)
    ORDER BY r.next_reminder_at, r.id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), branches AS MATERIALIZED (
    SELECT cl.id, cl.organisation_id, cl.next_reminder_at, cl.sequence, o.meeting_day, o.name
    FROM claimed cl CROSS JOIN LATERAL (
        SELECT o.meeting_day, o.name FROM members_organisation o WHERE o.id = cl.organisation_id OFFSET 0
    ) o
), users AS MATERIALIZED (
    SELECT DISTINCT cl.organisation_id, a.user_id
    FROM claimed cl CROSS JOIN LATERAL (
        SELECT a.user_id FROM members_roleassignment a JOIN members_user u ON u.id = a.user_id
        WHERE a.organisation_id = cl.organisation_id AND a.role = ANY(%(roles)s) AND a.active AND u.is_active
        OFFSET 0
    ) a
), facts AS MATERIALIZED (
    SELECT cl.organisation_id, cl.sequence, cl.name,
           ((cl.next_reminder_at AT TIME ZONE %(tz)s)::date + 2) AS meeting,
           (SELECT count(*) FROM admission_candidate c
            WHERE c.organisation_id = cl.organisation_id AND c.stage IN ('S1', 'S2')) AS people,
           (SELECT count(*) FROM admission_trialtask t JOIN admission_candidate c ON c.id = t.candidate_id
            WHERE c.organisation_id = cl.organisation_id
              AND NOT t.closed AND t.done_on IS NULL AND t.due_on <= %(tasks_until)s) AS tasks
    FROM branches cl
    WHERE cl.organisation_id IN (SELECT organisation_id FROM users)
), written AS (
    INSERT INTO admission_notification
        (user_id, key, kind, organisation_id, candidate_id, transition_id, due_on, overdue, text_vi, text_en, created_at)
    SELECT u.user_id, 'review:' || f.organisation_id || ':' || f.sequence, %(kind)s, f.organisation_id, NULL, NULL,
           f.meeting, false,
           left('Sinh hoạt chi bộ ' || f.name || ' ngày ' || to_char(f.meeting, 'DD/MM/YYYY') || ': xét '
                || f.people || ' người trong danh sách cảm tình Đảng, ' || f.tasks || ' nhiệm vụ đến hạn', 300),
           left('Branch meeting of ' || f.name || ' on ' || to_char(f.meeting, 'DD/MM/YYYY') || ': review '
                || f.people || ' sympathisers, ' || f.tasks || ' tasks due', 300),
           %(now)s
    FROM facts f JOIN users u ON u.organisation_id = f.organisation_id
    ON CONFLICT DO NOTHING
    RETURNING 1
), moved AS (
    UPDATE admission_branchreview t SET next_reminder_at = m.due, sequence = cl.sequence + 1
    FROM branches cl JOIN (VALUES %(next)s) AS m(day, due) ON m.day = LEAST(GREATEST(cl.meeting_day, 1), 28)
    WHERE t.id = cl.id
    RETURNING 1
)
SELECT (SELECT count(*) FROM claimed),
       last.next_reminder_at, last.id,
       (SELECT count(*) FROM written), (SELECT count(*) FROM moved)
FROM (SELECT 1) AS one
LEFT JOIN (SELECT next_reminder_at, id FROM claimed ORDER BY next_reminder_at DESC, id DESC LIMIT 1) AS last ON true
"""
# The keyset's start: before every due time (the sweep only claims rows due at or before now).
_KEYSET_START = (dt.datetime(1, 1, 2, tzinfo=dt.UTC), 0)


def _dispatch_review_batch_sql(state: _SweepState, *, batch_size: int) -> int:
    """_dispatch_review_batch as one statement in one durable transaction (PostgreSQL): the same
    claim, recipients, texts and next reminders, without a row passing through Python, so that a
    sweep that tells every branch (280,000 reviews) is bound by PostgreSQL alone."""
    after_at, after_id = state.after or _KEYSET_START
    next_due = [(day, state.review_after(day)) for day in range(1, 29)]
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute(
            _REVIEW_BATCH_SQL.replace(
                "%(next)s", ", ".join(f"(%(day{d})s::integer, %(due{d})s::timestamptz)" for d, _due in next_due)
            ),
            {
                "now": state.now,
                "after_at": after_at,
                "after_id": after_id,
                "limit": batch_size,
                "roles": sorted(str(role) for role in BRANCH_ROLES),
                "tasks_until": timezone.localdate(state.now) + dt.timedelta(days=7),
                "tz": timezone.get_current_timezone_name(),
                "kind": Notification.Kind.MONTHLY_REVIEW.value,
                **{f"day{d}": d for d, _due in next_due},
                **{f"due{d}": due for d, due in next_due},
            },
        )
        claimed, last_at, last_id, _written, _moved = cursor.fetchone()
    if claimed:
        state.after = (last_at, last_id)
    return int(claimed)


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


def sweep(*, now: dt.datetime) -> dict[str, int]:
    """Everything beat triggers every five minutes (and `manage.py send_due_reminders`)."""
    from admission.reminders.mentor_reviews import mentor_reviews_dispatch

    handled = reminders_dispatch_due(now=now)
    reviews = mentor_reviews_dispatch(now=now)
    digests = digests_dispatch_due(now=now)
    stale = stale_sends_flag(now=now)
    return {"reminders": handled, "mentor_reviews": reviews, "digests": digests, "stale": stale}
