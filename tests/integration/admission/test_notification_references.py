"""A notification's references (user, organisation, candidate, transition) carry no foreign-key
constraint in the database (the sweep writes hundreds of thousands at once; docs/decisions.md):
deleting what one is about still takes it away, through the ORM's cascade."""

import datetime as dt

import pytest
from django.db import connection

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Notification, StageTransition
from members.models import User
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = at(dt.date(2025, 10, 1))


def _note(user: User, key: str, **about) -> Notification:  # type: ignore[no-untyped-def]
    return Notification.objects.create(
        user=user, key=key, kind=Notification.Kind.DEADLINE, text_vi="x", text_en="x", created_at=NOW, **about
    )


def test_the_database_no_longer_checks_a_notifications_references() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'admission_notification'::regclass AND contype = 'f'"
        )
        assert cursor.fetchone()[0] == 1  # the digest's only (set later, by the send)


def test_deleting_a_user_or_a_transition_deletes_their_notifications(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    other = UserFactory(username="other")
    candidate = services.candidate_create(acting_user=alice, person=PersonFactory(organisation=tree.branch_a), now=NOW)
    candidate = walk_to(candidate, "S2", user=alice, introducers=introducers, start=NOW.date())
    transition = StageTransition.objects.filter(candidate=candidate).order_by("pk").last()
    assert transition is not None
    _note(alice, "a", organisation=tree.branch_a, candidate=candidate, transition=transition)
    _note(other, "b", organisation=tree.branch_a)
    _note(other, "c", organisation=tree.branch_a, candidate=candidate)

    other.delete()
    assert sorted(Notification.objects.values_list("key", flat=True)) == ["a"]
    transition.delete()
    assert not Notification.objects.exists()
