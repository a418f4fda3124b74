"""Walk a candidate through the real services along a reference timeline.

Used by the demo data and by the tests ("a candidate in stage X since date D" is set up by
the real transitions, architecture E). Dates are offsets from the day the candidate was
first followed; each stage has one action, so the route through S8A/S9/S10 follows the
organisation tree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from admission import services
from admission.domain.periods import add_months
from admission.models import Candidate
from admission.workflow import COMMITTEE_TURNS, STEP_BY_KEY
from members.models import PartyMember, User

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: dt.date) -> dt.datetime:
    """10:00 local time on `day`: services take `now` explicitly."""
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=TZ)


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


Action = Callable[[Candidate, "User | None", Sequence[PartyMember], dt.date], None]


def _step(key: str, offset: int, **extra: object) -> Action:
    def run(candidate: Candidate, user: User | None, introducers: Sequence[PartyMember], start: dt.date) -> None:
        day = start + _days(offset)
        data = {
            "on_date": day,
            **{k: (start + _days(v) if k.endswith("_date") and isinstance(v, int) else v) for k, v in extra.items()},
        }
        services.candidate_step(
            acting_user=user,
            candidate=candidate,
            step_key=key,
            data=services.StepInput.from_fields(STEP_BY_KEY[key], data),
            now=at(day),
        )

    return run


def _vote(key: str, offset: int, yes: int = 7, summoned: int = 9) -> Action:
    def run(candidate: Candidate, user: User | None, introducers: Sequence[PartyMember], start: dt.date) -> None:
        day = start + _days(offset)
        services.candidate_vote(
            acting_user=user,
            candidate=candidate,
            step_key=key,
            held_on=day,
            summoned=summoned,
            excluded=0,
            yes=yes,
            no=summoned - yes,
            abstain=0,
            form="secret",
            now=at(day),
        )

    return run


def _introduce(candidate: Candidate, user: User | None, introducers: Sequence[PartyMember], start: dt.date) -> None:
    """The first member is assigned to help, and so introduces (rules §3 S5); two members introduce,
    the second assigned as introducer only; a Youth Union member of youth age is introduced by the
    Youth Union and the helper (ĐL 4.1; QĐ294 3.1)."""
    day = start + _days(119)
    youth = services.is_youth_union_case(candidate.person, day)
    for member, role in zip(introducers[:1] if youth else introducers, ("mentor", "introducer"), strict=False):
        services.mentor_assign(
            acting_user=user,
            candidate=candidate,
            member=member,
            together_since=start - _days(735),
            assigned_on=start + _days(104),
            role=role,
        )
    if youth:
        _step("introduction", 119, introduction_mode="YOUTH_UNION_PLUS_ONE", union_resolution_date=112)(
            candidate, user, introducers, start
        )
    else:
        _step("introduction", 119, introduction_mode="TWO_MEMBERS")(candidate, user, introducers, start)


def _probation_review(
    candidate: Candidate, user: User | None, introducers: Sequence[PartyMember], start: dt.date
) -> None:
    assert candidate.ceremony_date is not None  # noqa: S101 - S13 is reached through the ceremony
    day = add_months(candidate.ceremony_date, 12) + _days(2)
    services.candidate_step(
        acting_user=user,
        candidate=candidate,
        step_key="probation_review",
        data=services.StepInput(on_date=day, new_member_class_date=candidate.ceremony_date + _days(150)),
        now=at(day),
    )


def _after_review(key: str, offset: int, kind: str = "step") -> Action:
    """Recognition steps are dated from the end of probation, not from the start."""

    def run(candidate: Candidate, user: User | None, introducers: Sequence[PartyMember], start: dt.date) -> None:
        review = candidate.stage_entered_on
        if key == "recognition_dossier":
            for doc in ("R1", "R2", "R3", "R4"):
                services.document_record(
                    acting_user=user, candidate=candidate, doc_type=doc, issued_on=review + _days(3)
                )
        shifted = (review - start).days + offset
        (_vote(key, shifted) if kind == "vote" else _step(key, shifted))(candidate, user, introducers, start)

    return run


def _recognition_chain_then_decision(
    candidate: Candidate, user: User | None, introducers: Sequence[PartyMember], start: dt.date
) -> None:
    """The sub-committee's appraisal and the grassroots committee's resolution where the tree has
    them (R6 7 days, R7 14 days after the branch's resolution), then the decision."""
    offsets = {"recognition_appraisal": 22, "recognition_grassroots_vote": 29}
    while (pending := services.pending_chain_step(candidate)) is not None:
        _after_review(pending.key, offsets[pending.key], kind="vote")(candidate, user, introducers, start)
        candidate.refresh_from_db()
    _after_review("recognition_decision", 36)(candidate, user, introducers, start)


# One action per stage: the reference timeline starting from `start` (the S0 date).
# With start = 06/01/2025: list 10/01, class 05/02, certificate 20/03, dossier 02/04,
# application 15/04, introduction 05/05, verification 20/06, comments 10/07, branch vote
# 05/08, grassroots vote 20/08, decision 15/09 (received 18/09), ceremony 03/10/2025,
# records 30/10/2025, review 05/10/2026, dossier 10/10, vote 20/10, decision 10/11/2026.
TIMELINE: dict[str, Action] = {
    "S0": _step("add_to_list", 4),
    "S1": _step("propose_class", 30),
    "S2": _step("certificate", 73, certificate_number="GCN-2025"),
    "S3": _step("permit_dossier", 86),
    "S4": _step("application", 99),
    "S5": _introduce,
    "S6": _step("verification", 165),
    "S7": _step("comments", 185),  # the steps ticked A1-A5 of the checklist; this one ticks A6
    "S8": _vote("branch_vote", 211),
    "S8A": _step("appraisal", 218),
    "S9": _vote("grassroots_vote", 226),
    "S10": _step("decision", 252, decision_number="QĐ-KN", decision_received_date=255),
    "S11": _step("ceremony", 270),
    "S12": _step("records", 297),
    "S13": _probation_review,
    "S14": _after_review("recognition_dossier", 5),
    "S15": _after_review("recognition_vote", 15, kind="vote"),
    "S16": _recognition_chain_then_decision,
}


def remove_through_chain(
    candidate: Candidate,
    *,
    day: dt.date,
    branch_user: User | None,
    grassroots_user: User | None,
    committee_user: User | None,
    note: str = "Vi phạm tư cách đảng viên dự bị",
    votes: tuple[int, int] = (7, 9),
) -> Candidate:
    """Remove a probationer (S13-S15) through the chain on `day` (HD06 4.6): the branch's resolution,
    the grassroots committee's where the tree has one, then the deciding committee's decision with
    its vote. Each is recorded by its own body's user (None: the system)."""
    yes, summoned = votes
    for key, user in (("removal_branch_vote", branch_user), ("removal_grassroots_vote", grassroots_user)):
        if services.step_applies(STEP_BY_KEY[key], candidate):
            services.candidate_vote(
                acting_user=user,
                candidate=candidate,
                step_key=key,
                held_on=day,
                summoned=summoned,
                excluded=0,
                yes=yes,
                no=summoned - yes,
                abstain=0,
                form="secret",
                now=at(day),
            )
    services.candidate_step(
        acting_user=committee_user,
        candidate=candidate,
        step_key="remove",
        data=services.StepInput(
            on_date=day, note=note, basis="QĐ xóa tên", vote=services.VoteCounts(summoned=5, yes=4, no=1)
        ),
        now=at(day),
    )
    candidate.refresh_from_db()
    return candidate


def walk_to(
    candidate: Candidate,
    target: str,
    *,
    user: User | None,
    introducers: Sequence[PartyMember],
    start: dt.date,
    committee_user: User | None = None,
) -> Candidate:
    """Record every step of the reference timeline until the candidate reaches `target`.

    Steps of the committees (appraisal, resolution, decisions) are recorded by `committee_user`,
    or by the system (None) when not given: a branch secretary may not record them.
    """
    while candidate.stage != target:
        acting = committee_user if candidate.stage_enum in COMMITTEE_TURNS else user
        TIMELINE[candidate.stage](candidate, acting, introducers, start)
        candidate.refresh_from_db()
    return candidate
