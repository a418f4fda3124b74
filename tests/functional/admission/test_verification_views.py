"""The verification panel of the candidate page and its forms: reply (with a scan), correction,
cancellation; the verification step names and links the open requests; outsiders are refused.

Reference timeline (admission.devdata.demo, START Mon 06/01/2025): S6 from 05/05/2025. The clock
is frozen on Fri 20/06/2025, the day of the verification step.
"""

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, DocumentScan, VerificationRequest
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
TODAY = dt.date(2025, 6, 20)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2025, 6, 20, 10, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def s6(tree, alice, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Văn Thẩm")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S6", user=alice, introducers=introducers, start=START)


def _add(candidate: Candidate, user, subject: str, received: dt.date = dt.date(2025, 5, 8)) -> VerificationRequest:  # type: ignore[no-untyped-def]
    return services.verification_record(
        acting_user=user,
        candidate=candidate,
        subject=subject,
        addressee="Đảng ủy xã Thử",
        sent_on=received - dt.timedelta(days=2),
        received_on=received,
    )


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _urls(candidate: Candidate, item: VerificationRequest) -> dict[str, str]:
    return {
        name: reverse(name, args=[candidate.pk, item.pk])
        for name in ("verification_reply", "verification_correct", "verification_cancel")
    }


def test_the_panel_shows_each_request_with_its_state_and_actions(s6, alice) -> None:  # type: ignore[no-untyped-def]
    overdue = _add(s6, alice, "Bố đẻ", received=dt.date(2025, 4, 1))  # due in May: overdue
    waiting = _add(s6, alice, "Mẹ đẻ", received=dt.date(2025, 6, 2))
    answered = _add(s6, alice, "Vợ")
    cancelled = _add(s6, alice, "Con")
    services.verification_reply_record(
        acting_user=alice, request=answered, replied_on=dt.date(2025, 6, 2), outcome="clear", reply_number="77-CV"
    )
    services.verification_cancel(acting_user=alice, request=cancelled, reason_text="Chưa đủ tuổi thẩm tra")
    html = _client(alice).get(reverse("candidate_detail", args=[s6.pk])).content.decode()
    panel = html[html.index('id="verifications"') :]
    row = panel[panel.index(f'id="verification-{overdue.pk}"') :]
    row = row[: row.index("</li>")]
    assert "text-danger" in row and "QUÁ HẠN" in row and "chờ trả lời" in row
    assert reverse("verification_reply", args=[s6.pk, overdue.pk]) in row
    assert reverse("verification_cancel", args=[s6.pk, overdue.pk]) in row
    row = panel[panel.index(f'id="verification-{waiting.pk}"') :]
    assert "QUÁ HẠN" not in row[: row.index("</li>")] and "hạn trả lời" in row
    row = panel[panel.index(f'id="verification-{answered.pk}"') :]
    row = row[: row.index("</li>")]
    assert "đã trả lời" in row and "02/06/2025" in row and "77-CV" in row and "Không phát hiện vấn đề" in row
    assert reverse("verification_correct", args=[s6.pk, answered.pk]) in row
    assert reverse("verification_reply", args=[s6.pk, answered.pk]) not in row
    row = panel[panel.index(f'id="verification-{cancelled.pk}"') :]
    row = row[: row.index("</li>")]
    assert "đã hủy" in row and "Chưa đủ tuổi thẩm tra" in row and "verification_reply" not in row


def test_the_secretary_records_a_reply_with_its_scan(s6, alice, media_root) -> None:  # type: ignore[no-untyped-def]
    item = _add(s6, alice, "Bố đẻ")
    client = _client(alice)
    url = _urls(s6, item)["verification_reply"]
    assert "Bố đẻ → Đảng ủy xã Thử" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "replied_on": "10/06/2025",
            "reply_number": "123-CV/ĐU",
            "outcome": "issues",
            "issue_political": "on",
            "findings": "Ông nội có vấn đề lịch sử chính trị đã được kết luận",
            "scan": SimpleUploadedFile("tra-loi.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()
    item.refresh_from_db()
    assert (item.state, item.outcome, item.issue_political, item.reply_number) == (
        "answered",
        "issues",
        True,
        "123-CV/ĐU",
    )
    assert item.reply_scan is not None and item.reply_scan.doc_type == "A3"
    assert item.reply_scan.candidate_id == s6.pk
    page = client.get(reverse("candidate_detail", args=[s6.pk])).content.decode()
    assert reverse("scan_file", args=[item.reply_scan_id]) in page and "tiêu chuẩn chính trị" in page


def test_a_refused_reply_shows_why_and_stores_no_scan(s6, alice, media_root) -> None:  # type: ignore[no-untyped-def]
    item = _add(s6, alice, "Bố đẻ")
    response = _client(alice).post(
        _urls(s6, item)["verification_reply"],
        {
            "replied_on": "07/05/2025",  # before the letter was received (08/05)
            "reply_number": "1",
            "outcome": "clear",
            "scan": SimpleUploadedFile("tra-loi.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 200
    assert "ngày trả lời thẩm tra (07/05/2025) trước ngày nơi nhận nhận được công văn" in response.content.decode()
    item.refresh_from_db()
    assert item.is_open and not DocumentScan.objects.exists()


def test_a_file_that_is_not_a_scan_is_refused(s6, alice, media_root) -> None:  # type: ignore[no-untyped-def]
    item = _add(s6, alice, "Bố đẻ")
    response = _client(alice).post(
        _urls(s6, item)["verification_reply"],
        {
            "replied_on": "10/06/2025",
            "reply_number": "1",
            "outcome": "clear",
            "scan": SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf"),
        },
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.is_open and not DocumentScan.objects.exists()


def test_cancel_and_correct_ask_for_a_reason_and_keep_the_history(s6, alice) -> None:  # type: ignore[no-untyped-def]
    item = _add(s6, alice, "Bố đẻ")
    client = _client(alice)
    urls = _urls(s6, item)
    assert client.get(urls["verification_correct"]).status_code == 302  # not answered yet: back to the page
    assert client.post(urls["verification_cancel"], {"reason": ""}).status_code == 200  # required
    assert client.post(urls["verification_cancel"], {"reason": "Gửi nhầm"}).status_code == 302
    item.refresh_from_db()
    assert item.state == "cancelled"
    assert client.get(urls["verification_reply"]).status_code == 302  # cancelled: no reply form

    other = _add(s6, alice, "Mẹ đẻ")
    services.verification_reply_record(
        acting_user=alice, request=other, replied_on=dt.date(2025, 6, 2), outcome="clear", reply_number="77-CV"
    )
    urls = _urls(s6, other)
    form = client.get(urls["verification_correct"]).content.decode()
    assert 'value="77-CV"' in form and "Lý do sửa" in form
    data = {"replied_on": "03/06/2025", "reply_number": "78-CV", "outcome": "clear"}
    assert client.post(urls["verification_correct"], data).status_code == 200  # no reason
    response = client.post(urls["verification_correct"], {**data, "reason": "Sai số văn bản"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.reply_number == "78-CV"
    assert [h.reply_number for h in other.history.order_by("history_date", "history_id")] == ["", "77-CV", "78-CV"]
    page = client.get(reverse("candidate_detail", args=[s6.pk])).content.decode()
    assert "Sai số văn bản" in page and "Gửi nhầm" in page


def test_the_verification_step_names_and_links_the_open_requests(s6, alice) -> None:  # type: ignore[no-untyped-def]
    item = _add(s6, alice, "Bố đẻ")
    client = _client(alice)
    url = reverse("candidate_step", args=[s6.pk, "verification"])
    form = client.get(url).content.decode()
    assert reverse("verification_reply", args=[s6.pk, item.pk]) in form
    response = client.post(url, {"on_date": "20/06/2025"})
    text = re.sub(r"\s+", " ", response.content.decode())
    assert "Còn 1 yêu cầu thẩm tra chưa có trả lời: Bố đẻ – Đảng ủy xã Thử (gửi ngày 06/05/2025, hạn trả lời" in text
    assert Candidate.objects.get(pk=s6.pk).stage == "S6"
    services.verification_reply_record(
        acting_user=alice, request=item, replied_on=dt.date(2025, 6, 10), outcome="clear", reply_number="1"
    )
    assert client.post(url, {"on_date": "20/06/2025"}).status_code == 302
    assert Candidate.objects.get(pk=s6.pk).stage == "S7"


def test_adding_the_same_subject_again_names_the_open_request(s6, alice) -> None:  # type: ignore[no-untyped-def]
    _add(s6, alice, "Bố đẻ")
    response = _client(alice).post(
        reverse("verification_add", args=[s6.pk]),
        {"subject": "bố  đẻ", "addressee": "UBND", "sent_on": "06/05/2025", "received_on": "08/05/2025"},
    )
    assert response.status_code == 200
    assert "Đã có yêu cầu thẩm tra về Bố đẻ gửi Đảng ủy xã Thử ngày 06/05/2025" in response.content.decode()
    assert VerificationRequest.objects.count() == 1


@pytest.mark.parametrize(("persona", "status"), [("bob", 404), ("eve", 403), ("gina", 403), ("mentor", 404)])
def test_others_are_refused(s6, alice, persona, status, request) -> None:  # type: ignore[no-untyped-def]
    item = _add(s6, alice, "Bố đẻ")
    client = _client(request.getfixturevalue(persona))
    for url in [*_urls(s6, item).values(), reverse("verification_add", args=[s6.pk])]:
        assert client.get(url).status_code == status, url
        assert client.post(url, {"reason": "x", "replied_on": "10/06/2025"}).status_code == status, url
    item.refresh_from_db()
    assert item.is_open and VerificationRequest.objects.count() == 1


def test_committee_staff_of_the_grassroots_committee_see_the_actions(s6, alice, carol, gina) -> None:  # type: ignore[no-untyped-def]
    item = _add(s6, alice, "Bố đẻ")
    reply = reverse("verification_reply", args=[s6.pk, item.pk])
    assert reply in _client(carol).get(reverse("candidate_detail", args=[s6.pk])).content.decode()
    assert reply not in _client(gina).get(reverse("candidate_detail", args=[s6.pk])).content.decode()
