"""The forms of the sub-committee and of the authority paths, each in the Party's format and filled
from the tracker's data: the appraisal reports (7-KNĐ, 14-KNĐ), the sympathiser list extract, the
conclusion after three failed votes (QĐ294 4.2.3), the annulment decision (QĐ294 4.4), the letter
forwarding a moved dossier and the destination's decision (HD06 3.9b). The PDF text (pdftotext) of
each carries the mandatory components in order and the recorded facts; the first page of each is
kept under test-artifacts/documents.

Reference timeline (admission.devdata.demo, START 06/01/2025): branch vote 05/08/2025, decision
15/09/2025 ("QĐ-KN"), ceremony 03/10/2025, branch recognition vote 25/10/2026.
"""

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from admission import services
from admission.devdata.demo import at, walk_to
from admission.documents import generate as docgen
from admission.documents import register as docregister
from admission.documents.context import format_date
from admission.models import Candidate, GeneratedKind, IssuedDocument
from members.models import MemberStatus, OrganisationKind, PartyMember, Role, User
from members.services import role_assign
from tests.conftest import Tree, _persona
from tests.factories import MemberFactory, OrganisationFactory, PersonFactory, UserFactory
from tests.integration.admission.test_document_format import check_components, keep_first_page

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
GENERATED_ON = dt.date(2026, 12, 1)
VOTED = dt.date(2026, 10, 25)
NAME = "Nguyễn Văn Đức"


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def ada(tree: Tree) -> User:
    user = UserFactory(username="ada")
    role_assign(acting_user=None, user=user, organisation=tree.province, role=Role.ADMINISTRATOR)
    return user


def _members(branch) -> list[PartyMember]:  # type: ignore[no-untyped-def]
    return [
        MemberFactory(person=PersonFactory(organisation=branch, full_name=name), status=MemberStatus.OFFICIAL)
        for name in ("Lê Văn Giới", "Phạm Thị Thiệu")
    ]


def _at(branch, stage: str) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=branch, full_name=NAME, youth_union_member=False)
    candidate = services.candidate_create(acting_user=None, person=person, now=at(START))
    return walk_to(candidate, stage, user=None, introducers=_members(branch), start=START)


def _pdf(user: User, candidate: Candidate, kind: str, tmp_path: Path, issued: IssuedDocument | None = None) -> str:
    document = docgen.document_generate(
        acting_user=user, candidate=candidate, kind=kind, fmt="pdf", now=at(GENERATED_ON), issued=issued
    )
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(document.file.read())
    keep_first_page(path, kind)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True).stdout.decode()


def _flat(text: str) -> str:
    return " ".join(text.split())  # one line: facts may wrap in the layout


def _vote(user: User | None, candidate: Candidate, key: str, day: dt.date, yes: int = 7) -> None:
    services.candidate_vote(
        acting_user=user, candidate=candidate, step_key=key, held_on=day, summoned=9, excluded=0, yes=yes,
        no=9 - yes, abstain=0, form="secret", now=at(day),
    )  # fmt: skip
    candidate.refresh_from_db()


def _step(user: User | None, candidate: Candidate, key: str, day: dt.date, note: str) -> None:
    services.candidate_step(
        acting_user=user, candidate=candidate, step_key=key, data=services.StepInput(on_date=day, note=note),
        now=at(day),
    )  # fmt: skip
    candidate.refresh_from_db()


def test_the_sub_committees_appraisal_reports_on_admission_and_on_recognition(tree, ada, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sub = OrganisationFactory(
        kind=OrganisationKind.SUB_COMMITTEE, name="Đảng ủy bộ phận Khối 1", code="S", parent=tree.committee
    )
    branch = OrganisationFactory(kind=OrganisationKind.BRANCH, name="Chi bộ Phòng 1", code="S1", parent=sub)
    candidate = _at(branch, "S16")
    _vote(None, candidate, "recognition_appraisal", VOTED + dt.timedelta(days=7))
    assert candidate.appraisal_date is not None and candidate.recognition_appraisal_date == dt.date(2026, 11, 1)
    components = ("ĐẢNG BỘ SỞ THỬ NGHIỆM", "ĐẢNG ỦY BỘ PHẬN KHỐI 1", "Số ……-BC/ĐUBP", "BÁO CÁO", "T/M ĐẢNG ỦY")

    admission = _pdf(ada, candidate, GeneratedKind.APPRAISAL_REPORT, tmp_path)
    recognition = _pdf(ada, candidate, GeneratedKind.RECOGNITION_APPRAISAL, tmp_path)

    check_components(admission, components)
    check_components(recognition, components)
    admission, recognition = _flat(admission), _flat(recognition)
    appraised = format_date(candidate.appraisal_date)
    assert f"Ngày {appraised}, Đảng ủy bộ phận Khối 1 thẩm định nghị quyết của Chi bộ Phòng 1 ngày 05/08/2025" in (
        admission
    )
    # Addressed to the grassroots committee (Đảng ủy), not to the organisation (Đảng bộ).
    assert "thẩm định đề nghị kết nạp đảng viên" in admission and "Kính gửi: Đảng ủy Sở Thử nghiệm" in admission
    assert "Lê Văn Giới, Phạm Thị Thiệu" in admission and "GCN-2025" in admission
    assert "- Đảng ủy Sở Thử nghiệm (để xem xét)," in admission
    assert "đề nghị Đảng ủy Sở Thử nghiệm xem xét, đề nghị kết nạp" in admission
    assert "Kính gửi: Đảng ủy Sở Thử nghiệm" in recognition and "Đảng bộ Sở Thử nghiệm (để xem xét)" not in recognition
    day = candidate.appraisal_date
    assert f"ngày {day:%d} tháng {day.month if day.month > 2 else f'{day.month:02d}'} năm {day:%Y}" in admission
    assert "Ngày 01/11/2026, Đảng ủy bộ phận Khối 1 thẩm định nghị quyết của Chi bộ Phòng 1 ngày 25/10/2026" in (
        recognition
    )
    assert "vào Đảng ngày 03/10/2025" in recognition and "hết thời kỳ dự bị ngày 03/10/2026" in recognition
    assert "ngày 01 tháng 11 năm 2026" in recognition
    assert "là đảng viên chính thức kể từ ngày 03/10/2026" in recognition


def test_the_sympathiser_list_extract_carries_the_persons_line(tree, ada, tmp_path) -> None:  # type: ignore[no-untyped-def]
    candidate = _at(tree.branch_a, "S4")
    text = _pdf(ada, candidate, GeneratedKind.SYMPATHISER_EXTRACT, tmp_path)

    check_components(text, ("ĐẢNG BỘ SỞ THỬ NGHIỆM", "CHI BỘ A", None, "TRÍCH DANH SÁCH", "T/M CHI ỦY"))
    flat = _flat(text)
    added = candidate.sympathiser_date
    assert added is not None
    assert f"được chi bộ đưa vào danh sách cảm tình Đảng ngày {format_date(added)}" in flat
    assert format_date(candidate.person.date_of_birth) in flat
    assert "- Đảng bộ Sở Thử nghiệm," in flat  # the list goes up to the grassroots committee


def test_the_conclusion_after_three_failed_votes_is_numbered_in_the_deciders_register(
    tree, carol, gina, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    candidate = _at(tree.branch_a, "S16")
    for day in (3, 10, 17):
        _vote(carol, candidate, "recognition_grassroots_vote", VOTED + dt.timedelta(days=day), yes=5)
    assert candidate.stage == "SY"
    ruling = VOTED + dt.timedelta(days=20)
    _step(gina, candidate, "deadlock_recognise", ruling, "Ban Thường vụ kết luận đủ điều kiện")
    issued = docregister.document_issue(
        acting_user=gina,
        candidate=candidate,
        request=docregister.IssueRequest(
            kind=GeneratedKind.DEADLOCK_CONCLUSION, issued_on=ruling, signer_name="Trần Văn Ký"
        ),
        now=at(GENERATED_ON),
    )
    assert (issued.symbol, issued.issuer) == ("1-TB/ĐU", tree.government)

    text = _pdf(gina, candidate, GeneratedKind.DEADLOCK_CONCLUSION, tmp_path, issued=issued)

    check_components(
        text, ("ĐẢNG BỘ TỈNH THỬ NGHIỆM", "ĐẢNG ỦY UBND TỈNH", "Số 1-TB/ĐU", "THÔNG BÁO KẾT LUẬN", "T/M BAN THƯỜNG VỤ")
    )
    flat = _flat(text)
    assert "Ngày 11/11/2026, Đảng ủy cơ sở báo cáo việc biểu quyết ba lần" in flat
    for day in ("28/10/2026", "04/11/2026", "11/11/2026"):
        assert f"- Ngày {day}: 5/9 tán thành, cần tối thiểu 6" in flat
    assert "Ngày 14/11/2026, Ban Thường vụ Đảng ủy UBND tỉnh đã xem xét và kết luận: đủ điều kiện công nhận" in flat
    assert "Ý kiến của cấp ủy: Ban Thường vụ kết luận đủ điều kiện." in flat
    assert "ngày 14 tháng 11 năm 2026" in flat and "Trần Văn Ký" in flat


def test_the_annulment_decision_names_the_annulled_decision_the_reason_and_the_outcome(tree, gina, tmp_path) -> None:  # type: ignore[no-untyped-def]
    candidate = _at(tree.branch_a, "S13")
    annulled, removed = dt.date(2025, 12, 1), dt.date(2025, 12, 8)
    _step(gina, candidate, "annul", annulled, "Chưa có bằng tốt nghiệp trung học cơ sở")
    _step(gina, candidate, "annulment_remove", removed, "Không đủ tiêu chuẩn")
    assert candidate.stage == "SX"

    text = _pdf(gina, candidate, GeneratedKind.ANNULMENT_DECISION, tmp_path)

    check_components(
        text, ("ĐẢNG BỘ TỈNH THỬ NGHIỆM", "ĐẢNG ỦY UBND TỈNH", "Số ……-QĐ/ĐU", "QUYẾT ĐỊNH", "T/M BAN THƯỜNG VỤ")
    )
    flat = _flat(text)
    assert "hủy quyết định kết nạp đảng viên" in flat
    assert "không đúng quy định: Chưa có bằng tốt nghiệp trung học cơ sở;" in flat
    assert f"Hủy Quyết định số QĐ-KN ngày 15/09/2025 về việc kết nạp đảng viên đối với đồng chí {NAME}" in flat
    assert "Hướng xử lý: không đủ tiêu chuẩn, điều kiện: chi bộ xóa tên trong danh sách đảng viên." in flat
    assert "ngày 01 tháng 12 năm 2025" in flat  # dated with the annulment


def test_the_forwarding_letter_of_a_moved_dossier_and_the_destinations_decision(tree, alice, ada, tmp_path) -> None:  # type: ignore[no-untyped-def]
    wendy = _persona("wendy", tree.commune, Role.COMMITTEE_STAFF)
    gina = _persona("gina", tree.government, Role.COMMITTEE_STAFF)
    candidate = _at(tree.branch_a, "S9")
    moved, received = dt.date(2025, 9, 1), dt.date(2025, 9, 12)
    services.candidate_transfer(
        acting_user=alice, candidate=candidate, to_branch=tree.village, on_date=moved, note="Chuyển về nơi cư trú",
        now=at(moved),
    )  # fmt: skip
    services.transfer_forwarded(acting_user=wendy, candidate=candidate, on_date=received, now=at(received))
    candidate.refresh_from_db()
    # The former place's committee numbers the letter in its own register.
    issued = docregister.document_issue(
        acting_user=gina,
        candidate=candidate,
        request=docregister.IssueRequest(
            kind=GeneratedKind.TRANSFER_LETTER, issued_on=received, signer_name="Hà Văn Gửi"
        ),
        now=at(GENERATED_ON),
    )
    assert (issued.symbol, issued.issuer) == ("1-CV/ĐU", tree.government)

    letter = _pdf(ada, candidate, GeneratedKind.TRANSFER_LETTER, tmp_path, issued=issued)
    decision = _flat(_pdf(ada, candidate, GeneratedKind.ADMISSION_DECISION, tmp_path))

    check_components(
        letter,
        ("ĐẢNG BỘ TỈNH THỬ NGHIỆM", "ĐẢNG ỦY UBND TỈNH", "Số 1-CV/ĐU", "V/v chuyển hồ sơ", "T/M BAN THƯỜNG VỤ"),
    )
    flat = _flat(letter)
    assert "Kính gửi: Ban Thường vụ Đảng ủy phường Thử" in flat
    assert "đề nghị kết nạp vào Đảng tại nghị quyết ngày 05/08/2025" in flat
    assert "Ngày 01/09/2025, quần chúng chuyển sinh hoạt đến Chi bộ Tổ dân phố 1 (Chuyển về nơi cư trú)" in flat
    assert "Ban Thường vụ Đảng ủy UBND tỉnh chuyển toàn bộ hồ sơ đề nghị kết nạp" in flat
    assert "ngày 12 tháng 9 năm 2025" in flat and "Hà Văn Gửi" in flat
    assert "- Chi bộ Tổ dân phố 1," in flat
    # The introductions in the forwarded dossier are the old branch's, though the move ended those assignments.
    assert "giấy giới thiệu của đảng viên chính thức (Lê Văn Giới, Phạm Thị Thiệu)" in flat
    # The destination decides in its own name, on the dossier forwarded to it.
    assert "ĐẢNG ỦY PHƯỜNG THỬ" in decision
    assert (
        "Xét hồ sơ đề nghị kết nạp do Ban Thường vụ Đảng ủy UBND tỉnh chuyển đến ngày 12/09/2025 "
        "(chuyển sinh hoạt từ Chi bộ A ngày 01/09/2025);"
    ) in decision


def test_the_destinations_request_to_reconsider_a_forwarded_dossier(tree, alice, ada, tmp_path) -> None:  # type: ignore[no-untyped-def]
    wendy = _persona("wendy", tree.commune, Role.COMMITTEE_STAFF)
    candidate = _at(tree.branch_a, "S9")
    moved, received, asked = dt.date(2025, 9, 1), dt.date(2025, 9, 12), dt.date(2025, 9, 19)
    services.candidate_transfer(
        acting_user=alice, candidate=candidate, to_branch=tree.village, on_date=moved, note="Chuyển về nơi cư trú",
        now=at(moved),
    )  # fmt: skip
    services.transfer_forwarded(acting_user=wendy, candidate=candidate, on_date=received, now=at(received))
    services.transfer_reconsideration_request(
        acting_user=wendy, candidate=candidate, on_date=asked, note="Thiếu kết quả thẩm tra lý lịch của mẹ đẻ",
        now=at(asked),
    )  # fmt: skip
    candidate.refresh_from_db()
    issued = docregister.document_issue(
        acting_user=wendy,
        candidate=candidate,
        request=docregister.IssueRequest(
            kind=GeneratedKind.RECONSIDERATION_REQUEST, issued_on=asked, signer_name="Vũ Thị Đến"
        ),
        now=at(GENERATED_ON),
    )
    assert (issued.symbol, issued.issuer) == ("1-CV/ĐU", tree.commune)  # the destination's register

    text = _pdf(ada, candidate, GeneratedKind.RECONSIDERATION_REQUEST, tmp_path, issued=issued)

    check_components(
        text,
        ("ĐẢNG BỘ TỈNH THỬ NGHIỆM", "ĐẢNG ỦY PHƯỜNG THỬ", "Số 1-CV/ĐU", "V/v đề nghị xem xét lại", "T/M BAN THƯỜNG VỤ"),
    )
    flat = _flat(text)
    assert "Kính gửi: Ban Thường vụ Đảng ủy UBND tỉnh" in flat
    assert "Ngày 12/09/2025, Ban Thường vụ Đảng ủy phường Thử nhận được hồ sơ đề nghị kết nạp" in flat
    assert "(chuyển sinh hoạt từ Chi bộ A đến Chi bộ Tổ dân phố 1 ngày 01/09/2025)" in flat
    assert "đề nghị xem xét lại: Thiếu kết quả thẩm tra lý lịch của mẹ đẻ." in flat
    assert "ngày 19 tháng 9 năm 2025" in flat and "Vũ Thị Đến" in flat
    assert "- Ban Thường vụ Đảng ủy UBND tỉnh," in flat


def test_a_letter_without_a_move_has_no_issuing_body_in_the_register(tree, gina) -> None:  # type: ignore[no-untyped-def]
    candidate = _at(tree.branch_a, "S9")
    with pytest.raises(docregister.IssueRefused):
        docregister.document_issue(
            acting_user=gina,
            candidate=candidate,
            request=docregister.IssueRequest(
                kind=GeneratedKind.TRANSFER_LETTER, issued_on=dt.date(2025, 9, 1), signer_name="Hà Văn Gửi"
            ),
            now=at(GENERATED_ON),
        )
    assert not IssuedDocument.objects.exists()
