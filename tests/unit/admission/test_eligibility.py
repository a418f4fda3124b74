from dataclasses import replace
from datetime import date

import pytest

from admission.domain.eligibility import (
    REDO_AFTER_DOSSIER_EXPIRY,
    BranchConsiderationFacts,
    DossierFacts,
    EducationLevel,
    IntroductionMode,
    MentorFacts,
    age_in_months,
    check_age,
    check_branch_consideration,
    check_ceremony_date,
    check_certificate,
    check_dossier_age,
    check_education,
    check_introduction,
    check_mentor,
    check_order,
    check_readmission,
    check_recognition_ready,
    choose_introducers,
    default_introduction_mode,
    introducers_needed,
)
from admission.domain.reasons import format_reason
from admission.domain.rules import QD294

DAY_COUNTED = QD294.with_overrides({"age_counts_day": True}, label="test")
MEETING = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("birth", "on", "counts_day", "months"),
    [
        (date(2008, 5, 20), date(2026, 4, 30), False, 215),
        (date(2008, 5, 20), date(2026, 5, 1), False, 216),
        (date(2008, 5, 20), date(2026, 5, 1), True, 215),  # day 1 < day 20
        (date(2008, 5, 20), date(2026, 5, 20), True, 216),
        (date(1966, 5, 20), date(2026, 5, 31), False, 720),
        (date(1966, 5, 20), date(2026, 6, 1), False, 721),
        (date(1966, 5, 20), date(2026, 6, 19), True, 720),
        (date(1966, 5, 20), date(2026, 6, 20), True, 721),
    ],
)
def test_it_counts_age_in_months(birth: date, on: date, counts_day: bool, months: int) -> None:
    assert age_in_months(birth, on, counts_day=counts_day) == months


@pytest.mark.parametrize(
    ("birth", "meeting", "rules", "eligible_from"),
    [
        # 215 months, ignoring the day: eligible from the first day of the 216th month.
        (date(2008, 5, 20), date(2026, 4, 30), QD294, date(2026, 5, 1)),
        # Counting the day: 215 months on 01/05; eligible on the 18th birthday.
        (date(2008, 5, 20), date(2026, 5, 1), DAY_COUNTED, date(2026, 5, 20)),
        # Born 29/02: February 2026 has no 29th, so the month completes on 01/03/2026.
        (date(2008, 2, 29), date(2026, 2, 28), DAY_COUNTED, date(2026, 3, 1)),
        (date(2008, 2, 29), date(2026, 1, 31), QD294, date(2026, 2, 1)),
    ],
)
def test_it_says_when_a_too_young_applicant_becomes_eligible(
    birth: date, meeting: date, rules: object, eligible_from: date
) -> None:
    result = check_age(birth, meeting, rules, over_60_approved=False)  # type: ignore[arg-type]
    assert result.codes == ("too_young",)
    assert result.reasons[0].params["eligible_from"] == eligible_from
    assert result.reasons[0].params["age_months"] == 215
    assert result.reasons[0].rule == "QĐ294 1.1.1"
    assert check_age(birth, eligible_from, rules, over_60_approved=False).ok  # type: ignore[arg-type]


def test_it_finds_the_first_eligible_day_when_the_birth_day_is_missing_from_that_month() -> None:
    # An override of 217 months for someone born 31/01/2008 lands in February 2026: 01/03/2026.
    rules = DAY_COUNTED.with_overrides({"age_min_months": 217}, label="test")
    result = check_age(date(2008, 1, 31), date(2026, 2, 28), rules, over_60_approved=False)
    assert result.reasons[0].params["eligible_from"] == date(2026, 3, 1)
    assert check_age(date(2008, 1, 31), date(2026, 3, 1), rules, over_60_approved=False).ok


@pytest.mark.parametrize(
    ("meeting", "counts_day", "approved", "codes"),
    [
        (date(2026, 5, 31), False, False, ()),  # 720 months: still without approval
        (date(2026, 6, 1), False, False, ("over_60_needs_approval",)),  # 721
        (date(2026, 6, 1), False, True, ()),
        (date(2026, 6, 19), True, False, ()),  # 720 when the day counts
        (date(2026, 6, 20), True, False, ("over_60_needs_approval",)),
    ],
)
def test_it_needs_approval_above_720_months(
    meeting: date, counts_day: bool, approved: bool, codes: tuple[str, ...]
) -> None:
    rules = DAY_COUNTED if counts_day else QD294
    result = check_age(date(1966, 5, 20), meeting, rules, over_60_approved=approved)
    assert result.codes == codes
    if codes:
        assert dict(result.reasons[0].params) == {"age_months": 721, "max_months": 720}


@pytest.mark.parametrize(
    ("level", "area", "literacy_approved", "codes"),
    [
        (EducationLevel.LOWER_SECONDARY, False, False, ()),
        (EducationLevel.POSTGRADUATE, False, False, ()),
        (EducationLevel.VOCATIONAL, False, False, ()),
        (EducationLevel.PRIMARY, False, False, ("education_below_lower_secondary",)),
        (EducationLevel.LITERATE, False, True, ("education_below_lower_secondary",)),
        (EducationLevel.PRIMARY, True, False, ()),  # HD06 1.2a
        (EducationLevel.LITERATE, True, False, ("literacy_exception_needs_approval",)),
        (EducationLevel.LITERATE, True, True, ()),  # HD06 1.2b
        (EducationLevel.NONE, True, True, ("not_literate",)),
    ],
)
def test_it_checks_education_with_its_exceptions(
    level: EducationLevel, area: bool, literacy_approved: bool, codes: tuple[str, ...]
) -> None:
    assert check_education(level, area_exception=area, literacy_exception_approved=literacy_approved).codes == codes


@pytest.mark.parametrize(
    ("issue", "codes"),
    [
        # Valid until issue + 60 months, inclusive.
        (date(2021, 3, 9), ("certificate_expired",)),  # expired the day before the meeting
        (date(2021, 3, 10), ()),  # expires on the meeting day: still valid
        (date(2021, 3, 11), ()),  # expires the day after
        (None, ("certificate_missing",)),
        (date(2026, 3, 11), ("date_order",)),  # issued after the meeting
    ],
)
def test_it_checks_the_certificate_on_the_meeting_day(issue: date | None, codes: tuple[str, ...]) -> None:
    result = check_certificate(issue, MEETING, QD294)
    assert result.codes == codes
    if codes == ("certificate_expired",):
        assert result.reasons[0].params["valid_until"] == date(2026, 3, 9)
        assert result.reasons[0].rule == "HD06 5.4b"


def test_a_certificate_checked_on_another_act_names_that_act_s_day() -> None:
    at_meeting = check_certificate(date(2026, 3, 11), MEETING, QD294)
    at_permit = check_certificate(date(2026, 3, 11), MEETING, QD294, day_label="dossier_permit")

    assert format_reason(at_meeting.reasons[0]) == (
        "Thứ tự ngày sai: ngày chi bộ xét kết nạp (10/03/2026) trước ngày cấp giấy chứng nhận (11/03/2026)"
    )
    assert format_reason(at_permit.reasons[0]) == (
        "Thứ tự ngày sai: ngày được phép lập hồ sơ (10/03/2026) trước ngày cấp giấy chứng nhận (11/03/2026)"
    )


@pytest.mark.parametrize(
    ("start", "meeting", "codes"),
    [
        (date(2025, 3, 10), date(2026, 3, 10), ()),  # exactly 12 months
        (date(2025, 3, 10), date(2026, 3, 11), ("dossier_expired",)),
        (date(2028, 2, 29), date(2029, 2, 28), ()),
        (date(2028, 2, 29), date(2029, 3, 1), ("dossier_expired",)),
        (None, MEETING, ("dossier_start_missing",)),
        (date(2026, 3, 11), MEETING, ("date_order",)),
    ],
)
def test_it_checks_the_12_month_dossier_edge(start: date | None, meeting: date, codes: tuple[str, ...]) -> None:
    assert check_dossier_age(start, meeting, QD294).codes == codes


def test_it_lists_what_to_redo_when_the_dossier_expired() -> None:
    (found,) = check_dossier_age(date(2025, 3, 10), date(2026, 3, 11), QD294).reasons
    assert dict(found.params) == {"valid_until": date(2026, 3, 10), "months": 12, "redo": REDO_AFTER_DOSSIER_EXPIRY}
    assert found.rule == "HD06 5.4a"


GOOD = MentorFacts(is_official=True, same_grassroots_unit=True, together_since=date(2025, 3, 10), name="Nguyễn Văn An")


@pytest.mark.parametrize(
    ("mentor", "codes"),
    [
        (GOOD, ()),  # exactly 12 months on the meeting day
        (replace(GOOD, together_since=date(2025, 3, 11)), ("mentor_together_too_short",)),
        (replace(GOOD, together_since=None), ("mentor_together_missing",)),
        (replace(GOOD, is_official=False), ("mentor_not_official",)),
        (replace(GOOD, same_grassroots_unit=False), ("mentor_other_unit",)),
        # A replacement is exempt from the 12 months (QĐ294 3.2.2), not from the rest.
        (replace(GOOD, together_since=date(2026, 3, 1), is_replacement=True), ()),
        (replace(GOOD, together_since=None, is_replacement=True, is_official=False), ("mentor_not_official",)),
    ],
)
def test_it_checks_a_mentor(mentor: MentorFacts, codes: tuple[str, ...]) -> None:
    assert check_mentor(mentor, MEETING, QD294).codes == codes


def test_it_says_when_the_12_months_together_are_reached() -> None:
    (found,) = check_mentor(replace(GOOD, together_since=date(2025, 3, 31)), MEETING, QD294).reasons
    assert dict(found.params) == {"name": "Nguyễn Văn An", "months": 12, "reached_on": date(2026, 3, 31)}


YOUTH = IntroductionMode.YOUTH_UNION_PLUS_ONE
TWO = IntroductionMode.TWO_MEMBERS
TRADE = IntroductionMode.TRADE_UNION_PLUS_ONE


@pytest.mark.parametrize(
    ("mode", "count", "exists", "youth_age", "member", "resolution", "codes"),
    [
        (TWO, 2, False, False, False, None, ()),
        (TWO, 1, False, False, False, None, ("introducers_missing",)),
        (YOUTH, 1, True, True, True, MEETING, ()),
        (YOUTH, 2, True, True, True, MEETING, ("introducers_too_many",)),
        (YOUTH, 1, True, True, True, None, ("union_resolution_missing",)),
        (TRADE, 1, False, False, False, MEETING, ()),
        (TRADE, 1, False, True, False, MEETING, ()),  # no Youth Union: trade union introduces
        (TWO, 2, True, False, False, None, ()),  # past youth age: two members are fine
        (TWO, 2, True, True, True, None, ("youth_union_required",)),
        (TRADE, 1, True, True, True, MEETING, ("youth_union_required",)),
        (YOUTH, 1, True, True, False, MEETING, ("youth_union_required",)),  # must be a member
        (YOUTH, 1, False, True, True, MEETING, ("youth_union_cannot_introduce",)),  # no Youth Union
        (YOUTH, 1, True, False, False, MEETING, ("youth_union_cannot_introduce",)),  # not a member
    ],
)
def test_it_checks_who_introduces(
    mode: IntroductionMode,
    count: int,
    exists: bool,
    youth_age: bool,
    member: bool,
    resolution: date | None,
    codes: tuple[str, ...],
) -> None:
    result = check_introduction(
        mode,
        [GOOD] * count,
        MEETING,
        QD294,
        youth_union_exists=exists,
        is_youth_age=youth_age,
        is_youth_union_member=member,
        union_resolution_date=resolution,
    )
    assert result.codes == codes


def test_it_does_not_judge_the_12_months_when_no_date_is_known() -> None:
    unknown = replace(GOOD, together_since=None)
    assert check_mentor(unknown, MEETING, QD294, together_known=False).codes == ()
    assert check_mentor(replace(unknown, is_official=False), MEETING, QD294, together_known=False).codes == (
        "mentor_not_official",
    )


@pytest.mark.parametrize(
    ("explicit", "helpers", "mode", "chosen"),
    [
        ([], [1], TWO, [1]),  # the helper introduces by default
        ([], [1], YOUTH, [1]),
        ([], [], TWO, []),
        ([2], [1], TWO, [2, 1]),  # a second introducer beside the helper
        ([2, 3], [1], TWO, [2, 3]),  # the branch named both: the helper does not count
        ([2], [1], YOUTH, [2]),  # the branch named the one member beside the Youth Union
        ([1], [1], TWO, [1]),  # assigned both ways: counted once
        ([], [1, 4], YOUTH, [1, 4]),  # two helpers where one member introduces: too many, not a silent pick
        ([2], [1, 4], TWO, [2, 1, 4]),
    ],
)
def test_it_counts_the_helper_as_introducer_by_default(
    explicit: list[int], helpers: list[int], mode: IntroductionMode, chosen: list[int]
) -> None:
    assert choose_introducers(explicit, helpers, introducers_needed(mode)) == chosen


@pytest.mark.parametrize(
    ("chosen", "youth_member", "born", "mode"),
    [
        ("", True, date(2000, 3, 11), YOUTH),  # 25 at the meeting: the Youth Union introduces
        ("", True, date(1995, 3, 10), TWO),  # 31: past youth age
        ("", False, date(2000, 3, 11), TWO),
        ("TRADE_UNION_PLUS_ONE", False, date(1980, 1, 1), TRADE),  # the branch's choice stands
    ],
)
def test_it_defaults_the_form_of_introduction_from_the_person(
    chosen: str, youth_member: bool, born: date, mode: IntroductionMode
) -> None:
    assert default_introduction_mode(chosen, youth_union_member=youth_member, born=born, on=MEETING) is mode


def test_it_says_who_counts_and_what_to_assign_when_introducers_are_missing() -> None:
    none_yet = check_introduction(
        TWO, [], MEETING, QD294, youth_union_exists=False, is_youth_age=False, is_youth_union_member=False,
        union_resolution_date=None,
    ).reasons[0]  # fmt: skip
    text = format_reason(none_yet)
    assert text.startswith("Cần 2 đảng viên chính thức giới thiệu, hiện có 0. Đảng viên giúp đỡ")
    assert "phân công thêm 2 đảng viên chính thức của chi bộ" in text
    assert "Đoàn TNCS Hồ Chí Minh hoặc Công đoàn cơ sở" in text  # the other form of introduction
    one = check_introduction(
        TWO, [GOOD], MEETING, QD294, youth_union_exists=False, is_youth_age=False, is_youth_union_member=False,
        union_resolution_date=None,
    ).reasons[0]  # fmt: skip
    assert "hiện có 1 (Nguyễn Văn An)" in format_reason(one)
    assert "assign 1 more official member(s)" in format_reason(one, "en")
    youth = check_introduction(
        YOUTH, [GOOD, replace(GOOD, name="Trần B")], MEETING, QD294, youth_union_exists=True, is_youth_age=True,
        is_youth_union_member=True, union_resolution_date=MEETING,
    ).reasons[0]  # fmt: skip
    assert youth.code == "introducers_too_many"
    assert "(Nguyễn Văn An, Trần B)" in format_reason(youth)
    assert "«Chỉ là người giới thiệu»" in format_reason(youth)


def test_it_adds_each_introducers_problems() -> None:
    result = check_introduction(
        TWO,
        [GOOD, replace(GOOD, is_official=False, name="B")],
        MEETING,
        QD294,
        youth_union_exists=False,
        is_youth_age=False,
        is_youth_union_member=False,
        union_resolution_date=None,
    )
    assert result.codes == ("mentor_not_official",)
    assert result.reasons[0].params["name"] == "B"
    counted = check_introduction(
        TWO,
        [GOOD],
        MEETING,
        QD294,
        youth_union_exists=False,
        is_youth_age=False,
        is_youth_union_member=False,
        union_resolution_date=None,
    )
    assert dict(counted.reasons[0].params) == {
        "expected": 2, "actual": 1, "missing": 1, "names": ("Nguyễn Văn An",), "mode": "TWO_MEMBERS",
    }  # fmt: skip


READY = BranchConsiderationFacts(
    birth_date=date(2000, 7, 1),
    meeting_date=MEETING,
    certificate_issue_date=date(2025, 5, 1),
    dossier_start_date=date(2025, 6, 1),
    education=EducationLevel.UPPER_SECONDARY,
    introduction_mode=YOUTH,
    introducers=(GOOD,),
    youth_union_exists=True,
    is_youth_age=True,
    is_youth_union_member=True,
    union_resolution_date=date(2026, 1, 15),
    documents_missing=(),
    verification_complete=True,
    comments_complete=True,
)


def test_it_lets_a_complete_dossier_go_to_the_branch_vote() -> None:
    assert check_branch_consideration(READY, QD294).ok
    assert DossierFacts is BranchConsiderationFacts


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        ({"documents_missing": ("application",)}, ("documents_missing",)),
        ({"verification_complete": False}, ("verification_incomplete",)),
        ({"comments_complete": False}, ("comments_incomplete",)),
        ({"readmission": True}, ("readmission_needs_approval",)),
        ({"readmission": True, "readmission_approved": True}, ()),
        ({"political_issue_unresolved": True}, ("political_standard_unresolved",)),
        ({"birth_date": date(2008, 6, 1)}, ("too_young",)),
        ({"birth_date": date(1960, 1, 1), "over_60_approved": True}, ()),
        ({"education": EducationLevel.PRIMARY}, ("education_below_lower_secondary",)),
        ({"education": EducationLevel.LITERATE, "area_exception": True}, ("literacy_exception_needs_approval",)),
        (
            {"education": EducationLevel.LITERATE, "area_exception": True, "literacy_exception_approved": True},
            (),
        ),
        ({"certificate_issue_date": None}, ("certificate_missing",)),
        ({"dossier_start_date": date(2025, 3, 9)}, ("dossier_expired",)),
        ({"introducers": ()}, ("introducers_missing",)),
    ],
)
def test_it_gathers_every_reason_before_the_branch_vote(changes: dict[str, object], codes: tuple[str, ...]) -> None:
    assert check_branch_consideration(replace(READY, **changes), QD294).codes == codes  # type: ignore[arg-type]


def test_it_reports_every_problem_at_once() -> None:
    facts = replace(READY, certificate_issue_date=None, verification_complete=False, political_issue_unresolved=True)
    assert check_branch_consideration(facts, QD294).codes == (
        "certificate_missing",
        "verification_incomplete",
        "political_standard_unresolved",
    )


@pytest.mark.parametrize(
    ("decision", "received", "ceremony", "codes"),
    [
        (date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 20), ()),
        (date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 2), ()),  # all on one day
        (date(2026, 3, 2), date(2026, 3, 1), date(2026, 3, 20), ("received_before_decision",)),
        (
            date(2026, 3, 2),
            date(2026, 3, 1),
            date(2026, 3, 1),
            ("received_before_decision", "ceremony_before_decision"),
        ),
        (date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 3), ("date_order",)),
        (date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 1), ("ceremony_before_decision",)),
    ],
)
def test_it_checks_the_order_of_decision_receipt_and_ceremony(
    decision: date, received: date, ceremony: date, codes: tuple[str, ...]
) -> None:
    result = check_ceremony_date(ceremony_date=ceremony, decision_date=decision, decision_received_date=received)
    assert result.codes == codes


def test_it_names_both_dates_when_out_of_order() -> None:
    result = check_order("branch_resolution", date(2026, 3, 5), "decision", date(2026, 3, 4), rule="QĐ294 4.3.1")
    (found,) = result.reasons
    assert found.rule == "QĐ294 4.3.1"
    assert dict(found.params) == {
        "first": "branch_resolution",
        "first_date": date(2026, 3, 5),
        "second": "decision",
        "second_date": date(2026, 3, 4),
    }
    assert check_order("a", date(2026, 3, 5), "b", date(2026, 3, 5)).ok


@pytest.mark.parametrize(
    ("on", "ok"),
    [(date(2026, 8, 21), False), (date(2026, 8, 22), True), (date(2026, 8, 23), True)],
)
def test_it_allows_recognition_from_the_end_of_probation(on: date, ok: bool) -> None:
    result = check_recognition_ready(probation_end=date(2026, 8, 22), on_date=on)
    assert result.ok is ok
    if not ok:
        assert dict(result.reasons[0].params) == {"ends_on": date(2026, 8, 22)}


# Readmission (E10, QĐ294 3.5.1b): 36 months after leaving by the month rule, worked out by hand.
@pytest.mark.parametrize(
    ("left_on", "meeting", "earliest"),
    [
        (date(2023, 1, 31), date(2026, 1, 30), date(2026, 1, 31)),  # the day before: too early
        (date(2023, 1, 31), date(2026, 1, 31), None),  # the same day-of-month 36 months later
        (date(2024, 2, 29), date(2027, 2, 27), date(2027, 2, 28)),  # 29/02 -> 28/02 of a common year
        (date(2024, 2, 29), date(2027, 2, 28), None),
        (date(2022, 11, 30), date(2025, 11, 29), date(2025, 11, 30)),
        (date(2022, 11, 30), date(2026, 1, 2), None),
    ],
)
def test_readmission_waits_36_months_after_leaving(left_on: date, meeting: date, earliest: date | None) -> None:
    result = check_readmission(left_on, meeting, QD294, approved=True, readmitted_before=False)
    if earliest is None:
        assert result.ok
    else:
        assert [(r.code, r.params["earliest"], r.params["months"]) for r in result.reasons] == [
            ("readmission_too_early", earliest, 36)
        ]


def test_readmission_needs_the_provincial_consent_and_happens_only_once() -> None:
    codes = [
        r.code for r in check_readmission(None, date(2026, 3, 1), QD294, approved=False, readmitted_before=True).reasons
    ]
    assert codes == ["readmission_needs_approval", "readmission_only_once"]
    assert check_readmission(None, date(2026, 3, 1), QD294, approved=True, readmitted_before=False).ok
