"""Name and text pools of the generated dataset (fictional people; NFC, no tab/newline/backslash), and random draws."""

from __future__ import annotations

import random
from collections.abc import Callable

from members import names

FAMILY_WEIGHTS = {
    "Nguyễn": 380, "Trần": 110, "Lê": 95, "Phạm": 70, "Hoàng": 30, "Huỳnh": 20, "Phan": 45, "Vũ": 25, "Võ": 14,
    "Đặng": 21, "Bùi": 20, "Đỗ": 14, "Hồ": 13, "Ngô": 13, "Dương": 10, "Lý": 5, "Đinh": 6, "Trương": 6,
    "Đào": 5, "Cao": 4, "Mai": 4, "Hà": 5, "Lương": 4, "Tạ": 3, "Lưu": 3, "Nông": 4, "Ma": 2, "Lò": 2,
    "Hầu": 2, "Thạch": 2,
}  # fmt: skip
MIDDLE_NAMES = {
    "M": ["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Xuân", "Ngọc", "Công", "Duy", "Tiến", "Văn Minh", "Đình"],
    "F": ["Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Phương", "Kim", "Hồng", "Thị Thu", "Thị Minh", "Mai", "Bích"],
}  # fmt: skip
GIVEN_NAMES = {
    "M": [
        "Đức", "Hùng", "Dũng", "Tuấn", "Nam", "Sơn", "Long", "Quân", "Bình", "Cường", "Hải", "Tùng", "Khánh",
        "Phong", "Việt", "Anh", "Ân", "Thắng", "Hiếu", "Huy", "Trung", "Kiên", "Thành", "Toàn", "Lực", "Hưng",
        "Đạt", "Vinh", "Phúc", "Lâm", "Khoa", "Bảo", "Quý", "Tài", "Thịnh", "Nghĩa", "Hoàng", "Chiến", "Minh",
    ],
    "F": [
        "Lan", "Hương", "Hoa", "Mai", "Linh", "Trang", "Thảo", "Ngọc", "Yến", "Hạnh", "Nhung", "Huyền", "Ánh",
        "Dung", "Anh", "Ấn", "Hà", "Thủy", "Loan", "Phượng", "Vân", "Hằng", "Hiền", "Quyên", "Oanh", "Trâm",
        "Giang", "Nga", "Thư", "Chi", "Duyên", "My", "Nhàn", "Tâm", "Uyên", "Xuân", "Hồng", "Liên",
    ],
}  # fmt: skip
ETHNICITIES = (
    ["Kinh"] * 86
    + ["Tày"] * 3
    + ["Thái"] * 2
    + ["Mường"] * 2
    + ["Khmer", "Hoa", "Nùng", "Mông", "Dao", "Gia Rai", "Ê Đê"]
)
RELIGIONS = [""] * 90 + ["Phật giáo"] * 6 + ["Công giáo"] * 3 + ["Cao Đài"]
MEMBER_PROFILES = [
    # (education level, occupation, weight)
    ("university", "Công chức", 16), ("university", "Viên chức", 14), ("university", "Giáo viên", 10),
    ("postgraduate", "Viên chức", 3), ("university", "Bác sĩ", 3), ("college", "Điều dưỡng", 2),
    ("upper_secondary", "Nông dân", 14), ("upper_secondary", "Hưu trí", 14), ("lower_secondary", "Nông dân", 4),
    ("upper_secondary", "Công nhân", 5), ("vocational", "Công nhân", 3), ("university", "Kỹ sư", 4),
    ("upper_secondary", "Kinh doanh", 3), ("upper_secondary", "Quân nhân", 2), ("university", "Công an", 3),
]  # fmt: skip
CANDIDATE_PROFILES = [
    ("university", "Sinh viên", 12), ("upper_secondary", "Học sinh", 3), ("university", "Công chức", 15),
    ("university", "Viên chức", 14), ("university", "Giáo viên", 12), ("college", "Điều dưỡng", 4),
    ("university", "Bác sĩ", 3), ("upper_secondary", "Nông dân", 8), ("upper_secondary", "Công nhân", 8),
    ("vocational", "Công nhân", 6), ("university", "Kỹ sư", 6), ("upper_secondary", "Kinh doanh", 4),
    ("upper_secondary", "Quân nhân", 3), ("university", "Công an", 2),
]  # fmt: skip
DEPARTMENTS = [
    "Y tế", "Giáo dục và Đào tạo", "Tài chính", "Xây dựng", "Nông nghiệp và Môi trường", "Công Thương",
    "Khoa học và Công nghệ", "Văn hóa, Thể thao và Du lịch", "Tư pháp", "Nội vụ", "Dân tộc và Tôn giáo",
]  # fmt: skip
AGENCY_COMMITTEES = [
    "Ban Tổ chức Tỉnh ủy", "Ban Tuyên giáo và Dân vận Tỉnh ủy", "Văn phòng Tỉnh ủy", "Ủy ban Kiểm tra Tỉnh ủy",
    "Ban Nội chính Tỉnh ủy", "Báo và Phát thanh, Truyền hình", "Ủy ban Mặt trận Tổ quốc",
]  # fmt: skip
AGENCY_BRANCHES = [
    "Hội Nông dân", "Hội Liên hiệp Phụ nữ", "Tỉnh đoàn", "Trường Chính trị", "Liên đoàn Lao động",
    "Hội Cựu chiến binh", "Liên minh Hợp tác xã", "Hội Chữ thập đỏ",
]  # fmt: skip
BUSINESSES = [
    "Điện lực", "Cấp nước", "Môi trường đô thị", "Xây dựng số 1", "Vận tải", "Dược phẩm", "Cao su", "Xi măng",
    "Lương thực", "Thủy lợi",
]  # fmt: skip
UNITS = [
    "Phòng Hành chính", "Phòng Tổ chức", "Phòng Kế hoạch", "Phòng Tài vụ", "Phòng Kỹ thuật", "Phòng Kinh doanh",
    "Khoa Nội", "Khoa Ngoại", "Khoa Nhi", "Tổ Văn", "Tổ Toán", "Phân xưởng", "Đội Sản xuất", "Văn phòng",
]  # fmt: skip
SUB_COMMITTEE_UNITS = ["Khối Nội", "Khối Ngoại", "Khối Văn phòng", "Khối Kỹ thuật", "Khối Sản xuất", "Khối Kinh doanh"]
VILLAGE_NAMES = [
    "Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Tân Lập", "Đồng Tâm", "Hòa Bình", "Thống Nhất", "Quyết Tiến",
]  # fmt: skip
GOVERNMENT_CENTRES = ["Dịch vụ việc làm", "Kiểm soát bệnh tật", "Quy hoạch", "Khuyến nông"]


def clean(text: str) -> str:
    """NFC, single-spaced, and safe in the COPY text format (our pools never need escaping)."""
    text = names.normalize_text(text)
    if any(ch in text for ch in "\t\n\r\\"):
        raise ValueError(f"unexpected character in generated text: {text!r}")
    return text


def fast_randint(rng: random.Random) -> Callable[[int, int], int]:
    """`rng.randint` without its argument checks (several times faster; inclusive bounds too)."""
    rand = rng.random

    def randint(low: int, high: int) -> int:
        return low + int(rand() * (high - low + 1))

    return randint
