"""admission.bundle: several row sets in one UNION ALL query come back as the ORM would return them."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from admission import bundle, services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, DocumentScan, Mentorship, StageTransition, Vote
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)


@pytest.fixture
def candidate(tree, alice, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Lê Thị Gói")
    created = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(created, "S9", user=alice, introducers=introducers, start=START)


def _values(obj) -> tuple:  # type: ignore[no-untyped-def]
    return tuple(getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields)


def test_it_returns_every_field_of_every_part_in_one_query(candidate) -> None:  # type: ignore[no-untyped-def]
    parts = [
        bundle.Part("transitions", candidate.transitions.all(), related={"acting_user": None}),
        bundle.Part("votes", candidate.votes.all()),
        bundle.Part("documents", candidate.documents.order_by("doc_type")),
        bundle.Part(
            "mentorships",
            Mentorship.objects.filter(candidate=candidate).order_by("-assigned_on", "pk"),
            related={"member": None, "member__person": ("full_name",)},
        ),
        bundle.Part("scans", DocumentScan.objects.filter(candidate=candidate)),  # none: an empty part
    ]

    with CaptureQueriesContext(connection) as queries:
        rows = bundle.fetch(parts)

    assert len(queries) == 1
    transitions = list(candidate.transitions.select_related("acting_user"))
    assert len(transitions) > 5 and rows["transitions"][0].at.tzinfo is not None
    assert [_values(t) for t in rows["transitions"]] == [_values(t) for t in transitions]
    assert [_values(t.acting_user) for t in rows["transitions"]] == [_values(t.acting_user) for t in transitions]
    votes = list(Vote.objects.filter(candidate=candidate))
    assert votes and [_values(v) for v in rows["votes"]] == [_values(v) for v in votes]
    documents = list(candidate.documents.order_by("doc_type"))
    assert documents and [_values(d) for d in rows["documents"]] == [_values(d) for d in documents]
    mentorships = list(Mentorship.objects.filter(candidate=candidate).order_by("-assigned_on", "pk"))
    assert len(mentorships) == 2
    assert [_values(m) for m in rows["mentorships"]] == [_values(m) for m in mentorships]
    assert rows["scans"] == []
    with CaptureQueriesContext(connection) as later:
        names = [m.member.person.full_name for m in rows["mentorships"]]
        users = [t.acting_user.username for t in rows["transitions"]]
    assert len(later) == 0  # attached as select_related would
    assert names == [m.member.person.full_name for m in mentorships]
    assert users == [t.acting_user.username for t in transitions]


def test_it_keeps_the_first_rows_of_a_limited_part_in_its_order(candidate) -> None:  # type: ignore[no-untyped-def]
    newest = list(StageTransition.objects.filter(candidate=candidate).order_by("-at", "-pk")[:3])

    rows = bundle.fetch(
        [bundle.Part("last", candidate.transitions.order_by("-at", "-pk"), fields=("to_stage",), limit=3)]
    )

    assert [(t.pk, t.to_stage) for t in rows["last"]] == [(t.pk, t.to_stage) for t in newest]


def test_it_attaches_none_for_a_null_foreign_key(candidate) -> None:  # type: ignore[no-untyped-def]
    StageTransition.objects.filter(candidate=candidate).update(acting_user=None)

    rows = bundle.fetch([bundle.Part("t", candidate.transitions.all(), related={"acting_user": ("username",)})])

    with CaptureQueriesContext(connection) as later:
        assert all(t.acting_user is None for t in rows["t"])
    assert len(later) == 0
