"""Branch meetings (HD38 I.1.1b; ĐL 24.2): attendance, minutes, sympathiser-list decisions, and the
vote denominators that follow from the attendance (QĐ294 9.3.2, 9.3.4).

- `meeting_record`: a new meeting with one attendance row per official member of the branch on the
  meeting day (or, for a branch whose members are not in the tracker, the two numbers typed as
  before), its minutes and its list decisions;
- `meeting_update`: the branch edits attendance, minutes and the decisions' reasons until its next
  meeting; after that a change is a correction with a reason (the branch, or the committee above).
  Every change leaves a MeetingCorrection row (who, when, why, what) and history rows;
- `meeting_vote_counts`: where a branch vote's summoned/excluded come from (candidate_vote).

Votes whose counts came from the attendance follow a correction of it (their summoned, excluded,
denominator and required are recounted); if the recount changes whether the votes for reach the
threshold, the vote is marked `needs_correction` and its recorded result, and the stage it moved,
stay until the secretary corrects the vote (docs/decisions.md, "Branch meetings and attendance").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from admission.domain.attendance import AttendanceCounts, ballots_problem, count_attendance
from admission.domain.reasons import Reason, reason
from admission.domain.stages import Stage
from admission.domain.votes import VotingBody, evaluate_vote, threshold_for, threshold_rule
from admission.models import (
    AttendanceStatus,
    BranchMeeting,
    Candidate,
    ListDecision,
    MeetingAttendance,
    MeetingCorrection,
    Vote,
)
from admission.services.base import StepRefused, date_problems
from admission.services.transitions import candidate_transition
from admission.workflow import STEP_BY_KEY
from members.models import Organisation, User
from members.selectors import branch_official_members, scope_for

LIST_RULE = "HD38 I.1.1b"
COUNT_RULE = "QĐ294 9.3.2, 9.3.4"
HISTORY_REASON_LENGTH = 100  # simple-history's history_change_reason


@dataclass(frozen=True)
class AttendanceEntry:
    """One official member's attendance as entered: a status of AttendanceStatus and a note."""

    status: str
    note: str = ""


def _clean_note(text: str) -> str:
    return " ".join((text or "").split())[:255]


def _roster_problems(
    organisation: Organisation, held_on: dt.date, attendance: Mapping[int, AttendanceEntry]
) -> list[Reason]:
    """The attendance must name exactly the official members of the branch on the day (QĐ294 9.3.2)."""
    roster = {
        m.pk: m.person.full_name for m in branch_official_members(user=None, organisation=organisation, on=held_on)
    }
    if set(roster) == set(attendance):
        bad = [roster[i] for i, entry in attendance.items() if entry.status not in AttendanceStatus.values]
        return [reason("attendance_roster_changed", COUNT_RULE, day=held_on, names=tuple(bad))] if bad else []
    missing = sorted(roster[i] for i in set(roster) - set(attendance))
    differ = missing + [f"#{i}" for i in sorted(set(attendance) - set(roster))]
    return [reason("attendance_roster_changed", COUNT_RULE, day=held_on, names=tuple(differ))]


def meeting_record(
    *,
    acting_user: User | None,
    organisation: Any,
    held_on: dt.date,
    minutes: str,
    add: list[Candidate],
    keep: list[Candidate],
    remove: Mapping[int, str],
    attendance: Mapping[int, AttendanceEntry] | None = None,
    official_members: int | None = None,
    present: int | None = None,
    now: dt.datetime | None = None,
) -> BranchMeeting:
    """Record a monthly branch meeting, its attendance and its sympathiser-list decisions (HD38 I.1.1b).

    `attendance` (member id -> entry) must cover exactly the official members of the branch on
    `held_on` (members.selectors.branch_official_members); the counts are derived from it. Without
    it (a branch whose members are not in the tracker) `official_members` and `present` are typed.
    Side effects: one transaction; the meeting, its attendance rows, one ListDecision per person,
    a stage transition S0→S1 for each person added and S1/S2…→S0 for each person removed.
    """
    now = now or timezone.now()
    if acting_user is not None and not scope_for(acting_user).can_edit(organisation):
        raise PermissionDenied
    problems = list(date_problems(held_on, None, now))
    for candidate_id, why in remove.items():
        if not why.strip():
            problems.append(reason("note_required", LIST_RULE, step=str(candidate_id)))
    if attendance is not None:
        problems.extend(_roster_problems(organisation, held_on, attendance))
        counts = count_attendance(entry.status for entry in attendance.values())
    elif official_members is None or present is None or present > official_members:
        problems.append(reason("vote_counts_missing", COUNT_RULE))
        counts = AttendanceCounts(summoned=0, present=0)
    else:
        counts = AttendanceCounts(summoned=official_members, present=present)
    if problems:
        raise StepRefused(tuple(problems))
    with transaction.atomic(durable=True):
        meeting = BranchMeeting(
            organisation=organisation,
            held_on=held_on,
            official_members=counts.summoned,
            present=counts.present,
            excluded=counts.excluded,
            attendance_recorded=attendance is not None,
            minutes=minutes,
            created_by=acting_user,
        )
        meeting._history_user = acting_user  # type: ignore[attr-defined]
        meeting.save()
        if attendance is not None:
            bulk_create_with_history(  # with a first history row each, so a correction shows what it was
                [
                    MeetingAttendance(
                        meeting=meeting, member_id=member_id, status=entry.status, note=_clean_note(entry.note)
                    )
                    for member_id, entry in attendance.items()
                ],
                MeetingAttendance,
                default_user=acting_user,
            )
        _record_decisions(acting_user, meeting, add=add, keep=keep, remove=remove, now=now)
    return meeting


def _record_decisions(
    acting_user: User | None,
    meeting: BranchMeeting,
    *,
    add: list[Candidate],
    keep: list[Candidate],
    remove: Mapping[int, str],
    now: dt.datetime,
) -> None:
    organisation, held_on = meeting.organisation, meeting.held_on
    for candidate in add:
        _same_branch(candidate, organisation)
        candidate_transition(
            acting_user=acting_user,
            candidate=candidate,
            expected_stage=Stage.S0,
            to_stage=Stage.S1,
            on_date=held_on,
            now=now,
            basis=f"BranchMeeting {held_on:%d/%m/%Y}",
            fields={"sympathiser_date": held_on},
            step_key="add_to_list",  # a decision withdrawn later undoes it (list_decision_withdraw)
        )
        ListDecision.objects.create(meeting=meeting, candidate=candidate, decision=ListDecision.Decision.ADD)
    for candidate in keep:
        _same_branch(candidate, organisation)
        ListDecision.objects.create(meeting=meeting, candidate=candidate, decision=ListDecision.Decision.KEEP)
    for candidate in Candidate.objects.filter(pk__in=list(remove), organisation=organisation):
        candidate_transition(
            acting_user=acting_user,
            candidate=candidate,
            expected_stage=candidate.stage_enum,
            to_stage=Stage.S0,
            on_date=held_on,
            now=now,
            note=remove[candidate.pk],
            step_key="drop" if candidate.stage_enum in STEP_BY_KEY["drop"].from_stages else "",
        )
        ListDecision.objects.create(
            meeting=meeting, candidate=candidate, decision=ListDecision.Decision.REMOVE, reason=remove[candidate.pk]
        )


def _same_branch(candidate: Candidate, organisation: Any) -> None:
    if candidate.organisation_id != organisation.pk:
        raise PermissionDenied


# --- Editing and correcting ---------------------------------------------------------------------


def next_meeting(meeting: BranchMeeting) -> BranchMeeting | None:
    """The branch's first meeting held after this one: from then on a change is a correction."""
    return (
        BranchMeeting.objects.filter(organisation_id=meeting.organisation_id, held_on__gt=meeting.held_on)
        .order_by("held_on", "pk")
        .first()
    )


def may_edit_meeting(user: User, meeting: BranchMeeting, *, after_next: bool) -> bool:
    """The branch's secretary or deputy (or an administrator) edits its meetings; once the branch has
    met again the committees above may correct them too (with a reason)."""
    scope = scope_for(user)
    if scope.acts_for_branch(meeting.organisation):
        return True
    return after_next and scope.can_edit_above(meeting.organisation)


@dataclass
class _Changes:
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, **values: Any) -> None:
        self.items.append({"kind": kind, **values})


def meeting_update(
    *,
    acting_user: User | None,
    meeting: BranchMeeting,
    attendance: Mapping[int, AttendanceEntry] | None = None,
    minutes: str | None = None,
    decision_reasons: Mapping[int, str] | None = None,
    reason_text: str = "",
    now: dt.datetime | None = None,
) -> MeetingCorrection | None:
    """Change a meeting's attendance (member id -> entry), minutes or the reasons of its decisions.

    1. Who: the branch (may_edit_meeting); after the branch's next meeting a reason is required.
    2. The attendance keeps its members (those summoned then); the counts are derived again, and
       so are those of the votes that took their counts from it: refused if one of them now has
       more ballots than members present (correct that vote first); marked `needs_correction` if
       its counts no longer give the result it recorded (its result and the stage stay).
    3. One durable transaction: the changed rows (with history rows naming the user and reason),
       the meeting's counts, the recounted votes and one MeetingCorrection listing the changes.
    Returns None, writing nothing, when nothing changed.
    """
    now = now or timezone.now()
    later = next_meeting(meeting)
    why = " ".join((reason_text or "").split())
    if acting_user is not None:
        scope = scope_for(acting_user)
        if not scope.can_edit(meeting.organisation):
            raise PermissionDenied
        if not may_edit_meeting(acting_user, meeting, after_next=later is not None):
            raise StepRefused((reason("meeting_edit_not_branch", "ĐL 24.2", branch=meeting.organisation.name),))
    if later is not None and not why:
        raise StepRefused((reason("meeting_correction_reason_required", "ĐL 24.2", next_day=later.held_on),))
    with transaction.atomic(durable=True):
        meeting = BranchMeeting.objects.select_for_update().select_related("organisation").get(pk=meeting.pk)
        changes = _Changes()
        rows = list(meeting.attendance.select_related("member__person"))
        changed_rows = _attendance_changes(meeting, rows, attendance or {}, changes)
        decisions = list(meeting.list_decisions.select_related("candidate__person"))
        changed_decisions = _decision_changes(decisions, decision_reasons or {}, changes)
        if minutes is not None and minutes.strip() != meeting.minutes.strip():
            changes.add("minutes", before=meeting.minutes, after=minutes.strip())
            meeting.minutes = minutes.strip()
        if not changes.items:
            return None
        history_reason = why[:HISTORY_REASON_LENGTH] or None
        counts = count_attendance(row.status for row in rows) if meeting.attendance_recorded else None
        votes = _recount_votes(meeting, counts, changes) if changed_rows and counts is not None else []
        for row in changed_rows:
            row._history_user = acting_user  # type: ignore[attr-defined]
            row._change_reason = history_reason  # type: ignore[attr-defined]
            row.save(update_fields=["status", "note"])
        for decision in changed_decisions:
            decision._history_user = acting_user  # type: ignore[attr-defined]
            decision._change_reason = history_reason  # type: ignore[attr-defined]
            decision.save(update_fields=["reason"])
        if counts is not None:
            meeting.official_members, meeting.present, meeting.excluded = (
                counts.summoned,
                counts.present,
                counts.excluded,
            )
        meeting._history_user = acting_user  # type: ignore[attr-defined]
        meeting._change_reason = history_reason  # type: ignore[attr-defined]
        meeting.save(update_fields=["minutes", "official_members", "present", "excluded"])
        for vote in votes:
            vote.save(update_fields=["summoned", "excluded", "denominator", "required", "needs_correction"])
        return MeetingCorrection.objects.create(
            meeting=meeting, at=now, by=acting_user, reason=why, changes=changes.items
        )


def _attendance_changes(
    meeting: BranchMeeting,
    rows: list[MeetingAttendance],
    attendance: Mapping[int, AttendanceEntry],
    changes: _Changes,
) -> list[MeetingAttendance]:
    """Apply the entries to the rows of the members summoned (others are refused); the changed rows."""
    by_member = {row.member_id: row for row in rows}
    wrong = {i for i, entry in attendance.items() if i not in by_member or entry.status not in AttendanceStatus.values}
    if wrong:
        names = tuple(by_member[i].member.person.full_name if i in by_member else f"#{i}" for i in sorted(wrong))
        raise StepRefused((reason("attendance_roster_changed", COUNT_RULE, day=meeting.held_on, names=names),))
    changed = []
    for member_id, entry in attendance.items():
        row = by_member[member_id]
        note = _clean_note(entry.note)
        if (row.status, row.note) == (entry.status, note):
            continue
        changes.add(
            "attendance",
            name=row.member.person.full_name,
            before=row.status,
            after=entry.status,
            note_before=row.note,
            note_after=note,
        )
        row.status, row.note = entry.status, note
        changed.append(row)
    return changed


def _decision_changes(
    decisions: list[ListDecision], reasons: Mapping[int, str], changes: _Changes
) -> list[ListDecision]:
    """The decisions whose reason changed; a removal keeps a reason (HD38 I.1.1b)."""
    changed = []
    for decision in decisions:
        if decision.pk not in reasons:
            continue
        text = _clean_note(reasons[decision.pk])
        if text == decision.reason:
            continue
        if decision.decision == ListDecision.Decision.REMOVE and not text:
            raise StepRefused((reason("note_required", LIST_RULE, step=decision.candidate.person.full_name),))
        changes.add("decision", name=decision.candidate.person.full_name, before=decision.reason, after=text)
        decision.reason = text
        changed.append(decision)
    return changed


def _recount_votes(meeting: BranchMeeting, counts: AttendanceCounts, changes: _Changes) -> list[Vote]:
    """The votes that took their counts from this meeting, recounted (unsaved); refused if one now
    has more ballots than members present."""
    votes = list(meeting.votes.filter(counts_from_attendance=True).select_related("candidate__person"))
    body = VotingBody.BRANCH
    for vote in votes:
        too_many = ballots_problem(yes=vote.yes, no=vote.no, abstain=vote.abstain, present=counts.present)
        if too_many is not None:
            raise StepRefused(
                (
                    reason(
                        "attendance_fix_breaks_vote",
                        COUNT_RULE,
                        present=counts.present,
                        total=vote.yes + vote.no + vote.abstain,
                        day=vote.held_on,
                        name=vote.candidate.person.full_name,
                    ),
                )
            )
        outcome = evaluate_vote(
            yes=vote.yes,
            no=vote.no,
            abstain=vote.abstain,
            denominator=counts.denominator,
            threshold=threshold_for(body),
            rule=threshold_rule(body),
            body=body,
            official_members=counts.summoned,
        )
        before = (vote.denominator, vote.required)
        vote.summoned, vote.excluded, vote.denominator = counts.summoned, counts.excluded, counts.denominator
        vote.required = outcome.required
        vote.needs_correction = outcome.passed != vote.passed
        if before != (vote.denominator, vote.required) or vote.needs_correction:
            changes.add(
                "vote",
                name=vote.candidate.person.full_name,
                denominator_before=before[0],
                denominator_after=vote.denominator,
                required_before=before[1],
                required_after=vote.required,
                yes=vote.yes,
                passed=vote.passed,
                needs_correction=vote.needs_correction,
            )
    return votes


# --- Where a branch vote's counts come from -------------------------------------------------------


@dataclass(frozen=True)
class MeetingVoteCounts:
    """The summoned/excluded a vote uses, the members present when the attendance gives them, and
    the reasons against taking them (nothing may be recorded while there are any)."""

    summoned: int
    excluded: int
    present: int | None = None
    from_attendance: bool = False
    problems: tuple[Reason, ...] = ()


def meeting_vote_counts(
    *,
    meeting: BranchMeeting | None,
    candidate: Candidate,
    body: VotingBody,
    held_on: dt.date,
    summoned: int | None,
    excluded: int | None,
) -> MeetingVoteCounts:
    """Summoned and excluded of a vote: from the meeting's attendance when it has one (typed counts
    must then be absent or the same), else as typed (QĐ294 9.3.2, 9.3.4)."""
    problems: list[Reason] = []
    if meeting is not None:
        if body is not VotingBody.BRANCH:
            problems.append(reason("meeting_not_branch_vote", COUNT_RULE))
        if meeting.organisation_id != candidate.organisation_id:
            problems.append(
                reason("meeting_other_branch", COUNT_RULE, day=meeting.held_on, branch=candidate.organisation.name)
            )
        if meeting.held_on != held_on:
            problems.append(reason("meeting_date_mismatch", COUNT_RULE, day=held_on, meeting_day=meeting.held_on))
        if meeting.attendance_recorded:
            typed = (summoned, excluded or 0)
            if summoned is not None and typed != (meeting.official_members, meeting.excluded):
                problems.append(
                    reason(
                        "meeting_counts_differ",
                        COUNT_RULE,
                        meeting_day=meeting.held_on,
                        summoned=meeting.official_members,
                        excluded=meeting.excluded,
                    )
                )
            return MeetingVoteCounts(
                summoned=meeting.official_members,
                excluded=meeting.excluded,
                present=meeting.present,
                from_attendance=True,
                problems=tuple(problems),
            )
    if summoned is None:
        problems.append(reason("vote_counts_missing", COUNT_RULE))
    return MeetingVoteCounts(summoned=summoned or 0, excluded=excluded or 0, problems=tuple(problems))
