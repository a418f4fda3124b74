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


def legal_date(
    name: str, trigger: date, *, extended: bool, calendar: WorkingCalendar, rulebook: RuleBook
) -> ComputedDate:
    """The legal date `name` counted from its recorded trigger date (LEGAL_DATE_TRIGGER[name]) under
    the rules in force on that day; `extended`: the decisions' special-case extension (QĐ294 4.3.1).
    Pure given its arguments."""
    rules = rulebook.for_date(trigger)
    if name == "certificate_valid_until":
        return deadlines.certificate_valid_until(issue_date=trigger, rules=rules)
    if name == "dossier_valid_until":
        return deadlines.dossier_valid_until(dossier_start_date=trigger, rules=rules)
    if name == "decision_deadline":
        return deadlines.admission_decision_deadline(
            branch_resolution_date=trigger, calendar=calendar, rules=rules, extended=extended
        )
    if name == "ceremony_deadline":
        return deadlines.ceremony_deadline(decision_received_date=trigger, calendar=calendar, rules=rules)
    if name == "member_records_deadline":
        return deadlines.member_records_deadline(ceremony_date=trigger, calendar=calendar, rules=rules)
    if name == "probation_end":
        return deadlines.probation_end(ceremony_date=trigger, rules=rules)
    if name == "recognition_branch_deadline":
        end = deadlines.probation_end(ceremony_date=trigger, rules=rules)
        return deadlines.recognition_branch_deadline(
            probation_end_date=end.day, calendar=calendar, rules=rulebook.for_date(end.day)
        )
    if name == "recognition_decision_deadline":
        return deadlines.recognition_decision_deadline(
            branch_resolution_date=trigger, calendar=calendar, rules=rules, extended=extended
        )
    if name == "complaint_deadline":
        return deadlines.complaint_deadline(removal_received_date=trigger, calendar=calendar, rules=rules)
    if name == "transfer_decision_deadline":
        return deadlines.transfer_decision_deadline(received_date=trigger, calendar=calendar, rules=rules)
    if name == "transfer_forward_deadline":
        return deadlines.transfer_forward_deadline(transferred_on=trigger, calendar=calendar, rules=rules)
    if name == "reconsideration_deadline":
        return deadlines.reconsideration_deadline(requested_on=trigger, calendar=calendar, rules=rules)
    raise ValueError(f"unknown legal date: {name}")


# The legal dates whose length depends on `deadline_extended` (the others ignore it).
EXTENDED_BY_FLAG = frozenset({"decision_deadline", "recognition_decision_deadline"})


def _applies(name: str, candidate: RecordedDates) -> date | None:
    """The trigger of `name` for `candidate` when the legal date applies, else None."""
    trigger: date | None = getattr(candidate, LEGAL_DATE_TRIGGER[name])
    if trigger is None or (name == "transfer_decision_deadline" and not _transfer_applies(candidate)):
        return None
    return trigger


def candidate_dates(
    candidate: RecordedDates, *, calendar: WorkingCalendar, rulebook: RuleBook, only: frozenset[str] | None = None
) -> CandidateDates:
    """Every legal date the recorded dates allow (or just those named in `only`); pure given its arguments."""
    found: dict[str, ComputedDate] = {}
    for name in CANDIDATE_DATE_NAMES if only is None else only:
        # Only the legal dates whose trigger is recorded can be computed.
        trigger = _applies(name, candidate)
        if trigger is not None:
            found[name] = legal_date(
                name, trigger, extended=candidate.deadline_extended, calendar=calendar, rulebook=rulebook
            )
    return CandidateDates(**found)


CANDIDATE_DATE_NAMES = tuple(CandidateDates.__dataclass_fields__)


class StageDeadlines:
    """The deadline of the step in progress (`stage_deadline`) of many candidates under one calendar
    and rule book, e.g. the 300 cards of a branch board.

    Each legal date is a pure function of its name, its trigger day, the extension flag, the calendar
    and the rule book (`legal_date`); calendars and rule books are values (their overrides), so the
    dates computed are kept per process for each (calendar, rule book) and shared by every board read
    under them: a changed override makes another calendar or rule book, hence other entries, and
    nothing computed under the old one is ever returned for the new. Bounded (about MEMO_MAX legal
    dates in all: a memo that reaches it starts again empty); the calendar's working days of a year
    are kept with it as well.
    """

    __slots__ = ("_memo", "calendar", "rulebook")

    def __init__(self, calendar: WorkingCalendar, rulebook: RuleBook) -> None:
        entry = _MEMOS.get((calendar, rulebook))
        if entry is None:
            if sum(len(memo) for _cal, memo in _MEMOS.values()) >= MEMO_MAX or len(_MEMOS) >= 256:
                _MEMOS.clear()
            entry = _MEMOS[(calendar, rulebook)] = (calendar, {})
        self.calendar: WorkingCalendar = entry[0]  # the first one of its value: its years already counted
        self.rulebook = rulebook
        self._memo: dict[tuple[str, date, bool], ComputedDate] = entry[1]

    def of(self, stage: Stage, candidate: RecordedDates) -> ComputedDate | None:
        """`stage_deadline(stage, candidate_dates(candidate, …))`, computing only the legal dates that
        bound the stage's step (each once per process)."""
        found: dict[str, ComputedDate] = {}
        for name in STAGE_DEADLINE.get(stage, ()):
            trigger = _applies(name, candidate)
            if trigger is None:
                continue
            key = (name, trigger, name in EXTENDED_BY_FLAG and candidate.deadline_extended)
            value = self._memo.get(key)
            if value is None:
                if len(self._memo) >= MEMO_MAX:
                    self._memo.clear()
                value = self._memo[key] = legal_date(
                    name, trigger, extended=key[2], calendar=self.calendar, rulebook=self.rulebook
                )
            found[name] = value
        return _earliest(found)


MEMO_MAX = 50_000  # legal dates kept in all (a few MB); beyond, everything is computed afresh
_MEMOS: dict[tuple[WorkingCalendar, RuleBook], tuple[WorkingCalendar, dict[tuple[str, date, bool], ComputedDate]]] = {}


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
    return _earliest({name: value for name in names if (value := getattr(dates, name)) is not None})


def _earliest(found: dict[str, ComputedDate]) -> ComputedDate | None:
    if len(found) < 2:  # most stages have one bound
        return next(iter(found.values()), None)
    for newer, older in SUPERSEDES.items():
        if newer in found:
            found.pop(older, None)
    present = list(found.values())
    return min(present, key=lambda d: d.day) if present else None


def is_overdue(deadline: ComputedDate | None, today: date) -> bool:
    return deadline is not None and deadline.day < today
