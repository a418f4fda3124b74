"""Writes around the steps: following a candidate, helpers and introducers, trial tasks, dossier
documents (branch meetings: `meetings`; verification requests: `verification`)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from admission.domain.eligibility import (
    IntroductionMode,
    MentorFacts,
    check_mentor,
    choose_introducers,
    default_introduction_mode,
    introducers_needed,
)
from admission.domain.reasons import reason
from admission.domain.stages import Stage
from admission.models import Candidate, DossierItem, MentorRole, Mentorship, TrialTask
from admission.rulebook import rulebook_for
from admission.selectors import helper_replaces_after_transfer
from admission.services.base import StepRefused, date_problems, refuse_unless, require_edit
from members.freshness import organisations_changed
from members.models import MemberStatus, Organisation, PartyMember, Person, User
from members.selectors import scope_for
from members.services import CCCD_UNAVAILABLE, person_validate


def _new_candidacy(*, acting_user: User | None, person: Person, now: dt.datetime) -> Candidate:
    """The unsaved candidacy of an outstanding non-member (S0) in their branch, after the checks
    that refuse it: authority, an open candidacy, a membership."""
    candidate = Candidate(
        person=person,
        organisation=person.organisation,
        stage=Stage.S0.value,
        stage_entered_at=now,
        stage_entered_on=timezone.localdate(now),
    )
    require_edit(acting_user, candidate)
    if person.pk is None:
        return candidate
    if Candidate.objects.filter(person=person).exclude(stage__in=[Stage.S17, Stage.SX]).exists():
        raise StepRefused((reason("candidacy_open", "", name=person.full_name),))
    if PartyMember.objects.filter(
        person=person, status__in=[MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY]
    ).exists():
        raise StepRefused((reason("already_member", "", name=person.full_name),))
    candidate.readmission = PartyMember.objects.filter(
        person=person, status__in=[MemberStatus.REMOVED, MemberStatus.LEFT]
    ).exists()
    return candidate


def candidate_create(*, acting_user: User | None, person: Person, now: dt.datetime | None = None) -> Candidate:
    """Start following an outstanding non-member (S0) in their branch.

    A person whose membership ended (removed, left) is a readmission (E10, QĐ294 3.5): the
    candidacy is marked so, and the branch's consideration then checks the wait, the provincial
    consent and that it happens only once (eligibility.check_readmission).
    Side effects: one transaction; one Candidate row and its history row.
    """
    candidate = _new_candidacy(acting_user=acting_user, person=person, now=now or timezone.now())
    with transaction.atomic(durable=True):
        candidate.save()
        organisations_changed(paths=[candidate.organisation.path])
    return candidate


def candidate_create_with_person(
    *, acting_user: User | None, person: Person, now: dt.datetime | None = None
) -> Candidate:
    """Enter a new person (unsaved, in their branch) and start following them (S0) in one go.

    The person is validated as members.services.person_create does (CCCD structure and
    uniqueness, answered neutrally outside the user's scope); the caller offers the possible
    duplicates inside the scope first (members.selectors.person_duplicates).
    Side effects: one transaction; one Person row, one Candidate row and their history rows;
    nothing is written when either is refused (a ValidationError or StepRefused is raised).
    """
    if person.pk is not None:
        raise ValueError("candidate_create_with_person takes a new person")
    candidate = _new_candidacy(acting_user=acting_user, person=person, now=now or timezone.now())
    person_validate(acting_user=acting_user, person=person)
    try:
        with transaction.atomic(durable=True):
            person.save()
            candidate.person = person
            candidate.save()
            organisations_changed(paths=[person.organisation.path])
    except IntegrityError:
        # Two entries of the same CCCD raced past the check: the neutral answer (never which one).
        person.pk = None
        raise ValidationError({"cccd": str(CCCD_UNAVAILABLE)}) from None
    return candidate


def mentor_assign(
    *,
    acting_user: User | None,
    candidate: Candidate,
    member: PartyMember,
    together_since: dt.date | None,
    assigned_on: dt.date,
    role: str = MentorRole.MENTOR,
    is_replacement: bool = False,
) -> Mentorship:
    """Assign an official member to help the candidate (branch resolution, QĐ294 3.2), who is also
    the introducer by default (rules §3 S5); `role="introducer"` assigns an introducer only.

    Refused with reasons when the member is not official, from another grassroots unit, or has
    not been with the candidate for 12 months (a replacement is exempt, QĐ294 3.2.2). After the
    candidate moved to another branch, the first helper (the first two introducers) the new branch
    assigns replace those the move ended and are exempt too (HD06 3.9a, 3.10).
    """
    require_edit(acting_user, candidate)
    if acting_user is not None and not scope_for(acting_user).can_read(member.organisation):
        raise PermissionDenied  # only members the user may see (the picker lists no others)
    is_replacement = is_replacement or helper_replaces_after_transfer(candidate, role)
    facts = _mentor_facts(candidate, member, together_since, is_replacement)
    rules = rulebook_for(candidate.organisation).for_date(assigned_on)
    refuse_unless(check_mentor(facts, assigned_on, rules))
    if Mentorship.objects.filter(candidate=candidate, member=member, role=role, ended_on__isnull=True).exists():
        raise StepRefused((reason("mentor_already_assigned", "QĐ294 3.2", name=member.person.full_name),))
    with transaction.atomic(durable=True):
        return Mentorship.objects.create(
            candidate=candidate,
            member=member,
            role=role,
            together_since=together_since or assigned_on,
            is_replacement=is_replacement,
            assigned_on=assigned_on,
        )


def _grassroots_unit(ancestors: list[int], kinds: dict[int, str]) -> int | None:
    """The nearest grassroots organisation (or village branch) on a path, by id."""
    for org_id in reversed(ancestors):
        if kinds.get(org_id) in {"grassroots_committee", "grassroots_branch", "village_branch"}:
            return org_id
    return None


def _mentor_facts(
    candidate: Candidate, member: PartyMember, together_since: dt.date | None, is_replacement: bool
) -> MentorFacts:
    ids = set(candidate.organisation.ancestor_ids()) | set(member.organisation.ancestor_ids())
    kinds = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "kind"))
    same_unit = _grassroots_unit(candidate.organisation.ancestor_ids(), kinds) == _grassroots_unit(
        member.organisation.ancestor_ids(), kinds
    )
    return MentorFacts(
        is_official=member.status == MemberStatus.OFFICIAL,
        same_grassroots_unit=same_unit,
        together_since=together_since,
        is_replacement=is_replacement,
        name=member.person.full_name,
    )


def introduction_mode_default(candidate: Candidate, on: dt.date) -> IntroductionMode:
    """The candidate's form of introduction on `on` (eligibility.default_introduction_mode)."""
    person = candidate.person
    return default_introduction_mode(
        candidate.introduction_mode, youth_union_member=person.youth_union_member, born=person.date_of_birth, on=on
    )


def introducers(candidate: Candidate, mode: IntroductionMode) -> list[Mentorship]:
    """The candidate's introducers: the current helpers by default, or the members the branch
    assigned as introducers only when they are enough (eligibility.choose_introducers, rules §3 S5)."""
    rows = list(
        candidate.mentorships.filter(ended_on__isnull=True)
        .select_related("member__person", "member__organisation")
        .order_by("assigned_on", "pk")
    )
    by_member: dict[int, Mentorship] = {}
    for row in rows:  # a member assigned both ways: the helper's row stands for them
        if row.member_id not in by_member or row.role == MentorRole.MENTOR:
            by_member[row.member_id] = row
    chosen = choose_introducers(
        [r.member_id for r in rows if r.role == MentorRole.INTRODUCER],
        [r.member_id for r in rows if r.role == MentorRole.MENTOR],
        introducers_needed(mode),
    )
    return [by_member[member_id] for member_id in dict.fromkeys(r.member_id for r in rows) if member_id in chosen]


def introducer_facts(candidate: Candidate, mode: IntroductionMode) -> tuple[MentorFacts, ...]:
    """The rule facts of the candidate's current introducers (QĐ294 3.2)."""
    return tuple(
        _mentor_facts(candidate, m.member, m.together_since, m.is_replacement) for m in introducers(candidate, mode)
    )


def task_assign(*, acting_user: User | None, candidate: Candidate, description: str, due_on: dt.date) -> TrialTask:
    """Give a trial task (HD38 I.1.1b). A due date before the candidacy began (its first recorded
    day, or the day it was entered) is a typing mistake, refused; a task given by mistake is taken
    back with services.task_withdraw."""
    require_edit(acting_user, candidate)
    began = min(
        [candidate.created_at.date(), *candidate.transitions.order_by("on_date").values_list("on_date", flat=True)[:1]]
    )
    if due_on < began:
        raise StepRefused((reason("task_due_before_candidacy", "HD38 I.1.1b", due_on=due_on, began=began),))
    with transaction.atomic(durable=True):
        return TrialTask.objects.create(candidate=candidate, description=description, due_on=due_on)


def task_complete(
    *, acting_user: User | None, task: TrialTask, result: str, done_on: dt.date | None, now: dt.datetime | None = None
) -> TrialTask:
    """Record the result of a trial task (HD38 I.1.1b: tasks test the sympathiser)."""
    require_edit(acting_user, task.candidate)
    problems = date_problems(done_on, None, now or timezone.now()) if done_on else []
    if problems:
        raise StepRefused(tuple(problems))
    task.result, task.done_on = result.strip(), done_on
    with transaction.atomic(durable=True):
        task.save(update_fields=["result", "done_on"])
    return task


def document_record(
    *,
    acting_user: User | None,
    candidate: Candidate,
    doc_type: str,
    issued_on: dt.date,
    note: str = "",
    returned: bool = False,
    reason_text: str = "",
) -> DossierItem:
    """Mark a dossier document as held (or returned for correction) with its date.

    Changing an item a user already entered (its date or state) is a correction: it needs a reason,
    kept in the item's history with the former values (issue 14). An item the steps ticked
    (`ticked_by`) or returned by a committee is completed without one.
    """
    require_edit(acting_user, candidate)
    status = DossierItem.Status.RETURNED if returned else DossierItem.Status.RECEIVED
    with transaction.atomic(durable=True):
        item = DossierItem.objects.select_for_update().filter(candidate=candidate, doc_type=doc_type).first()
        changes_entry = (
            item is not None
            and not item.ticked_by
            and item.status == DossierItem.Status.RECEIVED
            and (item.issued_on, item.status) != (issued_on, status)
        )
        if changes_entry and not reason_text.strip():
            raise StepRefused((reason("document_change_reason_required", "", document=doc_type),))
        item = item or DossierItem(candidate=candidate, doc_type=doc_type)
        item.issued_on, item.note, item.status = issued_on, note, status
        item.updated_by, item.ticked_by = acting_user, ""  # the user's entry: never changed by checklist_tick
        item._change_reason = reason_text.strip()[:100] or None  # type: ignore[attr-defined]  # simple-history
        item.save()
    return item


def calendar_token_set(*, acting_user: User, enable: bool) -> str:
    """Create a new private calendar-feed token (revoking any previous one), or revoke it."""
    token = secrets.token_urlsafe(32) if enable else ""
    with transaction.atomic(durable=True):
        User.objects.filter(pk=acting_user.pk).update(calendar_token=token)
    return token
