"""The optional periodic helper comment (rules §0, §8): off by default; where an organisation turns
a cadence on, the helper is reminded on the period's first day and a week before its end until
they sign a comment within it, and the workspace says which period's comment they owe."""

import datetime as dt
from typing import Any

import pytest

from admission import reminders, selectors, services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, MentorCommentKind, Notification, ReminderSettings
from members.models import Role, User
from members.services import role_assign
from tests.conftest import Tree
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)  # the reference timeline: ceremony on 03/10/2025, probation to 03/10/2026


@pytest.fixture
def probationer(tree: Tree, alice: User, introducers: Any) -> Candidate:
    person = PersonFactory(organisation=tree.branch_a, full_name="Hà Văn Định Kỳ")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S13", user=alice, introducers=introducers, start=START)


@pytest.fixture
def mentor(tree: Tree, probationer: Candidate) -> User:
    user = UserFactory(username="dinhky.giupdo", person=probationer.mentorships.get(role="mentor").member.person)
    role_assign(acting_user=None, user=user, organisation=tree.branch_a, role=Role.MENTOR)
    return user


def _reviews(user: User) -> list[str]:
    return sorted(
        Notification.objects.filter(user=user, kind=Notification.Kind.MENTOR_REVIEW).values_list("key", flat=True)
    )


def test_it_is_off_by_default(probationer: Candidate, mentor: User) -> None:
    assert reminders.mentor_reviews_dispatch(now=at(dt.date(2025, 10, 1))) == 0
    reminders.sweep(now=at(dt.date(2025, 12, 24)))
    assert _reviews(mentor) == []
    rows = selectors.mentee_workspace(user=mentor, today=dt.date(2025, 11, 10))
    assert [r.periodic_due for r in rows] == [None]


def test_a_quarterly_cadence_reminds_the_mentor_twice_a_quarter(
    tree: Tree, probationer: Candidate, mentor: User, alice: User
) -> None:
    ReminderSettings.objects.create(organisation=tree.province, mentor_review_cadence="quarterly")
    mentorship = probationer.mentorships.get(role="mentor")
    assert reminders.mentor_reviews_dispatch(now=at(dt.date(2025, 9, 30))) == 0  # before the ceremony's quarter
    reminders.mentor_reviews_dispatch(now=at(dt.date(2025, 10, 1)))
    reminders.mentor_reviews_dispatch(now=at(dt.date(2025, 10, 1)))  # again: idempotent
    reminders.mentor_reviews_dispatch(now=at(dt.date(2025, 11, 10)))  # the same occurrence
    assert _reviews(mentor) == [f"mentor_review:{mentorship.pk}:2025-Q4:0"]
    note = Notification.objects.get(user=mentor, kind=Notification.Kind.MENTOR_REVIEW)
    assert note.text_vi == "Nhận xét định kỳ quý 4/2025 về Hà Văn Định Kỳ (hạn 31/12/2025)"
    assert note.due_on == dt.date(2025, 12, 31) and note.candidate == probationer
    rows = selectors.mentee_workspace(user=mentor, today=dt.date(2025, 11, 10))
    assert rows[0].periodic_due is not None and rows[0].periodic_due.key == "2025-Q4"

    reminders.sweep(now=at(dt.date(2025, 12, 24)))  # a week before the end: the last call, through the sweep
    assert _reviews(mentor) == [f"mentor_review:{mentorship.pk}:2025-Q4:{n}" for n in (0, 1)]
    assert not Notification.objects.filter(user=alice, kind=Notification.Kind.MENTOR_REVIEW).exists()


def test_a_comment_signed_within_the_period_settles_it(tree: Tree, probationer: Candidate, mentor: User) -> None:
    ReminderSettings.objects.create(organisation=tree.province, mentor_review_cadence="monthly")
    day = dt.date(2025, 11, 5)
    services.mentor_comment_write(
        acting_user=mentor, candidate=probationer, kind=MentorCommentKind.PERIODIC,
        text="Tháng 11: tích cực, đúng giờ sinh hoạt.", sign=True, signed_on=day, now=at(day),
    )  # fmt: skip
    reminders.mentor_reviews_dispatch(now=at(dt.date(2025, 11, 23)))
    assert _reviews(mentor) == []
    assert selectors.mentee_workspace(user=mentor, today=dt.date(2025, 11, 23))[0].periodic_due is None
    reminders.mentor_reviews_dispatch(now=at(dt.date(2025, 12, 1)))  # a new month: owed again
    assert [k.rsplit(":", 2)[1] for k in _reviews(mentor)] == ["2025-12"]


def test_the_nearest_setting_wins(tree: Tree, probationer: Candidate, mentor: User) -> None:
    ReminderSettings.objects.create(organisation=tree.province, mentor_review_cadence="monthly")
    ReminderSettings.objects.create(organisation=tree.branch_a, mentor_review_cadence="")
    reminders.mentor_reviews_dispatch(now=at(dt.date(2025, 11, 1)))
    assert _reviews(mentor) == []
