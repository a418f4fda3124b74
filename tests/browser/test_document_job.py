"""The committee's staff issue a numbered decision as a PDF from the candidate's page: the number is
given at once, the PDF is made off the request path (here the test plays the `documents` worker),
the page shows it being made and then offers the file by itself; in real Chromium. Screenshots go
to test-artifacts/browser/ (gitignored)."""

import datetime as dt
import subprocess
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at
from admission.documents import generate as docgen
from admission.models import DocumentJob, IssuedDocument
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

NOW = dt.datetime(2026, 3, 5, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
NAME = "Phan Văn Tệp"


@pytest.fixture
def page(live_server, transactional_db, settings, tmp_path) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


@pytest.fixture
def queued(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """The jobs sent to the `documents` queue; the test runs them as its worker would."""
    sent: list[int] = []
    monkeypatch.setattr(docgen, "_enqueue", sent.append)
    return sent


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"document-job-{name}.png"), full_page=True)


def test_a_decision_is_numbered_at_once_and_its_pdf_follows_off_the_request(
    page: Page, gina, tree: Tree, queued: list[int]
) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=NAME)
    candidate = services.candidate_create(acting_user=None, person=person, now=at(dt.date(2025, 1, 6)))

    page.goto("/accounts/login/")
    page.fill("#id_username", gina.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/")

    page.goto(f"/admission/candidates/{candidate.pk}/documents/issue/?kind=admission_decision")
    page.fill("#id_issued_on", "04/03/2026")
    page.fill("#id_signer_name", "Trần Văn Ký")
    expect(page.locator("#id_format")).to_have_value("pdf")
    page.locator("main form [type=submit]").click()

    # The number is given in the request; the file is being made.
    expect(page.locator("body")).to_contain_text("Đã vào sổ: Quyết định kết nạp đảng viên, số 1-QĐ/ĐU.")
    expect(page.locator("#job-status")).to_have_text("Đang chờ")
    expect(page.locator("#job-progress")).to_contain_text("Máy chủ đang tạo tệp PDF")
    _shot(page, "01-being-made")
    page.goto(f"/admission/candidates/{candidate.pk}/")
    expect(page.locator("#document-jobs")).to_contain_text("đang tạo")
    page.locator("#generated-documents").screenshot(path=str(ARTIFACTS / "document-job-01b-candidate-page.png"))
    page.go_back()

    # The `documents` worker's turn: LibreOffice converts it; the page notices by itself.
    assert len(queued) == 1
    assert docgen.document_job_build(job_id=queued[0]) == "done"
    expect(page.locator("#job-download")).to_be_visible(timeout=20_000)
    expect(page.locator("#job-status")).to_have_text("Đã xong")
    _shot(page, "02-ready")

    with page.expect_download() as download:
        page.locator("#job-download").click()
    assert download.value.suggested_filename == "Phan-Van-Tep_Quyet-dinh-ket-nap-dang-vien.pdf"
    text = subprocess.run(["pdftotext", str(download.value.path()), "-"], capture_output=True, check=True).stdout
    assert "Số 1-QĐ/ĐU" in text.decode() and "Trần Văn Ký" in text.decode()
    assert list(IssuedDocument.objects.values_list("symbol", flat=True)) == ["1-QĐ/ĐU"]
    assert DocumentJob.objects.get().status == DocumentJob.Status.DONE
    assert page.problems == []  # type: ignore[attr-defined]
