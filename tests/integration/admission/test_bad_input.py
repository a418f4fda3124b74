"""Refused input leaves nothing half-saved: dates out of order, incomplete dossiers, impossible
vote counts, expired certificates, thresholds, deadlock, mentors and the routes of the tree.

Candidates follow the reference timeline of admission.devdata.demo from START = Mon 06/01/2025: list
10/01, class 05/02, certificate 20/03, dossier 02/04, application 15/04, introduction 05/05,
verification 20/06, comments 10/07 (S8 from then), branch vote 05/08, grassroots vote 20/08,
decision 15/09/2025 (received 18/09), ceremony 03/10/2025.
"""

import datetime as dt

import pytest

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, DossierItem, Mentorship, StageTransition, Vote
from members.models import MemberStatus, PartyMember
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db

START = dt.date(2025, 1, 6)
LISTED_ON = dt.date(2025, 1, 10)
CLASS_ON = dt.date(2025, 2, 5)
S8_SINCE = dt.date(2025, 7, 10)
BRANCH_VOTE_ON = dt.date(2025, 8, 5)
GRASSROOTS_VOTE_ON = dt.date(2025, 8, 20)
DECISION_ON = dt.date(2025, 9, 15)
RECEIVED_ON = dt.date(2025, 9, 18)


def _walked(branch, introducers, stage: str, *, user=None, name: str = "Vũ Thị Hồ Sơ") -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=branch, full_name=name, date_of_birth=dt.date(1996, 2, 12))
    candidate = services.candidate_create(acting_user=user, person=person, now=at(START))
    return walk_to(candidate, stage, user=user, introducers=introducers, start=START)


def _snapshot(candidate: Candidate) -> dict[str, object]:
    """The candidate row and how many rows each table holds."""
    tables = (Candidate, StageTransition, Vote, DossierItem, Mentorship, PartyMember)
    return {
        "candidate": Candidate.objects.filter(pk=candidate.pk).values().get(),
        **{model.__name__: model.objects.count() for model in tables},
    }


def _codes(refused: pytest.ExceptionInfo[services.StepRefused]) -> list[str]:
    return [r.code for r in refused.value.reasons]


def _reason(refused: pytest.ExceptionInfo[services.StepRefused], code: str):  # type: ignore[no-untyped-def]
    return next(r for r in refused.value.reasons if r.code == code)


def _vote(candidate: Candidate, *, held_on: dt.date, summoned: int, yes: int, no: int, excluded: int = 0, step_key: str = "branch_vote", abstain: int = 0) -> Vote:  # fmt: skip
    return services.candidate_vote(
        acting_user=None,
        candidate=candidate,
        step_key=step_key,
        held_on=held_on,
        summoned=summoned,
        excluded=excluded,
        yes=yes,
        no=no,
        abstain=abstain,
        form="secret",
        now=at(held_on),
    )


# --- Dates out of legal order -------------------------------------------------------------------


def test_it_refuses_a_ceremony_dated_before_the_decision(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, introducers, "S11", user=alice)
    before = _snapshot(candidate)

    with pytest.raises(services.StepRefused) as refused:
        services.candidate_step(
            acting_user=alice,
            candidate=candidate,
            step_key="ceremony",
            data=services.StepInput(on_date=dt.date(2025, 9, 14)),
            now=at(dt.date(2025, 10, 3)),
        )

    # 14/09 is before the decision of 15/09 (QĐ294 4.1) and before S11 began (15/09).
    assert set(_codes(refused)) == {"ceremony_before_decision", "date_order"}
    params = _reason(refused, "ceremony_before_decision").params
    assert (params["ceremony_date"], params["decision_date"]) == (dt.date(2025, 9, 14), DECISION_ON)
    assert _snapshot(candidate) == before
    assert not PartyMember.objects.filter(person=candidate.person).exists()


def test_it_refuses_a_ceremony_before_the_branch_received_the_decision(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, introducers, "S11", user=alice)
    before = _snapshot(candidate)

    with pytest.raises(services.StepRefused) as refused:
        services.candidate_step(
            acting_user=alice,
            candidate=candidate,
            step_key="ceremony",
            data=services.StepInput(on_date=dt.date(2025, 9, 16)),  # signed 15/09, received 18/09
            now=at(dt.date(2025, 10, 3)),
        )

    assert _codes(refused) == ["date_order"]
    params = refused.value.reasons[0].params
    assert (params["first"], params["first_date"], params["second"]) == ("decision_received", RECEIVED_ON, "ceremony")
    assert _snapshot(candidate) == before


def test_it_refuses_a_decision_received_before_it_was_signed(tree, alice, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, introducers, "S10", user=alice)  # S10 since 20/08/2025
    before = _snapshot(candidate)

    with pytest.raises(services.StepRefused) as refused:
        services.candidate_step(
            acting_user=gina,
            candidate=candidate,
            step_key="decision",
            data=services.StepInput(
                on_date=DECISION_ON, decision_number="QĐ-1", decision_received_date=dt.date(2025, 9, 14)
            ),
            now=at(dt.date(2025, 9, 20)),
        )

    assert _codes(refused) == ["date_order"]
    params = refused.value.reasons[0].params
    assert (params["first"], params["first_date"]) == ("decision", DECISION_ON)
    assert (params["second"], params["second_date"]) == ("decision_received", dt.date(2025, 9, 14))
    assert _snapshot(candidate) == before
    assert Candidate.objects.get(pk=candidate.pk).decision_date is None


@pytest.mark.parametrize(
    ("on_date", "refused_with"),
    [
        (dt.date(2025, 2, 6), ["date_in_future"]),  # the day after "now" (05/02/2025, 10:00 local)
        (dt.date(2025, 2, 5), []),  # today itself is allowed
        (dt.date(2025, 1, 9), ["date_order"]),  # the day before S1 began (10/01/2025)
        (dt.date(2025, 1, 10), []),  # the day S1 began is allowed
    ],
)
def test_it_refuses_event_dates_in_the_future_or_before_the_stage_began(tree, alice, on_date, refused_with) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, [], "S1", user=alice)
    before = _snapshot(candidate)
    step = {"acting_user": alice, "candidate": candidate, "step_key": "propose_class", "now": at(CLASS_ON)}

    if not refused_with:
        services.candidate_step(data=services.StepInput(on_date=on_date), **step)
        row = Candidate.objects.get(pk=candidate.pk)
        assert (row.stage, row.class_proposed_date, row.stage_entered_on) == ("S2", on_date, on_date)
        return
    with pytest.raises(services.StepRefused) as refused:
        services.candidate_step(data=services.StepInput(on_date=on_date), **step)

    assert _codes(refused) == refused_with
    if refused_with == ["date_order"]:
        params = refused.value.reasons[0].params
        assert (params["first"], params["first_date"], params["second_date"]) == ("stage_entered", LISTED_ON, on_date)
    else:
        assert refused.value.reasons[0].params["day"] == on_date
    assert _snapshot(candidate) == before


# --- The branch vote: dossier, counts, certificate, threshold -----------------------------------


@pytest.mark.parametrize("how", ["deleted", "returned"])
def test_it_refuses_the_branch_vote_while_a_required_document_is_missing(tree, alice, introducers, how) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, introducers, "S8", user=alice)
    if how == "deleted":
        DossierItem.objects.filter(candidate=candidate, doc_type="A4").delete()
        missing = ("A4",)
    else:  # handed back for correction: no longer held
        services.document_record(
            acting_user=alice,
            candidate=candidate,
            doc_type="A6",
            issued_on=S8_SINCE,
            returned=True,
            note="Thiếu chữ ký",
        )
        missing = ("A6",)
    before = _snapshot(candidate)

    with pytest.raises(services.StepRefused) as refused:
        _vote(candidate, held_on=BRANCH_VOTE_ON, summoned=9, yes=9, no=0)

    assert _codes(refused) == ["documents_missing"]
    assert tuple(refused.value.reasons[0].params["documents"]) == missing
    assert _snapshot(candidate) == before
    assert not Vote.objects.filter(candidate=candidate).exists()


def test_it_refuses_more_votes_than_members_counted(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, introducers, "S8", user=alice)
    before = _snapshot(candidate)

    with pytest.raises(services.StepRefused) as refused:
        # N = 9 summoned - 2 excluded = 7, but 6 + 2 + 0 = 8 votes.
        _vote(candidate, held_on=BRANCH_VOTE_ON, summoned=9, excluded=2, yes=6, no=2)

    assert _codes(refused) == ["vote_counts_exceed_denominator"]
    params = refused.value.reasons[0].params
    assert (params["total"], params["denominator"]) == (8, 7)
    assert _snapshot(candidate) == before
    assert not Vote.objects.exists()


def test_it_refuses_more_members_excluded_than_summoned(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, introducers, "S8", user=alice)
    before = _snapshot(candidate)

    with pytest.raises(services.StepRefused) as refused:
        _vote(candidate, held_on=BRANCH_VOTE_ON, summoned=3, excluded=4, yes=0, no=0)

    assert "vote_counts_exceed_denominator" in _codes(refused)
    params = _reason(refused, "vote_counts_exceed_denominator").params
    assert (params["total"], params["denominator"]) == (4, 3)
    assert _snapshot(candidate) == before
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    ("issued_on", "valid_until", "refused"),
    [
        # valid until issue + 60 months (HD06 5.4b); the branch meets on Tue 05/08/2025.
        (dt.date(2020, 8, 4), dt.date(2025, 8, 4), True),  # expired the day before the meeting
        (dt.date(2020, 8, 5), dt.date(2025, 8, 5), False),  # valid through the meeting day itself
        (dt.date(2020, 8, 6), dt.date(2025, 8, 6), False),  # expires the day after
    ],
)
def test_it_refuses_the_branch_vote_only_once_the_certificate_has_expired(
    tree, alice, introducers, issued_on, valid_until, refused
) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, introducers, "S8", user=alice)
    Candidate.objects.filter(pk=candidate.pk).update(certificate_issue_date=issued_on)
    candidate.refresh_from_db()
    before = _snapshot(candidate)

    if refused:
        with pytest.raises(services.StepRefused) as refusal:
            _vote(candidate, held_on=BRANCH_VOTE_ON, summoned=9, yes=9, no=0)
        assert _codes(refusal) == ["certificate_expired"]
        assert refusal.value.reasons[0].params["valid_until"] == valid_until
        assert _snapshot(candidate) == before
        return
    vote = _vote(candidate, held_on=BRANCH_VOTE_ON, summoned=9, yes=9, no=0)
    assert vote.passed
    assert Candidate.objects.get(pk=candidate.pk).stage == "S9"


@pytest.mark.parametrize(
    ("summoned", "excluded", "yes", "no", "required", "passed"),
    [
        (9, 0, 5, 4, 6, False),  # ceil(2 * 9 / 3) = 6
        (9, 0, 6, 3, 6, True),
        (9, 2, 5, 2, 5, True),  # N = 7: ceil(14 / 3) = 5
        (9, 2, 4, 3, 5, False),
    ],
)
def test_it_applies_the_two_thirds_threshold_of_the_members_counted(
    tree, alice, introducers, summoned, excluded, yes, no, required, passed
) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, introducers, "S8", user=alice)

    vote = _vote(candidate, held_on=BRANCH_VOTE_ON, summoned=summoned, excluded=excluded, yes=yes, no=no)

    row = Vote.objects.get(pk=vote.pk)
    assert (row.passed, row.required, row.denominator, row.yes) == (passed, required, summoned - excluded, yes)
    candidate.refresh_from_db()
    if passed:
        assert (candidate.stage, candidate.failed_votes, candidate.branch_resolution_date) == ("S9", 0, BRANCH_VOTE_ON)
    else:
        assert (candidate.stage, candidate.failed_votes, candidate.branch_resolution_date) == ("S8", 1, None)
        assert StageTransition.objects.filter(candidate=candidate).latest("at", "pk").to_stage == "S8"


# --- Recognition deadlock (QĐ294 4.2.3) ---------------------------------------------------------

# Probation: ceremony 03/10/2025 + 12 months = 03/10/2026; review 05/10/2026 (S14), recognition
# dossier 10/10/2026 (S15). Three branch meetings afterwards, each 5 of 9 (6 needed).
RECOGNITION_VOTES = [dt.date(2026, 10, 20), dt.date(2026, 10, 27), dt.date(2026, 11, 3)]


def test_it_escalates_after_three_failed_recognition_votes(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, introducers, "S15", user=alice)
    assert candidate.stage_entered_on == dt.date(2026, 10, 10)

    for number, held_on in enumerate(RECOGNITION_VOTES, start=1):
        vote = _vote(candidate, step_key="recognition_vote", held_on=held_on, summoned=9, yes=5, no=4)
        candidate.refresh_from_db()
        assert (vote.passed, vote.required, candidate.failed_votes) == (False, 6, number)
        assert candidate.stage == ("SY" if number == 3 else "S15")

    escalation = StageTransition.objects.filter(candidate=candidate).latest("at", "pk")
    assert (escalation.from_stage, escalation.to_stage, escalation.on_date) == ("S15", "SY", RECOGNITION_VOTES[-1])
    assert "QĐ294 4.2.3" in escalation.note
    assert "3 lần không đạt" in escalation.note  # in Vietnamese, as the screens (services.steps.deadlock_note)
    assert Vote.objects.filter(candidate=candidate, purpose="recognition", passed=False).count() == 3


def test_it_counts_only_recognition_votes_towards_the_deadlock(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, introducers, "S8", user=alice)
    assert not _vote(candidate, held_on=BRANCH_VOTE_ON, summoned=9, yes=5, no=4).passed  # admission, failed
    walk_to(candidate, "S15", user=alice, introducers=introducers, start=START)  # passes 7/9 the same day

    for held_on in RECOGNITION_VOTES[:2]:
        _vote(candidate, step_key="recognition_vote", held_on=held_on, summoned=9, yes=5, no=4)

    candidate.refresh_from_db()
    # Only two recognition votes failed: the branch may vote a third time.
    assert candidate.stage == "S15"


# --- Mentors and introducers (QĐ294 3.2) --------------------------------------------------------


def _assign(candidate: Candidate, member: PartyMember, together_since: dt.date, assigned_on: dt.date, **extra):  # type: ignore[no-untyped-def]
    return services.mentor_assign(
        acting_user=None,
        candidate=candidate,
        member=member,
        together_since=together_since,
        assigned_on=assigned_on,
        **extra,
    )


def test_it_refuses_a_probationary_member_as_mentor(tree, alice) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, [], "S1", user=alice)
    member = MemberFactory(
        person=PersonFactory(organisation=tree.branch_a, full_name="Đinh Văn Dự"),
        status=MemberStatus.PROBATIONARY,
        official_date=None,
    )
    before = _snapshot(candidate)

    with pytest.raises(services.StepRefused) as refused:
        _assign(candidate, member, dt.date(2020, 1, 1), CLASS_ON)

    assert _codes(refused) == ["mentor_not_official"]
    assert refused.value.reasons[0].params["name"] == "Đinh Văn Dự"
    assert _snapshot(candidate) == before


@pytest.mark.parametrize(
    ("assigned_on", "is_replacement", "accepted"),
    [
        # Together since 15/03/2024: 12 months are reached on 15/03/2025.
        (dt.date(2025, 3, 14), False, False),
        (dt.date(2025, 3, 15), False, True),
        (dt.date(2025, 3, 14), True, True),  # a replacement needs no 12 months (QĐ294 3.2.2)
    ],
)
def test_it_requires_twelve_months_together_unless_a_replacement(
    tree, alice, assigned_on, is_replacement, accepted
) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, [], "S1", user=alice)
    member = MemberFactory(person=PersonFactory(organisation=tree.branch_a, full_name="Hà Thị Giúp"))
    before = _snapshot(candidate)

    if accepted:
        mentorship = _assign(candidate, member, dt.date(2024, 3, 15), assigned_on, is_replacement=is_replacement)
        assert Mentorship.objects.get(pk=mentorship.pk).is_replacement is is_replacement
        return
    with pytest.raises(services.StepRefused) as refused:
        _assign(candidate, member, dt.date(2024, 3, 15), assigned_on, is_replacement=is_replacement)

    assert _codes(refused) == ["mentor_together_too_short"]
    params = refused.value.reasons[0].params
    assert (params["months"], params["reached_on"]) == (12, dt.date(2025, 3, 15))
    assert _snapshot(candidate) == before


# --- Routes through the tree ----------------------------------------------------------------------


def _official_members(branch, names):  # type: ignore[no-untyped-def]
    return [MemberFactory(person=PersonFactory(organisation=branch, full_name=name)) for name in names]


def test_it_sends_a_village_branch_resolution_straight_to_the_decision(tree) -> None:  # type: ignore[no-untyped-def]
    introducers = _official_members(tree.village, ["Lò Văn Bản", "Quàng Thị Xóm"])
    candidate = _walked(tree.village, introducers, "S8", name="Mùa A Thôn")

    walk_to(candidate, "S10", user=None, introducers=introducers, start=START)

    # The commune's standing committee decides on the branch resolution (QĐ294 20.2.2): no S9.
    pairs = list(StageTransition.objects.filter(candidate=candidate).values_list("from_stage", "to_stage"))
    assert pairs[-1] == ("S8", "S10")
    assert "S9" not in {stage for pair in pairs for stage in pair}
    candidate.refresh_from_db()
    assert (candidate.branch_resolution_date, candidate.grassroots_resolution_date) == (BRANCH_VOTE_ON, None)


def test_it_lets_a_delegated_committee_decide_with_its_own_vote(tree) -> None:  # type: ignore[no-untyped-def]
    introducers = _official_members(tree.delegated_branch, ["Trương Văn Công", "Kiều Thị Ty"])
    candidate = _walked(tree.delegated_branch, introducers, "S8", name="Mạc Văn Xưởng")

    walk_to(candidate, "S11", user=None, introducers=introducers, start=START)

    pairs = list(StageTransition.objects.filter(candidate=candidate).values_list("from_stage", "to_stage"))
    assert pairs[-2:] == [("S8", "S9"), ("S9", "S11")]
    candidate.refresh_from_db()
    # The grassroots resolution of 20/08/2025 is the decision itself (HD06 3.7a; QĐ294 4.3.2a).
    assert (candidate.grassroots_resolution_date, candidate.decision_date, candidate.decision_received_date) == (
        GRASSROOTS_VOTE_ON,
        GRASSROOTS_VOTE_ON,
        GRASSROOTS_VOTE_ON,
    )
    body = Vote.objects.filter(candidate=candidate).order_by("held_on").values_list("body", flat=True)
    assert list(body) == ["BRANCH", "DELEGATED_GRASSROOTS_COMMITTEE"]


# --- The committee's vote entered with the decision (rules §5: BTV > 1/2) -------------------------


def test_it_checks_the_standing_committees_vote_and_never_stores_a_refused_one(tree, alice, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree.branch_a, introducers, "S10", user=alice)
    entered = {"on_date": dt.date(2025, 9, 15), "decision_received_date": dt.date(2025, 9, 18)}
    # Branch A's decision is the provincial People's Committee organisation's BTV: > 1/2 of 9 = 5.
    with pytest.raises(services.StepRefused) as refused:
        services.candidate_step(
            acting_user=gina,
            candidate=candidate,
            step_key="decision",
            now=at(dt.date(2025, 9, 18)),
            data=services.StepInput(**entered, vote=services.VoteCounts(summoned=9, yes=4, no=5)),
        )
    assert [r.code for r in refused.value.reasons] == ["vote_threshold_not_reached", "committee_vote_not_recorded"]
    assert not Vote.objects.filter(candidate=candidate, body="STANDING_COMMITTEE").exists()  # refused: not stored
    candidate.refresh_from_db()
    assert candidate.stage == "S10"

    services.candidate_step(
        acting_user=gina,
        candidate=candidate,
        step_key="decision",
        now=at(dt.date(2025, 9, 18)),
        data=services.StepInput(**entered, vote=services.VoteCounts(summoned=9, yes=5, no=4)),
    )
    candidate.refresh_from_db()
    assert candidate.stage == "S11"
    assert list(Vote.objects.filter(candidate=candidate, body="STANDING_COMMITTEE").values_list("passed", "yes")) == [
        (True, 5)
    ]
