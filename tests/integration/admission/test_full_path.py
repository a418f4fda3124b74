import datetime as dt

import pytest

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, StageTransition
from members.models import MemberStatus
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)


def test_it_walks_one_candidate_from_s0_to_s17_through_the_services(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Văn Ứng", date_of_birth=dt.date(1998, 5, 4))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))

    walk_to(candidate, "S17", user=alice, introducers=introducers, start=START)

    candidate.refresh_from_db()
    assert candidate.stage == "S17"
    transitions = list(StageTransition.objects.filter(candidate=candidate).values_list("from_stage", "to_stage"))
    # Branch A sits under a grassroots committee that is not delegated: S8 -> S9 -> S10.
    expected = [
        "S0",
        "S1",
        "S2",
        "S3",
        "S4",
        "S5",
        "S6",
        "S7",
        "S8",
        "S9",
        "S10",
        "S11",
        "S12",
        "S13",
        "S14",
        "S15",
        "S16",
    ]
    assert [t[0] for t in transitions] == expected
    assert transitions[-1] == ("S16", "S17")
    member = candidate.member
    assert member is not None
    member.refresh_from_db()
    # Official as of the end of probation: ceremony 03/10/2025 + 12 months (QĐ294 4.2.2),
    # even though the decision came on 10/11/2026.
    assert (member.status, member.official_date) == (MemberStatus.OFFICIAL, dt.date(2026, 10, 3))
    assert member.admission_decision_date == dt.date(2025, 9, 15)
    assert member.ceremony_date == dt.date(2025, 10, 3)
    assert candidate.next_due_on is None


def test_it_keeps_the_legal_deadline_of_the_step_in_progress(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Đỗ Thị Vân")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S10", user=alice, introducers=introducers, start=START)
    # Branch resolution Tue 05/08/2025 + 45 working days (QĐ294 4.3.1): 18 WD from 06/08 to 29/08,
    # Mon 01/09 and Tue 02/09 are the National Day holidays, then 03/09-30/09 gives 20 more (38),
    # and 01/10-03/10 (41), 06/10-09/10 (45): the 45th working day is Thu 09/10/2025.
    assert Candidate.objects.get(pk=candidate.pk).next_due_on == dt.date(2025, 10, 9)
    walk_to(candidate, "S11", user=alice, introducers=introducers, start=START)
    # Received Thu 18/09/2025 + 30 WD: 19/09 (1), 22/09-30/09 (8), 01/10-24/10 (26), 27/10-30/10 (30).
    assert Candidate.objects.get(pk=candidate.pk).next_due_on == dt.date(2025, 10, 30)
