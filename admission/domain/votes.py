"""Vote thresholds and denominators (rules §5). Integer arithmetic only.

"At least 2/3" needs ceil(2N/3) yes votes and "more than half" needs floor(N/2)+1, where N is the
denominator after the exclusions of QĐ294 9.3.2 and 9.3.4 (rules §0 "Vote thresholds").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from admission.domain.reasons import Reason, reason
from admission.domain.rules import RuleSet

# A branch needs at least 3 official members to exist, and so to vote (ĐL Art. 24.1).
BRANCH_MIN_OFFICIAL_MEMBERS = 3


class InvalidVoteCounts(ValueError):
    """Member counts that cannot form a denominator (more exclusions than members summoned)."""


class Threshold(StrEnum):
    TWO_THIRDS = "≥ 2/3"
    MORE_THAN_HALF = "> 1/2"

    def required(self, denominator: int) -> int:
        """Yes votes needed out of ``denominator``."""
        if denominator < 0:
            raise ValueError("denominator must not be negative")
        if self is Threshold.TWO_THIRDS:
            return -(-2 * denominator // 3)  # ceil(2N/3) without floats
        return denominator // 2 + 1


class VotingBody(StrEnum):
    BRANCH = "branch"
    SUB_COMMITTEE_APPRAISAL = "sub_committee_appraisal"
    GRASSROOTS_COMMITTEE = "grassroots_committee"
    DELEGATED_GRASSROOTS_COMMITTEE = "delegated_grassroots_committee"
    STANDING_COMMITTEE = "standing_committee"
    PROVINCIAL_STANDING_OFFICE = "provincial_standing_office"


# body -> (threshold, citation).
BODY_THRESHOLDS: dict[VotingBody, tuple[Threshold, str]] = {
    # >= 2/3 of official members (admit, recognise, remove).
    VotingBody.BRANCH: (Threshold.TWO_THIRDS, "ĐL 4.3; HD06 3.6b, 4.6"),
    # [R] The đảng ủy bộ phận only appraises and reports (QĐ294 20.3.3); no text sets a
    # threshold. Its report's agree/disagree conclusion is taken as an ordinary collective
    # resolution: more than half of its members counted as in QĐ294 9.3.
    VotingBody.SUB_COMMITTEE_APPRAISAL: (Threshold.MORE_THAN_HALF, "QĐ294 20.3.3, 9.3 [R]"),
    # >= 2/3 of the committee members counted (proposing resolution).
    VotingBody.GRASSROOTS_COMMITTEE: (Threshold.TWO_THIRDS, "HD06 3.6c; QĐ294 9.3.3"),
    # >= 2/3 of all committee members; the caller passes the whole committee as summoned.
    VotingBody.DELEGATED_GRASSROOTS_COMMITTEE: (Threshold.TWO_THIRDS, "HD06 3.7a, 4.6d"),
    # > 1/2 of the standing committee (BTV) of the deciding committee.
    VotingBody.STANDING_COMMITTEE: (Threshold.MORE_THAN_HALF, "HD06 3.7a; QĐ294 4.3.2b"),
    # > 1/2 of the provincial standing office plus BTV members heading Party boards.
    VotingBody.PROVINCIAL_STANDING_OFFICE: (Threshold.MORE_THAN_HALF, "QĐ294 4.3.2c; HD06 3.7b"),
}


def threshold_for(body: VotingBody) -> Threshold:
    return BODY_THRESHOLDS[body][0]


def threshold_rule(body: VotingBody) -> str:
    return BODY_THRESHOLDS[body][1]


def denominator(
    *,
    summoned: int,
    on_temporary_transfer: int = 0,
    exempt_absent: int = 0,
    suspended_or_detained: int = 0,
    absent_with_accepted_reason: int = 0,
) -> int:
    """Members counted for a vote (QĐ294 9.3.2, 9.3.4).

    ``summoned``: official members (or committee members) convened. Excluded: members on
    temporary transfer elsewhere; exempted members who are absent (count them when present);
    members suspended, prosecuted, indicted or detained; members absent throughout with a reason
    the convening committee accepted.
    """
    excluded = on_temporary_transfer + exempt_absent + suspended_or_detained + absent_with_accepted_reason
    counts = (
        summoned,
        on_temporary_transfer,
        exempt_absent,
        suspended_or_detained,
        absent_with_accepted_reason,
    )
    if min(counts) < 0:
        raise InvalidVoteCounts("member counts must not be negative")
    if excluded > summoned:
        raise InvalidVoteCounts(f"{excluded} members excluded but only {summoned} summoned")
    return summoned - excluded


@dataclass(frozen=True)
class VoteOutcome:
    passed: bool
    required: int
    yes: int
    denominator: int
    reasons: tuple[Reason, ...] = ()


def evaluate_vote(
    *,
    yes: int,
    no: int,
    abstain: int,
    denominator: int,
    threshold: Threshold,
    rule: str,
    body: VotingBody | None = None,
    official_members: int | None = None,
) -> VoteOutcome:
    """Whether ``yes`` reaches ``threshold`` of ``denominator``; never raises on bad counts.

    Invalid counts give ``passed=False`` with a reason so the form can show it. When ``body`` is
    the branch and ``official_members`` is given, a branch under 3 official members cannot vote
    (ĐL Art. 24.1). Members who did not vote count against: the threshold is of N, not of votes.
    """
    required = threshold.required(max(denominator, 0))
    problems: list[Reason] = []
    if min(yes, no, abstain, denominator) < 0:
        problems.append(reason("vote_counts_negative", rule))
    elif denominator < 1:
        problems.append(reason("denominator_empty", rule))
    elif yes + no + abstain > denominator:
        problems.append(
            reason(
                "vote_counts_exceed_denominator",
                rule,
                total=yes + no + abstain,
                denominator=denominator,
            )
        )
    if body is VotingBody.BRANCH and official_members is not None and official_members < BRANCH_MIN_OFFICIAL_MEMBERS:
        problems.append(
            reason(
                "branch_too_small",
                "ĐL 24.1",
                official_members=official_members,
                minimum=BRANCH_MIN_OFFICIAL_MEMBERS,
            )
        )
    if not problems and yes < required:
        problems.append(
            reason(
                "vote_threshold_not_reached",
                rule,
                threshold=threshold.value,
                yes=yes,
                denominator=denominator,
                required=required,
            )
        )
    return VoteOutcome(
        passed=not problems,
        required=required,
        yes=yes,
        denominator=denominator,
        reasons=tuple(problems),
    )


def deadlock_reached(failed_votes: int, rules: RuleSet) -> bool:
    """True once a body has failed ``deadlock_votes`` times: escalate (QĐ294 4.2.3)."""
    return failed_votes >= rules.deadlock_votes


# --- The removal chain (HD06 4.6) ---------------------------------------------------------------

REMOVAL_RULE = "HD06 4.6"


@dataclass(frozen=True)
class ChainVote:
    """A vote proposing removal, as recorded: by the branch or by the grassroots committee."""

    by: str  # "branch" or "grassroots"
    passed: bool


def removal_chain_missing(votes: Sequence[ChainVote], *, grassroots_resolves: bool) -> tuple[Reason, ...]:
    """What the removal decision still lacks of the chain that proposes it (HD06 4.6; rules §3 S-X).

    ``votes`` are the removal votes of the step in progress in the order they were held. The
    branch's last vote must have passed (>= 2/3 of official members); where a grassroots committee
    resolves on the branch's proposals (``grassroots_resolves``), its last vote held after that
    one must have passed too (>= 2/3 of its members). A delegated grassroots committee is the
    deciding body itself: its decision is the removal decision (HD06 4.6d).
    """
    last_branch = max((i for i, vote in enumerate(votes) if vote.by == "branch"), default=None)
    if last_branch is None or not votes[last_branch].passed:
        return (reason("removal_branch_vote_missing", REMOVAL_RULE),)
    if not grassroots_resolves:
        return ()
    later = [vote for vote in votes[last_branch + 1 :] if vote.by == "grassroots"]
    if not later or not later[-1].passed:
        return (reason("removal_grassroots_vote_missing", REMOVAL_RULE),)
    return ()
