"""Reminders follow ownership (workflow.TURN): the staff of the committee whose act is due are
reminded, the committee above it once overdue; a committee's staff learn when a dossier reaches them."""

import datetime as dt

import pytest

from admission import reminders, services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, Notification
from members.models import Role
from tests.conftest import _persona
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)


@pytest.fixture
def paula(tree):  # type: ignore[no-untyped-def]
    """Staff of the provincial committee P, above the deciding committee G."""
    return _persona("paula", tree.province, Role.COMMITTEE_STAFF)


def _candidate(tree, alice, introducers, stage: str) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Đinh Văn Chờ", date_of_birth=dt.date(1996, 4, 4))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, stage, user=alice, introducers=introducers, start=START)


def _told(candidate: Candidate, kind: str) -> dict[str, bool]:
    """Who was reminded about the candidate, and whether as overdue."""
    return {
        n.user.username: n.overdue
        for n in Notification.objects.filter(candidate=candidate, kind=kind).select_related("user")
    }


def test_the_deciding_committee_is_reminded_of_its_decision_and_its_superior_once_overdue(
    tree, alice, carol, gina, paula, introducers
) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S10")
    due = candidate.next_due_on
    assert due is not None
    reminders.reminders_dispatch_due(now=at(due - dt.timedelta(days=1)))
    assert _told(candidate, Notification.Kind.DEADLINE) == {"alice": False, "gina": False}

    reminders.reminders_dispatch_due(now=at(due + dt.timedelta(days=8)))  # overdue: escalated upward
    overdue = {
        n.user.username
        for n in Notification.objects.filter(candidate=candidate, kind=Notification.Kind.DEADLINE, overdue=True)
    }
    assert overdue == {"alice", "gina", "paula"}  # not carol: the decision is not the grassroots committee's


def test_an_overdue_act_of_the_branch_escalates_to_the_level_above_the_branch(
    tree, alice, carol, gina, introducers
) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S11")  # the ceremony is the branch's
    due = candidate.next_due_on
    assert due is not None
    reminders.reminders_dispatch_due(now=at(due + dt.timedelta(days=8)))
    assert _told(candidate, Notification.Kind.DEADLINE) == {"alice": True, "carol": True}


def test_a_committee_learns_when_a_dossier_reaches_it_and_when_it_comes_back(
    tree, alice, carol, gina, introducers
) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S9")
    arrived = Notification.objects.get(user=carol, candidate=candidate, key__startswith="arrived:")
    assert "đã chuyển đến" in arrived.text_vi and "Chi bộ A" in arrived.text_vi
    assert not Notification.objects.filter(user=gina, key__startswith="arrived:").exists()

    walk_to(candidate, "S10", user=alice, introducers=introducers, start=START)
    assert Notification.objects.filter(user=gina, candidate=candidate, key__startswith="arrived:").count() == 1

    services.dossier_return(
        acting_user=gina, candidate=candidate, note="Thiếu chữ ký", documents={}, now=at(dt.date(2025, 9, 1))
    )
    services.dossier_resubmit(acting_user=alice, candidate=candidate, note="Đã bổ sung", now=at(dt.date(2025, 9, 3)))
    back = Notification.objects.filter(user=carol, candidate=candidate, key__startswith="arrived:").order_by("-pk")
    assert back.count() == 2
    assert "đã nộp lại" in back[0].text_vi
