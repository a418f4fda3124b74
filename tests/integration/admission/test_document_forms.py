"""The forms beyond the decisions, each filled from the tracker's data: the PDF text (pdftotext) of
each carries the facts recorded for the person (dates, vote counts, names, the meeting's attendance),
and the paths of refusal (a failed standing-committee vote, a removal) print what was decided."""

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from admission import services
from admission.devdata.demo import at, walk_to
from admission.documents import generate as docgen
from admission.documents.context import format_date, long_date
from admission.domain.votes import VotingBody
from admission.models import Candidate, GeneratedKind, Vote, VoteForm, VotePurpose
from members.models import Role
from members.services import role_assign
from tests.factories import PersonFactory, UserFactory
from tests.integration.admission.test_document_format import record_removal

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
GENERATED_ON = dt.date(2026, 12, 1)
NAME = "Nguyễn Văn Đức"


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _walked(tree, introducers, stage: str) -> Candidate:  # type: ignore[no-untyped-def]
    ada = UserFactory(username="ada")
    role_assign(acting_user=None, user=ada, organisation=tree.province, role=Role.ADMINISTRATOR)
    person = PersonFactory(organisation=tree.branch_a, full_name=NAME)
    candidate = services.candidate_create(acting_user=ada, person=person, now=at(START))
    return walk_to(candidate, stage, user=ada, introducers=introducers, start=START)


@pytest.fixture
def recognised(tree, introducers):  # type: ignore[no-untyped-def]
    return _walked(tree, introducers, "S17")


def _pdf_text(user, candidate, kind, tmp_path) -> str:  # type: ignore[no-untyped-def]
    document = docgen.document_generate(
        acting_user=user, candidate=candidate, kind=kind, fmt="pdf", now=at(GENERATED_ON)
    )
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(document.file.read())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True).stdout.decode()
    return " ".join(text.split())  # one line: facts may wrap in the layout


def _vote(candidate: Candidate, purpose: str, body: VotingBody) -> Vote:
    return Vote.objects.filter(candidate=candidate, purpose=purpose, body=body.name).latest("held_on", "pk")


def test_the_comments_summaries_carry_the_person_and_the_dates_they_were_completed(recognised, alice, tmp_path) -> None:  # type: ignore[no-untyped-def]
    admission = _pdf_text(alice, recognised, GeneratedKind.COMMENTS_SUMMARY, tmp_path)
    recognition = _pdf_text(alice, recognised, GeneratedKind.RECOGNITION_COMMENTS, tmp_path)

    assert f"hoàn thành ngày {format_date(recognised.comments_completed_date)}" in admission
    assert long_date(recognised.comments_completed_date) in admission  # dated with the act
    assert "sinh ngày 15/06/1995" in admission and NAME in admission
    assert f"hoàn thành ngày {format_date(recognised.recognition_dossier_date)}" in recognition
    assert "vào Đảng ngày 03/10/2025" in recognition and "hết thời kỳ dự bị ngày 03/10/2026" in recognition
    assert "Đảng viên giúp đỡ: Lê Văn Giới" in recognition
    for text in (admission, recognition):
        assert "Ưu điểm" in text and "Khuyết điểm" in text


def test_the_minutes_and_the_ballot_of_the_branch_meeting(recognised, alice, tmp_path) -> None:  # type: ignore[no-untyped-def]
    vote = _vote(recognised, VotePurpose.ADMISSION, VotingBody.BRANCH)
    minutes = _pdf_text(alice, recognised, GeneratedKind.BRANCH_MINUTES, tmp_path)
    ballot = _pdf_text(alice, recognised, GeneratedKind.BALLOT, tmp_path)

    assert f"Thời gian: ngày {format_date(vote.held_on)}" in minutes
    assert f"được triệu tập: {vote.summoned}" in minutes
    assert f"tán thành {vote.yes}/{vote.denominator}, cần tối thiểu {vote.required}: Đạt" in minutes
    assert "GCN-2025" in minutes and "Lê Văn Giới, Phạm Thị Thiệu" in minutes
    assert "THƯ KÝ" in minutes and "CHỦ TRÌ" in minutes
    assert NAME in ballot and "Đồng ý kết nạp" in ballot and "Không đồng ý kết nạp" in ballot
    assert long_date(vote.held_on) in ballot
    assert "Nơi nhận" not in ballot and "BÍ THƯ" not in ballot  # a ballot is not signed


def test_the_recognition_resolutions_carry_their_votes_and_the_official_date(recognised, alice, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The reference timeline records the grassroots committee's resolution on recognition (R7,
    # workflow.CHAIN) before the decision: the committee's document prints that vote.
    branch = _pdf_text(alice, recognised, GeneratedKind.RECOGNITION_BRANCH_RESOLUTION, tmp_path)
    committee = _pdf_text(alice, recognised, GeneratedKind.RECOGNITION_COMMITTEE_RESOLUTION, tmp_path)
    branch_vote = _vote(recognised, VotePurpose.RECOGNITION, VotingBody.BRANCH)
    committee_vote = _vote(recognised, VotePurpose.RECOGNITION, VotingBody.GRASSROOTS_COMMITTEE)
    day = committee_vote.held_on

    assert "Ngày 25/10/2026, Chi bộ A họp xét đề nghị công nhận" in branch
    assert "ngày 25 tháng 10 năm 2026" in branch
    assert "quyết định kết nạp số QĐ-KN, ngày 15/09/2025" in branch
    assert f"{branch_vote.summoned} {branch_vote.excluded} {branch_vote.denominator} {branch_vote.yes}" in branch
    assert "là đảng viên chính thức kể từ ngày 03/10/2026" in branch
    assert f"Ngày {day:%d/%m/%Y}, Đảng bộ Sở Thử nghiệm xem xét" in committee
    assert f"ngày {day:%d} tháng {day:%m} năm {day:%Y}" in committee  # dated with its vote
    counts = (
        f"{committee_vote.summoned} {committee_vote.excluded} {committee_vote.denominator} "
        f"{committee_vote.yes} {committee_vote.no} {committee_vote.required} Đạt"
    )
    assert counts in committee
    assert "đề nghị Ban Thường vụ Đảng ủy UBND tỉnh xem xét, công nhận" in committee


def test_a_failed_standing_committee_vote_prints_the_notice_of_non_admission(tree, introducers, gina, tmp_path) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree, introducers, "S10")
    Vote.objects.create(
        candidate=candidate, body=VotingBody.STANDING_COMMITTEE.name, purpose=VotePurpose.ADMISSION,
        held_on=dt.date(2025, 9, 10), summoned=9, excluded=0, denominator=9, yes=4, no=5, abstain=0,
        form=VoteForm.SECRET_BALLOT, required=5, passed=False, rule="test",
    )  # fmt: skip

    text = _pdf_text(gina, candidate, GeneratedKind.NON_ADMISSION_NOTICE, tmp_path)

    assert "Hà Nội" not in text  # no place recorded: a dotted blank, never an invented one
    assert "……, ngày 10 tháng 9 năm 2025" in text
    assert "Ngày 10/09/2025, Ban Thường vụ Đảng ủy UBND tỉnh đã xem xét" in text
    assert "Kết quả biểu quyết: 4/9 tán thành, cần tối thiểu 5 (Không đạt)" in text
    assert f"chưa đủ điều kiện kết nạp quần chúng {NAME}" in text
    assert "- Chi bộ A," in text and "- Đảng bộ Sở Thử nghiệm," in text


def test_the_removal_resolution_and_decision(tree, introducers, alice, gina, tmp_path) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree, introducers, "S13")
    record_removal(candidate)

    resolution = _pdf_text(alice, candidate, GeneratedKind.REMOVAL_BRANCH_RESOLUTION, tmp_path)
    decision = _pdf_text(gina, candidate, GeneratedKind.REMOVAL_DECISION, tmp_path)

    assert "Ngày 05/03/2026, Chi bộ A họp xét tư cách đảng viên dự bị" in resolution
    assert "vào Đảng ngày 03/10/2025" in resolution
    assert "9 0 9 7 2 6 Đạt" in resolution
    assert "xóa tên đồng chí " + NAME + " khỏi danh sách đảng viên dự bị" in resolution
    assert "ngày 20 tháng 3 năm 2026" in decision
    assert "Xét nghị quyết của Chi bộ A ngày 05/03/2026 đề nghị xóa tên" in decision
    assert "khỏi danh sách đảng viên dự bị kể từ ngày 20/03/2026" in decision
    assert "T/M BAN THƯỜNG VỤ" in decision
