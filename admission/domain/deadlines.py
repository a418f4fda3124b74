"""Legal dates of the pipeline (rules §4, §7), each with the rule that produced it.

Counting follows rules §0 (Civil Code 2015 Art. 147-148): the trigger day is not counted;
"N working days from D" is the N-th working day after D; "N months from D" is the same day of the
month N months later (clamped to the month's end). A *deadline* that falls on a non-working day
moves to the next working day (Art. 148.5); a *status* date (end of probation = official date)
and a *validity* limit (the last day a certificate or dossier is still valid) never move.
"""

from dataclasses import dataclass
from datetime import date
from typing import Literal

from admission.domain.calendar import WorkingCalendar
from admission.domain.periods import add_months
from admission.domain.rules import RuleRef, RuleSet, rule_set_for

Kind = Literal["deadline", "status", "validity"]

# Unit of every period parameter of RuleSet; the other parameters are not periods.
PERIOD_UNITS: dict[str, Literal["wd", "months"]] = {
    "cert_validity_months": "months",
    "dossier_validity_months": "months",
    "verify_reply_wd_domestic": "wd",
    "verify_reply_wd_abroad": "wd",
    "decision_wd": "wd",
    "decision_ext_wd": "wd",
    "ceremony_wd": "wd",
    "member_records_wd": "wd",
    "probation_months": "months",
    "recognition_branch_wd": "wd",
    "recognition_decision_wd": "wd",
    "recognition_ext_wd": "wd",
    "readmit_wait_months": "months",
    "readmit_wait_months_after_expungement": "months",
    "complaint_wd": "wd",
    "mentor_together_months": "months",
    "transfer_decision_wd": "wd",
    "transfer_forward_wd": "wd",
    "reconsideration_wd": "wd",
    "transfer_ceremony_wd": "wd",
}


@dataclass(frozen=True)
class ComputedDate:
    day: date
    rule: RuleRef
    rule_set_code: str
    kind: Kind
    # The date before it was moved off a non-working day; None when it did not move.
    unadjusted: date | None = None


def _combined(first: RuleRef, second: RuleRef) -> RuleRef:
    points = first.point if first.point == second.point else f"{first.point} + {second.point}"
    return RuleRef(
        key=f"{first.key}+{second.key}",
        point=points,
        description_vi=f"{first.description_vi}; {second.description_vi}",
        description_en=f"{first.description_en}; {second.description_en}",
    )


def _length(rule_set: RuleSet, key: str, extension_key: str | None) -> tuple[str, int]:
    """The unit and length of the period ``key`` (plus ``extension_key``) in ``rule_set``."""
    unit = PERIOD_UNITS.get(key)
    amount = int(rule_set.value(key)) if unit is not None else 0
    if extension_key is not None:
        if PERIOD_UNITS.get(extension_key) != unit:
            unit = None
        else:
            amount += int(rule_set.value(extension_key))
    if unit is None:
        keys = (key,) if extension_key is None else (key, extension_key)
        raise ValueError(f"not a period of one unit: {keys}")
    return unit, amount


def _end(
    trigger: date, unit: str, amount: int, kind: Kind, calendar: WorkingCalendar | None, key: str
) -> tuple[date, date | None]:
    """The last day of a period of ``amount`` ``unit`` from ``trigger``, and the day before it was
    moved off a non-working day (None when it did not move)."""
    if unit == "months" and kind != "deadline":
        return add_months(trigger, amount), None
    if calendar is None:
        raise ValueError(f"{key}: a working calendar is needed for this date")
    if unit == "wd":
        # The N-th working day after the trigger is itself a working day: nothing to move.
        return calendar.add_working_days(trigger, amount), None
    raw = add_months(trigger, amount)
    moved = calendar.next_working_day(raw)
    return moved, (raw if moved != raw else None)


def period_end(
    *,
    trigger: date,
    key: str,
    kind: Kind,
    calendar: WorkingCalendar | None = None,
    rules: RuleSet | None = None,
    extension_key: str | None = None,
) -> ComputedDate:
    """End of the period ``key`` (plus ``extension_key``) counted from ``trigger``.

    ``rules`` defaults to the rule set in force on ``trigger`` (rules §0). ``calendar`` is needed
    for working-day periods and for month-based deadlines (which move off non-working days).
    """
    rule_set = rules if rules is not None else rule_set_for(trigger)
    unit, amount = _length(rule_set, key, extension_key)
    day, unadjusted = _end(trigger, unit, amount, kind, calendar, key)
    ref = rule_set.ref(key)
    if extension_key is not None:
        ref = _combined(ref, rule_set.ref(extension_key))
    return ComputedDate(day=day, rule=ref, rule_set_code=rule_set.code, kind=kind, unadjusted=unadjusted)


def period_end_day(
    *,
    trigger: date,
    key: str,
    kind: Kind,
    calendar: WorkingCalendar | None = None,
    rules: RuleSet | None = None,
    extension_key: str | None = None,
) -> date:
    """``period_end(...).day`` without the rule it cites: the statistics compute thousands of
    deadlines per page (admission.reporting.candidates) and read only their day."""
    rule_set = rules if rules is not None else rule_set_for(trigger)
    unit, amount = _length(rule_set, key, extension_key)
    return _end(trigger, unit, amount, kind, calendar, key)[0]


def admission_decision_deadline(
    *,
    branch_resolution_date: date,
    calendar: WorkingCalendar,
    rules: RuleSet | None = None,
    extended: bool = False,
) -> ComputedDate:
    """T4: 45 WD from the branch resolution, + 15 WD in special cases (QĐ294 4.3.1)."""
    return period_end(
        trigger=branch_resolution_date,
        key="decision_wd",
        extension_key="decision_ext_wd" if extended else None,
        kind="deadline",
        calendar=calendar,
        rules=rules,
    )


def ceremony_deadline(
    *, decision_received_date: date, calendar: WorkingCalendar, rules: RuleSet | None = None
) -> ComputedDate:
    """T5: 30 WD from the branch receiving the decision (QĐ294 4.1)."""
    return period_end(
        trigger=decision_received_date,
        key="ceremony_wd",
        kind="deadline",
        calendar=calendar,
        rules=rules,
    )


def member_records_deadline(
    *, ceremony_date: date, calendar: WorkingCalendar, rules: RuleSet | None = None
) -> ComputedDate:
    """T6: member's record and sheet within 30 WD of the ceremony (HD38 I.2.2)."""
    return period_end(
        trigger=ceremony_date,
        key="member_records_wd",
        kind="deadline",
        calendar=calendar,
        rules=rules,
    )


def probation_end(
    *, ceremony_date: date, calendar: WorkingCalendar | None = None, rules: RuleSet | None = None
) -> ComputedDate:
    """T7: ceremony + 12 months; a status date, also the official date (ĐL 5.1; QĐ294 4.2.2).

    ``calendar`` is accepted for a uniform call signature; a status date never moves (rules §0).
    """
    return period_end(trigger=ceremony_date, key="probation_months", kind="status", calendar=calendar, rules=rules)


def recognition_branch_deadline(
    *, probation_end_date: date, calendar: WorkingCalendar, rules: RuleSet | None = None
) -> ComputedDate:
    """T8: the branch resolves on recognition within 30 WD after probation ends (QĐ294 4.2.1)."""
    return period_end(
        trigger=probation_end_date,
        key="recognition_branch_wd",
        kind="deadline",
        calendar=calendar,
        rules=rules,
    )


def recognition_decision_deadline(
    *,
    branch_resolution_date: date,
    calendar: WorkingCalendar,
    rules: RuleSet | None = None,
    extended: bool = False,
) -> ComputedDate:
    """T9: 30 WD from the branch resolution, + 15 WD in special cases (QĐ294 4.3.1)."""
    return period_end(
        trigger=branch_resolution_date,
        key="recognition_decision_wd",
        extension_key="recognition_ext_wd" if extended else None,
        kind="deadline",
        calendar=calendar,
        rules=rules,
    )


def verification_reply_deadline(
    *,
    request_received_date: date,
    abroad: bool,
    calendar: WorkingCalendar,
    rules: RuleSet | None = None,
) -> ComputedDate:
    """T3: reply within 30 WD in Vietnam, 90 WD abroad, of receiving the request (HD06 3.4d)."""
    return period_end(
        trigger=request_received_date,
        key="verify_reply_wd_abroad" if abroad else "verify_reply_wd_domestic",
        kind="deadline",
        calendar=calendar,
        rules=rules,
    )


def certificate_valid_until(
    *, issue_date: date, calendar: WorkingCalendar | None = None, rules: RuleSet | None = None
) -> ComputedDate:
    """T1: last day the awareness certificate is valid, issue + 60 months (HD06 5.4b).

    Valid iff the branch considers the admission on or before this day. Never moved.
    """
    return period_end(trigger=issue_date, key="cert_validity_months", kind="validity", calendar=calendar, rules=rules)


def dossier_valid_until(
    *,
    dossier_start_date: date,
    calendar: WorkingCalendar | None = None,
    rules: RuleSet | None = None,
) -> ComputedDate:
    """T2: last day the dossier is valid, start + 12 months (HD06 5.4a; start = S3, rules §0)."""
    return period_end(
        trigger=dossier_start_date,
        key="dossier_validity_months",
        kind="validity",
        calendar=calendar,
        rules=rules,
    )


def complaint_deadline(
    *, removal_received_date: date, calendar: WorkingCalendar, rules: RuleSet | None = None
) -> ComputedDate:
    """T14: complain against a removal within 30 WD of receiving it (QĐ294 8.2)."""
    return period_end(
        trigger=removal_received_date,
        key="complaint_wd",
        kind="deadline",
        calendar=calendar,
        rules=rules,
    )


def readmission_earliest(
    *,
    left_date: date,
    after_expungement: bool = False,
    calendar: WorkingCalendar | None = None,
    rules: RuleSet | None = None,
) -> ComputedDate:
    """T15: first day readmission may be sought, 36 (or 60) months after leaving (QĐ294 3.5.1b).

    A status date: the waiting time is complete on that day whatever the weekday.
    """
    return period_end(
        trigger=left_date,
        key="readmit_wait_months_after_expungement" if after_expungement else "readmit_wait_months",
        kind="status",
        calendar=calendar,
        rules=rules,
    )


def transfer_decision_deadline(
    *, received_date: date, calendar: WorkingCalendar, rules: RuleSet | None = None
) -> ComputedDate:
    """T11: a dossier forwarded after the candidate moved (it had gone up: S8A, S9, S10) is decided
    by the destination's competent committee within 30 WD of receiving it (HD06 3.9b).

    The tracker takes the day the transfer is recorded as the day the destination receives the
    dossier (docs/decisions.md, "Transfers")."""
    return period_end(
        trigger=received_date,
        key="transfer_decision_wd",
        kind="deadline",
        calendar=calendar,
        rules=rules,
    )


def transfer_forward_deadline(
    *, transferred_on: date, calendar: WorkingCalendar, rules: RuleSet | None = None
) -> ComputedDate:
    """T11: the competent committee of the old place forwards the dossier of a candidate who moved
    after it went up within 15 WD of the move (HD06 3.9b)."""
    return period_end(
        trigger=transferred_on, key="transfer_forward_wd", kind="deadline", calendar=calendar, rules=rules
    )


def reconsideration_deadline(
    *, requested_on: date, calendar: WorkingCalendar, rules: RuleSet | None = None
) -> ComputedDate:
    """T13: a request of the destination to reconsider is answered within 60 WD of its receipt (HD06 3.9c)."""
    return period_end(trigger=requested_on, key="reconsideration_wd", kind="deadline", calendar=calendar, rules=rules)


def transfer_keeps_decision_until(
    *, decision_date: date, calendar: WorkingCalendar, rules: RuleSet | None = None
) -> ComputedDate:
    """T12: the last day a move keeps the admission decision (the 30th WD after it, HD06 3.9c).

    A candidate who moves on or before it has the decision forwarded and the ceremony held at the
    destination; one who moves later has the decision annulled and the dossier sent on for a new one."""
    return period_end(
        trigger=decision_date,
        key="transfer_ceremony_wd",
        kind="validity",
        calendar=calendar,
        rules=rules,
    )
