"""Readmission (E10, QĐ294 3.5): a person whose membership ended is followed again as a readmission;
the branch cannot consider them before 36 months, without the provincial consent, or a second time."""

import datetime as dt

import pytest

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate
from members.models import MemberStatus
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
BRANCH_VOTE_ON = dt.date(2025, 8, 5)  # START + 211 days, the reference timeline's branch meeting


def _former_member(tree, left_on: dt.date):  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Vũ Văn Trở", date_of_birth=dt.date(1990, 3, 3))
    MemberFactory(person=person, organisation=tree.branch_a, status=MemberStatus.REMOVED, left_date=left_on)
    return person


def _branch_vote(alice, candidate: Candidate):  # type: ignore[no-untyped-def]
    return services.candidate_vote(
        acting_user=alice,
        candidate=candidate,
        step_key="branch_vote",
        held_on=BRANCH_VOTE_ON,
        summoned=9,
        excluded=0,
        yes=8,
        no=1,
        abstain=0,
        form="secret",
        now=at(BRANCH_VOTE_ON),
    )


def test_a_former_member_is_followed_as_a_readmission_and_waits_36_months(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    person = _former_member(tree, left_on=dt.date(2023, 1, 10))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    assert candidate.readmission is True
    walk_to(candidate, "S8", user=alice, introducers=introducers, start=START)

    with pytest.raises(services.StepRefused) as refused:
        _branch_vote(alice, candidate)
    found = {r.code: r.params for r in refused.value.reasons}
    assert set(found) == {"readmission_needs_approval", "readmission_too_early"}
    assert found["readmission_too_early"]["earliest"] == dt.date(2026, 1, 10)
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.votes.count()) == ("S8", 0)  # nothing written


def test_a_readmission_after_the_wait_and_with_the_consent_is_considered(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    person = _former_member(tree, left_on=dt.date(2022, 6, 1))  # earliest 01/06/2025, before the meeting
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S8", user=alice, introducers=introducers, start=START)
    candidate.readmission_approved = True  # the provincial standing committee's written consent
    candidate.save(update_fields=["readmission_approved"])
    assert _branch_vote(alice, candidate).passed
    membership = person.membership.pk
    walk_to(candidate, "S12", user=alice, introducers=introducers, start=START)  # the new ceremony
    candidate.refresh_from_db()
    member = candidate.member
    assert member is not None and member.pk == membership  # one membership row per person
    assert (member.status, member.left_date, member.ceremony_date) == (
        MemberStatus.PROBATIONARY,
        None,
        candidate.ceremony_date,
    )


def test_a_second_readmission_is_refused(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    person = _former_member(tree, left_on=dt.date(2015, 6, 1))
    earlier = services.candidate_create(acting_user=alice, person=person, now=at(dt.date(2019, 1, 7)))
    assert earlier.readmission
    # That readmission made them a member again (the same membership row), who later left once more.
    Candidate.objects.filter(pk=earlier.pk).update(stage="S17", member=person.membership)
    type(person.membership).objects.filter(pk=person.membership.pk).update(left_date=dt.date(2020, 1, 1))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S8", user=alice, introducers=introducers, start=START)
    candidate.readmission_approved = True
    candidate.save(update_fields=["readmission_approved"])
    with pytest.raises(services.StepRefused) as refused:
        _branch_vote(alice, candidate)
    assert [r.code for r in refused.value.reasons] == ["readmission_only_once"]
