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
from admission.imports.mapping import ColumnMapping, suggest
from admission.imports.workbook import ImportFileRefused, suggested_mapping, workbook_read
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

    # Neither "exists" nor where: the same neutral answer as the person form (and an audit row).
    assert found[3] == [
        "Số CCCD: Không dùng được số CCCD này. Kiểm tra lại số; nếu số đúng, hãy liên hệ cơ quan tổ chức "
        "của cấp ủy cấp trên để được hỗ trợ."
    ]
    assert AuditLog.objects.filter(action=AuditLog.Action.IDENTIFIER_CONFLICT, user=alice, person=outsider).exists()
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
        (_empty_sheet, "Không tìm thấy dòng tiêu đề"),
        (lambda: workbook([]), "không có dòng dữ liệu nào"),
        (lambda: workbook([masses()], headers=["Họ tên", "Ngay sinh", "Điện thoại"]), "thiếu cột «Số CCCD»"),
    ],
)
def test_it_refuses_a_file_it_cannot_read_with_a_clear_message(tree, alice, content, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportFileRefused) as refused:
        dry_run(alice, tree.branch_a, content(), name="tep.xlsx")

    assert message in refused.value.message
    assert not ImportBatch.objects.exists()


def test_it_lists_a_column_it_does_not_know_as_ignored(tree, alice) -> None:  # type: ignore[no-untyped-def]
    headers = [c.header for c in columns.COLUMNS] + ["Điện thoại"]
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    sheet.append([masses().get(c.key) for c in columns.COLUMNS] + ["0912345678"])
    buffer = io.BytesIO()
    book.save(buffer)

    batch = dry_run(alice, tree.branch_a, buffer.getvalue())

    assert batch.report["counts"]["create"] == 1
    assert batch.report["columns"][-1] == {"sheet": "Sheet", "letter": "AB", "label": "Điện thoại", "field": ""}
    assert batch.report["columns"][0]["field"] == "Mã chi bộ"


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
    layout = workbook_read(buffer.getvalue())
    assert [number for number, _values in layout.sheets[0].rows] == [3]
    assert layout.other_sheets == [columns.GUIDE_SHEET, columns.LISTS_SHEET]


# --- The branches' own spreadsheets, through the mapping step ----------------------------------
# Each file is built the way branches keep them (title rows, merged and two-row headers, their own
# column names, dates typed as text, CCCDs stored as numbers, a sheet per branch, totals rows), then
# read, its suggested mapping checked (the page pre-selects it) and confirmed, possibly changed.


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _serial(day: dt.date) -> int:
    """The number Excel shows for a date in a General cell."""
    return (day - dt.date(1899, 12, 30)).days


def through_mapping(  # type: ignore[no-untyped-def]
    user, organisation, data: bytes, *, change: dict[str, str] | None = None, sheets: dict[str, str] | None = None
) -> tuple[dict[str, Any], ImportBatch]:
    """The mapping step: read the file, take the suggestions (by header label), apply the user's
    changes (label -> field key), confirm and save; returns the suggestions and the dry run."""
    layout, saved = people.import_layout(organisation=organisation, file_name="tep.xlsx", data=data)
    suggested = suggested_mapping(layout, saved)
    suggestions = suggest(layout.headers(), saved.columns if saved else {})
    by_label = {c.label: c.folded for s in layout.sheets for c in s.columns}
    columns_chosen = dict(suggested.columns)
    for label, key in (change or {}).items():
        columns_chosen[by_label[label]] = key
    mapping = ColumnMapping(columns=columns_chosen, sheets={**suggested.sheets, **(sheets or {})})
    batch = people.import_dry_run(
        acting_user=user,
        organisation=organisation,
        file_name="tep.xlsx",
        data=data,
        now=NOW,
        mapping=mapping,
        save_mapping=True,
    )
    shown = {
        c.label: (suggestions[c.folded].key, suggestions[c.folded].reason) for s in layout.sheets for c in s.columns
    }
    return shown, batch


def apply_mapped(user, organisation, data: bytes, batch: ImportBatch) -> ImportBatch:  # type: ignore[no-untyped-def]
    """The import of a dry run, with its mapping (as the apply view passes it)."""
    return people.import_apply(
        acting_user=user,
        organisation=organisation,
        file_name="tep.xlsx",
        data=data,
        now=NOW,
        dry_run=batch,
        mapping=ColumnMapping.from_json(batch.report["mapping"]),
    )


def rows_of(batch: ImportBatch) -> dict[int, tuple[str, str, list[str]]]:
    return {r["row"]: (r["outcome"], r["stage"], [f"{e['column']}: {e['message']}" for e in r["errors"]])
            for r in batch.report["rows"]}  # fmt: skip


def member_list(*, with_bad_row: bool = True) -> bytes:
    """Branch A's list of members: two title rows, a merged two-row header ("Ngày tháng năm" over
    "Vào Đảng" / "Chính thức"), a row of column numbers, years of birth only, CCCDs as numbers and
    with spaces or dots, dates as text, as Excel serials and as date cells, an empty row, a totals
    row and the signature under it. No gender, kind or stage column."""
    book = Workbook()
    sheet = book.active
    sheet.title = "DSĐV"
    sheet["A1"] = "ĐẢNG BỘ SỞ THỬ NGHIỆM"
    sheet.merge_cells("A1:C1")
    sheet["E1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    sheet.merge_cells("E1:H1")
    sheet["A2"] = "CHI BỘ A"
    sheet.merge_cells("A2:C2")
    sheet["A3"] = "DANH SÁCH ĐẢNG VIÊN NĂM 2026"
    sheet.merge_cells("A3:H3")
    for col, label in zip("ABCDEH", ["STT", "Họ và tên", "Năm sinh", "Số CMND/CCCD", "Trình độ văn hóa", "Ghi chú"],
                          strict=True):  # fmt: skip
        sheet[f"{col}5"] = label
        sheet.merge_cells(f"{col}5:{col}6")
    sheet["F5"] = "Ngày tháng năm"
    sheet.merge_cells("F5:G5")
    sheet["F6"], sheet["G6"] = "Vào Đảng", "Chính thức"
    sheet.append([f"({n})" for n in range(1, 9)])  # row 7
    rows: list[list[Any]] = [
        [1, "TRẦN  VĂN AN", "năm 1980", 1080012345, "12/12", "19/5/2010", "19.05.2011", None],  # 8
        [2, "nguyễn thị bình", "12/03/1985", "019 185 000 222", "Đại học", _serial(dt.date(2012, 3, 2)),
         dt.datetime(2013, 3, 2), "chuyển đến"],  # 9
        [3, "Lê Văn Cường", "01/02/1990", "019.090.000.333", "Đại học", "01/10/2025", None, "dự bị"],  # 10
        [4, "Phạm Văn Dũng", "1992", "019092000444", "Đại học", "05/01/2025", None, None],  # 11
        [None] * 8,  # 12
        [5, "Hoàng Thị Em", "3/4/95", "019195000555", "Đại học", "20/11/2015", "20/11/2016", None],  # 13
    ]  # fmt: skip
    if not with_bad_row:
        rows[3] = [None] * 8  # row 11 left empty
    for row in rows:
        sheet.append(row)
    sheet.append(["Tổng cộng: 5 đồng chí"])  # 14
    sheet.merge_cells("A14:D14")
    sheet.append([])  # 15
    sheet.append([None] * 6 + ["BÍ THƯ CHI BỘ"])  # 16
    sheet.append([None] * 6 + ["Nguyễn Văn Xuân"])  # 17
    return _save(book)


def test_it_reads_a_member_list_under_title_rows_and_a_merged_two_row_header(tree, alice) -> None:  # type: ignore[no-untyped-def]
    data = member_list()
    layout = workbook_read(data)

    (sheet,) = layout.sheets
    assert sheet.header_row == 5
    assert [c.label for c in sheet.columns] == [
        "STT", "Họ và tên", "Năm sinh", "Số CMND/CCCD", "Trình độ văn hóa",
        "Ngày tháng năm / Vào Đảng", "Ngày tháng năm / Chính thức", "Ghi chú",
    ]  # fmt: skip
    assert sheet.rows[0][0] == 8  # the numbering row (7) is not data

    shown, batch = through_mapping(alice, tree.branch_a, data)

    assert shown == {
        "STT": ("", "giống «STT» 100%: cột không cần nhập"),
        "Họ và tên": ("full_name", "đúng tiêu đề tệp mẫu"),
        "Năm sinh": ("date_of_birth", "giống «Năm sinh» 100%"),
        "Số CMND/CCCD": ("cccd", "giống «Số CMND/CCCD» 100%"),
        "Trình độ văn hóa": ("education_level", "giống «Trình độ văn hóa» 100%"),
        "Ngày tháng năm / Vào Đảng": ("ceremony_date", "giống «Vào Đảng» 100%"),
        "Ngày tháng năm / Chính thức": ("official_date", "giống «Chính thức» 100%"),
        "Ghi chú": ("", "giống «Ghi chú» 100%: cột không cần nhập"),
    }
    found = rows_of(batch)
    assert sorted(found) == [8, 9, 10, 11, 13]
    assert found[8][:2] == found[9][:2] == found[13][:2] == ("create", "")
    assert found[10][:2] == ("create", "S13")  # probation runs until 01/10/2026
    assert found[11] == (
        "error",
        "S14",  # probation ended on 05/01/2026
        ["Ngày sinh: «1992» chỉ có năm: người chưa là đảng viên chính thức cần đủ ngày, tháng sinh "
         "vì tuổi vào Đảng tính theo tháng (QĐ294 1.1.1)."],
    )  # fmt: skip
    report = {r["row"]: r for r in batch.report["rows"]}
    assert report[8]["kind"] == "Đảng viên" and report[8]["inferred"] == "Loại «Đảng viên» suy ra từ «Ngày chính thức»."
    assert report[8]["notes"] == [
        "Số CCCD bị Excel lưu dạng số; đã thêm số 0 ở đầu thành •••••••••345.",
        "Giới tính lấy theo chữ số thứ tư của số CCCD: Nam.",
        "Chỉ có năm sinh 1980: ghi ngày sinh là 01/01/1980 (đảng viên chính thức).",
    ]
    assert report[10]["inferred"] == (
        "Loại «Ứng viên» suy ra từ «Ngày lễ kết nạp». "
        "Bước S13 · Thời kỳ dự bị suy ra từ «Ngày lễ kết nạp» (01/10/2025)."
    )
    assert batch.report["inferred"] == 4  # to confirm: the rows it would write (not row 11)
    assert batch.report["skipped"] == [
        {"sheet": "DSĐV", "row": 12, "why": "empty"},
        {"sheet": "DSĐV", "row": 14, "why": "totals"},
        {"sheet": "DSĐV", "row": 15, "why": "empty"},
        {"sheet": "DSĐV", "row": 16, "why": "no_person"},
        {"sheet": "DSĐV", "row": 17, "why": "no_person"},
    ]
    assert [c["label"] for c in batch.report["columns"] if not c["field"]] == ["STT", "Ghi chú"]

    good = member_list(with_bad_row=False)
    done = apply_mapped(alice, tree.branch_a, good, through_mapping(alice, tree.branch_a, good)[1])

    assert done.status == ImportBatch.Status.APPLIED, errors_by_row(done)
    an = PartyMember.objects.select_related("person").get(person__cccd="001080012345")
    assert (an.person.full_name, an.person.date_of_birth, an.person.gender) == (
        "Trần Văn An",
        dt.date(1980, 1, 1),
        Gender.MALE,
    )
    assert (an.status, an.ceremony_date, an.official_date) == (
        MemberStatus.OFFICIAL,
        dt.date(2010, 5, 19),
        dt.date(2011, 5, 19),
    )
    binh = PartyMember.objects.select_related("person").get(person__cccd="019185000222")
    assert (binh.person.full_name, binh.person.gender, binh.ceremony_date, binh.official_date) == (
        "Nguyễn Thị Bình",
        Gender.FEMALE,
        dt.date(2012, 3, 2),
        dt.date(2013, 3, 2),
    )
    assert Person.objects.get(cccd="019195000555").date_of_birth == dt.date(1995, 4, 3)
    cuong = Candidate.objects.select_related("member").get(person__cccd="019090000333")
    assert (cuong.stage, cuong.ceremony_date, cuong.sympathiser_date, cuong.decision_date) == (
        "S13",
        dt.date(2025, 10, 1),
        None,
        None,
    )
    assert cuong.member is not None and cuong.member.status == MemberStatus.PROBATIONARY
    # The steps before the ceremony have no date in the file: recorded on the ceremony date.
    assert set(cuong.transitions.values_list("on_date", flat=True)) == {dt.date(2025, 10, 1)}


def candidate_list(*extra: list[Any]) -> bytes:
    """Branch A's candidates under their own column names, names in capitals with extra spaces,
    dates typed as d/m/yy, dd-mm-yyyy, «ngày 2 tháng 4 năm 2025» or an Excel serial, CCCDs with
    spaces, and a phone column the import does not take."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Họ và tên đ/c", "Ngày sinh", "Giới tính", "CCCD", "Trình độ", "Đối tượng", "Bước",
                  "Ngày vào DS cảm tình Đảng", "Ngày cấp giấy chứng nhận", "Ngày lập hồ sơ", "Điện thoại"])  # fmt: skip
    sheet.append(["  NGUYỄN   văn  BỐN ", "1/2/98", "nam", "019098000222", "12/12", "Ứng viên", "S4", "10-01-2025",
                  _serial(dt.date(2025, 3, 20)), "ngày 2 tháng 4 năm 2025", "0912 345 678"])  # fmt: skip
    sheet.append(["Đ/c Phạm Thị Mười", "07.07.1996", "Nữ", "019 196 000 333", "Đại học", "Quần chúng", None, None,
                  None, None, None])  # fmt: skip
    for row in extra:
        sheet.append(row)
    return _save(book)


def test_it_reads_other_column_names_and_dates_typed_as_text(tree, alice) -> None:  # type: ignore[no-untyped-def]
    data = candidate_list(
        ["Vũ Văn Năm", "năm 1998", "Nam", "019098000555", "12/12", "Ứng viên", "S1", "05/01/2026"],  # 4
        ["Đỗ Văn Sáu", "15/13/1990", "Nam", "019090000666", "12/12", "Quần chúng"],  # 5
        ["Lý Văn Bảy", "3/1990", "Nam", "019090000777", "12/12", "Quần chúng"],  # 6
    )

    shown, batch = through_mapping(alice, tree.branch_a, data)

    assert shown["Họ và tên đ/c"] == ("full_name", "giống «Họ và tên» 90%")
    assert shown["Ngày vào DS cảm tình Đảng"] == ("sympathiser_date", "giống «Ngày vào danh sách cảm tình Đảng» 88%")
    assert shown["Điện thoại"] == ("", "không giống mục nào")
    assert shown["Đối tượng"][0] == "kind" and shown["CCCD"][0] == "cccd"
    found = rows_of(batch)
    assert found[2][0] == found[3][0] == "create"
    assert found[4][2] == [
        "Ngày sinh: «năm 1998» chỉ có năm: người chưa là đảng viên chính thức cần đủ ngày, tháng sinh "
        "vì tuổi vào Đảng tính theo tháng (QĐ294 1.1.1)."
    ]
    assert found[5][2] == ["Ngày sinh: Ngày «15/13/1990» không có thật."]
    assert found[6][2] == ["Ngày sinh: «3/1990» thiếu ngày: ghi đủ ngày, tháng, năm (dd/mm/yyyy)."]
    assert batch.report["inferred"] == 0  # the file says the kind and the stage

    good = candidate_list()
    done = apply_mapped(alice, tree.branch_a, good, through_mapping(alice, tree.branch_a, good)[1])

    assert done.status == ImportBatch.Status.APPLIED, errors_by_row(done)
    bon = Candidate.objects.select_related("person").get()
    assert (bon.person.full_name, bon.person.date_of_birth, bon.person.education_level) == (
        "Nguyễn Văn Bốn",
        dt.date(1998, 2, 1),
        "upper_secondary",
    )
    assert (bon.stage, bon.sympathiser_date, bon.certificate_issue_date, bon.dossier_start_date) == (
        "S4",
        dt.date(2025, 1, 10),
        dt.date(2025, 3, 20),
        dt.date(2025, 4, 2),
    )
    muoi = Person.objects.get(cccd="019196000333")
    assert (muoi.full_name, muoi.date_of_birth, muoi.gender) == ("Phạm Thị Mười", dt.date(1996, 7, 7), Gender.FEMALE)


def per_branch_workbook() -> bytes:
    """Committee C's file: one sheet per branch ("Chi bộ A", "CB B", and one of a branch outside
    the committee), each under a title, with an empty row and a totals row; a notes sheet."""
    book = Workbook()
    book.remove(book.active)
    people_by_sheet: dict[str, list[tuple[str, dt.date, str, int, str | None]]] = {
        "Chi bộ A": [("Lê Thị Mai", MAI_BORN, Gender.FEMALE, 11, "10/01/2025"), ("Ngô Văn Hai", BON_BORN, Gender.MALE, 12, None)],
        "CB B": [("Trịnh Văn Ba", BA_BORN, Gender.MALE, 13, None)],
        "Chi bộ Công ty": [("Đào Văn Bốn", BON_BORN, Gender.MALE, 14, None)],
    }  # fmt: skip
    for title, people_rows in people_by_sheet.items():
        sheet = book.create_sheet(title)
        sheet.append([f"DANH SÁCH QUẦN CHÚNG ƯU TÚ – {title.upper()}"])
        sheet.merge_cells("A1:G1")
        sheet.append(["TT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Trình độ", "Ngày vào DS cảm tình Đảng"])
        for index, (name, born, gender, serial, sympathiser) in enumerate(people_rows, start=1):
            sheet.append([index, name, born.strftime("%d/%m/%Y"), "Nữ" if gender == Gender.FEMALE else "Nam",
                          cccd("019", gender, born, serial), "Đại học", sympathiser])  # fmt: skip
            if index == 1:
                sheet.append([])
        sheet.append([None, "Cộng", None, None, None, None, None])
    notes = book.create_sheet("Ghi chú")
    notes["A1"] = "Số liệu đến 31/12/2025, do văn phòng đảng ủy tổng hợp."
    return _save(book)


def test_it_reads_a_sheet_per_branch_and_offers_only_the_branches_in_scope(tree, carol) -> None:  # type: ignore[no-untyped-def]
    from admission.imports.mapping import sheet_suggestion

    data = per_branch_workbook()
    layout, _saved = people.import_layout(organisation=tree.committee, file_name="tep.xlsx", data=data)
    in_scope = [("A", "Chi bộ A"), ("B", "Chi bộ B")]  # what the page offers carol

    assert [s.title for s in layout.sheets] == ["Chi bộ A", "CB B", "Chi bộ Công ty"]
    assert layout.other_sheets == ["Ghi chú"]
    assert [sheet_suggestion(s.title, in_scope) for s in layout.sheets] == [("A", 100), ("B", 100), ("", 0)]
    assert people.import_mapping_needed(layout=layout, saved=None, organisation=tree.committee)

    _shown, unassigned = through_mapping(carol, tree.committee, data, sheets={"Chi bộ A": "A", "CB B": "B"})
    assert errors_by_row(unassigned) == {3: ["Mã chi bộ: Thiếu mã chi bộ."]}  # the Công ty sheet: no branch

    _shown, batch = through_mapping(
        carol, tree.committee, data, sheets={"Chi bộ A": "A", "CB B": "B", "Chi bộ Công ty": "-"}
    )
    assert errors_by_row(batch) == {}
    assert [(r["sheet"], r["row"], r["branch"], r["kind"], r["stage"]) for r in batch.report["rows"]] == [
        ("Chi bộ A", 3, "A", "Ứng viên", "S1"),
        ("Chi bộ A", 5, "A", "Quần chúng", ""),
        ("CB B", 3, "B", "Quần chúng", ""),
    ]
    assert batch.report["skipped"] == [
        {"sheet": "Chi bộ A", "row": 4, "why": "empty"},
        {"sheet": "Chi bộ A", "row": 6, "why": "totals"},
        {"sheet": "CB B", "row": 4, "why": "empty"},
        {"sheet": "CB B", "row": 5, "why": "totals"},
    ]
    assert batch.report["skipped_sheets"] == ["Chi bộ Công ty"]

    done = apply_mapped(carol, tree.committee, data, batch)

    assert done.status == ImportBatch.Status.APPLIED, errors_by_row(done)
    assert dict(Person.objects.values_list("full_name", "organisation__code")) == {
        "Lê Thị Mai": "A", "Ngô Văn Hai": "A", "Trịnh Văn Ba": "B"
    }  # fmt: skip
    assert Candidate.objects.get().sympathiser_date == dt.date(2025, 1, 10)
    # The next file of the committee: the sheets' branches are remembered.
    saved = people.import_mapping_get(organisation=tree.committee)
    assert saved is not None and saved.sheets == {"Chi bộ A": "A", "CB B": "B", "Chi bộ Công ty": "-"}


def test_it_finds_branches_by_name_and_puts_back_zeros_only_when_the_cccd_then_fits(tree) -> None:  # type: ignore[no-untyped-def]
    """The province's file: a "Chi bộ" column with names (any case, no accents), CCCDs Excel
    stored as numbers, real date cells, "Loại" and "Bước" as typed."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Chi bộ", "Họ và tên", "Ngày sinh", "Giới tính", "Số định danh cá nhân", "Trình độ", "Loại", "Bước",
                  "Ngày cảm tình Đảng"])  # fmt: skip
    rows = [
        ["chi bo a", "Trần Văn An", dt.datetime(1995, 6, 15), "Nam", 1095012345, "Đại học", "Quần chúng"],  # 2
        ["CHI BỘ CÔNG TY", "Lê Văn Hai", dt.datetime(1995, 6, 15), "Nam", 1095000002, "Đại học", "Ứng viên",
         "S1 - Cảm tình Đảng", dt.datetime(2025, 9, 1)],  # 3
        ["Chi bộ A", "Lê Văn Ba", dt.datetime(1995, 6, 15), "Nam", 1234567, "Đại học", "Quần chúng"],  # 4
        ["Chi bộ A", "Lê Văn Bốn", dt.datetime(1995, 6, 15), "Nam", 1096012345, "Đại học", "Quần chúng"],  # 5
        ["Chi bộ Z", "Lê Văn Năm", dt.datetime(1995, 6, 15), "Nam", "001095000005", "Đại học", "Quần chúng"],  # 6
    ]  # fmt: skip
    for row in rows:
        sheet.append(row)
    data = _save(book)

    shown, batch = through_mapping(None, tree.province, data)

    assert shown["Chi bộ"] == ("branch", "giống «Chi bộ» 100%")
    assert shown["Số định danh cá nhân"] == ("cccd", "giống «Số định danh cá nhân» 100%")
    found = errors_by_row(batch)
    assert sorted(found) == [4, 5, 6]
    assert found[4][0].startswith("Số CCCD: Số CCCD «1234567» bị Excel lưu dạng số (mất các số 0 ở đầu)")
    assert "Chữ số thứ tư đến thứ sáu của số CCCD không khớp với năm sinh." in found[5][0]
    assert found[6] == ["Mã chi bộ: Không có chi bộ mã «CHI BỘ Z»: xem mã trên trang tổ chức."]
    rows_report = {r["row"]: r for r in batch.report["rows"]}
    assert (rows_report[2]["branch"], rows_report[3]["branch"], rows_report[3]["stage"]) == ("A", "DB", "S1")
    assert rows_report[2]["cccd"] == "•••••••••345"


def test_the_next_file_uses_the_saved_mapping_and_a_re_import_changes_nothing(tree, alice) -> None:  # type: ignore[no-untyped-def]
    first = candidate_list()
    _shown, batch = through_mapping(alice, tree.branch_a, first, change={"Điện thoại": ""})
    assert apply_mapped(alice, tree.branch_a, first, batch).status == ImportBatch.Status.APPLIED
    before, values = counts(), snapshot()

    again = people.import_dry_run(
        acting_user=alice, organisation=tree.branch_a, file_name="t.xlsx", data=first, now=NOW
    )
    same = apply_mapped(alice, tree.branch_a, first, again)

    assert snapshot() == values and counts() == before
    assert (same.created_count, same.updated_count, same.unchanged_count) == (0, 0, 2)

    # Next month's file, laid out the same way, one person more: no question asked.
    following = candidate_list(["Trương Văn Chín", "09/09/1999", "Nam", "019099000999", "Đại học", "Quần chúng"])
    layout, saved = people.import_layout(organisation=tree.branch_a, file_name="t.xlsx", data=following)
    assert saved is not None and saved.columns["dien thoai"] == ""
    assert {s.source for s in suggest(layout.headers(), saved.columns).values()} == {"saved"}
    assert not people.import_mapping_needed(layout=layout, saved=saved, organisation=tree.branch_a)

    next_run = people.import_dry_run(
        acting_user=alice, organisation=tree.branch_a, file_name="t.xlsx", data=following, now=NOW
    )
    assert (next_run.created_count, next_run.updated_count, next_run.unchanged_count) == (1, 0, 2)
    assert next_run.report["mapping"] == batch.report["mapping"]


def test_it_refuses_a_mapping_without_a_required_column_or_with_two_columns_for_one_field(tree, alice) -> None:  # type: ignore[no-untyped-def]
    data = candidate_list()

    with pytest.raises(ImportFileRefused) as missing:
        through_mapping(alice, tree.branch_a, data, change={"CCCD": ""})
    with pytest.raises(ImportFileRefused) as twice:
        through_mapping(alice, tree.branch_a, data, change={"Điện thoại": "cccd"})

    assert "trang «Sheet» thiếu cột «Số CCCD»" in missing.value.message
    assert "trang «Sheet» có hai cột cùng ghép vào «Số CCCD»" in twice.value.message
    assert not ImportBatch.objects.exists()
