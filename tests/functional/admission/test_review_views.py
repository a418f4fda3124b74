"""The committee's dossier review page, return form, resubmission and meeting pages through the
test client: who sees what, who may act, bad input kept on the form, bounded queries.

Branch A (Alice) sits under the grassroots committee C (Carol resolves at S9) under G (Gina
decides at S10). The timeline of admission.devdata.demo starts Mon 06/01/2025; the pages read the real
clock, so each test freezes it on Fri 22/08/2025, while the dossier waits at S9.
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import AgendaItem, Candidate, CommitteeMeeting, DossierReturn
from members.models import User
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
NAME = "Hoàng Văn Ứng Viên"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2025, 8, 22, 10, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def s9(tree, alice, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=NAME)
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S9", user=alice, introducers=introducers, start=START)


@pytest.fixture
def meeting(tree, carol, s9) -> CommitteeMeeting:  # type: ignore[no-untyped-def]
    return services.committee_meeting_create(
        acting_user=carol, committee=tree.committee, held_on=dt.date(2025, 8, 28), title="Họp tháng 8", candidates=[s9]
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _urls(tree, s9, meeting) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "dossier_review": reverse("dossier_review", args=[s9.pk]),
        "dossier_resubmit": reverse("dossier_resubmit", args=[s9.pk]),
        "committee_meetings": reverse("committee_meetings", args=[tree.committee.pk]),
        "committee_meeting": reverse("committee_meeting", args=[meeting.pk]),
    }


REVIEW_URLS = ["dossier_review", "dossier_resubmit", "committee_meetings", "committee_meeting"]


@pytest.mark.parametrize("persona", ["bob", "oscar"])
@pytest.mark.parametrize("name", REVIEW_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_hides_the_dossier_and_the_meetings_from_outsiders(
    request, tree, s9, meeting, persona, name, method
) -> None:  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(persona)
    data = {"note": "x", "return_A4": "on", "reason_A4": "y", "held_on": "28/08/2025", "candidates": [str(s9.pk)]}

    response = getattr(_client(user), method)(_urls(tree, s9, meeting)[name], data)

    assert response.status_code in {403, 404}
    assert NAME not in response.content.decode()
    assert Candidate.objects.get(pk=s9.pk).stage == "S9"
    assert CommitteeMeeting.objects.count() == 1
    assert not DossierReturn.objects.exists()


def test_it_shows_the_review_page_with_the_actions_to_the_committee_that_is_due(tree, carol, s9) -> None:  # type: ignore[no-untyped-def]
    html = _client(carol).get(reverse("dossier_review", args=[s9.pk])).content.decode()

    assert NAME in html
    assert 'id="due-committee">' + tree.committee.name in html
    assert reverse("candidate_step", args=[s9.pk, "grassroots_vote"]) in html
    assert 'id="return-submit"' in html
    # Every document of the dossier has its row, with the tick and the reason of the return form.
    for code in ("A1", "A2", "A3", "A4", "A6", "A7", "A9"):
        assert f'id="doc-{code}"' in html
        assert f'name="reason_{code}"' in html
    assert 'id="doc-A8"' not in html  # no sub-committee above branch A: no appraisal


@pytest.mark.parametrize("persona", ["alice", "gina", "eve"])
def test_it_shows_the_review_page_read_only_to_the_other_levels(request, s9, persona) -> None:  # type: ignore[no-untyped-def]
    client = _client(request.getfixturevalue(persona))

    page = client.get(reverse("dossier_review", args=[s9.pk]))
    post = client.post(
        reverse("dossier_review", args=[s9.pk]), {"note": "Trả lại", "return_A4": "on", "reason_A4": "x"}
    )
    step = client.get(reverse("candidate_step", args=[s9.pk, "grassroots_vote"]))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="return-submit"' not in html
    assert 'id="review-readonly"' in html
    assert post.status_code == 403
    assert step.status_code == 403
    assert Candidate.objects.get(pk=s9.pk).stage == "S9"


def test_it_flags_an_expired_certificate_and_a_missing_introducer(tree, alice, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Mai Văn Hết Hạn")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S9", user=alice, introducers=introducers, start=START)
    # The record says the certificate was issued on 20/03/2020: 60 months end on 20/03/2025,
    # before the branch considered the dossier on 05/08/2025 (HD06 5.4b).
    Candidate.objects.filter(pk=candidate.pk).update(certificate_issue_date=dt.date(2020, 3, 20))
    candidate.mentorships.all().delete()

    html = _client(carol).get(reverse("dossier_review", args=[candidate.pk])).content.decode()

    assert "20/03/2025" in html  # valid until, in the certificate's flag
    assert "Chưa có đảng viên giới thiệu" in html


def test_it_returns_the_dossier_from_the_form_and_keeps_bad_input(tree, alice, carol, s9) -> None:  # type: ignore[no-untyped-def]
    client = _client(carol)
    url = reverse("dossier_review", args=[s9.pk])

    bad = client.post(url, {"note": "Cần bổ sung giấy tờ", "return_A4": "on", "reason_A4": ""})

    assert bad.status_code == 200
    html = bad.content.decode()
    assert "Ghi lý do trả lại giấy tờ này." in html
    assert "Cần bổ sung giấy tờ" in html  # what was typed stays on the form
    assert Candidate.objects.get(pk=s9.pk).stage == "S9"

    good = client.post(url, {"note": "Cần bổ sung giấy tờ", "reason_A4": "Thiếu chữ ký người giới thiệu"})

    assert good.status_code == 302
    assert Candidate.objects.get(pk=s9.pk).stage == "S8"
    returned = DossierReturn.objects.get()
    assert list(returned.items.values_list("doc_type", "reason")) == [("A4", "Thiếu chữ ký người giới thiệu")]
    # The branch sees the reason per document on the candidate page, and cannot resubmit yet.
    page = _client(alice).get(reverse("candidate_detail", args=[s9.pk])).content.decode()
    assert 'id="open-return"' in page
    assert "Thiếu chữ ký người giới thiệu" in page
    assert 'id="resubmit" disabled' in page


def test_the_branch_resubmits_a_returned_dossier_from_the_candidate_page(tree, alice, carol, s9) -> None:  # type: ignore[no-untyped-def]
    services.dossier_return(
        acting_user=carol, candidate=s9, note="Bổ sung", documents={"A6": "Thiếu ý kiến nơi cư trú"}
    )
    client = _client(alice)

    refused = client.post(reverse("dossier_resubmit", args=[s9.pk]), follow=True)
    assert "Chưa bổ sung các giấy tờ bị trả lại: A6 Tổng hợp ý kiến nhận xét của đoàn thể" in refused.content.decode()
    assert Candidate.objects.get(pk=s9.pk).stage == "S8"

    services.document_record(acting_user=alice, candidate=s9, doc_type="A6", issued_on=dt.date(2025, 8, 22))
    response = client.post(reverse("dossier_resubmit", args=[s9.pk]), {"note": "Đã bổ sung"})

    assert response.status_code == 302
    assert Candidate.objects.get(pk=s9.pk).stage == "S9"
    assert client.get(reverse("dossier_resubmit", args=[s9.pk])).status_code == 404  # POST only


def test_it_lists_creates_prints_and_records_a_meeting(tree, carol, s9) -> None:  # type: ignore[no-untyped-def]
    client = _client(carol)
    listing = client.get(reverse("committee_meetings", args=[tree.committee.pk]))
    assert listing.status_code == 200
    assert NAME in listing.content.decode()  # offered for the agenda, ticked

    created = client.post(
        reverse("committee_meetings", args=[tree.committee.pk]),
        {"held_on": "28/08/2025", "title": "Họp tháng 8", "candidates": [str(s9.pk)]},
    )
    assert created.status_code == 302
    meeting = CommitteeMeeting.objects.get()
    item = AgendaItem.objects.get(meeting=meeting)

    agenda = client.get(created["Location"]).content.decode()
    assert "Chương trình họp xét hồ sơ" in agenda
    assert "28/08/2025" in agenda
    assert NAME in agenda
    assert "data-print" in agenda

    outcome = {f"outcome_{item.pk}": "approved", f"note_{item.pk}": "7/9 tán thành"}
    early = client.post(created["Location"], outcome)  # today is 22/08: the meeting has not been held
    CommitteeMeeting.objects.filter(pk=meeting.pk).update(held_on=dt.date(2025, 8, 22))  # held today
    saved = client.post(created["Location"], outcome)
    assert early.status_code == 200
    assert "Cuộc họp ngày 28/08/2025 chưa diễn ra: chỉ ghi kết quả xét sau khi họp" in early.content.decode()
    assert saved.status_code == 302
    item.refresh_from_db()
    assert (item.outcome, item.note) == ("approved", "7/9 tán thành")


def test_it_keeps_a_meeting_without_a_date_on_the_form(tree, carol, s9) -> None:  # type: ignore[no-untyped-def]
    response = _client(carol).post(
        reverse("committee_meetings", args=[tree.committee.pk]),
        {"held_on": "31/02/2025", "title": "Họp bất thường", "candidates": [str(s9.pk)]},
    )
    assert response.status_code == 200
    assert "Họp bất thường" in response.content.decode()
    assert not CommitteeMeeting.objects.exists()


def _return_and_resubmit(alice, carol, candidate: Candidate, rounds: int) -> None:  # type: ignore[no-untyped-def]
    for round_ in range(rounds):
        services.dossier_return(
            acting_user=carol, candidate=candidate, note=f"Lần {round_}", documents={"A6": "Bổ sung"}
        )
        services.document_record(acting_user=alice, candidate=candidate, doc_type="A6", issued_on=dt.date(2025, 8, 22))
        services.dossier_resubmit(acting_user=alice, candidate=candidate)


def test_the_review_page_issues_the_same_queries_for_a_thin_and_a_full_dossier(
    tree, alice, carol, s9, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(carol)
    url = reverse("dossier_review", args=[s9.pk])
    _return_and_resubmit(alice, carol, s9, rounds=1)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as thin:
        client.get(url)
    _return_and_resubmit(alice, carol, s9, rounds=4)  # more returns, items, transitions and history

    # 1. the user with scope and unread notifications (admission.backends), 2. candidate, 3. the
    # audit row (one INSERT), 4. one UNION ALL (admission.bundle) for documents, mentorships,
    # returns and their items, votes, transitions, scans, generated documents, calendar and rule
    # overrides and the organisation chain (the flags and the committee due): none of them grows
    # with the dossier.
    with django_assert_num_queries(REVIEW_PAGE_QUERIES):
        response = client.get(url)
    assert len(thin.captured_queries) == REVIEW_PAGE_QUERIES
    html = response.content.decode()
    assert html.count("<li>A6: Bổ sung</li>") == 5  # every return's item, read from the bundle
    assert html.count("Chi bộ đã gửi lại") == 5  # every return, resubmitted


REVIEW_PAGE_QUERIES = 4  # the session from the cache (cached_db)


def test_the_candidate_page_shows_an_open_return_without_more_queries(
    tree, alice, carol, s9, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    services.dossier_return(acting_user=carol, candidate=s9, note="Thiếu lý lịch", documents={"A6": "Bổ sung"})
    client = _client(alice)
    url = reverse("candidate_detail", args=[s9.pk])
    client.get(url)  # warm the session

    # The same 4 queries as on any candidate page (tests/functional/admission/test_views.py).
    with django_assert_num_queries(4):
        pending = client.get(url).content.decode()
    services.document_record(acting_user=alice, candidate=s9, doc_type="A6", issued_on=dt.date(2025, 8, 22))
    redone = client.get(url).content.decode()

    assert 'id="open-return"' in pending and "Thiếu lý lịch" in pending
    assert "A6 — Bổ sung" in pending and "chưa bổ sung" in pending
    assert 'id="resubmit" disabled' in pending
    assert "đã bổ sung" in redone and 'id="resubmit" disabled' not in redone and 'id="resubmit"' in redone


def test_the_candidate_page_names_the_committee_due_without_more_queries(
    tree, carol, s9, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = _client(carol)
    url = reverse("candidate_detail", args=[s9.pk])
    client.get(url)

    with django_assert_num_queries(4):
        html = client.get(url).content.decode()

    assert 'id="with-committee"' in html and tree.committee.name in html
