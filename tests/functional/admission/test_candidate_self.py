"""The candidate's self-service: the secretary invites (one-time link, 7 days), the candidate sets a
password and sees only their own case, uploads scans into the items opened to them, fills the
biography draft (2-KNĐ) that the secretary locks and prints; revocation and the end of the
candidacy end the access; everything is audited; outsiders get 403/404."""

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import BiographyDraft, Candidate, CandidateAccess, DocumentScan
from admission.services import candidate_access as access_services
from members.models import AuditLog, Role, RoleAssignment, User
from members.selectors import scope_for
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 6, 2, 9, 0, tzinfo=TZ)  # at S5 (the application) since 15/04/2025
NAME = "Đinh Thị Tự Theo Dõi"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PASSWORD = "Hoa-sen-2025-tháng4"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def applicant(tree: Tree, alice: User, introducers: Any) -> Candidate:
    person = PersonFactory(
        organisation=tree.branch_a, full_name=NAME, date_of_birth=dt.date(2000, 5, 6), email="tu.theo.doi@example.vn"
    )
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S5", user=alice, introducers=introducers, start=START)


def _client(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _invite(alice: User, candidate: Candidate) -> str:
    """Invite through the page; return the link path from the e-mail."""
    response = _client(alice).post(
        reverse("self_service_manage", kwargs={"pk": candidate.pk}), {"invite": "1", "email": "tu.theo.doi@example.vn"}
    )
    assert response.status_code == 200
    match = re.search(r"https?://[^/\s]+(/me/invitation/[^\s/]+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    assert match.group(1) in response.content.decode()  # shown to copy, too
    return match.group(1)


def _accept(path: str) -> Client:
    client = Client()
    response = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("self_case")
    return client


@pytest.fixture
def candidate_client(alice: User, applicant: Candidate) -> Client:
    return _accept(_invite(alice, applicant))


def _own_user(candidate: Candidate) -> User:
    return User.objects.get(person=candidate.person)


def test_it_invites_with_a_one_time_link_that_sets_a_password(alice: User, applicant: Candidate) -> None:
    path = _invite(alice, applicant)
    access = CandidateAccess.objects.get(candidate=applicant)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert access.token_digest != token and token not in access.token_digest  # only the digest is stored
    assert access.expires_at == NOW + dt.timedelta(days=7)
    assert mail.outbox[-1].to == ["tu.theo.doi@example.vn"]
    user = _own_user(applicant)
    assert not user.has_usable_password()  # no login before accepting

    page = Client().get(path)
    assert page.status_code == 200 and user.username in page.content.decode()
    client = _accept(path)

    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert RoleAssignment.objects.filter(user=user, role=Role.CANDIDATE, organisation=applicant.organisation).exists()
    assert scope_for(user).is_empty and scope_for(user).candidate_only  # no organisation scope at all
    assert client.get(reverse("self_case")).status_code == 200
    # Single use: the same link again is refused, with a clear message.
    again = Client().post(path, {"new_password1": "x" + PASSWORD, "new_password2": "x" + PASSWORD})
    assert again.status_code == 404 and "đã được dùng" in again.content.decode()
    actions = list(AuditLog.objects.filter(person=applicant.person, action=AuditLog.Action.SELF_SERVICE).values_list(
        "detail", flat=True
    ))  # fmt: skip
    assert any(d.startswith("Mời tự theo dõi") for d in actions)
    assert any(d.startswith("Nhận lời mời") for d in actions)


def test_an_expired_or_wrong_link_is_refused(alice: User, applicant: Candidate, frozen: Any) -> None:
    path = _invite(alice, applicant)
    assert Client().get("/me/invitation/khong-dung/").status_code == 404
    frozen.shift(dt.timedelta(days=7, seconds=1))
    response = Client().post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 404 and "hết hạn" in response.content.decode()
    assert not _own_user(applicant).has_usable_password()


def test_a_weak_password_keeps_the_form_and_uses_nothing(alice: User, applicant: Candidate) -> None:
    path = _invite(alice, applicant)
    response = Client().post(path, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200 and 'id="accept-form"' in response.content.decode()
    assert CandidateAccess.objects.get(candidate=applicant).accepted_at is None


def test_the_candidate_sees_their_own_case_in_plain_words_and_nothing_else(
    candidate_client: Client, applicant: Candidate, tree: Tree
) -> None:
    body = candidate_client.get(reverse("self_case")).content.decode()
    assert re.search(r'id="own-stage">\s*Giới thiệu người vào Đảng\s*<', body)
    assert re.search(r"\bS\d+A?\b", body) is None  # no stage codes
    assert "Giấy giới thiệu của đảng viên chính thức" in body  # A4 missing at S5
    assert "Đơn xin vào Đảng" not in body  # A2 held
    assert "Giấy chứng nhận lớp nhận thức còn giá trị đến" in body  # their own legal date
    assert "biểu quyết" not in body.lower()
    # Every other page: 404, the home page sends them to their case, the API knows them not.
    for url in (
        reverse("candidate_detail", kwargs={"pk": applicant.pk}),
        reverse("admission_board", kwargs={"pk": tree.branch_a.pk}),
        reverse("admission_overview"),
        reverse("person_list"),
        reverse("self_service_manage", kwargs={"pk": applicant.pk}),
        reverse("notification_list"),
        "/api/v1/candidates/",
    ):
        assert candidate_client.get(url).status_code == 404, url
    home = candidate_client.get("/")
    assert home.status_code == 302 and home["Location"] == reverse("self_case")
    assert candidate_client.get(reverse("two_factor")).status_code == 200  # second factor: optional, reachable
    viewed = AuditLog.objects.filter(person=applicant.person, detail__startswith="Người vào Đảng xem")
    assert viewed.exists()


def test_uploads_go_only_into_opened_items_with_the_content_checks(
    candidate_client: Client, alice: User, applicant: Candidate
) -> None:
    upload = reverse("self_upload")
    checklist = list(applicant.documents.values_list("doc_type", "status", "issued_on"))
    # Nothing opened yet: back to the case with a message.
    assert candidate_client.get(upload).status_code == 302
    manage = reverse("self_service_manage", kwargs={"pk": applicant.pk})
    assert _client(alice).post(manage, {"open_items": "1", "items": ["A2", "A3"]}).status_code == 302
    # A file that is not what it says: refused by content, nothing stored.
    bad = SimpleUploadedFile("don.pdf", b"not a pdf at all", content_type="application/pdf")
    response = candidate_client.post(upload, {"doc_type": "A2", "file": bad})
    assert response.status_code == 200 and "không phải PDF" in response.content.decode()
    # An item not opened: not a choice.
    other = SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")
    response = candidate_client.post(upload, {"doc_type": "A4", "file": other})
    assert response.status_code == 200
    assert not DocumentScan.objects.exists()

    good = SimpleUploadedFile("don-xin-vao-dang.pdf", PDF, content_type="application/pdf")
    response = candidate_client.post(upload, {"doc_type": "A2", "file": good})
    assert response.status_code == 302
    scan = DocumentScan.objects.get()
    assert scan.doc_type == "A2" and scan.uploaded_by == _own_user(applicant) and scan.content_type == "application/pdf"
    # Ticks nothing: the branch checks the scan and records the item itself.
    assert list(applicant.documents.values_list("doc_type", "status", "issued_on")) == checklist
    assert AuditLog.objects.filter(action=AuditLog.Action.UPLOAD_DOCUMENT, person=applicant.person).exists()
    assert "don-xin-vao-dang.pdf" in candidate_client.get(reverse("self_case")).content.decode()


def _biography_post(**overrides: str) -> dict[str, str]:
    data = {
        "family-TOTAL_FORMS": "2", "family-INITIAL_FORMS": "0", "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "30",
        "family-0-relation": "Bố đẻ", "family-0-full_name": "Đinh Văn Cha", "family-0-birth_year": "1970",
        "family-0-occupation": "Nông dân", "family-0-residence": "Xã An Bình", "family-0-political": "Đảng viên",
        "history-TOTAL_FORMS": "2", "history-INITIAL_FORMS": "0", "history-MIN_NUM_FORMS": "0",
        "history-MAX_NUM_FORMS": "40",
        "history-0-period": "09/2018 - 06/2022", "history-0-activity": "Sinh viên Đại học Bách khoa",
        "notes-rewards": "Giấy khen của Đoàn trường", "notes-discipline": "",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_the_biography_draft_is_saved_reviewed_locked_and_printed(
    candidate_client: Client, alice: User, applicant: Candidate, bob: User
) -> None:
    url = reverse("self_biography")
    # Bad input: a clear message, the input kept, nothing written.
    response = candidate_client.post(url, _biography_post(**{"family-0-birth_year": "2099"}))
    body = response.content.decode()
    assert response.status_code == 200 and "Năm sinh không được ở tương lai." in body and "Đinh Văn Cha" in body
    assert not BiographyDraft.objects.exists()
    response = candidate_client.post(url, _biography_post(**{"history-1-period": "2023"}))
    assert "Mỗi dòng cần ghi cả thời gian và công việc." in response.content.decode()
    assert not BiographyDraft.objects.exists()

    assert candidate_client.post(url, _biography_post()).status_code == 302
    draft = BiographyDraft.objects.get(candidate=applicant)
    assert draft.data["family"] == [
        {"relation": "Bố đẻ", "full_name": "Đinh Văn Cha", "birth_year": 1970, "occupation": "Nông dân",
         "residence": "Xã An Bình", "political": "Đảng viên"}
    ]  # fmt: skip
    assert draft.data["history"] == [{"period": "09/2018 - 06/2022", "activity": "Sinh viên Đại học Bách khoa"}]
    printed = candidate_client.get(reverse("self_biography_print")).content.decode()
    assert "LÝ LỊCH CỦA NGƯỜI XIN VÀO ĐẢNG" in printed and "Đinh Văn Cha" in printed and "NGƯỜI KHAI LÝ LỊCH" in printed

    # The secretary reviews it in the same layout and locks it; the candidate can no longer change it.
    manage = reverse("self_service_manage", kwargs={"pk": applicant.pk})
    review = _client(alice).get(reverse("self_service_biography", kwargs={"pk": applicant.pk}))
    assert review.status_code == 200 and "Sinh viên Đại học Bách khoa" in review.content.decode()
    assert _client(alice).post(manage, {"lock": "1"}).status_code == 302
    candidate_client.post(url, _biography_post(**{"family-0-full_name": "Người Khác Hẳn"}))
    draft.refresh_from_db()
    assert draft.locked_at is not None and draft.data["family"][0]["full_name"] == "Đinh Văn Cha"
    assert 'id="biography-locked"' in candidate_client.get(url).content.decode()
    # Another branch's secretary: 404 on the page and on the print.
    assert _client(bob).get(manage).status_code == 404
    assert _client(bob).get(reverse("self_service_biography", kwargs={"pk": applicant.pk})).status_code == 404
    assert draft.history.count() == 2  # saved, then locked: every version kept


def test_revocation_ends_the_access_at_once(candidate_client: Client, alice: User, applicant: Candidate) -> None:
    manage = reverse("self_service_manage", kwargs={"pk": applicant.pk})
    assert _client(alice).post(manage, {"revoke": "1"}).status_code == 302
    response = candidate_client.get(reverse("self_case"))
    assert response.status_code == 302 and reverse("login") in response["Location"]  # the session is over
    user = _own_user(applicant)
    assert not user.is_active
    assert not RoleAssignment.objects.filter(user=user, active=True).exists()
    assert AuditLog.objects.filter(detail__startswith="Thu hồi quyền", person=applicant.person).exists()


def test_the_access_ends_with_the_candidacy(alice: User, tree: Tree, introducers: Any) -> None:
    person = PersonFactory(organisation=tree.branch_a, full_name="Cao Văn Kết Thúc", date_of_birth=dt.date(1999, 1, 2))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S13", user=alice, introducers=introducers, start=START)
    access, token = access_services.candidate_access_invite(
        acting_user=alice, candidate=candidate, email="ket.thuc@example.vn", now=NOW
    )
    client = _accept(f"/me/invitation/{token}/")
    assert client.get(reverse("self_case")).status_code == 200
    walk_to(candidate, "S17", user=alice, introducers=introducers, start=START)
    response = client.get(reverse("self_case"))
    assert response.status_code == 410 and 'id="access-ended"' in response.content.decode()
    assert "Đơn xin vào Đảng" not in response.content.decode()
    assert client.get(reverse("self_biography")).status_code == 410
    assert client.get(reverse("candidate_detail", kwargs={"pk": candidate.pk})).status_code == 404


def test_only_the_branch_secretary_manages_the_access(
    alice: User, carol: User, bob: User, oscar: User, applicant: Candidate
) -> None:
    manage = reverse("self_service_manage", kwargs={"pk": applicant.pk})
    # Committee staff read the page (the case is in their subtree) but cannot invite or revoke.
    assert _client(carol).get(manage).status_code == 200
    assert _client(carol).post(manage, {"invite": "1", "email": "a@example.vn"}).status_code == 403
    for outsider in (bob, oscar):
        assert _client(outsider).get(manage).status_code == 404
        assert _client(outsider).post(manage, {"invite": "1", "email": "a@example.vn"}).status_code == 404
    # Nobody but the candidate has a case under /me/.
    for user in (alice, carol, oscar):
        assert _client(user).get(reverse("self_case")).status_code == 404
    assert not CandidateAccess.objects.exists()
    # An invitation with a bad address keeps the form.
    response = _client(alice).post(manage, {"invite": "1", "email": "khong-phai-email"})
    assert response.status_code == 200 and "không hợp lệ" in response.content.decode()
    assert not CandidateAccess.objects.exists()


def test_a_member_with_another_role_is_not_turned_into_a_candidate_login(
    alice: User, applicant: Candidate, tree: Tree
) -> None:
    other = User.objects.create_user(username="co.vai.tro", person=applicant.person)
    RoleAssignment.objects.create(user=other, organisation=tree.branch_a, role=Role.AUDITOR)
    with pytest.raises(access_services.AccessRefused):
        access_services.candidate_access_invite(acting_user=alice, candidate=applicant, email="x@example.vn", now=NOW)
