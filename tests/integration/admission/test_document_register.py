"""The register of issued documents: numbers consecutive per type and issuing body within the term,
never reused (a cancelled document keeps its number), refused to those who may not issue for that
body, printed on the document's files; and no gap or duplicate when issues run at once."""

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from admission import services
from admission.devdata.demo import at
from admission.documents import generate as docgen
from admission.documents import register as docregister
from admission.models import Candidate, CommitteeTerm, DocumentCounter, GeneratedKind, IssuedDocument
from members.models import User
from tests.concurrency import failures, run_together
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)
NOW = at(dt.date(2026, 3, 5))


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _candidate(organisation, name: str) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=organisation, full_name=name)
    return services.candidate_create(acting_user=None, person=person, now=at(dt.date(2025, 1, 6)))


def _issue(user, candidate, kind=GeneratedKind.BRANCH_RESOLUTION, day=DAY, **extra):  # type: ignore[no-untyped-def]
    request = docregister.IssueRequest(
        kind=kind, issued_on=day, signer_name=extra.pop("signer", "Trần Văn Ký"), **extra
    )
    return docregister.document_issue(acting_user=user, candidate=candidate, request=request, now=NOW)


def test_numbers_run_consecutively_per_type_and_issuing_body(tree, alice, carol, gina) -> None:  # type: ignore[no-untyped-def]
    first, second = _candidate(tree.branch_a, "Nguyễn Văn Một"), _candidate(tree.branch_a, "Trần Thị Hai")
    other_branch = _candidate(tree.branch_b, "Lê Văn Ba")

    a1 = _issue(alice, first)
    a2 = _issue(alice, second)
    b1 = _issue(carol, other_branch)  # committee staff issue for a branch below them
    c1 = _issue(carol, first, kind=GeneratedKind.COMMITTEE_RESOLUTION)
    d1 = _issue(gina, first, kind=GeneratedKind.ADMISSION_DECISION)
    d2 = _issue(gina, second, kind=GeneratedKind.ADMISSION_DECISION)

    assert [(e.issuer, e.symbol) for e in (a1, a2, b1, c1, d1, d2)] == [
        (tree.branch_a, "1-NQ/CB"),
        (tree.branch_a, "2-NQ/CB"),
        (tree.branch_b, "1-NQ/CB"),
        (tree.committee, "1-NQ/ĐU"),
        (tree.government, "1-QĐ/ĐU"),
        (tree.government, "2-QĐ/ĐU"),
    ]
    assert a1.term_start == dt.date(2025, 1, 1)  # the national five-year cycle without a recorded term
    assert (a1.signer_name, a1.signer_position, a1.summary) == (
        "Trần Văn Ký",
        "BÍ THƯ",
        "Đề nghị kết nạp đảng viên (Nguyễn Văn Một)",
    )


def test_a_new_term_starts_again_at_one_and_the_old_terms_numbers_stand(tree, alice) -> None:  # type: ignore[no-untyped-def]
    candidates = [_candidate(tree.branch_a, f"Người {n}") for n in range(3)]
    CommitteeTerm.objects.create(organisation=tree.branch_a, starts_on=dt.date(2025, 6, 20), label="2025–2030")

    before = _issue(alice, candidates[0], day=dt.date(2025, 6, 19))  # the last day of the old term
    after = _issue(alice, candidates[1], day=dt.date(2025, 6, 20))
    later = _issue(alice, candidates[2], day=DAY)

    assert (before.term_start, before.number) == (dt.date(2025, 1, 1), 1)
    assert (after.term_start, after.number, later.number) == (dt.date(2025, 6, 20), 1, 2)


def test_a_cancelled_document_keeps_its_number_which_is_never_issued_again(tree, alice) -> None:  # type: ignore[no-untyped-def]
    candidate, other = _candidate(tree.branch_a, "Nguyễn Văn Một"), _candidate(tree.branch_a, "Trần Thị Hai")
    first = _issue(alice, candidate)

    with pytest.raises(docregister.IssueRefused, match="đã vào sổ, số 1-NQ/CB"):
        _issue(alice, candidate)  # one document in force per person and kind
    with pytest.raises(docregister.IssueRefused, match="lý do"):
        docregister.issued_document_cancel(acting_user=alice, document=first, reason="  ", now=NOW)
    docregister.issued_document_cancel(acting_user=alice, document=first, reason="Sai ngày sinh", now=NOW)
    with pytest.raises(docregister.IssueRefused, match="đã bị hủy"):
        docregister.issued_document_cancel(acting_user=alice, document=first, reason="lần hai", now=NOW)
    reissued = _issue(alice, candidate)
    third = _issue(alice, other)

    first.refresh_from_db()
    assert (first.number, first.cancelled, first.cancel_reason, first.cancelled_by) == (1, True, "Sai ngày sinh", alice)
    assert (reissued.number, third.number) == (2, 3)
    assert list(IssuedDocument.objects.order_by("number").values_list("number", "cancelled")) == [
        (1, True),
        (2, False),
        (3, False),
    ]


def test_only_those_who_edit_the_issuing_body_issue_or_cancel(tree, alice, bob, carol, oscar) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree.branch_a, "Nguyễn Văn Một")
    for user, kind in (
        (alice, GeneratedKind.ADMISSION_DECISION),  # the branch does not number the standing committee's decisions
        (alice, GeneratedKind.COMMITTEE_RESOLUTION),
        (carol, GeneratedKind.ADMISSION_DECISION),  # nor the grassroots committee
        (bob, GeneratedKind.BRANCH_RESOLUTION),  # another branch
        (oscar, GeneratedKind.BRANCH_RESOLUTION),
    ):
        with pytest.raises(PermissionDenied):
            _issue(user, candidate, kind=kind)
    entry = _issue(alice, candidate)
    with pytest.raises(PermissionDenied):
        docregister.issued_document_cancel(acting_user=bob, document=entry, reason="x", now=NOW)
    assert not DocumentCounter.objects.exclude(issuer=tree.branch_a).exists()  # nothing counted for refusals
    assert IssuedDocument.objects.count() == 1


def test_it_refuses_what_cannot_be_issued_and_counts_nothing(tree, alice) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree.branch_a, "Nguyễn Văn Một")
    for kind, extra, message in (
        (GeneratedKind.MEMBER_SHEET, {}, "không vào sổ"),
        (GeneratedKind.BRANCH_RESOLUTION, {"day": dt.date(2026, 3, 6)}, "sau hôm nay"),
        (GeneratedKind.BRANCH_RESOLUTION, {"signer": " "}, "họ tên người ký"),
        (GeneratedKind.BRANCH_RESOLUTION, {"signer_position": "CHỦ TỊCH"}, "Bí thư hoặc Phó Bí thư"),
    ):
        with pytest.raises(docregister.IssueRefused, match=message):
            _issue(alice, candidate, kind=kind, **extra)
    village = _candidate(tree.village, "Phạm Văn Làng")
    with pytest.raises(docregister.IssueRefused, match="không có cấp ủy ban hành"):
        _issue(None, village, kind=GeneratedKind.COMMITTEE_RESOLUTION)  # no grassroots committee above
    assert not IssuedDocument.objects.exists()
    assert not DocumentCounter.objects.exists()


def test_the_file_of_an_issued_document_prints_its_number_day_signer_and_recipients(tree, gina, tmp_path) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree.branch_a, "Nguyễn Văn Đức")
    entry = _issue(
        gina,
        candidate,
        kind=GeneratedKind.ADMISSION_DECISION,
        day=dt.date(2026, 2, 4),
        signer="Hoàng Thị Ký",
        signer_position="PHÓ BÍ THƯ",
        recipients=("Chi bộ A", "Lưu Văn phòng Đảng ủy"),
    )

    document = docgen.document_generate(
        acting_user=gina, candidate=candidate, kind=entry.kind, fmt="pdf", now=NOW, issued=entry
    )

    pdf = tmp_path / "issued.pdf"
    pdf.write_bytes(document.file.read())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True).stdout.decode()
    assert document.issued == entry
    for expected in (
        "ĐẢNG ỦY UBND TỈNH",
        "Số 1-QĐ/ĐU",
        "ngày 04 tháng 02 năm 2026",  # the day of issue, not the day the file was made
        "T/M BAN THƯỜNG VỤ",
        "PHÓ BÍ THƯ",
        "Hoàng Thị Ký",
        "- Chi bộ A",
        "- Lưu Văn phòng Đảng ủy",
    ):
        assert expected in text, expected


def test_it_refuses_to_print_an_entry_on_another_persons_document(tree, alice) -> None:  # type: ignore[no-untyped-def]
    candidate, other = _candidate(tree.branch_a, "Nguyễn Văn Một"), _candidate(tree.branch_a, "Trần Thị Hai")
    entry = _issue(alice, candidate)
    with pytest.raises(docgen.TemplateRefused):
        docgen.document_generate(acting_user=alice, candidate=other, kind=entry.kind, fmt="docx", now=NOW, issued=entry)


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_consecutive_numbers_without_gap_or_duplicate(tree, alice) -> None:  # type: ignore[no-untyped-def]
    """Eight real connections issue a branch resolution each at the same moment (PostgreSQL row lock)."""
    threads = 8
    candidates = [_candidate(tree.branch_a, f"Người thứ {n}") for n in range(threads)]
    queue = list(candidates)

    def issue(wait):  # type: ignore[no-untyped-def]
        user = User.objects.get(pk=alice.pk)
        mine = Candidate.objects.select_related("organisation", "person").get(pk=queue.pop().pk)
        wait()  # every thread holds its candidate before any issues
        return _issue(user, mine).number

    outcomes = run_together(issue, threads=threads)

    assert not failures(outcomes), failures(outcomes)
    assert sorted(outcomes) == list(range(1, threads + 1))
    assert sorted(IssuedDocument.objects.values_list("number", flat=True)) == list(range(1, threads + 1))
    assert DocumentCounter.objects.get(issuer=tree.branch_a).last_number == threads


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_issues_of_the_same_document_leave_one_number_and_no_gap(tree, alice) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree.branch_a, "Nguyễn Văn Một")

    def issue(wait):  # type: ignore[no-untyped-def]
        user = User.objects.get(pk=alice.pk)
        mine = Candidate.objects.select_related("organisation", "person").get(pk=candidate.pk)
        wait()
        return _issue(user, mine).number

    outcomes = run_together(issue)

    assert [o for o in outcomes if not isinstance(o, BaseException)] == [1]
    (refused,) = failures(outcomes)
    assert isinstance(refused, docregister.IssueRefused)
    assert DocumentCounter.objects.get(issuer=tree.branch_a).last_number == 1  # the loser's number rolled back
    other = _candidate(tree.branch_a, "Trần Thị Hai")
    assert _issue(alice, other).number == 2
