"""Annulment of a wrong admission (QĐ294 4.4; HD38 I.3): only the deciding committee records it;
the membership it created stops, then is settled by a new decision or by removal."""

import datetime as dt

import pytest

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate
from members.models import MemberStatus
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
ANNULLED_ON = dt.date(2025, 12, 1)


def _probationer(tree, alice, gina, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Lý Thị Hủy", date_of_birth=dt.date(1997, 2, 3))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S13", user=alice, introducers=introducers, start=START)  # committees: the system


def _annul(user, candidate: Candidate, note: str = "Sai thẩm quyền ký quyết định") -> None:  # type: ignore[no-untyped-def]
    services.candidate_step(
        acting_user=user,
        candidate=candidate,
        step_key="annul",
        data=services.StepInput(on_date=ANNULLED_ON, note=note),
        now=at(ANNULLED_ON),
    )


def test_only_the_deciding_committee_annuls_and_the_membership_stops(tree, alice, carol, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _probationer(tree, alice, gina, introducers)
    assert candidate.member is not None and candidate.member.status == MemberStatus.PROBATIONARY
    for intruder in (alice, carol):  # the branch, and the grassroots committee below the decider
        with pytest.raises(services.StepRefused) as refused:
            _annul(intruder, candidate)
        assert [r.code for r in refused.value.reasons] == ["level_not_due"]
    with pytest.raises(services.StepRefused) as refused:
        _annul(gina, candidate, note="  ")
    assert [r.code for r in refused.value.reasons] == ["note_required"]

    _annul(gina, candidate)
    candidate.refresh_from_db()
    assert candidate.stage == "SZ"
    assert candidate.member is not None
    candidate.member.refresh_from_db()
    assert (candidate.member.status, candidate.member.left_date) == (MemberStatus.REMOVED, ANNULLED_ON)
    assert candidate.transitions.order_by("-pk").first().note == "Sai thẩm quyền ký quyết định"  # type: ignore[union-attr]


def test_a_new_decision_and_ceremony_restore_the_membership_with_the_new_dates(tree, alice, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _probationer(tree, alice, gina, introducers)
    _annul(gina, candidate)
    redecided, decided, ceremony = dt.date(2025, 12, 2), dt.date(2025, 12, 10), dt.date(2025, 12, 20)
    services.candidate_step(
        acting_user=gina,
        candidate=candidate,
        step_key="annulment_redecide",
        data=services.StepInput(on_date=redecided, note="Thủ tục làm lại đúng thẩm quyền"),
        now=at(redecided),
    )
    services.candidate_step(
        acting_user=gina,
        candidate=candidate,
        step_key="decision",
        data=services.StepInput(on_date=decided, decision_number="20-QĐ/ĐU", decision_received_date=decided),
        now=at(decided),
    )
    services.candidate_step(
        acting_user=alice,
        candidate=candidate,
        step_key="ceremony",
        data=services.StepInput(on_date=ceremony),
        now=at(ceremony),
    )
    candidate.refresh_from_db()
    member = candidate.member
    assert member is not None
    member.refresh_from_db()
    assert candidate.stage == "S12"
    assert (member.status, member.left_date) == (MemberStatus.PROBATIONARY, None)
    assert (member.admission_decision_date, member.ceremony_date) == (decided, ceremony)


def test_standards_not_met_after_annulment_remove_the_name(tree, alice, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _probationer(tree, alice, gina, introducers)
    _annul(gina, candidate)
    with pytest.raises(services.StepRefused):
        services.candidate_step(
            acting_user=alice,
            candidate=candidate,
            step_key="annulment_remove",
            data=services.StepInput(on_date=ANNULLED_ON, note="Không đủ tiêu chuẩn"),
            now=at(ANNULLED_ON),
        )
    services.candidate_step(
        acting_user=gina,
        candidate=candidate,
        step_key="annulment_remove",
        data=services.StepInput(on_date=ANNULLED_ON, note="Không đủ tiêu chuẩn"),
        now=at(ANNULLED_ON),
    )
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.removal_date) == ("SX", ANNULLED_ON)
