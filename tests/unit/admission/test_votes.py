import pytest

from admission.domain.rules import QD294
from admission.domain.votes import (
    ChainVote,
    InvalidVoteCounts,
    Threshold,
    VoteOutcome,
    VotingBody,
    deadlock_reached,
    denominator,
    evaluate_vote,
    removal_chain_missing,
    threshold_for,
    threshold_rule,
)


@pytest.mark.parametrize(
    ("n", "two_thirds", "more_than_half"),
    [
        (3, 2, 2),  # ceil(6/3) = 2; 3//2 + 1 = 2
        (4, 3, 3),  # ceil(8/3) = 3; 4//2 + 1 = 3
        (7, 5, 4),  # ceil(14/3) = 5; 7//2 + 1 = 4
        (9, 6, 5),  # ceil(18/3) = 6; 9//2 + 1 = 5
        (1, 1, 1),
        (0, 0, 1),
        (30, 20, 16),
    ],
)
def test_it_computes_the_thresholds_with_integers(n: int, two_thirds: int, more_than_half: int) -> None:
    assert Threshold.TWO_THIRDS.required(n) == two_thirds
    assert Threshold.MORE_THAN_HALF.required(n) == more_than_half


def test_it_refuses_a_negative_denominator_for_a_threshold() -> None:
    with pytest.raises(ValueError, match="negative"):
        Threshold.TWO_THIRDS.required(-1)


def test_it_labels_the_thresholds() -> None:
    assert Threshold.TWO_THIRDS.value == "≥ 2/3"
    assert Threshold.MORE_THAN_HALF.value == "> 1/2"


@pytest.mark.parametrize(
    ("body", "threshold", "rule"),
    [
        (VotingBody.BRANCH, Threshold.TWO_THIRDS, "ĐL 4.3; HD06 3.6b, 4.6"),
        (VotingBody.SUB_COMMITTEE_APPRAISAL, Threshold.MORE_THAN_HALF, "QĐ294 20.3.3, 9.3 [R]"),
        (VotingBody.GRASSROOTS_COMMITTEE, Threshold.TWO_THIRDS, "HD06 3.6c; QĐ294 9.3.3"),
        (VotingBody.DELEGATED_GRASSROOTS_COMMITTEE, Threshold.TWO_THIRDS, "HD06 3.7a, 4.6d"),
        (VotingBody.STANDING_COMMITTEE, Threshold.MORE_THAN_HALF, "HD06 3.7a; QĐ294 4.3.2b"),
        (VotingBody.PROVINCIAL_STANDING_OFFICE, Threshold.MORE_THAN_HALF, "QĐ294 4.3.2c; HD06 3.7b"),
    ],
)
def test_it_knows_each_bodys_threshold(body: VotingBody, threshold: Threshold, rule: str) -> None:
    assert threshold_for(body) is threshold
    assert threshold_rule(body) == rule


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"summoned": 9}, 9),
        # 12 official members: 1 on temporary transfer, 1 exempt and absent, 1 detained -> 9.
        ({"summoned": 12, "on_temporary_transfer": 1, "exempt_absent": 1, "suspended_or_detained": 1}, 9),
        # 5 summoned, 1 absent throughout with an accepted reason -> 4.
        ({"summoned": 5, "absent_with_accepted_reason": 1}, 4),
        ({"summoned": 3, "on_temporary_transfer": 3}, 0),
    ],
)
def test_it_excludes_members_from_the_denominator(counts: dict[str, int], expected: int) -> None:
    assert denominator(**counts) == expected


@pytest.mark.parametrize(
    "counts",
    [
        {"summoned": 3, "on_temporary_transfer": 2, "exempt_absent": 2},
        {"summoned": -1},
        {"summoned": 5, "exempt_absent": -1},
    ],
)
def test_it_refuses_impossible_member_counts(counts: dict[str, int]) -> None:
    with pytest.raises(InvalidVoteCounts):
        denominator(**counts)


@pytest.mark.parametrize(
    ("yes", "n", "threshold", "passed"),
    [
        (2, 3, Threshold.TWO_THIRDS, True),
        (1, 3, Threshold.TWO_THIRDS, False),
        (3, 4, Threshold.TWO_THIRDS, True),
        (2, 4, Threshold.TWO_THIRDS, False),
        (5, 7, Threshold.TWO_THIRDS, True),
        (4, 7, Threshold.TWO_THIRDS, False),
        (6, 9, Threshold.TWO_THIRDS, True),
        (5, 9, Threshold.TWO_THIRDS, False),  # "5 of 9" is 55.6%: fails 2/3
        (5, 9, Threshold.MORE_THAN_HALF, True),
        (4, 9, Threshold.MORE_THAN_HALF, False),
        (2, 4, Threshold.MORE_THAN_HALF, False),  # exactly half is not more than half
        (4, 7, Threshold.MORE_THAN_HALF, True),
    ],
)
def test_it_evaluates_a_vote_against_the_denominator(yes: int, n: int, threshold: Threshold, passed: bool) -> None:
    outcome = evaluate_vote(yes=yes, no=n - yes, abstain=0, denominator=n, threshold=threshold, rule="ĐL 4.3")
    assert outcome.passed is passed
    assert outcome.required == threshold.required(n)
    assert (not outcome.reasons) is passed


def test_it_reports_the_count_when_the_threshold_is_not_reached() -> None:
    outcome = evaluate_vote(yes=5, no=3, abstain=1, denominator=9, threshold=Threshold.TWO_THIRDS, rule="ĐL 4.3")
    assert outcome == VoteOutcome(passed=False, required=6, yes=5, denominator=9, reasons=outcome.reasons)
    (reason,) = outcome.reasons
    assert reason.code == "vote_threshold_not_reached"
    assert reason.rule == "ĐL 4.3"
    assert dict(reason.params) == {"threshold": "≥ 2/3", "yes": 5, "denominator": 9, "required": 6}


def test_it_counts_members_who_did_not_vote_against() -> None:
    # 9 counted, 5 yes and 4 never voted: still 5 of 9.
    outcome = evaluate_vote(yes=5, no=0, abstain=0, denominator=9, threshold=Threshold.TWO_THIRDS, rule="x")
    assert not outcome.passed


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "n", "code"),
    [
        (-1, 0, 0, 5, "vote_counts_negative"),
        (1, 0, 0, -5, "vote_counts_negative"),
        (0, 0, 0, 0, "denominator_empty"),
        (4, 2, 1, 6, "vote_counts_exceed_denominator"),
    ],
)
def test_it_flags_invalid_counts_without_raising(yes: int, no: int, abstain: int, n: int, code: str) -> None:
    outcome = evaluate_vote(yes=yes, no=no, abstain=abstain, denominator=n, threshold=Threshold.TWO_THIRDS, rule="x")
    assert not outcome.passed
    assert [r.code for r in outcome.reasons] == [code]


def test_it_gives_the_cast_total_when_counts_exceed_the_denominator() -> None:
    outcome = evaluate_vote(yes=4, no=2, abstain=1, denominator=6, threshold=Threshold.TWO_THIRDS, rule="x")
    assert dict(outcome.reasons[0].params) == {"total": 7, "denominator": 6}


@pytest.mark.parametrize(
    ("body", "official_members", "codes"),
    [
        (VotingBody.BRANCH, 2, ["branch_too_small"]),
        (VotingBody.BRANCH, 3, []),
        (VotingBody.BRANCH, None, []),
        (VotingBody.GRASSROOTS_COMMITTEE, 2, []),  # the 3-member floor is a branch rule
    ],
)
def test_it_refuses_a_branch_under_three_official_members(
    body: VotingBody, official_members: int | None, codes: list[str]
) -> None:
    outcome = evaluate_vote(
        yes=2,
        no=0,
        abstain=0,
        denominator=2,
        threshold=Threshold.TWO_THIRDS,
        rule="ĐL 4.3",
        body=body,
        official_members=official_members,
    )
    assert [r.code for r in outcome.reasons] == codes
    assert outcome.passed is (not codes)
    if codes:
        assert outcome.reasons[0].rule == "ĐL 24.1"
        assert dict(outcome.reasons[0].params) == {"official_members": 2, "minimum": 3}


@pytest.mark.parametrize(("failed", "reached"), [(0, False), (2, False), (3, True), (4, True)])
def test_it_detects_a_deadlock_after_three_failed_votes(failed: int, reached: bool) -> None:
    assert deadlock_reached(failed, QD294) is reached
    assert deadlock_reached(failed, QD294.with_overrides({"deadlock_votes": 2}, label="X")) is (failed >= 2)


B_PASS, B_FAIL = ChainVote("branch", True), ChainVote("branch", False)
G_PASS, G_FAIL = ChainVote("grassroots", True), ChainVote("grassroots", False)


@pytest.mark.parametrize(
    ("votes", "grassroots_resolves", "missing"),
    [
        # Nothing proposed yet, or the branch's last vote failed: the branch's resolution is missing.
        ([], True, ["removal_branch_vote_missing"]),
        ([], False, ["removal_branch_vote_missing"]),
        ([B_FAIL], False, ["removal_branch_vote_missing"]),
        ([B_PASS, B_FAIL], False, ["removal_branch_vote_missing"]),
        # A grassroots vote alone does not stand for the branch's.
        ([G_PASS], True, ["removal_branch_vote_missing"]),
        # Without a grassroots committee resolving (village branch, delegated committee) the
        # branch's resolution goes straight to the decision.
        ([B_PASS], False, []),
        ([B_FAIL, B_PASS], False, []),
        # With one, its resolution must follow the branch's last and have passed.
        ([B_PASS], True, ["removal_grassroots_vote_missing"]),
        ([B_PASS, G_FAIL], True, ["removal_grassroots_vote_missing"]),
        ([G_PASS, B_PASS], True, ["removal_grassroots_vote_missing"]),  # before the branch's: stale
        ([B_PASS, G_PASS, G_FAIL], True, ["removal_grassroots_vote_missing"]),
        ([B_PASS, G_PASS], True, []),
        ([B_PASS, G_FAIL, G_PASS], True, []),
        ([B_FAIL, B_PASS, G_PASS], True, []),
        ([B_PASS, G_PASS, B_FAIL], True, ["removal_branch_vote_missing"]),
    ],
)
def test_it_checks_the_removal_chain(votes: list[ChainVote], grassroots_resolves: bool, missing: list[str]) -> None:
    found = removal_chain_missing(votes, grassroots_resolves=grassroots_resolves)
    assert [r.code for r in found] == missing
    assert all(r.rule == "HD06 4.6" for r in found)
