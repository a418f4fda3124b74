"""Versioned rule sets (rules §0 "Rule set in force", §13).

Every number the engine uses is a field of a :class:`RuleSet`, so a new regulation (a 2026
revision of QĐ294 is announced) or a provincial rule (Hà Nội HN02) is data, not code. The rule
set used for a date is the one in force on its trigger date (§0).
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date


class UnknownRuleParameter(ValueError):
    """An override names a key that is not a rule parameter."""


class InvalidRuleParameterValue(ValueError):
    """An override value has the wrong type or is negative."""


class NoRuleSetInForce(LookupError):
    """No rule set covers the date (the engine starts with QĐ24, 30/07/2021)."""

    def __init__(self, day: date) -> None:
        super().__init__(f"no admission rule set in force on {day.isoformat()}")
        self.day = day


@dataclass(frozen=True)
class RuleRef:
    """The rule behind a number or a date: where it is written and what it says."""

    key: str
    point: str
    description_vi: str
    description_en: str


# key -> (point in the QĐ294/HD06/HD38 set, Vietnamese and English description templates).
# Descriptions take {value}. Points are those of rules §2-§5.
_CATALOGUE: dict[str, tuple[str, str, str]] = {
    "age_min_months": (
        "QĐ294 1.1.1",
        "Tuổi tối thiểu khi chi bộ xét kết nạp: {value} tháng (tính theo tháng)",
        "Minimum age when the branch considers admission: {value} months (counted by month)",
    ),
    "age_max_months_without_approval": (
        "QĐ294 1.1.2; HD06 1.1",
        "Quá {value} tháng tuổi cần Ban Thường vụ cấp ủy trực thuộc Trung ương đồng ý bằng văn bản",
        "Above {value} months of age the provincial standing committee must agree in writing",
    ),
    "cert_validity_months": (
        "HD06 5.4b",
        "Giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng có giá trị {value} tháng",
        "The awareness-class certificate is valid for {value} months",
    ),
    "dossier_validity_months": (
        "HD06 5.4a",
        "Hồ sơ đề nghị kết nạp có giá trị {value} tháng kể từ khi lập hồ sơ",
        "The admission dossier is valid for {value} months from when it was started",
    ),
    "verify_reply_wd_domestic": (
        "HD06 3.4d",
        "Trả lời thẩm tra lý lịch trong nước trong {value} ngày làm việc kể từ khi nhận công văn",
        "Reply to a domestic verification request within {value} working days of receipt",
    ),
    "verify_reply_wd_abroad": (
        "HD06 3.4d",
        "Trả lời thẩm tra lý lịch ở nước ngoài trong {value} ngày làm việc kể từ khi nhận công văn",
        "Reply to a verification request abroad within {value} working days of receipt",
    ),
    "decision_wd": (
        "QĐ294 4.3.1",
        "Cấp ủy có thẩm quyền quyết định kết nạp trong {value} ngày làm việc kể từ ngày chi bộ ra nghị quyết",
        "The competent committee decides admission within {value} working days of the branch resolution",
    ),
    "decision_ext_wd": (
        "QĐ294 4.3.1",
        "Trường hợp đặc biệt được kéo dài thêm tối đa {value} ngày làm việc",
        "In special cases the admission decision may be extended by at most {value} working days",
    ),
    "ceremony_wd": (
        "QĐ294 4.1",
        "Tổ chức lễ kết nạp trong {value} ngày làm việc kể từ khi chi bộ nhận được quyết định",
        "Hold the ceremony within {value} working days of the branch receiving the decision",
    ),
    "member_records_wd": (
        "HD38 I.2.2",
        "Khai lý lịch đảng viên và phiếu đảng viên trong {value} ngày làm việc kể từ lễ kết nạp",
        "Fill in the member's record and member sheet within {value} working days of the ceremony",
    ),
    "probation_months": (
        "ĐL 5.1; QĐ294 4.2.2",
        "Thời kỳ dự bị {value} tháng kể từ ngày kết nạp; ngày hết dự bị là ngày chính thức",
        "Probation lasts {value} months from the ceremony; its end is the official date",
    ),
    "recognition_branch_wd": (
        "QĐ294 4.2.1",
        "Chi bộ xét công nhận chính thức trong {value} ngày làm việc kể từ khi hết 12 tháng dự bị",
        "The branch considers recognition within {value} working days after probation ends",
    ),
    "recognition_decision_wd": (
        "QĐ294 4.3.1",
        "Cấp ủy có thẩm quyền quyết định công nhận đảng viên chính thức trong {value} ngày làm việc "
        "kể từ ngày chi bộ ra nghị quyết",
        "The competent committee decides recognition within {value} working days of the branch resolution",
    ),
    "recognition_ext_wd": (
        "QĐ294 4.3.1",
        "Trường hợp đặc biệt được kéo dài thêm tối đa {value} ngày làm việc",
        "In special cases the recognition decision may be extended by at most {value} working days",
    ),
    "deadlock_votes": (
        "QĐ294 4.2.3",
        "Biểu quyết {value} lần không đủ 2/3 thì báo cáo cấp ủy cấp trên xem xét, quyết định",
        "After {value} votes without 2/3 the lower body reports to the superior committee",
    ),
    "readmit_wait_months": (
        "QĐ294 3.5.1b",
        "Kết nạp lại sau ít nhất {value} tháng kể từ khi ra khỏi Đảng",
        "Readmission at least {value} months after leaving the Party",
    ),
    "readmit_wait_months_after_expungement": (
        "QĐ294 3.5.1b",
        "Kết nạp lại sau ít nhất {value} tháng đối với người đã được xóa án tích tội ít nghiêm trọng",
        "Readmission at least {value} months after leaving when a less-serious conviction was expunged",
    ),
    "complaint_wd": (
        "QĐ294 8.2",
        "Khiếu nại quyết định xóa tên trong {value} ngày làm việc kể từ khi nhận quyết định",
        "A complaint against removal must be lodged within {value} working days of receipt",
    ),
    "mentor_together_months": (
        "QĐ294 3.2.1",
        "Người giới thiệu cùng công tác, học tập, lao động hoặc cư trú với người vào Đảng ít nhất {value} tháng",
        "The introducer has worked, studied, laboured or lived with the applicant for at least {value} months",
    ),
    "transfer_decision_wd": (
        "HD06 3.9b",
        "Người vào Đảng chuyển đến sau khi hồ sơ đã gửi lên: cấp ủy có thẩm quyền nơi đến quyết định trong "
        "{value} ngày làm việc kể từ khi nhận hồ sơ",
        "A candidate who moves after the dossier went up: the destination's competent committee decides "
        "within {value} working days of receiving the dossier",
    ),
    "transfer_forward_wd": (
        "HD06 3.9b",
        "Người vào Đảng chuyển đi sau khi hồ sơ đã gửi lên: cấp ủy có thẩm quyền nơi đi chuyển hồ sơ trong "
        "{value} ngày làm việc",
        "A candidate who moves after the dossier went up: the competent committee of the old place forwards "
        "the dossier within {value} working days",
    ),
    "reconsideration_wd": (
        "HD06 3.9c",
        "Nơi chuyển đến đề nghị xem xét lại: trả lời trong {value} ngày làm việc kể từ khi nhận đề nghị",
        "The destination asks for reconsideration: answered within {value} working days of receiving the request",
    ),
    "transfer_ceremony_wd": (
        "HD06 3.9c",
        "Chuyển đi trong {value} ngày làm việc kể từ ngày ra quyết định kết nạp: chuyển quyết định, lễ kết nạp "
        "tổ chức ở nơi đến; quá hạn này thì hủy quyết định và chuyển hồ sơ để nơi đến xem xét lại",
        "Moving within {value} working days of the admission decision: the decision is forwarded and the "
        "ceremony held at the destination; later, the decision is annulled and the dossier sent on",
    ),
    "age_counts_day": (
        "QĐ294 1.1.1; project default (rules §0, §12.2)",
        "Tuổi tính theo tháng có xét đến ngày sinh: {value}",
        "Age counted by month takes the day of birth into account: {value}",
    ),
}

PARAMETER_KEYS: tuple[str, ...] = tuple(_CATALOGUE)

# Document renaming for the historical sets. The older documents' point numbers are assumed
# equal to QĐ294's [R]; only QĐ232/QĐ29 4.3.1 (decision deadline) was seen, in a secondary source.
_RENAMES_QD232 = (("QĐ294", "QĐ232"), ("HD06", "HD01"), ("HD38", "HD12"))
_RENAMES_QD24 = (("QĐ294", "QĐ24"), ("HD06", "HD01"), ("HD38", "HD12"))


@dataclass(frozen=True)
class RuleSet:
    """One version of every admission parameter. Defaults are the QĐ294 set (rules §13)."""

    code: str
    title: str
    effective_from: date
    effective_to: date | None
    age_min_months: int = 216  # QĐ294 1.1.1
    age_max_months_without_approval: int = 720  # QĐ294 1.1.2
    cert_validity_months: int = 60  # HD06 5.4b
    dossier_validity_months: int = 12  # HD06 5.4a
    verify_reply_wd_domestic: int = 30  # HD06 3.4d
    verify_reply_wd_abroad: int = 90  # HD06 3.4d
    decision_wd: int = 45  # QĐ294 4.3.1
    decision_ext_wd: int = 15  # QĐ294 4.3.1
    ceremony_wd: int = 30  # QĐ294 4.1
    member_records_wd: int = 30  # HD38 I.2.2
    probation_months: int = 12  # ĐL 5.1; QĐ294 4.2.2
    recognition_branch_wd: int = 30  # QĐ294 4.2.1
    recognition_decision_wd: int = 30  # QĐ294 4.3.1
    recognition_ext_wd: int = 15  # QĐ294 4.3.1
    deadlock_votes: int = 3  # QĐ294 4.2.3
    readmit_wait_months: int = 36  # QĐ294 3.5.1b
    readmit_wait_months_after_expungement: int = 60  # QĐ294 3.5.1b
    complaint_wd: int = 30  # QĐ294 8.2
    mentor_together_months: int = 12  # QĐ294 3.2.1; ĐL 4.2
    transfer_decision_wd: int = 30  # HD06 3.9b
    transfer_forward_wd: int = 15  # HD06 3.9b
    reconsideration_wd: int = 60  # HD06 3.9c
    transfer_ceremony_wd: int = 30  # HD06 3.9c
    age_counts_day: bool = False  # rules §0 default; §12.2 asks for a switch
    # (old document, new document) renames applied to the QĐ294 points for historical sets.
    renames: tuple[tuple[str, str], ...] = ()
    # (key, label) for every overridden parameter, in order of application.
    overrides: tuple[tuple[str, str], ...] = ()

    def value(self, key: str) -> int | bool:
        if key not in _CATALOGUE:
            raise UnknownRuleParameter(key)
        result: int | bool = getattr(self, key)
        return result

    def ref(self, key: str) -> RuleRef:
        """The citation for ``key``: the override's label when overridden, else the text."""
        value = self.value(key)
        point, vi, en = _CATALOGUE[key]
        for old, new in self.renames:
            point = point.replace(old, new)
        if isinstance(value, bool):
            vi = vi.format(value="có" if value else "không")
            en = en.format(value="yes" if value else "no")
        else:
            vi, en = vi.format(value=value), en.format(value=value)
        label = dict(self.overrides).get(key)
        if label is None:
            return RuleRef(key=key, point=point, description_vi=vi, description_en=en)
        return RuleRef(
            key=key,
            point=label,
            description_vi=f"{vi} (quy định riêng, thay cho {point})",
            description_en=f"{en} (local rule, instead of {point})",
        )

    def with_overrides(self, overrides: Mapping[str, int | bool], *, label: str) -> "RuleSet":
        """A copy with some parameters replaced, each cited to ``label`` (e.g. a provincial rule)."""
        if not label.strip():
            raise ValueError("an override needs a label naming the rule that sets it")
        for key, value in overrides.items():
            if key not in _CATALOGUE:
                raise UnknownRuleParameter(key)
            if isinstance(getattr(self, key), bool):
                if not isinstance(value, bool):
                    raise InvalidRuleParameterValue(f"{key} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int):
                raise InvalidRuleParameterValue(f"{key} must be an integer")
            elif value < 0:
                raise InvalidRuleParameterValue(f"{key} must not be negative")
        kept = tuple(item for item in self.overrides if item[0] not in overrides)
        added = tuple((key, label) for key in overrides)
        return replace(self, **dict(overrides), overrides=kept + added)  # type: ignore[arg-type]


QD294 = RuleSet(
    code="QD294",
    title="QĐ294-QĐ/TW + HD06-HD/TW + HD38-HD/BTCTW",
    # QĐ294 closing provision: in force 01/07/2025. HD38 was only signed 29/09/2025, but rules §0
    # starts the whole set on 01/07/2025; its one HD38 number (member_records_wd) is unchanged.
    effective_from=date(2025, 7, 1),
    effective_to=None,
)

QD232 = replace(
    QD294,
    code="QD232",
    title="QĐ232-QĐ/TW + HD01-HD/TW + HD12-HD/BTCTW",
    effective_from=date(2025, 1, 20),
    effective_to=date(2025, 6, 30),
    decision_wd=60,  # QĐ232 4.3.1 [V-S, TVPL mirror]
    decision_ext_wd=30,  # [R]: QĐ29's 30 WD extension assumed unchanged (rules §4)
    renames=_RENAMES_QD232,
)

QD24 = replace(
    QD294,
    code="QD24",
    title="QĐ24-QĐ/TW + HD01-HD/TW + HD12-HD/BTCTW",
    # HD01 (28/09/2021) and HD12 (18/01/2022) came after QĐ24; the set keeps their names [R].
    effective_from=date(2021, 7, 30),
    effective_to=date(2025, 1, 19),
    decision_wd=60,  # [R]: QĐ24 4.3.1 not seen, assumed equal to QĐ29 (rules §4)
    decision_ext_wd=30,  # [R]: as QĐ29
    renames=_RENAMES_QD24,
)

RULE_SETS: tuple[RuleSet, ...] = (QD294, QD232, QD24)


def rule_set_for(day: date) -> RuleSet:
    """The rule set in force on ``day`` (a deadline's trigger date, rules §0)."""
    for rule_set in RULE_SETS:
        ends = rule_set.effective_to
        if rule_set.effective_from <= day and (ends is None or day <= ends):
            return rule_set
    raise NoRuleSetInForce(day)


# Dates before QĐ24, e.g. an old certificate, are read with the oldest set we hold: its periods
# (60-month certificate, 12-month dossier) equal QĐ29's.
OLDEST_RULE_SET_START = QD24.effective_from


@dataclass(frozen=True)
class RuleBook:
    """Rules for one province: the national rule set in force on a date plus the province's overrides."""

    overrides: tuple[tuple[date, str, int, str], ...] = ()  # (effective_from, key, value, label)

    def for_date(self, day: date) -> RuleSet:
        """The rule set in force on `day` (the trigger date of a deadline, rules §0)."""
        try:
            base = rule_set_for(day)
        except NoRuleSetInForce:
            base = rule_set_for(OLDEST_RULE_SET_START)
        applicable: dict[str, tuple[int, str]] = {}
        for effective_from, key, value, label in sorted(self.overrides):
            if effective_from <= day:
                applicable[key] = (value, label)
        for key, (value, label) in applicable.items():
            base = base.with_overrides({key: value}, label=label)
        return base
