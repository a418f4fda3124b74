"""The file format: the sheets, the columns of the data sheet, the kinds of row and which candidate
column is recorded from which stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from admission.domain.stages import PIPELINE, Stage
from members import names

DATA_SHEET = "Danh sách"
GUIDE_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
CCCD_LENGTH = 12
# Candidates are imported up to S16; an official member is imported as "Đảng viên".
IMPORTABLE_STAGES: tuple[Stage, ...] = PIPELINE[: PIPELINE.index(Stage.S17)]


# --- The columns -------------------------------------------------------------------------------
# Headers and hints are the file format, always Vietnamese (like the official forms); the
# messages about them follow the user's language.


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    hint: str
    kind: str  # text, date, bool, cccd, choice
    width: int = 14
    required: bool = False  # the column must be present (a value may still be optional)
    guide: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("branch", "Mã chi bộ", "mã trong ứng dụng", "text", 12, False,
           "Mã (hoặc tên) của chi bộ quản lý người này (cột «Mã» trên trang tổ chức). Để trống: chi bộ của trang "
           "tính, hoặc chi bộ đang nhập."),
    Column("full_name", "Họ và tên", "ít nhất hai từ", "text", 24, True, "Họ, tên đệm và tên; bắt buộc."),
    Column("date_of_birth", "Ngày sinh", "dd/mm/yyyy", "date", 12, True,
           "Bắt buộc. Chỉ có năm sinh («năm 1985»): chỉ nhận cho đảng viên chính thức."),
    Column("gender", "Giới tính", "Nam / Nữ", "choice", 9, False,
           "Phải khớp chữ số thứ tư của số CCCD. Tệp không có cột này: lấy theo chữ số thứ tư của số CCCD."),
    Column("cccd", "Số CCCD", "12 chữ số, dạng văn bản", "cccd", 15, True,
           "Bắt buộc: là khóa để nhập lại không tạo trùng. Cột có định dạng Văn bản để giữ số 0 ở đầu."),
    Column("ethnicity", "Dân tộc", "để trống: Kinh", "text", 10),
    Column("religion", "Tôn giáo", "", "text", 10),
    Column("hometown", "Quê quán", "", "text", 22),
    Column("residence", "Nơi cư trú", "", "text", 22),
    Column("education_level", "Trình độ", "chọn trong danh sách", "choice", 18, False,
           "Trình độ giáo dục phổ thông/cao nhất; bắt buộc với người mới."),
    Column("occupation", "Nghề nghiệp", "", "text", 16),
    Column("youth_union_member", "Đoàn viên", "Có / Không", "bool", 9, False, "Đoàn viên Đoàn TNCS Hồ Chí Minh."),
    Column("is_student", "Học sinh/sinh viên", "Có / Không", "bool", 10),
    Column("private_enterprise_worker", "Lao động DN tư nhân", "Có / Không", "bool", 10),
    Column("kind", "Loại", "Quần chúng / Ứng viên / Đảng viên", "choice", 12, False,
           "Quần chúng: chỉ hồ sơ cá nhân. Ứng viên: người đang trong quy trình kết nạp (cần «Bước»). "
           "Đảng viên: đảng viên chính thức (cần ngày lễ kết nạp và ngày chính thức). "
           "Tệp không có cột này: suy ra từ các ngày (xem khi chạy thử)."),
    Column("stage", "Bước", "S0 … S16, chỉ cho ứng viên", "choice", 24, False,
           "Bước đang làm của ứng viên; các ngày của những bước trước đó phải có (xem bảng dưới). "
           "Tệp không có cột này: suy ra từ ngày muộn nhất đã có (xem khi chạy thử)."),
    Column("sympathiser_date", "Ngày vào danh sách cảm tình Đảng", "dd/mm/yyyy", "date", 14, False,
           "Từ bước S1."),
    Column("certificate_issue_date", "Ngày cấp GCN lớp nhận thức", "dd/mm/yyyy", "date", 14, False, "Từ bước S3."),
    Column("certificate_number", "Số GCN", "", "text", 12, False, "Số giấy chứng nhận lớp nhận thức (từ bước S3)."),
    Column("dossier_start_date", "Ngày được lập hồ sơ", "dd/mm/yyyy", "date", 14, False,
           "Ngày đảng ủy cơ sở cho phép lập hồ sơ (từ bước S4)."),
    Column("branch_resolution_date", "Ngày nghị quyết chi bộ", "dd/mm/yyyy", "date", 14, False,
           "Nghị quyết chi bộ đề nghị kết nạp (từ bước sau S8: S8A, S9 hoặc S10)."),
    Column("decision_date", "Ngày quyết định kết nạp", "dd/mm/yyyy", "date", 14, False,
           "Ứng viên từ bước S11; đảng viên (không bắt buộc). Coi như chi bộ nhận quyết định cùng ngày."),
    Column("decision_number", "Số quyết định", "", "text", 12, False, "Số quyết định kết nạp (ứng viên từ bước S11)."),
    Column("ceremony_date", "Ngày lễ kết nạp", "dd/mm/yyyy", "date", 14, False,
           "Ứng viên từ bước S12; đảng viên (bắt buộc)."),
    Column("official_date", "Ngày chính thức", "dd/mm/yyyy", "date", 14, False,
           "Đảng viên (bắt buộc). Ứng viên từ bước S14: để trống hoặc đúng ngày hết 12 tháng dự bị."),
    Column("recognition_branch_date", "Ngày nghị quyết chi bộ đề nghị công nhận", "dd/mm/yyyy", "date", 16, False,
           "Ứng viên ở bước S16."),
    Column("card_number", "Số thẻ đảng viên", "dạng văn bản", "text", 14, False,
           "Đảng viên; ứng viên từ bước S12 (đảng viên dự bị)."),
)  # fmt: skip
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
DATE_KEYS = tuple(c.key for c in COLUMNS if c.kind == "date")
PERSON_TEXT_KEYS = ("ethnicity", "religion", "hometown", "residence", "occupation")
PERSON_BOOL_KEYS = ("youth_union_member", "is_student", "private_enterprise_worker")

KIND_MASSES = "masses"
KIND_CANDIDATE = "candidate"
KIND_MEMBER = "member"
KIND_LABELS = {KIND_MASSES: "Quần chúng", KIND_CANDIDATE: "Ứng viên", KIND_MEMBER: "Đảng viên"}
YES, NO = "Có", "Không"

# The candidate date (and text) columns, the first stage at which each is recorded, and the
# stage after which it may no longer be blank. official_date is computed, see planning._check_candidate.
CANDIDATE_FIELDS_FROM: dict[str, Stage] = {
    "sympathiser_date": Stage.S1,
    "certificate_issue_date": Stage.S3,
    "certificate_number": Stage.S3,
    "dossier_start_date": Stage.S4,
    "branch_resolution_date": Stage.S8A,  # any stage after S8 (S8A, S9 or S10 by the tree)
    "decision_date": Stage.S11,
    "decision_number": Stage.S11,
    "ceremony_date": Stage.S12,
    "card_number": Stage.S12,
    "official_date": Stage.S14,
    "recognition_branch_date": Stage.S16,
}
# Required from that stage on (the numbers are optional).
CANDIDATE_REQUIRED = frozenset(CANDIDATE_FIELDS_FROM) - {"certificate_number", "decision_number", "card_number"}
# Dates in the order events happen; each given date must not be before the previous given one.
CANDIDATE_DATE_ORDER = (
    "sympathiser_date",
    "dossier_start_date",
    "branch_resolution_date",
    "decision_date",
    "ceremony_date",
    "official_date",
    "recognition_branch_date",
)
MEMBER_ONLY_KEYS = ("decision_date", "ceremony_date", "official_date", "card_number")


def fields_recorded_by(source: Stage, target: Stage) -> tuple[str, ...]:
    """The candidate fields the step source -> target records (its date first), as the step forms do."""
    if source == Stage.S8:
        return ("branch_resolution_date",)
    return {
        Stage.S1: ("sympathiser_date",),
        Stage.S3: ("certificate_issue_date", "certificate_number"),
        Stage.S4: ("dossier_start_date",),
        Stage.S11: ("decision_date", "decision_number", "decision_received_date"),
        Stage.S12: ("ceremony_date",),
        Stage.S14: ("official_date",),
        Stage.S16: ("recognition_branch_date",),
    }.get(target, ())


def fold(value: str) -> str:
    """Accent-free, lower-case, punctuation-free: how headers and choices are matched."""
    return " ".join(re.sub(r"[^0-9a-z/ ]+", " ", names.search_key(value)).split())


# --- Other names for the columns -----------------------------------------------------------------
# The headers branches and committees use in their own spreadsheets, as typed (the matching folds
# accents, case and punctuation). The template's own header comes first and is an exact match.
ALIASES: dict[str, tuple[str, ...]] = {
    "branch": ("Chi bộ", "Tên chi bộ", "Mã chi bộ", "Chi bộ sinh hoạt", "Đơn vị", "Mã đơn vị"),
    "full_name": ("Họ và tên", "Họ tên", "Họ và tên khai sinh", "Họ tên đảng viên", "Họ và tên đảng viên", "Tên"),
    "date_of_birth": ("Ngày sinh", "Năm sinh", "Ngày tháng năm sinh", "Sinh ngày", "Ngày, tháng, năm sinh"),
    "gender": ("Giới tính", "Nam/Nữ", "Giới"),
    "cccd": (
        "Số CCCD", "CCCD", "CMND/CCCD", "Số CMND/CCCD", "Căn cước công dân", "Số căn cước", "Số căn cước công dân",
        "Số định danh", "Số định danh cá nhân",
    ),
    "ethnicity": ("Dân tộc",),
    "religion": ("Tôn giáo",),
    "hometown": ("Quê quán", "Nguyên quán"),
    "residence": ("Nơi cư trú", "Nơi ở hiện nay", "Chỗ ở hiện nay", "Địa chỉ", "Nơi thường trú"),
    "education_level": ("Trình độ", "Trình độ văn hóa", "Trình độ học vấn", "Giáo dục phổ thông", "Học vấn"),
    "occupation": ("Nghề nghiệp", "Công việc", "Nghề nghiệp hiện nay"),
    "youth_union_member": ("Đoàn viên", "Đoàn viên TNCS"),
    "is_student": ("Học sinh/sinh viên", "Sinh viên"),
    "private_enterprise_worker": ("Lao động DN tư nhân", "Lao động doanh nghiệp tư nhân"),
    "kind": ("Loại", "Đối tượng"),
    "stage": ("Bước", "Bước hiện tại"),
    "sympathiser_date": ("Ngày vào danh sách cảm tình Đảng", "Ngày cảm tình Đảng", "Cảm tình Đảng"),
    "certificate_issue_date": ("Ngày cấp GCN lớp nhận thức", "Ngày cấp giấy chứng nhận", "Ngày cấp GCN"),
    "certificate_number": ("Số GCN", "Số giấy chứng nhận"),
    "dossier_start_date": ("Ngày được lập hồ sơ", "Ngày lập hồ sơ"),
    "branch_resolution_date": ("Ngày nghị quyết chi bộ", "Ngày NQ chi bộ"),
    "decision_date": ("Ngày quyết định kết nạp", "Ngày QĐ kết nạp", "Ngày quyết định"),
    "decision_number": ("Số quyết định", "Số QĐ kết nạp", "Số QĐ"),
    # "Ngày vào Đảng" is the ceremony date (ĐL Art. 5.1; HD38 I.2.2: the member sheet's admission date).
    "ceremony_date": ("Ngày lễ kết nạp", "Ngày vào Đảng", "Ngày kết nạp", "Vào Đảng", "Kết nạp"),
    "official_date": ("Ngày chính thức", "Ngày công nhận chính thức", "Ngày đảng viên chính thức", "Chính thức"),
    "recognition_branch_date": ("Ngày nghị quyết chi bộ đề nghị công nhận",),
    "card_number": ("Số thẻ đảng viên", "Số thẻ Đảng", "Số thẻ"),
}  # fmt: skip
# Headers that are never data for a field (a row number, remarks): suggested as ignored.
NEVER_MAPPED = ("STT", "TT", "Số TT", "Số thứ tự", "Ghi chú", "Ký tên")
# A file must give these; the rest may be missing (the branch from the sheet or the organisation, the
# gender from the CCCD, the kind and stage from the dates).
MAPPING_REQUIRED = tuple(c.key for c in COLUMNS if c.required)
