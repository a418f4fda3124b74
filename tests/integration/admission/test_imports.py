"""Excel import (admission.imports.people) against PostgreSQL: dry run, all-or-nothing import, re-runs,
CCCD leading zeros, stages walked along the organisation tree, no reminder blast, the record.

Workbooks are built here with openpyxl; "today" is frozen at Monday 16/03/2026.
"""

import datetime as dt
import hashlib
import io
from collections import Counter
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from openpyxl import Workbook

from admission import reminders
from admission.devdata.demo import TZ
from admission.domain.stages import Stage, can_transition
from admission.imports import columns, files, people, planning, template
from admission.imports.workbook import ImportFileRefused, workbook_read
from admission.models import Candidate, ImportBatch, Notification, StageTransition
from members.cccd import cccd_prefix
from members.models import AuditLog, Gender, MemberStatus, PartyMember, Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 16, 10, 0, tzinfo=TZ)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def cccd(province: str, gender: str, born: dt.date, serial: int) -> str:
    return cccd_prefix(province_code=province, gender=gender, date_of_birth=born) + f"{serial:06d}"


def workbook(rows: list[dict[str, Any]], *, headers: list[str] | None = None) -> bytes:
    """A workbook laid out like the template: headers, the hint row, then `rows` (column key -> cell)."""
    book = Workbook()
    sheet = book.active
    sheet.title = columns.DATA_SHEET
    sheet.append(headers or [c.header for c in columns.COLUMNS])
    sheet.append([c.hint or None for c in columns.COLUMNS])
    for row in rows:
        sheet.append([row.get(c.key) for c in columns.COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def person_row(name: str, born: dt.date, gender: str, number: str, **extra: Any) -> dict[str, Any]:
    return {
        "branch": "A",
        "full_name": name,
        "date_of_birth": born.strftime("%d/%m/%Y"),
        "gender": "Nữ" if gender == Gender.FEMALE else "Nam",
        "cccd": number,
        "education_level": "Đại học",
        **extra,
    }


MAI_BORN = dt.date(2000, 5, 4)
BON_BORN = dt.date(1998, 2, 1)
MUOI_BORN = dt.date(1996, 7, 7)
BA_BORN = dt.date(1994, 11, 20)
AN_BORN = dt.date(1995, 6, 15)


def masses() -> dict[str, Any]:
    return person_row(
        "lê  thị mai", MAI_BORN, Gender.FEMALE, cccd("019", Gender.FEMALE, MAI_BORN, 111), kind="Quần chúng"
    )


def candidate_s4() -> dict[str, Any]:
    return person_row(
        "Nguyễn Văn Bốn",
        BON_BORN,
        Gender.MALE,
        cccd("019", Gender.MALE, BON_BORN, 222),
        kind="Ứng viên",
        stage="S4 · Viết đơn và khai lý lịch",
        youth_union_member="Có",
        sympathiser_date="10/01/2025",
        certificate_issue_date=dt.datetime(2025, 3, 20),  # a real date cell
        certificate_number="123/GCN",
        dossier_start_date="02/04/2025",
    )


def candidate_s10() -> dict[str, Any]:
    return person_row(
        "Phạm Thị Mười",
        MUOI_BORN,
        Gender.FEMALE,
        cccd("019", Gender.FEMALE, MUOI_BORN, 333),
        kind="Ứng viên",
        stage="S10",
        sympathiser_date="06/01/2025",
        certificate_issue_date="20/03/2025",
        dossier_start_date="02/04/2025",
        branch_resolution_date="10/02/2026",
    )


def candidate_s13() -> dict[str, Any]:
    """Probation since a ceremony in October 2024: it ended on 01/10/2025, long past."""
    return person_row(
        "Hoàng Văn Ba",
        BA_BORN,
        Gender.MALE,
        cccd("019", Gender.MALE, BA_BORN, 444),
        kind="Ứng viên",
        stage="S13",
        sympathiser_date="10/01/2023",
        certificate_issue_date="20/03/2023",
        certificate_number="45/GCN",
        dossier_start_date="02/04/2023",
        branch_resolution_date="05/06/2024",
        decision_date="10/09/2024",
        decision_number="QĐ-12",
        ceremony_date="01/10/2024",
        card_number="0099887",
    )


def member() -> dict[str, Any]:
    """An official member whose CCCD starts with zeros (Hà Nội, born 1995)."""
    return person_row(
        "Trần Văn An",
        AN_BORN,
        Gender.MALE,
        "001095012345",
        kind="Đảng viên",
        decision_date="01/03/2015",
        ceremony_date="19/05/2015",
        official_date="19/05/2016",
        card_number="12345678",
    )


def good_rows() -> list[dict[str, Any]]:
    return [masses(), candidate_s4(), candidate_s10(), candidate_s13(), member()]


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Person, PartyMember, Candidate, StageTransition, Notification)
    }


def snapshot() -> dict[str, Any]:
    """Every value the import writes, to compare before and after a re-run."""
    return {
        "people": list(Person.objects.order_by("pk").values()),
        "members": list(PartyMember.objects.order_by("pk").values()),
        "candidates": list(Candidate.objects.order_by("pk").values()),
        "transitions": list(StageTransition.objects.order_by("pk").values()),
        "notifications": list(Notification.objects.order_by("pk").values()),
    }


def dry_run(user, organisation, data: bytes, name: str = "danh-sach.xlsx") -> ImportBatch:  # type: ignore[no-untyped-def]
    return people.import_dry_run(acting_user=user, organisation=organisation, file_name=name, data=data, now=NOW)


def apply(user, organisation, data: bytes, name: str = "danh-sach.xlsx") -> ImportBatch:  # type: ignore[no-untyped-def]
    return people.import_apply(acting_user=user, organisation=organisation, file_name=name, data=data, now=NOW)


def errors_by_row(batch: ImportBatch) -> dict[int, list[str]]:
    return {
        r["row"]: [f"{e['column']}: {e['message']}" for e in r["errors"]] for r in batch.report["rows"] if r["errors"]
    }


# --- Dry run -----------------------------------------------------------------------------------


def test_it_reports_every_bad_row_with_its_number_and_writes_nothing(tree, alice) -> None:  # type: ignore[no-untyped-def]
    bad = [
        masses(),  # row 3: fine
        person_row("Đỗ Văn Sai", BON_BORN, Gender.MALE, "999098000001", kind="Quần chúng"),  # 4: province
        person_row("Đỗ Văn Giới", BON_BORN, Gender.FEMALE, cccd("019", Gender.MALE, BON_BORN, 5), kind="Quần chúng"),
        {**masses(), "cccd": cccd("019", Gender.FEMALE, MAI_BORN, 6), "date_of_birth": "31/02/2000"},  # 6
        {**candidate_s4(), "cccd": cccd("019", Gender.MALE, BON_BORN, 7), "dossier_start_date": "02/04/2027"},
        {**member(), "cccd": cccd("001", Gender.MALE, AN_BORN, 8), "ceremony_date": "01/02/2015"},  # 8
        {**member(), "cccd": cccd("001", Gender.MALE, AN_BORN, 9), "official_date": "01/05/2015"},  # 9
        {**masses(), "cccd": cccd("019", Gender.FEMALE, MAI_BORN, 10), "branch": "ZZ"},  # 10
        {**masses(), "cccd": cccd("019", Gender.FEMALE, MAI_BORN, 11), "branch": "B"},  # 11: not alice's
        {**candidate_s4(), "cccd": cccd("019", Gender.MALE, BON_BORN, 12), "stage": "S20"},  # 12
        {**masses(), "cccd": cccd("019", Gender.FEMALE, MAI_BORN, 111)},  # 13: same CCCD as row 3
        {**masses(), "cccd": cccd("019", Gender.FEMALE, MAI_BORN, 14), "full_name": "Mai"},  # 14
        {**candidate_s13(), "cccd": cccd("019", Gender.MALE, BA_BORN, 15), "ceremony_date": None},  # 15
        {**candidate_s4(), "cccd": cccd("019", Gender.MALE, BON_BORN, 16), "kind": "Khách"},  # 16
        # 17: every fault of a row at once, in the order of the columns
        {
            **masses(),
            "cccd": cccd("019", Gender.FEMALE, MAI_BORN, 17),
            "full_name": "Mai",
            "date_of_birth": "30/02/2000",
            "gender": None,
        },
    ]
    before = counts()

    batch = dry_run(alice, tree.branch_a, workbook(bad))

    assert counts() == before
    found = errors_by_row(batch)
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
    assert any("Ba chữ số đầu của số CCCD không phải mã tỉnh" in m for m in found[4])
    assert any("Chữ số thứ tư của số CCCD không khớp với giới tính" in m for m in found[5])
    assert found[6] == ["Ngày sinh: Ngày «31/02/2000» không có thật."]
    assert found[7] == ["Ngày được lập hồ sơ: Ngày 02/04/2027 ở tương lai."]
    assert any(
        "«Ngày lễ kết nạp» (01/02/2015) không thể trước «Ngày quyết định kết nạp» (01/03/2015)" in m for m in found[8]
    )
    assert any("«Ngày chính thức» (01/05/2015) không thể trước «Ngày lễ kết nạp» (19/05/2015)" in m for m in found[9])
    assert found[10] == ["Mã chi bộ: Không có chi bộ mã «ZZ»: xem mã trên trang tổ chức."]
    assert any("Chi bộ mã «B» nằm ngoài phạm vi bạn được nhập" in m for m in found[11])
    assert any(m.startswith("Bước: Bước «S20» không có") for m in found[12])
    assert found[3] == found[13] == ["Số CCCD: Số CCCD trùng ở các dòng 3, 13 của tệp."]
    assert found[14] == ["Họ và tên: Họ và tên phải có ít nhất họ và tên (hai từ)."]
    assert found[15] == ["Ngày lễ kết nạp: Ứng viên ở bước S13 phải có «Ngày lễ kết nạp»."]
    assert any(m.startswith("Loại: Loại «Khách» không hợp lệ") for m in found[16])
    assert found[17] == [
        "Họ và tên: Họ và tên phải có ít nhất họ và tên (hai từ).",
        "Ngày sinh: Ngày «30/02/2000» không có thật.",
        "Giới tính: Thiếu giới tính.",
    ]
    assert batch.status == ImportBatch.Status.DRY_RUN
    assert batch.report["counts"]["error"] == 15


def test_it_says_what_a_clean_dry_run_would_do(tree, alice) -> None:  # type: ignore[no-untyped-def]
    before = counts()

    batch = dry_run(alice, tree.branch_a, workbook(good_rows()))

    assert counts() == before
    assert (batch.rows, batch.created_count, batch.updated_count, batch.unchanged_count) == (5, 5, 0, 0)
    assert [r["outcome"] for r in batch.report["rows"]] == ["create"] * 5
    assert [r["row"] for r in batch.report["rows"]] == [3, 4, 5, 6, 7]
    # CCCDs are masked in the stored report, as everywhere else.
    assert batch.report["rows"][4]["cccd"] == "•••••••••345"
    assert files.import_file_read(batch=batch) is not None


# --- Import ------------------------------------------------------------------------------------


def test_it_imports_people_members_and_candidates_with_their_stages_and_dates(tree, alice) -> None:  # type: ignore[no-untyped-def]
    batch = apply(alice, tree.branch_a, workbook(good_rows()))

    assert batch.status == ImportBatch.Status.APPLIED, errors_by_row(batch)
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (5, 0, 0)
    mai = Person.objects.get(cccd=cccd("019", Gender.FEMALE, MAI_BORN, 111))
    assert mai.full_name == "Lê Thị Mai" and mai.organisation == tree.branch_a
    assert not mai.candidacies.exists() and not PartyMember.objects.filter(person=mai).exists()

    bon = Candidate.objects.get(person__full_name="Nguyễn Văn Bốn")
    assert bon.stage == "S4" and bon.person.youth_union_member
    assert (bon.sympathiser_date, bon.certificate_issue_date, bon.dossier_start_date) == (
        dt.date(2025, 1, 10),
        dt.date(2025, 3, 20),
        dt.date(2025, 4, 2),
    )
    assert bon.certificate_number == "123/GCN"
    assert bon.stage_entered_on == dt.date(2025, 4, 2)
    assert bon.next_due_on is not None  # the dossier's 12-month validity
    path = list(bon.transitions.values_list("from_stage", "to_stage", "on_date"))
    # S1 -> S3 directly: the certificate was already held (no pending class).
    assert path == [
        ("S0", "S1", dt.date(2025, 1, 10)),
        ("S1", "S3", dt.date(2025, 3, 20)),
        ("S3", "S4", dt.date(2025, 4, 2)),
    ]
    assert set(bon.transitions.values_list("acting_user", "basis", "note")) == {
        (alice.pk, f"Import {batch.pk}", "Nhập từ Excel")
    }

    muoi = Candidate.objects.get(person__full_name="Phạm Thị Mười")
    # Branch A sits under a grassroots committee: S8 -> S9 (its resolution) -> S10 (the decision).
    assert [t for _f, t in muoi.transitions.values_list("from_stage", "to_stage")][-3:] == ["S8", "S9", "S10"]
    assert muoi.branch_resolution_date == dt.date(2026, 2, 10)
    assert muoi.next_due_on is not None and muoi.next_due_on > TODAY  # 45 working days from the resolution
    assert muoi.next_reminder_at is not None and muoi.next_reminder_at >= NOW

    ba = Candidate.objects.select_related("member").get(person__full_name="Hoàng Văn Ba")
    assert ba.stage == "S13"
    assert (ba.decision_date, ba.decision_received_date, ba.ceremony_date) == (
        dt.date(2024, 9, 10),
        dt.date(2024, 9, 10),
        dt.date(2024, 10, 1),
    )
    assert ba.decision_number == "QĐ-12"
    assert ba.next_due_on == dt.date(2025, 10, 1)  # end of probation
    assert ba.member is not None and ba.member.status == MemberStatus.PROBATIONARY
    assert (ba.member.admission_decision_date, ba.member.ceremony_date, ba.member.card_number) == (
        dt.date(2024, 9, 10),
        dt.date(2024, 10, 1),
        "0099887",
    )
    stages_walked = [s for s in ba.transitions.values_list("to_stage", flat=True)]
    assert stages_walked == ["S1", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11", "S12", "S13"]

    an = PartyMember.objects.select_related("person").get(person__cccd="001095012345")
    assert an.status == MemberStatus.OFFICIAL and an.organisation == tree.branch_a
    assert (an.admission_decision_date, an.ceremony_date, an.official_date, an.card_number) == (
        dt.date(2015, 3, 1),
        dt.date(2015, 5, 19),
        dt.date(2016, 5, 19),
        "12345678",
    )
    # Imported history is not news: no "dossier moved up / decided" notices.
    assert not Notification.objects.exists()


def test_it_walks_every_route_of_the_organisation_tree(tree) -> None:  # type: ignore[no-untyped-def]
    """Loaded by the system (acting user None) for the whole province: A (grassroots committee
    resolves, the level above decides), DB (delegated committee decides at S9), V (village branch:
    the commune decides on the branch resolution)."""
    base = {k: v for k, v in candidate_s13().items() if k not in {"cccd", "full_name", "card_number"}}
    before_decision = {"decision_date": None, "decision_number": None, "ceremony_date": None}

    def row(code: str, stage: str, serial: int, **extra: Any) -> dict[str, Any]:
        return {
            **base,
            "branch": code,
            "stage": stage,
            "full_name": f"Vũ Văn Số{serial}",
            "cccd": cccd("019", Gender.MALE, BA_BORN, serial),
            **extra,
        }

    rows = [
        row("A", "S9", 1, **before_decision),
        row("A", "S8A", 2, **before_decision),  # 4: A has no sub-committee
        row("DB", "S11", 3, ceremony_date=None),  # delegated: S8 -> S9 -> S11
        row("DB", "S10", 4, **before_decision),  # 6: the delegated committee has no S10
        row("V", "S10", 5, **before_decision),  # village branch: S8 -> S10
        row("V", "S9", 6, **before_decision),  # 8
    ]

    found = errors_by_row(dry_run(None, tree.province, workbook(rows)))

    assert sorted(found) == [4, 6, 8]
    assert found[4] == ["Bước: Bước S8A không có trên đường xét hồ sơ của chi bộ này (sau S8 là S9)."]
    assert found[6] == ["Bước: Bước S10 không có trên đường xét hồ sơ của chi bộ này (sau S8 là S9)."]
    assert found[8] == ["Bước: Bước S9 không có trên đường xét hồ sơ của chi bộ này (sau S8 là S10)."]

    batch = apply(None, tree.province, workbook([rows[0], rows[2], rows[4]]))

    assert batch.status == ImportBatch.Status.APPLIED, errors_by_row(batch)
    walked = {
        c.organisation.code: list(c.transitions.values_list("to_stage", flat=True))[-3:]
        for c in Candidate.objects.select_related("organisation")
    }
    assert walked == {"A": ["S7", "S8", "S9"], "DB": ["S8", "S9", "S11"], "V": ["S7", "S8", "S10"]}
    delegated = Candidate.objects.get(organisation=tree.delegated_branch)
    assert delegated.decision_date == delegated.grassroots_resolution_date == dt.date(2024, 9, 10)
    assert set(StageTransition.objects.values_list("acting_user", flat=True)) == {None}


def test_its_routes_only_use_moves_the_transition_table_allows() -> None:
    for after, decides in (
        (Stage.S8A, False),
        (Stage.S8A, True),
        (Stage.S9, False),
        (Stage.S9, True),
        (Stage.S10, False),
    ):
        for with_class in (True, False):
            path = planning._route_path(after, decides, with_class=with_class)
            assert all(can_transition(a, b) for a, b in zip(path, path[1:], strict=False)), path


def test_it_changes_nothing_when_the_same_file_is_imported_twice(tree, alice) -> None:  # type: ignore[no-untyped-def]
    data = workbook(good_rows())
    first = apply(alice, tree.branch_a, data)
    assert first.status == ImportBatch.Status.APPLIED
    before, values = counts(), snapshot()

    again = dry_run(alice, tree.branch_a, data)
    second = apply(alice, tree.branch_a, data)

    assert counts() == before
    assert snapshot() == values
    assert again.status == ImportBatch.Status.DRY_RUN
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 5)
    assert second.status == ImportBatch.Status.APPLIED
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 5)
    assert {r["outcome"] for r in second.report["rows"]} == {"unchanged"}


def test_it_updates_changed_cells_and_keeps_what_a_blank_cell_leaves_out(tree, alice) -> None:  # type: ignore[no-untyped-def]
    apply(alice, tree.branch_a, workbook([masses(), member()]))
    changed = [
        {**masses(), "occupation": "Giáo viên", "education_level": None},
        {**member(), "card_number": "87654321", "decision_date": None},
    ]

    batch = apply(alice, tree.branch_a, workbook(changed))

    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 2, 0)
    mai = Person.objects.get(full_name="Lê Thị Mai")
    assert (mai.occupation, mai.education_level) == ("Giáo viên", "university")
    an = PartyMember.objects.get(person__cccd="001095012345")
    assert (an.card_number, an.admission_decision_date) == ("87654321", dt.date(2015, 3, 1))


def test_it_moves_an_existing_candidate_forward_but_never_back(tree, alice) -> None:  # type: ignore[no-untyped-def]
    apply(alice, tree.branch_a, workbook([candidate_s4()]))
    bon = Candidate.objects.get()

    forward = apply(alice, tree.branch_a, workbook([{**candidate_s4(), "stage": "S8"}]))

    assert (forward.status, forward.updated_count) == (ImportBatch.Status.APPLIED, 1)
    bon.refresh_from_db()
    assert bon.stage == "S8"
    assert list(bon.transitions.values_list("to_stage", flat=True)) == ["S1", "S3", "S4", "S5", "S6", "S7", "S8"]
    before = counts()

    back = apply(alice, tree.branch_a, workbook([candidate_s4()]))
    other_date = apply(
        alice, tree.branch_a, workbook([{**candidate_s4(), "stage": "S8", "sympathiser_date": "11/01/2025"}])
    )

    assert counts() == before
    assert back.status == other_date.status == ImportBatch.Status.REFUSED
    assert errors_by_row(back)[3] == [
        "Bước: Ứng viên đang ở bước S8 trong ứng dụng; tệp ghi bước S4. "
        "Nhập Excel không lùi bước: sửa trên trang hồ sơ ứng viên."
    ]
    assert errors_by_row(other_date)[3] == [
        "Ngày vào danh sách cảm tình Đảng: Khác với giá trị đã ghi trong ứng dụng (10/01/2025); "
        "sửa trên trang hồ sơ ứng viên nếu cần."
    ]


def test_it_refuses_people_it_may_not_change(tree, alice, bob) -> None:  # type: ignore[no-untyped-def]
    outsider = PersonFactory(
        organisation=tree.branch_b, full_name="Ngô Văn Ngoài", cccd=cccd("019", Gender.MALE, AN_BORN, 900)
    )
    row = person_row("Ngô Văn Ngoài", AN_BORN, Gender.MALE, outsider.cccd, kind="Quần chúng")

    found = errors_by_row(dry_run(alice, tree.branch_a, workbook([row])))
    moved = errors_by_row(dry_run(None, tree.province, workbook([row])))

    assert found[3] == [
        "Số CCCD: Người có số CCCD này thuộc tổ chức ngoài phạm vi của bạn; không thể cập nhật bằng tệp này."
    ]
    assert moved[3] == [
        "Mã chi bộ: Người có số CCCD này đang thuộc Chi bộ B; chuyển sinh hoạt đảng không làm bằng nhập Excel."
    ]
    with pytest.raises(PermissionDenied):
        dry_run(bob, tree.branch_a, workbook([row]))


# --- CCCD --------------------------------------------------------------------------------------


def test_it_keeps_the_leading_zeros_of_a_cccd_typed_as_text(tree, alice) -> None:  # type: ignore[no-untyped-def]
    apply(alice, tree.branch_a, workbook([member()]))

    assert Person.objects.get().cccd == "001095012345"


def test_it_puts_back_the_zeros_excel_dropped_only_when_that_gives_a_valid_cccd(tree, alice) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {**member(), "cccd": 1095012345},  # Excel stored 001095012345 as a number
        {**masses(), "cccd": 1234567},  # 000001234567: no province 000 -> not guessed
    ]

    batch = dry_run(alice, tree.branch_a, workbook(rows))

    first, second = batch.report["rows"]
    assert first["errors"] == [] and first["cccd"] == "•••••••••345"
    assert first["notes"] == ["Số CCCD bị Excel lưu dạng số; đã thêm số 0 ở đầu thành •••••••••345."]
    assert second["errors"][0]["message"].startswith(
        "Số CCCD «1234567» bị Excel lưu dạng số (mất các số 0 ở đầu); thêm số 0 cũng không ra số hợp lệ"
    )

    apply(alice, tree.branch_a, workbook(rows[:1]))
    assert Person.objects.get().cccd == "001095012345"


# --- Reminders ---------------------------------------------------------------------------------


def test_it_sends_no_burst_of_reminders_for_a_candidate_imported_in_probation(tree, alice, carol) -> None:  # type: ignore[no-untyped-def]
    apply(alice, tree.branch_a, workbook([candidate_s13()]))
    ba = Candidate.objects.get()
    # Probation ended 01/10/2025; the weekly overdue repeats from then on are all past but one:
    # the next is Wednesday 18/03/2026, the first on or after today.
    assert ba.next_reminder_at == dt.datetime(2026, 3, 18, 7, 0, tzinfo=TZ)

    for moment in (NOW, NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=2, hours=1)):
        with time_machine.travel(moment, tick=False):
            reminders.sweep(now=moment)

    per_user = Counter(Notification.objects.filter(candidate=ba).values_list("user_id", flat=True))
    assert per_user[alice.pk] == 1  # the reminder works, once
    assert max(per_user.values()) == 1
    assert Notification.objects.get(candidate=ba, user=alice).overdue


# --- All or nothing ----------------------------------------------------------------------------


def test_it_writes_nothing_at_all_when_one_row_is_bad(tree, alice) -> None:  # type: ignore[no-untyped-def]
    rows = [*good_rows(), {**masses(), "cccd": cccd("019", Gender.FEMALE, MAI_BORN, 77), "date_of_birth": "30/02/2001"}]
    before = counts()

    batch = apply(alice, tree.branch_a, workbook(rows))

    assert counts() == before
    assert batch.status == ImportBatch.Status.REFUSED
    assert errors_by_row(batch) == {8: ["Ngày sinh: Ngày «30/02/2001» không có thật."]}
    assert batch.report["counts"] == {"create": 5, "update": 0, "unchanged": 0, "error": 1}


def test_it_rolls_everything_back_when_a_write_fails_midway(tree, alice) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    real = people.write_row
    calls = []

    def fail_on_the_fourth(plan, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(plan.row)
        if len(calls) == 4:
            raise IntegrityError("duplicate key value violates unique constraint")  # someone inserted the CCCD
        return real(plan, **kwargs)

    with mock.patch.object(people, "write_row", fail_on_the_fourth):
        batch = apply(alice, tree.branch_a, workbook(good_rows()))

    assert counts() == before
    assert batch.status == ImportBatch.Status.REFUSED
    assert "không có gì được ghi" in batch.report["error"]
    assert ImportBatch.objects.filter(status=ImportBatch.Status.APPLIED).count() == 0


@pytest.mark.django_db(transaction=True)
def test_it_owns_its_durable_transaction(tree, alice) -> None:  # type: ignore[no-untyped-def]
    """TestCase disables the durability check; this real transaction test keeps it honest."""
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        apply(alice, tree.branch_a, workbook([masses()]))
    assert not Person.objects.exists()


# --- The record --------------------------------------------------------------------------------


def test_it_records_who_imported_what(tree, alice) -> None:  # type: ignore[no-untyped-def]
    data = workbook(good_rows())
    tried = dry_run(alice, tree.branch_a, data, name="chi-bo-A.xlsx")
    done = people.import_apply(
        acting_user=alice, organisation=tree.branch_a, file_name="chi-bo-A.xlsx", data=data, now=NOW, dry_run=tried
    )

    assert list(ImportBatch.objects.order_by("pk").values_list("status", flat=True)) == ["dry_run", "applied"]
    for batch in (tried, done):
        assert (batch.organisation, batch.created_by, batch.created_at) == (tree.branch_a, alice, NOW)
        assert (batch.file_name, batch.sha256, batch.rows) == ("chi-bo-A.xlsx", hashlib.sha256(data).hexdigest(), 5)
        assert [r["name"] for r in batch.report["rows"]] == [
            "Lê Thị Mai",
            "Nguyễn Văn Bốn",
            "Phạm Thị Mười",
            "Hoàng Văn Ba",
            "Trần Văn An",
        ]
    assert done.report["dry_run_batch"] == tried.pk
    assert people.import_batch_applied_after(batch=tried) == done
    # The kept bytes are deleted once imported.
    assert files.import_file_read(batch=tried) is None
    audits = list(AuditLog.objects.filter(user=alice).order_by("pk").values_list("action", "detail"))
    assert audits == [
        ("import", f"import {tried.pk} dry_run: chi-bo-A.xlsx (5 rows; +5 ~0 =0)"),
        ("import", f"import {done.pk} applied: chi-bo-A.xlsx (5 rows; +5 ~0 =0)"),
    ]


# --- Files that cannot be read -----------------------------------------------------------------


def _corrupt() -> bytes:
    data = bytearray(workbook([masses()]))
    data[200:400] = b"\x00" * 200
    return bytes(data)


def _other_zip() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _empty_sheet() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda: b"", "trống"),
        (lambda: "Họ và tên;Số CCCD\nLê Thị Mai;019300000111\n".encode(), "không phải tệp Excel .xlsx"),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "không phải tệp Excel .xlsx"),  # an old .xls
        (_other_zip, "không phải tệp Excel .xlsx"),
        (_corrupt, "bị hỏng"),
        (_empty_sheet, "trống: dòng 1 phải là dòng tiêu đề"),
        (lambda: workbook([]), "không có dòng dữ liệu nào"),
        (lambda: workbook([masses()], headers=["Họ tên", "Ngay sinh", "Điện thoại"]), "thiếu cột «Mã chi bộ»"),
    ],
)
def test_it_refuses_a_file_it_cannot_read_with_a_clear_message(tree, alice, content, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportFileRefused) as refused:
        dry_run(alice, tree.branch_a, content(), name="tep.xlsx")

    assert message in refused.value.message
    assert not ImportBatch.objects.exists()


def test_it_names_the_headers_it_does_not_know(tree, alice) -> None:  # type: ignore[no-untyped-def]
    headers = [c.header for c in columns.COLUMNS] + ["Điện thoại"]

    with pytest.raises(ImportFileRefused) as refused:
        dry_run(alice, tree.branch_a, workbook([masses()], headers=headers))

    assert "cột không nhận ra «Điện thoại»" in refused.value.message


def test_it_matches_headers_without_accents_and_in_any_order(tree, alice) -> None:  # type: ignore[no-untyped-def]
    book = Workbook()
    sheet = book.active
    sheet.append(["Loai", "SO CCCD", "Ho va ten", "Ngay sinh", "Gioi tinh", "Ma chi bo", "Trinh do"])
    row = masses()
    sheet.append([row["kind"], row["cccd"], row["full_name"], row["date_of_birth"], row["gender"], "a", "THPT"])
    buffer = io.BytesIO()
    book.save(buffer)

    batch = apply(alice, tree.branch_a, buffer.getvalue())

    assert batch.status == ImportBatch.Status.APPLIED, errors_by_row(batch)
    assert Person.objects.get().education_level == "upper_secondary"


# --- The template ------------------------------------------------------------------------------


def test_its_template_round_trips_through_the_reader(tree, alice) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    data = template.import_template_build(organisation=tree.branch_a, branch_codes=[("A", "Chi bộ A")])
    book = load_workbook(io.BytesIO(data))

    sheet = book[columns.DATA_SHEET]
    assert [c.value for c in sheet[1]] == [c.header for c in columns.COLUMNS]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.column_dimensions["E"].number_format == "@"  # CCCD as text
    assert sheet.column_dimensions["C"].number_format == "DD/MM/YYYY"
    assert {columns.GUIDE_SHEET, columns.LISTS_SHEET} <= set(book.sheetnames)
    # The hint row is not data: the template with one row typed under it reads as one row.
    sheet.append([row_value for row_value in (masses().get(c.key) for c in columns.COLUMNS)])
    buffer = io.BytesIO()
    book.save(buffer)
    assert [number for number, _values in workbook_read(buffer.getvalue()).rows] == [3]
