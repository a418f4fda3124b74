"""The old place's committee forwards the dossier of a candidate who moved after it went up (T11,
HD06 3.9b): its page "transfers_to_forward" lists what it owes and records it; the notices lead
there, not to the candidate's page, which belongs to the destination now.

Reference: walk to S9 (branch vote 05/08/2025), moved from branch A to the village branch V on
Mon 01/09/2025; G (the provincial government's committee) forwards by Tue 23/09/2025."""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, CandidateTransfer
from members.models import User
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
MOVED = dt.date(2025, 9, 1)
NOW = dt.datetime(2025, 9, 15, 10, 0, tzinfo=TZ)
URL = "/admission/transfers/to-forward/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def moved(tree: Tree, alice: User, introducers) -> Iterator[Candidate]:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Tạ Văn Chuyển Hồ Sơ", youth_union_member=False)
    candidate = services.candidate_create(acting_user=None, person=person, now=at(START))
    walk_to(candidate, "S9", user=None, introducers=introducers, start=START)
    services.candidate_transfer(
        acting_user=alice, candidate=candidate, to_branch=tree.village, on_date=MOVED, note="Chuyển nơi cư trú",
        now=at(MOVED),
    )  # fmt: skip
    candidate.refresh_from_db()
    with time_machine.travel(NOW, tick=False):
        yield candidate


def test_the_sending_committee_lists_and_records_its_forwarding(gina, moved) -> None:  # type: ignore[no-untyped-def]
    assert reverse("transfers_to_forward") == URL
    client = _client(gina)
    # Its notice leads to the list, not to the candidate's page (a 404 for G now).
    notices = client.get(reverse("notification_list")).content.decode()
    assert f'href="{URL}"' in notices and "Tạ Văn Chuyển Hồ Sơ" in notices
    assert client.get(reverse("candidate_detail", args=[moved.pk])).status_code == 404
    home = client.get("/").content.decode()
    assert 'id="todo-forwarding"' in home and "Hạn 23/09/2025" in home

    page = client.get(URL).content.decode()
    assert "Tạ Văn Chuyển Hồ Sơ" in page and "Chi bộ Tổ dân phố 1" in page and "23/09/2025" in page
    transfer = CandidateTransfer.objects.get(candidate=moved)
    refused = client.post(URL, {"transfer": transfer.pk, "on_date": "29/08/2025"})  # before the move
    body = refused.content.decode()
    assert refused.status_code == 200 and "trước ngày chuyển sinh hoạt" in body and 'value="29/08/2025"' in body
    unreadable = client.post(URL, {"transfer": transfer.pk, "on_date": "31/02/2025"})
    assert unreadable.status_code == 200 and 'value="31/02/2025"' in unreadable.content.decode()
    transfer.refresh_from_db()
    assert transfer.forwarded_on is None

    assert client.post(URL, {"transfer": transfer.pk, "on_date": "12/09/2025"}).status_code == 302
    transfer.refresh_from_db()
    moved.refresh_from_db()
    assert (transfer.forwarded_on, moved.transfer_received_date, transfer.next_reminder_at) == (
        dt.date(2025, 9, 12), dt.date(2025, 9, 12), None,
    )  # fmt: skip
    assert "Tạ Văn Chuyển Hồ Sơ" not in client.get(URL).content.decode()
    assert client.post(URL, {"transfer": transfer.pk, "on_date": "12/09/2025"}).status_code == 404  # done


def test_only_the_sending_committee_sees_or_records_it(moved, alice, carol, paula) -> None:  # type: ignore[no-untyped-def]
    transfer = CandidateTransfer.objects.get(candidate=moved)
    # A branch secretary has no such list; the committee below G and the one above it owe nothing.
    assert _client(alice).get(URL).status_code == 403
    for staff in (carol, paula):
        client = _client(staff)
        assert "Tạ Văn Chuyển Hồ Sơ" not in client.get(URL).content.decode()
        assert client.post(URL, {"transfer": transfer.pk, "on_date": "12/09/2025"}).status_code == 404
    transfer.refresh_from_db()
    assert transfer.forwarded_on is None
    assert Client().get(URL).status_code == 302  # anonymous: to the login page


def test_the_sending_committee_issues_its_forwarding_letter_and_gets_its_files(  # type: ignore[no-untyped-def]
    gina, alice, carol, moved
) -> None:
    """The letter is G's document, numbered in G's register: G issues it from its list and reaches
    its files (job page, download, regeneration), though the candidate's page is no longer its."""
    from admission.models import DocumentJob, GeneratedDocument, GeneratedKind, IssuedDocument

    transfer = CandidateTransfer.objects.get(candidate=moved)
    letter_url = reverse("transfer_letter_issue", args=[transfer.pk])
    client = _client(gina)
    listing = client.get(URL).content.decode()
    assert f'href="{letter_url}"' in listing and "Cấp số công văn" in listing

    form = client.get(letter_url).content.decode()
    assert "Tạ Văn Chuyển Hồ Sơ" in form and "23/09/2025" in form and 'name="kind"' in form
    assert 'type="hidden" name="kind" value="transfer_letter"' in form
    missing_signer = client.post(
        letter_url, {"kind": "transfer_letter", "issued_on": "15/09/2025", "signer_name": "", "signer_position": "BÍ THƯ", "format": "docx"}
    )  # fmt: skip
    assert missing_signer.status_code == 200 and 'value="15/09/2025"' in missing_signer.content.decode()
    assert not IssuedDocument.objects.filter(candidate=moved).exists()
    # Another kind cannot be slipped in through this page.
    other = client.post(
        letter_url, {"kind": "admission_decision", "issued_on": "15/09/2025", "signer_name": "Gia Văn Ký", "signer_position": "BÍ THƯ", "format": "docx"}
    )  # fmt: skip
    assert other.status_code == 200 and not IssuedDocument.objects.filter(candidate=moved).exists()

    issued_response = client.post(
        letter_url, {"kind": "transfer_letter", "issued_on": "15/09/2025", "signer_name": "Gia Văn Ký", "signer_position": "BÍ THƯ", "format": "docx"}
    )  # fmt: skip
    letter = IssuedDocument.objects.get(candidate=moved, kind=GeneratedKind.TRANSFER_LETTER)
    assert letter.issuer_id == transfer.forwarding_committee_id and letter.number == 1
    docx = GeneratedDocument.objects.get(issued=letter)
    assert issued_response.status_code == 302 and issued_response["Location"] == reverse(
        "generated_download", args=[docx.pk]
    )
    download = client.get(issued_response["Location"])
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    listing = client.get(URL).content.decode()
    assert letter.symbol in listing and "15/09/2025" in listing and f'href="{letter_url}"' not in listing

    # A PDF again from the register: queued, its page leads back to the list, not to the candidate.
    again = client.post(reverse("issued_generate", args=[letter.pk]), {"format": "pdf"})
    job = DocumentJob.objects.get(issued=letter)
    assert again.status_code == 302 and again["Location"] == reverse("document_job", args=[job.pk])
    job_page = client.get(again["Location"]).content.decode()
    assert f'href="{URL}"' in job_page and reverse("candidate_detail", args=[moved.pk]) not in job_page
    assert client.get(reverse("document_job_status", args=[job.pk])).status_code == 200

    # Neither the branch's secretary nor a committee outside G reaches the letter or its files.
    for outsider, expected in ((alice, 403), (carol, 404)):
        other_client = _client(outsider)
        assert other_client.get(letter_url).status_code == expected
        assert other_client.get(reverse("generated_download", args=[docx.pk])).status_code == 404
        assert other_client.get(reverse("document_job", args=[job.pk])).status_code == 404
        assert other_client.post(reverse("issued_generate", args=[letter.pk]), {"format": "docx"}).status_code == 404
