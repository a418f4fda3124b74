"""The dossier's documents by code (rules §6.1 admission, §6.2 recognition): their names in both
languages and their checklist order. A code is never shown without its name, and lists of codes
are shown in this order (A1 … A11, then R1 … R8), whatever order they were collected in.
`admission.models.DocumentType` carries the same names as model choices; a unit test keeps the
two equal."""

from collections.abc import Iterable
from typing import Literal

DOCUMENT_NAMES: dict[str, tuple[str, str]] = {
    "A1": ("Giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng", "Party-awareness class certificate"),
    "A2": ("Đơn xin vào Đảng", "Application to join the Party"),
    "A3": (
        "Lý lịch người xin vào Đảng (2-KNĐ) và văn bản thẩm tra",
        "Applicant's biography (2-KNĐ) and verification documents",
    ),
    "A4": ("Giấy giới thiệu của đảng viên chính thức", "Introduction letter from an official member"),
    "A5": ("Nghị quyết giới thiệu của Đoàn/Công đoàn", "Youth Union/trade union introduction resolution"),
    "A6": (
        "Tổng hợp ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú",
        "Summary of comments from mass organisations and the residence branch committee",
    ),
    "A7": ("Nghị quyết chi bộ đề nghị kết nạp", "Branch resolution proposing admission"),
    "A8": ("Báo cáo thẩm định của đảng ủy bộ phận", "Sub-committee appraisal report"),
    "A9": ("Nghị quyết đảng ủy cơ sở đề nghị kết nạp", "Grassroots party committee resolution proposing admission"),
    "A10": ("Quyết định kết nạp đảng viên", "Admission decision"),
    "A11": ("Lý lịch đảng viên và phiếu đảng viên", "Member's record and member sheet"),
    "R1": ("Giấy chứng nhận lớp bồi dưỡng đảng viên mới", "New-member class certificate"),
    "R2": ("Bản tự kiểm điểm của đảng viên dự bị", "Probationary member's self-assessment"),
    "R3": ("Nhận xét của đảng viên giúp đỡ", "Mentor's comments"),
    "R4": (
        "Tổng hợp ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú (công nhận)",
        "Summary of comments from mass organisations and the residence branch committee (recognition)",
    ),
    "R5": (
        "Nghị quyết chi bộ đề nghị công nhận đảng viên chính thức",
        "Branch resolution proposing recognition as official member",
    ),
    "R6": ("Báo cáo thẩm định của đảng ủy bộ phận (công nhận)", "Sub-committee appraisal report (recognition)"),
    "R7": ("Nghị quyết đảng ủy cơ sở (công nhận)", "Grassroots party committee resolution (recognition)"),
    "R8": ("Quyết định công nhận đảng viên chính thức", "Decision on recognition as official member"),
}
CHECKLIST_ORDER: dict[str, int] = {code: index for index, code in enumerate(DOCUMENT_NAMES)}


def checklist_sorted(codes: Iterable[str]) -> list[str]:
    """Codes in checklist order, each once; an unknown code goes last, as given."""
    return sorted(dict.fromkeys(codes), key=lambda code: CHECKLIST_ORDER.get(code, len(CHECKLIST_ORDER)))


def documents_text(codes: Iterable[str], lang: Literal["vi", "en"] = "vi") -> str:
    """ "A1 <name>; A4 <name>" in checklist order: a code is never shown alone."""
    index = 0 if lang == "vi" else 1
    return "; ".join(
        f"{code} {DOCUMENT_NAMES[code][index]}" if code in DOCUMENT_NAMES else code for code in checklist_sorted(codes)
    )
