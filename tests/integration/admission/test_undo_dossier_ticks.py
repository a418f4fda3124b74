"""Undoing a step takes back the dossier items it ticked automatically (docs/decisions.md "Undo takes
back the dossier ticks of the step"): each goes back to its state before the tick, or goes when the
tick made it; what a user entered or returned, or another source ticked again, stays. Candidates
follow the reference timeline from 06/01/2025 (certificate 20/03, application 15/04, branch vote
05/08/2025)."""

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import TIMELINE, at, walk_to
from admission.models import Candidate, DossierItem, StageTransition
from members.models import PartyMember, User
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
CERTIFICATE = dt.date(2025, 3, 20)
APPLICATION = dt.date(2025, 4, 15)
BRANCH_VOTE = dt.date(2025, 8, 5)
WHY = "Ghi nhầm hồ sơ của người khác"


def _candidate(tree: Tree, user: User, introducers: list[PartyMember], stage: str) -> Candidate:
    person = PersonFactory(organisation=tree.branch_a, full_name="Vũ Văn Hoàn", date_of_birth=dt.date(1995, 6, 7))
    candidate = services.candidate_create(acting_user=user, person=person, now=at(START))
    return walk_to(candidate, stage, user=user, introducers=introducers, start=START)


def _walk(candidate: Candidate, user: User, introducers: list[PartyMember], stage: str) -> Candidate:
    return walk_to(candidate, stage, user=user, introducers=introducers, start=START)


def _item(candidate: Candidate, code: str) -> tuple[str, dt.date, str, str] | None:
    item = DossierItem.objects.filter(candidate=candidate, doc_type=code).first()
    return None if item is None else (item.status, item.issued_on, item.ticked_by, item.note)


def _tick(candidate: Candidate, code: str, day: dt.date, source: str, user: User) -> None:
    with transaction.atomic():
        services.checklist_tick(candidate=candidate, items={code: (day, source)}, acting_user=user, now=at(day))


def _undo(candidate: Candidate, user: User, step_key: str) -> Candidate:
    assert StageTransition.objects.filter(candidate=candidate).order_by("-at", "-pk")[0].step_key == step_key
    services.step_undo(acting_user=user, candidate=candidate, reason_text=WHY)
    candidate.refresh_from_db()
    return candidate


def test_it_takes_back_the_item_the_step_ticked_and_the_history_says_who_and_why(  # type: ignore[no-untyped-def]
    tree, alice, introducers
) -> None:
    candidate = _candidate(tree, alice, introducers, "S3")
    assert _item(candidate, "A1") == ("received", CERTIFICATE, "certificate", "")

    candidate = _undo(candidate, alice, "certificate")

    assert candidate.stage == "S2"
    assert not DossierItem.objects.filter(candidate=candidate, doc_type="A1").exists()
    rows = DossierItem.history.filter(candidate=candidate, doc_type="A1").order_by("-history_id")  # type: ignore[attr-defined]
    removed, ticked = rows
    assert (removed.history_type, removed.history_user, removed.history_change_reason) == ("-", alice, WHY)
    assert (ticked.history_type, ticked.ticked_by, ticked.issued_on) == ("+", "certificate", CERTIFICATE)
    # The step recorded again ticks it again.
    TIMELINE["S2"](candidate, alice, introducers, START)
    assert _item(candidate, "A1") == ("received", CERTIFICATE, "certificate", "")


def test_an_item_a_user_entered_stays_and_the_one_the_step_ticked_goes(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S4")
    services.document_record(
        acting_user=alice, candidate=candidate, doc_type="A2", issued_on=dt.date(2025, 4, 1), note="bản gốc"
    )
    candidate = _walk(candidate, alice, introducers, "S5")  # the application ticks A3, not the A2 entered
    assert _item(candidate, "A3") == ("received", APPLICATION, "application", "")

    candidate = _undo(candidate, alice, "application")

    assert _item(candidate, "A2") == ("received", dt.date(2025, 4, 1), "", "bản gốc")
    assert DossierItem.objects.get(candidate=candidate, doc_type="A2").history.count() == 1  # type: ignore[attr-defined]
    assert _item(candidate, "A3") is None


def test_a_document_returned_before_the_step_is_returned_again(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S2")
    services.document_record(
        acting_user=alice, candidate=candidate, doc_type="A1", issued_on=dt.date(2025, 3, 1), note="mờ", returned=True
    )
    candidate = _walk(candidate, alice, introducers, "S3")
    assert _item(candidate, "A1") == ("received", CERTIFICATE, "certificate", "")  # the tick completed it

    candidate = _undo(candidate, alice, "certificate")

    assert _item(candidate, "A1") == ("returned", dt.date(2025, 3, 1), "", "mờ")
    latest = DossierItem.objects.get(candidate=candidate, doc_type="A1").history.first()  # type: ignore[attr-defined]
    assert (latest.history_user, latest.history_change_reason) == (alice, WHY)


def test_an_item_another_source_ticked_before_the_step_goes_back_to_it(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S2")
    _tick(candidate, "A1", dt.date(2025, 3, 1), "generated:certificate", alice)
    candidate = _walk(candidate, alice, introducers, "S3")
    assert _item(candidate, "A1") == ("received", CERTIFICATE, "certificate", "")

    candidate = _undo(candidate, alice, "certificate")

    assert _item(candidate, "A1") == ("received", dt.date(2025, 3, 1), "generated:certificate", "")


@pytest.mark.parametrize("since", ["returned", "ticked_again"])
def test_an_item_returned_or_ticked_by_another_source_after_the_step_stays(  # type: ignore[no-untyped-def]
    tree, alice, introducers, since: str
) -> None:
    candidate = _candidate(tree, alice, introducers, "S5")  # the application ticked A2 and A3
    if since == "returned":
        services.document_record(
            acting_user=alice, candidate=candidate, doc_type="A2", issued_on=APPLICATION, note="thiếu chữ ký",
            returned=True,
        )  # fmt: skip
        expected = ("returned", APPLICATION, "", "thiếu chữ ký")
    else:
        _tick(candidate, "A2", dt.date(2025, 4, 16), "generated:application", alice)
        expected = ("received", dt.date(2025, 4, 16), "generated:application", "")

    candidate = _undo(candidate, alice, "application")

    assert _item(candidate, "A2") == expected
    assert _item(candidate, "A3") is None


def test_a_corrected_step_undone_takes_back_its_item(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S3")
    certificate = StageTransition.objects.get(candidate=candidate, step_key="certificate")
    services.step_correct(
        acting_user=alice, transition=certificate, reason_text="Sai ngày cấp", on_date=dt.date(2025, 3, 18)
    )
    assert _item(candidate, "A1") == ("received", dt.date(2025, 3, 18), "certificate", "")

    candidate = _undo(candidate, alice, "certificate")

    assert candidate.certificate_issue_date is None
    assert _item(candidate, "A1") is None
    kinds = DossierItem.history.filter(candidate=candidate, doc_type="A1").order_by("history_id")  # type: ignore[attr-defined]
    assert [row.history_type for row in kinds] == ["+", "~", "-"]


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        # The committee returned the branch's resolution: it is returned again with the reason.
        ({"A7": "Nghị quyết thiếu chữ ký"}, ("returned", BRANCH_VOTE, "branch_vote", "Nghị quyết thiếu chữ ký")),
        # Another document returned: the resolution of the first vote is held again.
        ({"A4": "Giấy giới thiệu thiếu chữ ký"}, ("received", BRANCH_VOTE, "branch_vote", "")),
    ],
)
def test_a_vote_taken_again_after_a_return_gives_back_the_first_one(  # type: ignore[no-untyped-def]
    tree, alice, carol, introducers, returned: dict[str, str], expected: tuple[str, dt.date, str, str]
) -> None:
    candidate = _candidate(tree, alice, introducers, "S9")
    services.dossier_return(
        acting_user=carol, candidate=candidate, note="Cần bổ sung", documents=returned, now=at(dt.date(2025, 8, 22))
    )
    for code in returned.keys() - {"A7"}:  # redone before the branch votes again
        services.document_record(acting_user=alice, candidate=candidate, doc_type=code, issued_on=dt.date(2025, 8, 25))
    again = dt.date(2025, 8, 28)
    services.candidate_vote(
        acting_user=alice,
        candidate=candidate,
        step_key="branch_vote",
        held_on=again,
        summoned=9,
        excluded=0,
        yes=8,
        no=1,
        abstain=0,
        form="secret",
        now=at(again),
    )
    candidate.refresh_from_db()
    assert candidate.branch_resolution_date == again
    assert _item(candidate, "A7") == ("received", again, "branch_vote", "")

    candidate = _undo(candidate, alice, "branch_vote")

    assert (candidate.stage, candidate.branch_resolution_date) == ("S8", BRANCH_VOTE)
    assert _item(candidate, "A7") == expected


def test_the_candidate_page_no_longer_shows_the_automatic_tick(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S3")
    client = Client()
    client.force_login(alice)
    detail, dossier = (
        reverse("candidate_detail", args=[candidate.pk]),
        reverse("candidate_dossier", args=[candidate.pk]),
    )
    assert "ghi nhận tự động" in client.get(detail).content.decode()
    assert "Tự đánh dấu" in client.get(dossier).content.decode()

    _undo(candidate, alice, "certificate")

    assert "ghi nhận tự động" not in client.get(detail).content.decode()
    assert "Tự đánh dấu" not in client.get(dossier).content.decode()
