"""Attendance of a branch meeting and the vote denominator it gives (QĐ294 9.3.2, 9.3.4)."""

import pytest

from admission.domain.attendance import (
    Attendance,
    AttendanceCounts,
    ballot_count_problem,
    ballots_problem,
    count_attendance,
    explanation,
    quorum_warnings,
)
from admission.domain.reasons import format_reason
from admission.domain.votes import Threshold

A = Attendance


def test_it_counts_every_member_summoned_and_excludes_the_four_categories_of_9_3_4() -> None:
    statuses = [A.PRESENT] * 8 + [A.ABSENT, A.TEMPORARY_TRANSFER, A.EXEMPT_ABSENT, A.SUSPENDED, A.EXCUSED]

    counts = count_attendance(statuses)

    assert (counts.summoned, counts.present, counts.absent, counts.excluded) == (13, 8, 1, 4)
    assert counts.denominator == 9  # the absent member without an accepted reason still counts
    assert counts.exclusions() == (("temporary_transfer", 1), ("exempt_absent", 1), ("suspended", 1), ("excused", 1))


def test_an_exempted_member_who_comes_is_present_and_counted() -> None:
    assert count_attendance([A.PRESENT, A.PRESENT, A.PRESENT]).denominator == 3
    assert count_attendance([A.PRESENT, A.PRESENT, A.EXEMPT_ABSENT]).denominator == 2


def test_it_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="late"):
        count_attendance(["present", "late"])


@pytest.mark.parametrize(
    ("present", "summoned", "warned"),
    [
        (5, 12, True),  # 8 of 12 needed: 5 present can never reach it
        (7, 12, True),
        (8, 12, False),
        (12, 12, False),
        (2, 3, False),  # ceil(2*3/3) = 2
        (1, 3, True),
    ],
)
def test_it_warns_when_fewer_are_present_than_the_votes_for_a_resolution_needs(
    present: int, summoned: int, warned: bool
) -> None:
    counts = AttendanceCounts(summoned=summoned, present=present, absent=summoned - present)

    codes = [r.code for r in quorum_warnings(counts)]

    assert ("meeting_quorum_short" in codes) is warned


def test_the_quorum_warning_of_5_of_12_says_how_many_are_needed_and_cites_the_rule() -> None:
    (warning,) = quorum_warnings(AttendanceCounts(summoned=12, present=5, absent=7))

    text = format_reason(warning)
    assert "5 đảng viên có mặt trên 12" in text
    assert "ít nhất 8 tán thành" in text
    assert warning.rule == "ĐL 4.3; QĐ294 9.3.2"
    assert "at least 8 votes for" in format_reason(warning, "en")


def test_it_warns_that_a_branch_under_three_or_with_nobody_counted_cannot_vote() -> None:
    codes = [r.code for r in quorum_warnings(AttendanceCounts(summoned=2, present=0, excused=2))]

    assert codes == ["branch_too_small", "denominator_empty"]


def test_it_explains_the_denominator_in_both_languages() -> None:
    counts = AttendanceCounts(summoned=12, present=10, temporary_transfer=1)

    vi = format_reason(explanation(counts))
    en = format_reason(explanation(counts), "en")

    assert vi == "12 đảng viên chính thức, trừ 1 chuyển sinh hoạt tạm thời, còn 11; cần ≥ 8 tán thành"
    assert en == "12 official members, less 1 on temporary transfer, leaves 11; ≥ 8 votes for needed"
    plain = format_reason(explanation(AttendanceCounts(summoned=9, present=9)))
    assert plain == "9 đảng viên chính thức, không ai được trừ, còn 9; cần ≥ 6 tán thành"
    half = explanation(AttendanceCounts(summoned=9, present=9), Threshold.MORE_THAN_HALF)
    assert half.params["required"] == 5


def test_it_refuses_more_ballots_than_members_present() -> None:
    assert ballots_problem(yes=5, no=0, abstain=0, present=5) is None
    problem = ballots_problem(yes=5, no=1, abstain=0, present=5)
    assert problem is not None
    assert format_reason(problem) == "Tổng số phiếu 6 lớn hơn số đảng viên chính thức có mặt 5"


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "present", "code"),
    [
        (8, 2, 1, 11, None),  # everyone present accounted for
        (5, 1, 0, 11, "ballots_short_of_present"),  # 5 present missing: a typo, not a failed vote
        (10, 0, 0, 11, "ballots_short_of_present"),
        (0, 0, 11, 11, None),  # nobody voted: all under "not voting"
        (9, 2, 1, 11, "ballots_exceed_present"),
    ],
)
def test_a_vote_entered_at_a_meeting_accounts_for_every_member_present(yes, no, abstain, present, code) -> None:  # type: ignore[no-untyped-def]
    problem = ballot_count_problem(yes=yes, no=no, abstain=abstain, present=present)
    assert (problem.code if problem else None) == code


def test_the_short_count_says_where_the_missing_members_go() -> None:
    problem = ballot_count_problem(yes=5, no=1, abstain=0, present=11)
    assert problem is not None
    assert format_reason(problem) == (
        "Tổng số phiếu 6 ít hơn số đảng viên chính thức có mặt 11: "
        "5 người có mặt mà không bỏ phiếu thì ghi vào «Không biểu quyết»"
    )
    assert format_reason(problem, "en") == (
        '6 votes cast is fewer than the 11 official members present: enter the 5 present who did not vote under "Not voting"'
    )
