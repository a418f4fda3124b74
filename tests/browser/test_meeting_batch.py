"""The committee's staff record the outcomes of a meeting of 10 dossiers on its agenda page, make
its documents in one batch, watch the progress while the `documents` worker converts them (here
the test plays the worker), and download the ZIP and the combined PDF; in real Chromium.
Screenshots go to test-artifacts/browser/ (gitignored)."""

import datetime as dt
import subprocess
import zipfile
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from admission import services
from admission.devdata.demo import at
from admission.documents import batch as docbatch
from admission.models import AgendaItem, CommitteeMeeting, DocumentBatch
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

NOW = dt.datetime(2026, 3, 5, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
NAMES = [f"Nguyễn Văn Số {n:02d}" for n in range(1, 11)]


@pytest.fixture
def page(live_server, transactional_db, settings, tmp_path) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


@pytest.fixture
def queued(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """The batches sent to the `documents` queue; the test runs them as its worker would."""
    sent: list[int] = []
    monkeypatch.setattr(docbatch, "_enqueue", sent.append)
    return sent


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"meeting-batch-{name}.png"), full_page=True)


def test_a_meeting_of_ten_decisions_is_made_in_one_batch_and_downloaded(
    page: Page, gina, tree: Tree, queued: list[int]
) -> None:  # type: ignore[no-untyped-def]
    meeting = CommitteeMeeting.objects.create(committee=tree.government, held_on=dt.date(2026, 3, 2))
    for position, name in enumerate(NAMES, start=1):
        person = PersonFactory(organisation=tree.branch_a, full_name=name)
        candidate = services.candidate_create(acting_user=None, person=person, now=at(dt.date(2025, 1, 6)))
        AgendaItem.objects.create(meeting=meeting, candidate=candidate, position=position, stage_listed="S10")

    page.goto("/accounts/login/")
    page.fill("#id_username", gina.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/")

    # The meeting's outcomes, recorded on its agenda page: all ten approved.
    page.goto(f"/admission/meetings/{meeting.pk}/")
    for select in page.locator("#agenda select").all():
        select.select_option("approved")
    page.locator("#save-outcomes").click()
    expect(page.locator("body")).to_contain_text("Đã lưu kết quả xét (10 hồ sơ thay đổi)")

    page.locator("#meeting-documents-link").click()
    expect(page.locator("#meeting-documents")).to_contain_text("Quyết định kết nạp đảng viên")
    page.fill("#id_issued_on", "02/03/2026")
    page.fill("#id_signer_name", "Trần Văn Ký")
    _shot(page, "01-form")
    page.locator("main form [type=submit]").click()
    expect(page.locator("body")).to_contain_text("Đã cấp số 10 văn bản; đang tạo tệp.")
    expect(page.locator("#batch-entries tbody tr")).to_have_count(10)
    expect(page.locator("#batch-entries tbody tr").first).to_contain_text("Số 1-QĐ/ĐU")
    expect(page.locator("#batch-entries tbody tr").last).to_contain_text("Số 10-QĐ/ĐU")
    expect(page.locator("[data-batch-count]")).to_have_text("0/10")
    _shot(page, "02-progress")

    # The `documents` worker's turn: LibreOffice converts the ten; the page notices by itself.
    assert len(queued) == 1
    assert docbatch.meeting_batch_build(batch_id=queued[0]) == "done"
    expect(page.locator("#batch-pdf")).to_be_visible(timeout=20_000)
    expect(page.locator("#batch-status")).to_have_text("Đã xong")
    _shot(page, "03-done")

    with page.expect_download() as download:
        page.locator("#batch-zip").click()
    archive = download.value.path()
    assert download.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
    assert len(names) == 20
    assert names[0].startswith("01_Nguyen-Van-So-01_1-QD-DU") and names[-1].startswith("10_Nguyen-Van-So-10_10-QD-DU")

    with page.expect_download() as download:
        page.locator("#batch-pdf").click()
    pdf = download.value.path()
    assert len(PdfReader(pdf).pages) >= 10
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    positions = [text.index(f"Số {n}-QĐ/ĐU") for n in range(1, 11)]
    assert positions == sorted(positions)  # printed in agenda order
    for name in NAMES:
        assert name in text
    assert DocumentBatch.objects.get().status == DocumentBatch.Status.DONE
    assert page.problems == []  # type: ignore[attr-defined]
