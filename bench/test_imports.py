"""Benchmark of the Excel import of a 5,000-row messy file, as branches keep them: title rows, a
merged two-row header, the row of column numbers, their own column names, dates as d/m/yy,
dd.mm.yyyy, words and Excel serials, years of birth only, CCCDs stored as numbers or typed with
spaces and dots, no kind or stage column (inferred from the dates), empty and totals rows. Timed:
reading the file (header detection and suggestions), the dry run, the import, and a re-import of
the same file (every row unchanged)."""

import datetime as dt
import io
import time
from pathlib import Path

import pytest
from django.db import connection
from openpyxl import Workbook

from admission.imports import people
from admission.models import ImportBatch
from members import services as member_services
from members.cccd import cccd_prefix
from members.models import Gender, OrganisationKind, Role, User

pytestmark = pytest.mark.django_db

ROWS = 5000


def _messy_file() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Danh sách chi bộ"
    sheet["A1"] = "ĐẢNG BỘ CÔNG TY THỬ"
    sheet.merge_cells("A1:C1")
    sheet["A2"] = "DANH SÁCH ĐẢNG VIÊN VÀ QUẦN CHÚNG NĂM 2026"
    sheet.merge_cells("A2:I2")
    headers = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CMND/CCCD", "Trình độ văn hóa", "Ngày cảm tình Đảng"]
    for col, label in zip("ABCDEFG", headers, strict=True):
        sheet[f"{col}4"] = label
        sheet.merge_cells(f"{col}4:{col}5")
    sheet["H4"] = "Ngày tháng năm"
    sheet.merge_cells("H4:I4")
    sheet["H5"], sheet["I5"] = "Vào Đảng", "Chính thức"
    sheet.append([f"({n})" for n in range(1, 10)])  # row 6
    for i in range(ROWS):
        born = dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28)
        gender = Gender.MALE if i % 2 else Gender.FEMALE
        number = cccd_prefix(province_code="001" if i % 3 == 0 else "019", gender=gender, date_of_birth=born)
        number += f"{i:06d}"
        kind = i % 10
        dob: object = [born.strftime("%d/%m/%Y"), born.strftime("%-d/%-m/%y"), born.strftime("%d.%m.%Y")][i % 3]
        cccd_cell: object = int(number) if number.startswith("00") else f"{number[:3]} {number[3:6]} {number[6:]}"
        sympathiser = ceremony = official = None
        if kind < 5:  # official members, a fifth of them with the year of birth only
            ceremony = dt.date(2000 + i % 20, 1 + i % 12, 1 + i % 28)
            official = ceremony.replace(year=ceremony.year + 1)
            ceremony_cell: object = [ceremony.strftime("%d/%m/%Y"), (ceremony - dt.date(1899, 12, 30)).days][i % 2]
            if kind == 0:
                dob = f"năm {born.year}"
        elif kind < 8:  # non-members
            ceremony_cell = None
        else:  # sympathisers
            sympathiser = dt.date(2025, 1 + i % 12, 1 + i % 28)
            ceremony_cell = None
        name = f"  nguyễn  văn {i:05d}x " if i % 7 == 0 else f"Nguyễn Thị Số{i}"
        sheet.append(
            [
                i + 1,
                name.replace("0", "o"),
                dob,
                "Nam" if gender == Gender.MALE else "nữ",
                cccd_cell,
                "12/12",
                f"ngày {sympathiser.day} tháng {sympathiser.month} năm {sympathiser.year}" if sympathiser else None,
                ceremony_cell,
                official.strftime("%d.%m.%Y") if official else None,
            ]
        )
        if i % 1000 == 999:
            sheet.append([])  # an empty row between the blocks
    sheet.append([None, "Tổng cộng", None, None, None, None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _timed(fn):  # type: ignore[no-untyped-def]
    """(result, seconds, queries); queries counted by a wrapper (Django's log keeps only 9,000)."""
    count = [0]

    def counter(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
    return result, elapsed, count[0]


def test_import_of_a_5000_row_messy_file(report, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    province = member_services._organisation_insert(kind=OrganisationKind.PROVINCE, name="Tỉnh", code="IP", parent=None)
    committee = member_services._organisation_insert(
        kind=OrganisationKind.GRASSROOTS_COMMITTEE, name="Đảng bộ Công ty", code="IC", parent=province
    )
    branch = member_services._organisation_insert(
        kind=OrganisationKind.BRANCH, name="Chi bộ Công ty", code="IB", parent=committee
    )
    user = User.objects.create_user(username="import-secretary", password="x" * 12)
    member_services.role_assign(acting_user=None, user=user, organisation=branch, role=Role.BRANCH_SECRETARY)
    start = time.perf_counter()
    data = _messy_file()
    built = time.perf_counter() - start

    (layout, saved), read_s, _q = _timed(
        lambda: people.import_layout(organisation=branch, file_name="bench.xlsx", data=data)
    )
    mapping = people.suggested_mapping(layout, saved)  # what the mapping page pre-selects, confirmed as is
    dry, dry_s, dry_q = _timed(
        lambda: people.import_dry_run(
            acting_user=user, organisation=branch, file_name="bench.xlsx", data=data, mapping=mapping, save_mapping=True
        )
    )
    assert dry.report["counts"]["error"] == 0, [r for r in dry.report["rows"] if r["errors"]][:3]
    done, apply_s, apply_q = _timed(
        lambda: people.import_apply(
            acting_user=user, organisation=branch, file_name="bench.xlsx", data=data, dry_run=dry, mapping=mapping
        )
    )
    assert done.status == ImportBatch.Status.APPLIED
    again, again_s, again_q = _timed(
        lambda: people.import_apply(acting_user=user, organisation=branch, file_name="bench.xlsx", data=data)
    )
    assert again.unchanged_count == ROWS

    report.append("## Excel import of a 5,000-row messy file\n")
    report.append(
        f"A {len(data) // 1024} KB workbook (built in {built:.1f} s): two title rows, a merged two-row header, "
        "dates as d/m/yy, dd.mm.yyyy, words and Excel serials, years of birth only, CCCDs as numbers or with "
        "spaces, no kind or stage column; 2,500 official members, 1,500 non-members, 1,000 sympathisers "
        "(candidates at S1, walked through `candidate_transition`).\n"
    )
    report.append("| step | seconds | queries | result |\n| --- | --- | --- | --- |")
    report.append(
        f"| read the file (header, suggestions) | {read_s:.2f} | {_q} | {len(layout.sheets[0].rows)} rows under the header |"
    )
    report.append(
        f"| dry run | {dry_s:.2f} | {dry_q} | {dry.created_count} to create, "
        f"{len(dry.report['skipped'])} rows skipped, {dry.report['inferred']} inferred |"
    )
    report.append(f"| import | {apply_s:.2f} | {apply_q} | {done.created_count} created |")
    report.append(f"| same file again | {again_s:.2f} | {again_q} | {again.unchanged_count} unchanged |")
    report.append(
        "\nOne process, one durable transaction for the import; the dry run writes only its batch. On 2 CPUs shared with other work:\nthe same run took 107 s to 162 s for the import and 3 s to 7 s for the dry run. The import writes each row through the\nservices (person and member history, candidate walked step by step): about 13 queries a row.\n"
    )
