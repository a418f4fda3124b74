"""Steps and generated documents tick the dossier checklist items they produce (workflow `produces`,
`DOCUMENT_DATE`), dated with the act, who and when in the item's history; nothing automatic ever
changes or unticks what a user entered. Candidates follow the reference timeline from 06/01/2025
(certificate 20/03, application 15/04, introduction 05/05, comments 10/07, branch vote 05/08/2025)."""

import datetime as dt

import pytest
from django.db import transaction

from admission import services
from admission.devdata.demo import at, walk_to
from admission.documents import generate as docgen
from admission.models import Candidate, DossierItem, GeneratedKind
from members.models import PartyMember, User
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)


def _followed(tree: Tree, user: User | None, stage: str, introducers: list[PartyMember], **person: object) -> Candidate:
    candidate = services.candidate_create(
        acting_user=user, person=PersonFactory(organisation=tree.branch_a, **person), now=at(START)
    )
    return walk_to(candidate, stage, user=user, introducers=introducers, start=START)


def _items(candidate: Candidate) -> dict[str, tuple[str, dt.date, str]]:
    return {i.doc_type: (i.status, i.issued_on, i.ticked_by) for i in DossierItem.objects.filter(candidate=candidate)}


def test_the_steps_tick_what_they_produce_dated_with_the_act(tree: Tree, alice: User, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _followed(tree, alice, "S9", introducers)

    assert _items(candidate) == {
        "A1": ("received", dt.date(2025, 3, 20), "certificate"),
        "A2": ("received", dt.date(2025, 4, 15), "application"),
        "A3": ("received", dt.date(2025, 4, 15), "application"),
        "A4": ("received", dt.date(2025, 5, 5), "introduction"),
        "A6": ("received", dt.date(2025, 7, 10), "comments"),
        "A7": ("received", dt.date(2025, 8, 5), "branch_vote"),  # the vote's resolution
    }  # no A5: two members introduced
    a1 = DossierItem.objects.get(candidate=candidate, doc_type="A1")
    assert a1.updated_by == alice
    (created,) = a1.history.all()  # type: ignore[attr-defined]
    assert (created.history_user, created.history_change_reason, created.history_type) == (alice, "certificate", "+")


def test_the_youth_union_resolution_ticks_a5(tree: Tree, alice: User, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _followed(tree, alice, "S6", introducers, youth_union_member=True, date_of_birth=dt.date(2001, 2, 3))

    assert candidate.introduction_mode == "YOUTH_UNION_PLUS_ONE"
    assert _items(candidate)["A5"] == ("received", dt.date(2025, 4, 28), "introduction")  # START + 112


def test_it_never_changes_what_a_user_entered(tree: Tree, alice: User, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _followed(tree, alice, "S2", introducers)
    services.document_record(
        acting_user=alice, candidate=candidate, doc_type="A1", issued_on=dt.date(2025, 3, 1), note="bản sao"
    )

    candidate = walk_to(candidate, "S4", user=alice, introducers=introducers, start=START)

    a1 = DossierItem.objects.get(candidate=candidate, doc_type="A1")
    assert (a1.status, a1.issued_on, a1.note, a1.ticked_by) == ("received", dt.date(2025, 3, 1), "bản sao", "")
    assert a1.history.count() == 1  # type: ignore[attr-defined]


def test_a_returned_or_earlier_automatic_item_follows_the_new_act(tree: Tree, alice: User, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _followed(tree, alice, "S3", introducers)
    DossierItem.objects.filter(candidate=candidate, doc_type="A1").update(status="returned", note="mờ")
    day = dt.date(2025, 4, 1)
    with transaction.atomic():
        changed = services.checklist_tick(
            candidate=candidate, items={"A1": (day, "certificate")}, acting_user=alice, now=at(day)
        )

    assert changed == ["A1"]
    assert _items(candidate)["A1"] == ("received", day, "certificate")
    assert DossierItem.objects.get(candidate=candidate, doc_type="A1").note == ""
    with transaction.atomic():  # the same again: nothing to change
        assert (
            services.checklist_tick(
                candidate=candidate, items={"A1": (day, "certificate")}, acting_user=alice, now=at(day)
            )
            == []
        )


def test_a_generated_document_ticks_its_item_once_the_act_is_recorded(tree: Tree, alice: User, introducers) -> None:  # type: ignore[no-untyped-def]
    before = _followed(tree, alice, "S8", introducers, full_name="Lý Văn Nháp")
    docgen.document_generate(
        acting_user=alice, candidate=before, kind=GeneratedKind.BRANCH_RESOLUTION, fmt="docx", now=at(START)
    )
    assert "A7" not in _items(before)  # a draft printed for the meeting ticks nothing

    voted = _followed(tree, alice, "S9", introducers, full_name="Lý Văn Đã Họp")
    DossierItem.objects.filter(candidate=voted, doc_type="A7").delete()  # e.g. recorded before the ticking existed
    docgen.document_generate(
        acting_user=alice,
        candidate=voted,
        kind=GeneratedKind.BRANCH_RESOLUTION,
        fmt="docx",
        now=at(dt.date(2025, 8, 6)),
    )

    assert _items(voted)["A7"] == ("received", dt.date(2025, 8, 5), "generated:branch_resolution")
