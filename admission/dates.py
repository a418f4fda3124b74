"""The legal dates of one candidate, derived from its recorded dates (rules §4, §7).

Each date is a `ComputedDate` that names the rule and document point that produced it, so the
page can say "45 working days from the branch resolution (QĐ294 4.3.1)".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.utils.translation import gettext_lazy as _

from admission.domain import deadlines
from admission.domain.calendar import WorkingCalendar
from admission.domain.deadlines import ComputedDate
from admission.domain.rules import RuleBook
from admission.domain.stages import Stage
from admission.workflow import STAGE_DEADLINE  # the legal dates bounding the step in progress


class RecordedDates(Protocol):
    """What the legal dates are counted from: a Candidate, or a lighter row with the same
    attributes (selectors.BoardCandidate: the board reads 300 of them)."""

    @property
    def certificate_issue_date(self) -> date | None: ...
    @property
    def dossier_start_date(self) -> date | None: ...
    @property
    def branch_resolution_date(self) -> date | None: ...
    @property
    def deadline_extended(self) -> bool: ...
    @property
    def decision_received_date(self) -> date | None: ...
    @property
    def ceremony_date(self) -> date | None: ...
    @property
    def recognition_branch_date(self) -> date | None: ...
    @property
    def removal_date(self) -> date | None: ...
    @property
    def transfer_received_date(self) -> date | None: ...
    @property
    def transferred_on(self) -> date | None: ...
    @property
    def reconsideration_requested_date(self) -> date | None: ...


@dataclass(frozen=True)
class CandidateDates:
    certificate_valid_until: ComputedDate | None = None
    dossier_valid_until: ComputedDate | None = None
    decision_deadline: ComputedDate | None = None
    ceremony_deadline: ComputedDate | None = None
    member_records_deadline: ComputedDate | None = None
    probation_end: ComputedDate | None = None
    recognition_branch_deadline: ComputedDate | None = None
    recognition_decision_deadline: ComputedDate | None = None
    complaint_deadline: ComputedDate | None = None  # against the removal decision (QĐ294 8.2)
    transfer_decision_deadline: ComputedDate | None = None
    transfer_forward_deadline: ComputedDate | None = None  # the old place forwards (HD06 3.9b)
    reconsideration_deadline: ComputedDate | None = None  # the destination's request answered (HD06 3.9c)

    def named(self) -> list[tuple[str, ComputedDate]]:
        return [(name, value) for name, value in self.__dict__.items() if value is not None]


# The recorded date each legal date is counted from (rules §4, §7). The step whose `date_field`
# (or extra field) records it starts the legal date (workflow Step.starts).
LEGAL_DATE_TRIGGER: dict[str, str] = {
    "certificate_valid_until": "certificate_issue_date",
    "dossier_valid_until": "dossier_start_date",
    "decision_deadline": "branch_resolution_date",
    "ceremony_deadline": "decision_received_date",
    "member_records_deadline": "ceremony_date",
    "probation_end": "ceremony_date",
    "recognition_branch_deadline": "ceremony_date",  # 30 WD after probation, itself 12 months after it
    "recognition_decision_deadline": "recognition_branch_date",
    # 30 WD from receiving the removal decision; the tracker records the decision's date, the
    # earliest the person can have received it (docs/decisions.md, Life cycle).
    "complaint_deadline": "removal_date",
    # Recorded by the transfer of a dossier that had gone up (services.candidate_transfer).
    "transfer_decision_deadline": "transfer_received_date",
    # Recorded by the transfer of a dossier that had gone up; met by its forwarding (services.transfer_forwarded).
    "transfer_forward_deadline": "transferred_on",
    # Recorded by the destination's request to reconsider (services.transfer_reconsideration_request).
    "reconsideration_deadline": "reconsideration_requested_date",
}

# A legal date that, when it applies, replaces another as the bound of the step in progress: the
# dossier of a candidate who moved after it went up is decided within 30 WD of its receipt at the
# destination, not 45 WD of the branch resolution (HD06 3.9b; docs/decisions.md, "Transfers").
# Each legal date by name, as pages and the calendar feed show it.
LEGAL_DATE_NAMES = {
    "certificate_valid_until": _("Giấy chứng nhận lớp nhận thức còn giá trị đến"),
    "dossier_valid_until": _("Hồ sơ còn giá trị đến (12 tháng)"),
    "decision_deadline": _("Hạn ra quyết định kết nạp"),
    "ceremony_deadline": _("Hạn tổ chức lễ kết nạp"),
    "member_records_deadline": _("Hạn hoàn thành lý lịch, phiếu đảng viên"),
    "probation_end": _("Hết thời kỳ dự bị (ngày chính thức)"),
    "recognition_branch_deadline": _("Hạn chi bộ xét công nhận chính thức"),
    "recognition_decision_deadline": _("Hạn ra quyết định công nhận"),
    "complaint_deadline": _("Hạn khiếu nại quyết định xóa tên"),
    "transfer_decision_deadline": _("Hạn nơi chuyển đến ra quyết định kết nạp (chuyển sinh hoạt)"),
    "transfer_forward_deadline": _("Hạn cấp ủy nơi chuyển đi chuyển hồ sơ (chuyển sinh hoạt)"),
    "reconsideration_deadline": _("Hạn trả lời đề nghị xem xét lại (chuyển sinh hoạt)"),
}

SUPERSEDES: dict[str, str] = {"transfer_decision_deadline": "decision_deadline"}


def candidate_dates(
    candidate: RecordedDates, *, calendar: WorkingCalendar, rulebook: RuleBook, only: frozenset[str] | None = None
) -> CandidateDates:
    """Every legal date the recorded dates allow (or just those named in `only`); pure given its arguments."""
    c = candidate
    wanted = only if only is not None else frozenset(CandidateDates.__dataclass_fields__)
    # Only the legal dates whose trigger is recorded can be computed.
    wanted = frozenset(name for name in wanted if getattr(c, LEGAL_DATE_TRIGGER[name]) is not None)
    found: dict[str, ComputedDate] = {}
    if "certificate_valid_until" in wanted:
        assert c.certificate_issue_date is not None  # noqa: S101 - its trigger (checked above)
        found["certificate_valid_until"] = deadlines.certificate_valid_until(
            issue_date=c.certificate_issue_date, rules=rulebook.for_date(c.certificate_issue_date)
        )
    if "dossier_valid_until" in wanted:
        assert c.dossier_start_date is not None  # noqa: S101
        found["dossier_valid_until"] = deadlines.dossier_valid_until(
            dossier_start_date=c.dossier_start_date, rules=rulebook.for_date(c.dossier_start_date)
        )
    if "decision_deadline" in wanted:
        assert c.branch_resolution_date is not None  # noqa: S101
        found["decision_deadline"] = deadlines.admission_decision_deadline(
            branch_resolution_date=c.branch_resolution_date,
            calendar=calendar,
            rules=rulebook.for_date(c.branch_resolution_date),
            extended=c.deadline_extended,
        )
    if "ceremony_deadline" in wanted:
        assert c.decision_received_date is not None  # noqa: S101
        found["ceremony_deadline"] = deadlines.ceremony_deadline(
            decision_received_date=c.decision_received_date,
            calendar=calendar,
            rules=rulebook.for_date(c.decision_received_date),
        )
    if c.ceremony_date:
        rules = rulebook.for_date(c.ceremony_date)
        if "member_records_deadline" in wanted:
            found["member_records_deadline"] = deadlines.member_records_deadline(
                ceremony_date=c.ceremony_date, calendar=calendar, rules=rules
            )
        end = deadlines.probation_end(ceremony_date=c.ceremony_date, rules=rules)
        if "probation_end" in wanted:
            found["probation_end"] = end
        if "recognition_branch_deadline" in wanted:
            found["recognition_branch_deadline"] = deadlines.recognition_branch_deadline(
                probation_end_date=end.day, calendar=calendar, rules=rulebook.for_date(end.day)
            )
    if "recognition_decision_deadline" in wanted:
        assert c.recognition_branch_date is not None  # noqa: S101
        found["recognition_decision_deadline"] = deadlines.recognition_decision_deadline(
            branch_resolution_date=c.recognition_branch_date,
            calendar=calendar,
            rules=rulebook.for_date(c.recognition_branch_date),
            extended=c.deadline_extended,
        )
    if "complaint_deadline" in wanted:
        assert c.removal_date is not None  # noqa: S101
        found["complaint_deadline"] = deadlines.complaint_deadline(
            removal_received_date=c.removal_date, calendar=calendar, rules=rulebook.for_date(c.removal_date)
        )
    if "transfer_decision_deadline" in wanted and _transfer_applies(c):
        assert c.transfer_received_date is not None  # noqa: S101
        found["transfer_decision_deadline"] = deadlines.transfer_decision_deadline(
            received_date=c.transfer_received_date,
            calendar=calendar,
            rules=rulebook.for_date(c.transfer_received_date),
        )
    if "transfer_forward_deadline" in wanted:
        assert c.transferred_on is not None  # noqa: S101
        found["transfer_forward_deadline"] = deadlines.transfer_forward_deadline(
            transferred_on=c.transferred_on, calendar=calendar, rules=rulebook.for_date(c.transferred_on)
        )
    if "reconsideration_deadline" in wanted:
        assert c.reconsideration_requested_date is not None  # noqa: S101
        found["reconsideration_deadline"] = deadlines.reconsideration_deadline(
            requested_on=c.reconsideration_requested_date,
            calendar=calendar,
            rules=rulebook.for_date(c.reconsideration_requested_date),
        )
    return CandidateDates(**found)


def _transfer_applies(c: RecordedDates) -> bool:
    """The transfer's 30 WD bound the decision on the dossier it forwarded, not one on a later branch
    resolution (the destination returned the dossier and its branch voted again)."""
    received = c.transfer_received_date
    return received is not None and (c.branch_resolution_date is None or received >= c.branch_resolution_date)


def stage_deadline_names(stage: Stage) -> frozenset[str]:
    return frozenset(STAGE_DEADLINE.get(stage, ()))


def stage_deadline(stage: Stage, dates: CandidateDates) -> ComputedDate | None:
    """The earliest legal date that bounds the step in progress, if any (one that another
    supersedes, SUPERSEDES, is left out when the other applies)."""
    names = STAGE_DEADLINE.get(stage, ())
    found = {name: value for name in names if (value := getattr(dates, name)) is not None}
    for newer, older in SUPERSEDES.items():
        if newer in found:
            found.pop(older, None)
    present = list(found.values())
    return min(present, key=lambda d: d.day) if present else None


def is_overdue(deadline: ComputedDate | None, today: date) -> bool:
    return deadline is not None and deadline.day < today
