"""The Excel import pages through the test client, persona by persona.

alice (secretary of A) downloads the template, runs a dry run and imports; bob (B) and oscar
(no role) get 404 on every import URL of branch A: "import_page", "import_template",
"import_batch", "import_apply"; eve (auditor) reads the history but every POST is 403.
"""

import datetime as dt
import io
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from admission.devdata.demo import TZ
from admission.imports import columns, files, people
from admission.models import Candidate, ImportBatch
from members.cccd import cccd_prefix
from members.models import Gender, Person, User
from tests.conftest import Tree

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 16, 10, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def _upload(name: str, content: bytes) -> io.BytesIO:
    """A file for the test client's multipart encoder, which names it after `.name`."""
    fileobj = io.BytesIO(content)
    fileobj.name = name
    return fileobj


BORN = dt.date(1998, 2, 1)


def _row(name: str, serial: int, **extra: object) -> dict[str, object]:
    return {
        "branch": "A",
        "full_name": name,
        "date_of_birth": BORN.strftime("%d/%m/%Y"),
        "gender": "Nam",
        "cccd": cccd_prefix(province_code="019", gender=Gender.MALE, date_of_birth=BORN) + f"{serial:06d}",
        "education_level": "Đại học",
        "kind": "Ứng viên",
        "stage": "S1",
        "sympathiser_date": "10/01/2026",
        **extra,
    }


def _workbook(rows: list[dict[str, object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = columns.DATA_SHEET
    sheet.append([c.header for c in columns.COLUMNS])
    for row in rows:
        sheet.append([row.get(c.key) for c in columns.COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOOD = [_row("Nguyễn Văn Một", 1), _row("Nguyễn Văn Hai", 2, stage="S0", sympathiser_date=None)]
BAD = [
    _row("Nguyễn Văn Một", 1),
    _row("Nguyễn Văn Hai", 2, sympathiser_date="31/02/2026"),
    _row("Ba", 3, branch="B"),
]


def _dry_run(client: Client, tree: Tree, rows: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("import_page", args=[tree.branch_a.pk]), {"file": _upload("danh-sach.xlsx", _workbook(rows))}
    )


@pytest.fixture
def batch(tree: Tree, alice: User) -> ImportBatch:
    """A clean dry run of branch A by alice."""
    return people.import_dry_run(
        acting_user=alice, organisation=tree.branch_a, file_name="danh-sach.xlsx", data=_workbook(GOOD), now=NOW
    )


def test_the_secretary_runs_a_dry_run_then_imports_into_her_branch(tree: Tree, alice: User) -> None:
    client = _client(alice)
    page = client.get(reverse("import_page", args=[tree.branch_a.pk]))
    assert page.status_code == 200
    assert reverse("import_template", args=[tree.branch_a.pk]) in _html(page)
    assert 'type="file"' in _html(page) and "Chạy thử" in _html(page)

    tried = _dry_run(client, tree, GOOD)

    assert tried.status_code == 302
    dry = ImportBatch.objects.get()
    assert tried["Location"] == reverse("import_batch", args=[dry.pk])
    assert not Person.objects.exists()
    report = client.get(tried["Location"])
    assert report.status_code == 200
    assert 'id="apply-form"' in _html(report) and "Nguyễn Văn Một" in _html(report)

    done = client.post(reverse("import_apply", args=[dry.pk]))

    applied = ImportBatch.objects.get(status=ImportBatch.Status.APPLIED)
    assert done.status_code == 302 and done["Location"] == reverse("import_batch", args=[applied.pk])
    assert sorted(Candidate.objects.values_list("stage", flat=True)) == ["S0", "S1"]
    result = client.get(done["Location"])
    assert "Đã nhập 2 dòng: tạo mới 2, cập nhật 0, giữ nguyên 0." in _html(result)
    history = _html(client.get(reverse("import_page", args=[tree.branch_a.pk])))
    assert reverse("import_batch", args=[applied.pk]) in history and reverse("import_batch", args=[dry.pk]) in history
    # The dry run cannot be imported twice.
    again = client.post(reverse("import_apply", args=[dry.pk]))
    assert again["Location"] == reverse("import_batch", args=[applied.pk])
    assert ImportBatch.objects.count() == 2


def test_the_dry_run_page_lists_every_error_in_vietnamese(tree: Tree, alice: User) -> None:
    client = _client(alice)

    response = client.get(_dry_run(client, tree, BAD)["Location"])

    html = _html(response)
    assert response.status_code == 200
    assert "Ngày «31/02/2026» không có thật." in html
    assert "Họ và tên phải có ít nhất họ và tên (hai từ)." in html
    assert "Chi bộ mã «B» nằm ngoài phạm vi bạn được nhập" in html
    assert 'id="row-4"' in html and 'id="row-3"' in html
    assert 'id="apply-form"' not in html and 'id="has-errors"' in html
    only = _html(client.get(response.request["PATH_INFO"] + "?errors=1"))
    assert 'id="row-2"' not in only and 'id="row-3"' in only
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("hong.xlsx", b"PK\x03\x04 this is not really a zip", "không phải tệp Excel .xlsx"),
        ("danh-sach.xlsx", "Họ và tên,Số CCCD\nLê Thị Mai,019300000111\n".encode(), "không phải tệp Excel .xlsx"),
        ("trong.xlsx", b"", "trống"),
    ],
)
def test_a_file_that_cannot_be_read_shows_a_message_not_an_error_page(
    tree: Tree, alice: User, name: str, content: bytes, message: str
) -> None:
    response = _client(alice).post(reverse("import_page", args=[tree.branch_a.pk]), {"file": _upload(name, content)})

    assert response.status_code == 200
    assert message in _html(response)
    assert not ImportBatch.objects.exists()


def test_a_damaged_workbook_shows_a_message(tree: Tree, alice: User) -> None:
    data = bytearray(_workbook(GOOD))
    data[300:700] = b"\x00" * 400

    response = _client(alice).post(
        reverse("import_page", args=[tree.branch_a.pk]), {"file": _upload("hong.xlsx", bytes(data))}
    )

    assert response.status_code == 200
    assert "bị hỏng, không đọc được" in _html(response)


def test_the_template_opens_in_openpyxl_with_its_headers(tree: Tree, alice: User) -> None:
    response = _client(alice).get(reverse("import_template", args=[tree.branch_a.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="mau-nhap-excel-a.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book[columns.DATA_SHEET][1]] == [c.header for c in columns.COLUMNS]
    assert "Mã chi bộ" in [c.value for c in book[columns.DATA_SHEET][1]]
    assert [c.value for c in book[columns.LISTS_SHEET][1]][:6] == [
        "Giới tính", "Trình độ học vấn", "Loại", "Bước", "Có/Không", "Mã chi bộ",
    ]  # fmt: skip
    branches = [c.value for c in book[columns.LISTS_SHEET]["F"]][1:]
    assert [code for code in branches if code] == ["A"]  # the branches alice may import into


@pytest.mark.parametrize("persona", ["bob", "oscar"])
def test_outsiders_get_404_on_every_import_url_of_the_branch(
    request: pytest.FixtureRequest, tree: Tree, batch: ImportBatch, persona: str
) -> None:
    client = _client(request.getfixturevalue(persona))
    urls = [
        ("get", reverse("import_page", args=[tree.branch_a.pk])),
        ("post", reverse("import_page", args=[tree.branch_a.pk])),
        ("get", reverse("import_template", args=[tree.branch_a.pk])),
        ("get", reverse("import_batch", args=[batch.pk])),
        ("post", reverse("import_apply", args=[batch.pk])),
    ]
    for method, url in urls:
        data = {"file": _upload("danh-sach.xlsx", _workbook(GOOD))} if method == "post" else {}
        assert getattr(client, method)(url, data).status_code == 404, (method, url)
    assert ImportBatch.objects.count() == 1 and not Person.objects.exists()


def test_the_auditor_reads_the_history_but_cannot_import(tree: Tree, eve: User, batch: ImportBatch) -> None:
    client = _client(eve)

    page = client.get(reverse("import_page", args=[tree.branch_a.pk]))
    report = client.get(reverse("import_batch", args=[batch.pk]))
    upload = client.post(
        reverse("import_page", args=[tree.branch_a.pk]), {"file": _upload("danh-sach.xlsx", _workbook(GOOD))}
    )
    apply = client.post(reverse("import_apply", args=[batch.pk]))

    assert page.status_code == 200 and 'id="read-only"' in _html(page) and 'type="file"' not in _html(page)
    assert report.status_code == 200 and 'id="apply-form"' not in _html(report)
    assert (upload.status_code, apply.status_code) == (403, 403)
    assert ImportBatch.objects.count() == 1 and not Person.objects.exists()


def test_only_the_person_who_ran_the_dry_run_imports_it(tree: Tree, carol: User, batch: ImportBatch) -> None:
    """Carol (committee C, above A) may import into A, but not someone else's dry run."""
    assert _client(carol).post(reverse("import_apply", args=[batch.pk])).status_code == 403
    assert not Person.objects.exists()


def test_a_dry_run_whose_file_is_gone_asks_for_the_file_again(tree: Tree, alice: User, batch: ImportBatch) -> None:
    files.import_file_forget(sha256=batch.sha256)
    client = _client(alice)

    report = client.get(reverse("import_batch", args=[batch.pk]))
    response = client.post(reverse("import_apply", args=[batch.pk]), follow=True)

    assert 'id="apply-form"' not in _html(report)
    assert "Tệp chạy thử không còn được lưu" in _html(response)
    assert not Person.objects.exists()


def test_anonymous_users_are_sent_to_the_login_page(tree: Tree, batch: ImportBatch) -> None:
    for url in (
        reverse("import_page", args=[tree.branch_a.pk]),
        reverse("import_template", args=[tree.branch_a.pk]),
        reverse("import_batch", args=[batch.pk]),
    ):
        response = _client(None).get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- The branch's own spreadsheet: the mapping page ---------------------------------------------


def _own_file(*extra: list[object]) -> bytes:
    """Branch A's list: a title row, its own headers, no kind or stage column (inferred), a phone column."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Chi bộ A"
    sheet["A1"] = "DANH SÁCH QUẦN CHÚNG ƯU TÚ"
    sheet.merge_cells("A1:G1")
    sheet.append(
        ["STT", "Họ tên", "Ngày sinh", "Giới tính", "CMND/CCCD", "Trình độ", "Ngày vào DS cảm tình Đảng", "Điện thoại"]
    )
    number = cccd_prefix(province_code="019", gender=Gender.MALE, date_of_birth=BORN)
    sheet.append([1, "NGUYỄN VĂN MỘT", "1/2/98", "Nam", f"{number}000001", "Đại học", "10/01/2026", "0912345678"])
    sheet.append([2, "Nguyễn Văn Hai", "01.02.1998", "Nam", f"{number}000002", "Đại học", None, None])
    for row in extra:
        sheet.append(row)
    sheet.append([None, "Tổng cộng"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload_own(client: Client, tree: Tree, data: bytes):  # type: ignore[no-untyped-def]
    return client.post(reverse("import_page", args=[tree.branch_a.pk]), {"file": _upload("chi-bo-a.xlsx", data)})


def _choices(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The mapping form's fields and their selected values, as the page shows them."""
    form = response.context["form"]
    return {row["label"]: row["field"].value() for row in form.column_rows}


def test_a_file_of_the_branch_goes_through_the_mapping_page_then_the_dry_run(tree: Tree, alice: User) -> None:
    client = _client(alice)

    uploaded = _upload_own(client, tree, _own_file())

    assert uploaded.status_code == 302 and "/import/map/" in uploaded["Location"]
    assert not ImportBatch.objects.exists()
    page = client.get(uploaded["Location"])
    html = _html(page)
    assert page.status_code == 200
    assert "giống «Họ tên» 100%" in html and "giống «STT» 100%: cột không cần nhập" in html
    assert "•••••••••001" in html and "019098000001" not in html  # examples mask the CCCD
    assert _choices(page) == {
        "STT": "",
        "Họ tên": "full_name",
        "Ngày sinh": "date_of_birth",
        "Giới tính": "gender",
        "CMND/CCCD": "cccd",
        "Trình độ": "education_level",
        "Ngày vào DS cảm tình Đảng": "sympathiser_date",
        "Điện thoại": "",
    }
    form = page.context["form"]
    data = {row["field"].html_name: row["field"].value() for row in form.column_rows} | {"save": "on"}

    tried = client.post(uploaded["Location"], data)

    dry = ImportBatch.objects.get()
    assert tried.status_code == 302 and tried["Location"] == reverse("import_batch", args=[dry.pk])
    assert (dry.created_count, dry.report["inferred"]) == (2, 2)
    report = _html(client.get(tried["Location"]))
    assert "«Điện thoại» → <span" in report and "dòng tổng cộng" in report
    assert 'id="confirm-inferred"' in report and "suy ra" in report
    assert "Bước S1 · Cảm tình Đảng suy ra từ «Ngày vào danh sách cảm tình Đảng» (10/01/2026)." in report

    unconfirmed = client.post(reverse("import_apply", args=[dry.pk]), follow=True)
    assert "Hãy kiểm tra loại và bước suy ra từ các ngày" in _html(unconfirmed)
    assert not Person.objects.exists()

    done = client.post(reverse("import_apply", args=[dry.pk]), {"confirm_inferred": "1"})

    assert ImportBatch.objects.get(status=ImportBatch.Status.APPLIED).created_count == 2
    assert done.status_code == 302
    assert sorted(Candidate.objects.values_list("stage", flat=True)) == ["S1"]
    # The next file, laid out the same way, goes straight to the dry run with the saved mapping.
    number = cccd_prefix(province_code="019", gender=Gender.MALE, date_of_birth=BORN)
    following = _upload_own(
        client, tree, _own_file([3, "Nguyễn Văn Ba", "01/02/1998", "Nam", f"{number}000003", "Đại học"])
    )
    latest = ImportBatch.objects.order_by("-pk").first()
    assert latest is not None and following["Location"] == reverse("import_batch", args=[latest.pk])
    assert (latest.created_count, latest.unchanged_count) == (1, 2)


def test_the_mapping_page_keeps_the_choices_and_says_what_is_missing(tree: Tree, alice: User) -> None:
    client = _client(alice)
    url = _upload_own(client, tree, _own_file())["Location"]
    form = client.get(url).context["form"]
    data = {row["field"].html_name: row["field"].value() for row in form.column_rows}
    cccd_field = next(row["field"].html_name for row in form.column_rows if row["label"] == "CMND/CCCD")
    phone_field = next(row["field"].html_name for row in form.column_rows if row["label"] == "Điện thoại")

    missing = client.post(url, {**data, cccd_field: ""})
    twice = client.post(url, {**data, phone_field: "full_name"})

    assert missing.status_code == twice.status_code == 200
    assert "Trang «Chi bộ A»: chưa có cột nào ghép vào «Số CCCD»." in _html(missing)
    assert _choices(missing)["CMND/CCCD"] == "" and _choices(missing)["Họ tên"] == "full_name"
    assert "«Họ và tên» được chọn cho nhiều cột: «Họ tên», «Điện thoại»." in _html(twice)
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("persona", ["bob", "oscar", "carol", "eve"])
def test_only_the_uploader_opens_the_mapping_page_of_a_file(
    request: pytest.FixtureRequest, tree: Tree, alice: User, persona: str
) -> None:
    """The "import_mapping" page. bob and oscar: 404 (not their organisation); carol may import into A but did not upload the
    file: 404; eve reads A but may not import: 403."""
    url = _upload_own(_client(alice), tree, _own_file())["Location"]
    client = _client(request.getfixturevalue(persona))

    expected = 403 if persona == "eve" else 404
    assert client.get(url).status_code == expected
    assert client.post(url, {}).status_code == expected
    assert not ImportBatch.objects.exists()
