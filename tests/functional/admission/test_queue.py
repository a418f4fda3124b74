"""The committee review queue: who sees which dossiers, filters, bounded queries, outsiders refused."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from members.models import MemberStatus, Role
from members.services import role_assign
from tests.factories import MemberFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
TODAY = dt.datetime(2025, 9, 10, 9, 0, tzinfo=at(START).tzinfo)


def _client(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _walk(branch, user, stage, name):  # type: ignore[no-untyped-def]
    introducers = [
        MemberFactory(
            person=PersonFactory(organisation=branch, full_name=f"Giới Thiệu {name} {i}"), status=MemberStatus.OFFICIAL
        )
        for i in range(2)
    ]
    candidate = services.candidate_create(
        acting_user=user, person=PersonFactory(organisation=branch, full_name=name), now=at(START)
    )
    return walk_to(candidate, stage, user=user, introducers=introducers, start=START)


@pytest.fixture
def gina(tree):  # type: ignore[no-untyped-def]
    """Committee staff of the provincial People's Committee organisation (decides for branch A)."""
    user = UserFactory(username="gina")
    role_assign(acting_user=None, user=user, organisation=tree.government, role=Role.COMMITTEE_STAFF)
    return user


@pytest.fixture
def dossiers(tree, alice):  # type: ignore[no-untyped-def]
    # Branch A (grassroots committee C, decided by the government organisation's BTV):
    # one waiting for C's resolution (S9) and one for the decision (S10).
    return {
        "s9": _walk(tree.branch_a, alice, "S9", "Phạm Văn Chín"),
        "s10": _walk(tree.branch_a, alice, "S10", "Đinh Thị Mười"),
    }


def test_each_committee_sees_the_dossiers_due_at_its_level(tree, carol, gina, dossiers) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(TODAY, tick=False):
        grassroots = _client(carol).get(reverse("committee_queue", args=[tree.committee.pk])).content.decode()
        deciding = _client(gina).get(reverse("committee_queue", args=[tree.government.pk])).content.decode()
    assert "Phạm Văn Chín" in grassroots and "Đinh Thị Mười" not in grassroots
    assert "Đinh Thị Mười" in deciding and "Phạm Văn Chín" not in deciding


def test_it_filters_overdue_dossiers(tree, gina, dossiers) -> None:  # type: ignore[no-untyped-def]
    # The S10 dossier's branch resolution is 05/08/2025: decision deadline 09/10/2025 (45 WD).
    url = reverse("committee_queue", args=[tree.government.pk]) + "?overdue=true"
    with time_machine.travel(TODAY, tick=False):
        assert "Đinh Thị Mười" not in _client(gina).get(url).content.decode()
    with time_machine.travel(dt.datetime(2025, 10, 10, 9, 0, tzinfo=TODAY.tzinfo), tick=False):
        assert "Đinh Thị Mười" in _client(gina).get(url).content.decode()


def test_outsiders_cannot_open_a_committees_queue(tree, bob, oscar, dossiers) -> None:  # type: ignore[no-untyped-def]
    for user in (bob, oscar):
        response = _client(user).get(reverse("committee_queue", args=[tree.committee.pk]))
        assert response.status_code == 404
    anonymous = Client().get(reverse("committee_queue", args=[tree.committee.pk]))
    assert anonymous.status_code == 302


def test_the_queue_page_issues_the_same_queries_for_2_and_for_8_dossiers(
    tree, alice, gina, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("committee_queue", args=[tree.government.pk])
    client = _client(gina)

    def count() -> int:
        with time_machine.travel(TODAY, tick=False), CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        _walk(tree.branch_a, alice, "S10", f"Hồ Sơ Một {i}")
    small = count()
    for i in range(6):
        _walk(tree.branch_a, alice, "S10", f"Hồ Sơ Hai {i}")
    assert count() == small
