"""Legal dates. Expected days are worked out by hand from the 2026 calendar noted in
test_calendar.py (and, for 2025: 01/07 Tue; days off Mon 01/09 and Tue 02/09)."""

from datetime import date, timedelta

import pytest

from admission.domain.calendar import WorkingCalendar
from admission.domain.deadlines import (
    ComputedDate,
    admission_decision_deadline,
    ceremony_deadline,
    certificate_valid_until,
    complaint_deadline,
    dossier_valid_until,
    member_records_deadline,
    period_end,
    period_end_day,
    probation_end,
    readmission_earliest,
    recognition_branch_deadline,
    recognition_decision_deadline,
    verification_reply_deadline,
)
from admission.domain.rules import QD294, NoRuleSetInForce

CAL = WorkingCalendar()
HANOI = QD294.with_overrides({"recognition_decision_wd": 15}, label="Hà Nội HN02 2.1.4")


def test_it_gives_45_working_days_for_the_admission_decision_across_tet() -> None:
    # Fri 06/02/2026: Feb 9-13 = 5, Tết off, then 5 a week -> Fri 17/04 = 45.
    result = admission_decision_deadline(branch_resolution_date=date(2026, 2, 6), calendar=CAL)
    assert result == ComputedDate(
        day=date(2026, 4, 17), rule=QD294.ref("decision_wd"), rule_set_code="QD294", kind="deadline"
    )
    assert result.rule.point == "QĐ294 4.3.1"
    assert result.unadjusted is None


def test_it_adds_the_15_day_extension() -> None:
    # From Fri 17/04 (45): Apr 20-24 = 50; Apr 27 off; Apr 28-29 = 52; Apr 30, May 1 off;
    # May 4-8 = 57; May 11, 12, 13 = 60.
    result = admission_decision_deadline(branch_resolution_date=date(2026, 2, 6), calendar=CAL, extended=True)
    assert result.day == date(2026, 5, 13)
    assert result.rule.key == "decision_wd+decision_ext_wd"
    assert result.rule.point == "QĐ294 4.3.1"


def test_it_uses_the_rule_set_in_force_on_the_trigger_date() -> None:
    # QĐ294 from Tue 01/07/2025, 45 WD: Jul 2-4 = 3, then 5 a week to Fri 29/08 = 43;
    # Sep 1-2 off; Sep 3 = 44, Thu Sep 4 = 45.
    new = admission_decision_deadline(branch_resolution_date=date(2025, 7, 1), calendar=CAL)
    assert (new.day, new.rule_set_code, new.rule.point) == (date(2025, 9, 4), "QD294", "QĐ294 4.3.1")
    # QĐ232 on Mon 30/06/2025, 60 WD: Jul 1-4 = 4, 5 a week to Fri 29/08 = 44; Sep 3-5 = 47;
    # Sep 8-19 = 57; Sep 22, 23, Wed 24 = 60.
    old = admission_decision_deadline(branch_resolution_date=date(2025, 6, 30), calendar=CAL)
    assert (old.day, old.rule_set_code, old.rule.point) == (date(2025, 9, 24), "QD232", "QĐ232 4.3.1")


def test_it_refuses_a_trigger_before_any_rule_set_unless_rules_are_given() -> None:
    with pytest.raises(NoRuleSetInForce):
        certificate_valid_until(issue_date=date(2021, 5, 1))
    assert certificate_valid_until(issue_date=date(2021, 5, 1), rules=QD294).day == date(2026, 5, 1)


def test_it_gives_30_working_days_for_the_ceremony_across_the_make_up_saturday() -> None:
    # Received Fri 21/08/2026: Sat 22/08 = 1; Aug 24-28 = 6; Aug 31-Sep 2 off; Sep 3-4 = 8;
    # Sep 7-Oct 2 = 28; Oct 5 = 29; Tue Oct 6 = 30.
    result = ceremony_deadline(decision_received_date=date(2026, 8, 21), calendar=CAL)
    assert result.day == date(2026, 10, 6)
    assert result.rule.point == "QĐ294 4.1"


def test_it_gives_30_working_days_for_member_records_across_culture_day() -> None:
    # Ceremony Fri 20/11/2026 -> Tue 05/01/2027 (24/11 and 01/01/2027 off).
    result = member_records_deadline(ceremony_date=date(2026, 11, 20), calendar=CAL)
    assert result.day == date(2027, 1, 5)
    assert result.rule.point == "HD38 I.2.2"


@pytest.mark.parametrize(
    ("ceremony", "expected"),
    [
        (date(2025, 8, 22), date(2026, 8, 22)),  # a Saturday: a status date is not moved
        (date(2025, 8, 31), date(2026, 8, 31)),  # a day off in 2026: not moved either
        (date(2028, 2, 29), date(2029, 2, 28)),
        (date(2026, 1, 31), date(2027, 1, 31)),
    ],
)
def test_it_ends_probation_twelve_months_after_the_ceremony_without_moving(ceremony: date, expected: date) -> None:
    result = probation_end(ceremony_date=ceremony, calendar=CAL)
    assert (result.day, result.kind, result.unadjusted) == (expected, "status", None)
    assert result.rule.point == "ĐL 5.1; QĐ294 4.2.2"
    assert probation_end(ceremony_date=ceremony).day == expected  # no calendar needed


def test_it_gives_the_branch_30_working_days_after_probation() -> None:
    # Probation ends Fri 13/02/2026: Tết off; Feb 23-27 = 5; ... Fri 03/04 = 30.
    result = recognition_branch_deadline(probation_end_date=date(2026, 2, 13), calendar=CAL)
    assert (result.day, result.rule.point) == (date(2026, 4, 3), "QĐ294 4.2.1")


def test_it_gives_30_working_days_for_the_recognition_decision_and_follows_an_override() -> None:
    trigger = date(2026, 2, 6)
    central = recognition_decision_deadline(branch_resolution_date=trigger, calendar=CAL)
    assert (central.day, central.rule.point) == (date(2026, 3, 27), "QĐ294 4.3.1")
    # Hà Nội: 15 WD -> Feb 9-13 = 5; Tết; Feb 23-27 = 10; Mar 2-6 = 15.
    local = recognition_decision_deadline(branch_resolution_date=trigger, calendar=CAL, rules=HANOI)
    assert (local.day, local.rule.point) == (date(2026, 3, 6), "Hà Nội HN02 2.1.4")
    extended = recognition_decision_deadline(branch_resolution_date=trigger, calendar=CAL, rules=HANOI, extended=True)
    assert extended.day == date(2026, 3, 27)
    assert extended.rule.point == "Hà Nội HN02 2.1.4 + QĐ294 4.3.1"


@pytest.mark.parametrize(
    ("abroad", "expected"),
    [
        # Mon 05/01/2026: Jan 6-Feb 13 = 29; Tết; Mon 23/02 = 30.
        (False, date(2026, 2, 23)),
        # ... Feb 23-Apr 24 = 74; Apr 27 off; 28-29 = 76; Apr 30-May 1 off; May 4-15 = 86;
        # May 18, 19, 20, Thu 21 = 90.
        (True, date(2026, 5, 21)),
    ],
)
def test_it_gives_30_or_90_working_days_to_answer_a_verification(abroad: bool, expected: date) -> None:
    result = verification_reply_deadline(request_received_date=date(2026, 1, 5), abroad=abroad, calendar=CAL)
    assert (result.day, result.rule.point) == (expected, "HD06 3.4d")


def test_it_keeps_validity_limits_unmoved() -> None:
    cert = certificate_valid_until(issue_date=date(2021, 8, 28))
    assert (cert.day, cert.kind, cert.rule_set_code, cert.rule.point) == (
        date(2026, 8, 28),
        "validity",
        "QD24",
        "HD01 5.4b",
    )
    dossier = dossier_valid_until(dossier_start_date=date(2025, 8, 31), calendar=CAL)
    assert (dossier.day, dossier.kind, dossier.rule.point) == (date(2026, 8, 31), "validity", "HD06 5.4a")


def test_it_gives_30_working_days_to_complain() -> None:
    # Fri 24/04/2026: Apr 27 off; Apr 28-29 = 2; Apr 30, May 1 off; May 4-Jun 5 = 27; Jun 8, 9, Wed 10 = 30.
    result = complaint_deadline(removal_received_date=date(2026, 4, 24), calendar=CAL)
    assert (result.day, result.rule.point) == (date(2026, 6, 10), "QĐ294 8.2")


@pytest.mark.parametrize(
    ("removed_on", "expected"),
    [
        # Fri 06/02/2026: Feb 9-13 = 5; Tết Mon 16-Fri 20 off; Feb 23-27 = 10, Mar 2-6 = 15,
        # Mar 9-13 = 20, Mar 16-20 = 25, Mar 23-27 = 30 -> Fri 27/03.
        (date(2026, 2, 6), date(2026, 3, 27)),
        # Thu 12/02/2026, the day before the last working day before Tết: Feb 13 = 1; Tết off;
        # Feb 23-Mar 27 = 26; Mar 30, 31, Apr 1, Thu Apr 2 = 30.
        (date(2026, 2, 12), date(2026, 4, 2)),
        # Wed 18/02/2026, a day of Tết itself: Feb 23-Mar 27 = 25; Mar 30-Apr 3 = 30 -> Fri 03/04.
        (date(2026, 2, 18), date(2026, 4, 3)),
    ],
)
def test_it_counts_the_complaint_window_across_tet(removed_on: date, expected: date) -> None:
    result = complaint_deadline(removal_received_date=removed_on, calendar=CAL)
    assert (result.day, result.kind, result.rule.point, result.rule_set_code) == (
        expected,
        "deadline",
        "QĐ294 8.2",
        "QD294",
    )


@pytest.mark.parametrize(
    ("left", "after_expungement", "expected"),
    [
        (date(2023, 8, 31), False, date(2026, 8, 31)),  # a day off, but a status date
        (date(2021, 8, 31), True, date(2026, 8, 31)),
    ],
)
def test_it_gives_the_earliest_readmission(left: date, after_expungement: bool, expected: date) -> None:
    result = readmission_earliest(left_date=left, after_expungement=after_expungement)
    assert (result.day, result.kind, result.rule.point) == (expected, "status", "QĐ24 3.5.1b")


def test_it_moves_a_month_based_deadline_off_a_non_working_day() -> None:
    # 12 months from 28/02/2025 is Sat 28/02/2026 -> Mon 02/03/2026 (BLDS Art. 148.5).
    moved = period_end(trigger=date(2025, 2, 28), key="dossier_validity_months", kind="deadline", calendar=CAL)
    assert (moved.day, moved.unadjusted, moved.rule.point) == (date(2026, 3, 2), date(2026, 2, 28), "HD01 5.4a")
    # 12 months from 16/02/2025 is Mon 16/02/2026, in Tết -> Mon 23/02/2026.
    tet = period_end(trigger=date(2025, 2, 16), key="dossier_validity_months", kind="deadline", calendar=CAL)
    assert (tet.day, tet.unadjusted) == (date(2026, 2, 23), date(2026, 2, 16))
    # Already a working day: unadjusted stays None.
    plain = period_end(trigger=date(2025, 3, 4), key="dossier_validity_months", kind="deadline", calendar=CAL)
    assert (plain.day, plain.unadjusted) == (date(2026, 3, 4), None)


@pytest.mark.parametrize(
    ("key", "extension_key", "kind"),
    [
        ("deadlock_votes", None, "deadline"),  # not a period
        ("age_counts_day", None, "status"),
        ("decision_wd", "probation_months", "deadline"),  # mixed units
    ],
)
def test_it_refuses_what_is_not_a_period(key: str, extension_key: str | None, kind: str) -> None:
    with pytest.raises(ValueError, match="period"):
        period_end(trigger=date(2026, 1, 5), key=key, extension_key=extension_key, kind=kind, calendar=CAL)  # type: ignore[arg-type]


@pytest.mark.parametrize(("key", "kind"), [("decision_wd", "deadline"), ("probation_months", "deadline")])
def test_it_needs_a_calendar_for_working_days_and_moved_deadlines(key: str, kind: str) -> None:
    with pytest.raises(ValueError, match="calendar"):
        period_end(trigger=date(2026, 1, 5), key=key, kind=kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "extension_key", "kind"),
    [
        ("decision_wd", None, "deadline"),
        ("decision_wd", "decision_ext_wd", "deadline"),
        ("dossier_validity_months", None, "deadline"),  # moved off a non-working day
        ("probation_months", None, "status"),
        ("cert_validity_months", None, "validity"),
    ],
)
def test_period_end_day_is_the_day_of_period_end(key: str, extension_key: str | None, kind: str) -> None:
    for offset in range(400):
        trigger = date(2025, 1, 1) + timedelta(days=offset)
        full = period_end(trigger=trigger, key=key, extension_key=extension_key, kind=kind, calendar=CAL)  # type: ignore[arg-type]
        day = period_end_day(trigger=trigger, key=key, extension_key=extension_key, kind=kind, calendar=CAL)  # type: ignore[arg-type]
        assert day == full.day


def test_period_end_day_refuses_what_period_end_refuses() -> None:
    with pytest.raises(ValueError, match="period"):
        period_end_day(trigger=date(2026, 1, 5), key="deadlock_votes", kind="deadline", calendar=CAL)
    with pytest.raises(ValueError, match="calendar"):
        period_end_day(trigger=date(2026, 1, 5), key="decision_wd", kind="deadline")
