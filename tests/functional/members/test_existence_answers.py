"""Existence answers never reveal what lies outside the user's scope: a CCCD held by someone the
user may not see gets the same neutral answer on the person form, in the API and in the import
dry run (audited against that person); dry runs are throttled per user."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from admission.imports import columns, people
from admission.imports.workbook import ImportFileRefused
from members import api_tokens
from members.cccd import cccd_prefix
from members.models import AuditLog, Gender, Person
from members.services import CCCD_UNAVAILABLE
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
DOB = dt.date(1995, 6, 15)
NUMBER = cccd_prefix(province_code="001", gender=Gender.FEMALE, date_of_birth=DOB) + "000777"
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _form(**overrides: str) -> dict[str, str]:
    return {
        "full_name": "Lê Thị Thử",
        "date_of_birth": "15/06/1995",
        "gender": Gender.FEMALE,
        "cccd": NUMBER,
        "ethnicity": "Kinh",
        "education_level": "university",
        "occupation": "Kế toán viên",
        **overrides,
    }


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def hidden(tree) -> Person:  # type: ignore[no-untyped-def]
    """Someone in branch A: Bob (secretary of B) may not see them."""
    return PersonFactory(organisation=tree.branch_a, full_name="Ngô Thị Ẩn", cccd=NUMBER)


def test_the_person_form_does_not_say_that_a_hidden_number_exists(tree, bob, hidden) -> None:  # type: ignore[no-untyped-def]
    response = _client(bob).post(reverse("person_create", args=[tree.branch_b.pk]), _form())

    html = response.content.decode()
    assert response.status_code == 200
    assert str(CCCD_UNAVAILABLE) in html
    for revealing in ("đã tồn tại", "already exists", "Ngô Thị Ẩn", "Chi bộ A", "ngoài phạm vi"):
        assert revealing not in html
    assert "Kế toán viên" in html  # the form keeps what was typed
    assert Person.objects.count() == 1
    row = AuditLog.objects.get(action=AuditLog.Action.IDENTIFIER_CONFLICT)
    assert (row.user, row.person) == (bob, hidden)


def test_the_answer_is_the_same_for_a_number_held_in_another_province_tree(tree, bob) -> None:  # type: ignore[no-untyped-def]
    PersonFactory(organisation=tree.village, full_name="Đỗ Văn Xa", cccd=NUMBER)
    html = _client(bob).post(reverse("person_create", args=[tree.branch_b.pk]), _form()).content.decode()
    assert str(CCCD_UNAVAILABLE) in html and "Chi bộ Tổ dân phố 1" not in html


def test_inside_the_scope_the_form_names_who_holds_the_number(tree, alice, hidden) -> None:  # type: ignore[no-untyped-def]
    html = _client(alice).post(reverse("person_create", args=[tree.branch_a.pk]), _form()).content.decode()
    assert "Số CCCD này đã có trong danh sách: Ngô Thị Ẩn (Chi bộ A)." in html
    assert not AuditLog.objects.filter(action=AuditLog.Action.IDENTIFIER_CONFLICT).exists()


def test_editing_a_person_to_a_hidden_number_gets_the_neutral_answer(tree, bob, hidden) -> None:  # type: ignore[no-untyped-def]
    own = PersonFactory(organisation=tree.branch_b, full_name="Trịnh Văn Bê")
    response = _client(bob).post(reverse("person_edit", args=[own.pk]), _form(full_name="Trịnh Văn Bê"))
    html = response.content.decode()
    assert response.status_code == 200
    assert str(CCCD_UNAVAILABLE) in html and "Ngô Thị Ẩn" not in html
    own.refresh_from_db()
    assert own.cccd != NUMBER


def test_the_api_gives_the_same_neutral_answer(tree, bob, hidden) -> None:  # type: ignore[no-untyped-def]
    client = Client(headers={"Authorization": f"Token {api_tokens.token_rotate(acting_user=bob).key}"})
    body = {
        "organisation": tree.branch_b.pk,
        "full_name": "Lê Thị Thử",
        "date_of_birth": "1995-06-15",
        "gender": "F",
        "cccd": NUMBER,
    }
    response = client.post("/api/v1/people/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    text = response.content.decode()
    assert str(CCCD_UNAVAILABLE) in json.loads(text)["errors"][0]["message"]
    assert "Ngô Thị Ẩn" not in text and "exists" not in text


def _workbook(number: str) -> bytes:
    import io

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = columns.DATA_SHEET
    sheet.append([c.header for c in columns.COLUMNS])
    sheet.append([c.hint or None for c in columns.COLUMNS])
    row = {
        "branch": "B",
        "full_name": "Lê Thị Thử",
        "date_of_birth": "15/06/1995",
        "gender": "Nữ",
        "cccd": number,
        "education_level": "Đại học",
        "kind": "Quần chúng",
    }
    sheet.append([row.get(c.key) for c in columns.COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_import_dry_run_gives_the_same_neutral_answer(tree, bob, hidden) -> None:  # type: ignore[no-untyped-def]
    batch = people.import_dry_run(
        acting_user=bob, organisation=tree.branch_b, file_name="a.xlsx", data=_workbook(NUMBER), now=NOW
    )
    text = json.dumps(batch.report, ensure_ascii=False)
    assert str(CCCD_UNAVAILABLE) in text
    assert "ngoài phạm vi" not in text and "Ngô Thị Ẩn" not in text and "Chi bộ A" not in text


def test_import_dry_runs_are_throttled_per_user(tree, alice, bob, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_DRY_RUN_LIMIT = 2
    settings.IMPORT_DRY_RUN_WINDOW_SECONDS = 3600
    data = _workbook(cccd_prefix(province_code="001", gender=Gender.FEMALE, date_of_birth=DOB) + "000001")
    for _ in range(2):
        people.import_dry_run(acting_user=bob, organisation=tree.branch_b, file_name="a.xlsx", data=data, now=NOW)

    with pytest.raises(ImportFileRefused) as refused:
        people.import_dry_run(acting_user=bob, organisation=tree.branch_b, file_name="a.xlsx", data=data, now=NOW)
    assert "Vui lòng thử lại sau 60 phút" in refused.value.message
    # Another user has their own count; the next window starts afresh.
    people.import_dry_run(acting_user=alice, organisation=tree.branch_a, file_name="a.xlsx", data=data, now=NOW)
    later = NOW + dt.timedelta(hours=1)
    people.import_dry_run(acting_user=bob, organisation=tree.branch_b, file_name="a.xlsx", data=data, now=later)


def test_the_import_page_shows_the_throttle_as_a_form_error(tree, bob, settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.IMPORT_DRY_RUN_LIMIT = 1
    data = _workbook(cccd_prefix(province_code="001", gender=Gender.FEMALE, date_of_birth=DOB) + "000002")
    client = _client(bob)
    url = reverse("import_page", args=[tree.branch_b.pk])
    first = client.post(url, {"file": SimpleUploadedFile("a.xlsx", data), "dry_run": "1"})
    assert first.status_code == 302
    second = client.post(url, {"file": SimpleUploadedFile("a.xlsx", data), "dry_run": "1"})
    assert second.status_code == 200
    assert "Bạn đã chạy thử 1 lần" in second.content.decode()
