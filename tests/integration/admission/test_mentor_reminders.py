"""The end-of-probation reminder (leads 30/7/0 days) goes to the mentor until they sign their
end-of-probation comment (HD06 4.3); the branch is reminded either way."""

import datetime as dt
from typing import Any

import pytest

from admission import reminders, services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, MentorCommentKind, Notification
from members.models import User
from tests.conftest import Tree
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
PROBATION_END = dt.date(2026, 10, 3)  # the reference timeline's ceremony is on 03/10/2025


@pytest.fixture
def probationer(tree: Tree, alice: User, introducers: Any) -> Candidate:
    person = PersonFactory(organisation=tree.branch_a, full_name="Lã Văn Nhắc Việc")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S13", user=alice, introducers=introducers, start=START)


@pytest.fixture
def mentor(probationer: Candidate) -> User:
    return UserFactory(username="nhac.giupdo", person=probationer.mentorships.get(role="mentor").member.person)


def _reminded(user: User, candidate: Candidate) -> bool:
    return Notification.objects.filter(user=user, candidate=candidate, kind=Notification.Kind.PROBATION).exists()


def test_the_mentor_is_reminded_while_the_comment_is_unsigned(probationer, mentor, alice) -> None:  # type: ignore[no-untyped-def]
    assert probationer.ceremony_date == dt.date(2025, 10, 3)
    reminders.reminders_dispatch_due(now=at(PROBATION_END - dt.timedelta(days=30)))
    assert _reminded(mentor, probationer) and _reminded(alice, probationer)


def test_a_signed_comment_stops_the_mentors_reminder(probationer, mentor, alice) -> None:  # type: ignore[no-untyped-def]
    day = PROBATION_END - dt.timedelta(days=31)
    services.mentor_comment_write(
        acting_user=mentor,
        candidate=probationer,
        kind=MentorCommentKind.END_OF_PROBATION,
        text="Hoàn thành tốt nhiệm vụ.",
        sign=True,
        signed_on=day,
        now=at(day),
    )
    reminders.reminders_dispatch_due(now=at(PROBATION_END - dt.timedelta(days=30)))
    assert not _reminded(mentor, probationer)
    assert _reminded(alice, probationer)  # the branch still follows the end of probation
