"""Who attended a branch meeting, and the vote denominator that follows (rules §5; QĐ294 9.3.2, 9.3.4).

Every official member of the branch on the meeting day is summoned (QĐ294 9.3.2) and has one
attendance status. Not counted in the denominator (QĐ294 9.3.4): members on temporary transfer
elsewhere; exempted members who are absent (an exempted member who comes is present and counts);
members suspended, prosecuted, indicted or detained; members absent throughout with a reason the
convening committee accepted. A member absent without such a reason still counts: the threshold
is of N, not of those present, so each absence is a vote that cannot be "for".

Quorum: the texts of rules §5 set no separate attendance quorum for a branch meeting; what they
fix is that a resolution on admission, recognition or removal needs ≥ 2/3 of N (ĐL 4.3; HD06 3.6b,
4.6). With fewer members present than that (5 of 12 present: 8 needed), no such resolution can
pass: the meeting is recorded with the warning, and a vote at it is refused when more ballots are
entered than members present (docs/decisions.md, "Branch meetings and attendance").
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from admission.domain.reasons import Reason, reason
from admission.domain.votes import BRANCH_MIN_OFFICIAL_MEMBERS, Threshold, denominator

RULE = "QĐ294 9.3.2, 9.3.4"
QUORUM_RULE = "ĐL 4.3; QĐ294 9.3.2"


class Attendance(StrEnum):
    """One official member's attendance at a branch meeting."""

    PRESENT = "present"
    ABSENT = "absent"  # absent without an accepted reason: still counted in N
    TEMPORARY_TRANSFER = "temporary_transfer"  # on temporary transfer elsewhere: not counted
    EXEMPT_ABSENT = "exempt_absent"  # exempted from activity and absent: not counted
    SUSPENDED = "suspended"  # suspended, prosecuted, indicted or detained: not counted
    EXCUSED = "excused"  # absent with a reason the convening committee accepted: not counted


# The exclusions of QĐ294 9.3.4, in the order explanations list them.
EXCLUDED: tuple[Attendance, ...] = (
    Attendance.TEMPORARY_TRANSFER,
    Attendance.EXEMPT_ABSENT,
    Attendance.SUSPENDED,
    Attendance.EXCUSED,
)


@dataclass(frozen=True)
class AttendanceCounts:
    """The counts a meeting's attendance gives: summoned, present, and each exclusion."""

    summoned: int
    present: int
    absent: int = 0
    temporary_transfer: int = 0
    exempt_absent: int = 0
    suspended: int = 0
    excused: int = 0

    @property
    def excluded(self) -> int:
        return self.temporary_transfer + self.exempt_absent + self.suspended + self.excused

    @property
    def denominator(self) -> int:
        """N of QĐ294 9.3.2: the official members summoned less the exclusions of 9.3.4."""
        return denominator(
            summoned=self.summoned,
            on_temporary_transfer=self.temporary_transfer,
            exempt_absent=self.exempt_absent,
            suspended_or_detained=self.suspended,
            absent_with_accepted_reason=self.excused,
        )

    def exclusions(self) -> tuple[tuple[str, int], ...]:
        """The non-zero exclusions as (status, count), in the order of QĐ294 9.3.4."""
        return tuple((status.value, getattr(self, status.value)) for status in EXCLUDED if getattr(self, status.value))


def count_attendance(statuses: Iterable[str]) -> AttendanceCounts:
    """The counts of one status per official member summoned (unknown statuses raise ValueError)."""
    tally = dict.fromkeys(Attendance, 0)
    for status in statuses:
        tally[Attendance(status)] += 1
    return AttendanceCounts(
        summoned=sum(tally.values()),
        present=tally[Attendance.PRESENT],
        absent=tally[Attendance.ABSENT],
        temporary_transfer=tally[Attendance.TEMPORARY_TRANSFER],
        exempt_absent=tally[Attendance.EXEMPT_ABSENT],
        suspended=tally[Attendance.SUSPENDED],
        excused=tally[Attendance.EXCUSED],
    )


def quorum_warnings(counts: AttendanceCounts, threshold: Threshold = Threshold.TWO_THIRDS) -> tuple[Reason, ...]:
    """Why a branch resolution on a person cannot pass at this meeting, if it cannot.

    - fewer than 3 official members: the branch cannot validly vote (ĐL 24.1);
    - nobody counted (everyone excluded);
    - fewer members present than the ≥ 2/3 of N a resolution needs (ĐL 4.3; QĐ294 9.3.2).
    """
    found: list[Reason] = []
    if counts.summoned < BRANCH_MIN_OFFICIAL_MEMBERS:
        found.append(
            reason(
                "branch_too_small",
                "ĐL 24.1",
                official_members=counts.summoned,
                minimum=BRANCH_MIN_OFFICIAL_MEMBERS,
            )
        )
    n = counts.denominator
    if n < 1:
        found.append(reason("denominator_empty", RULE))
    elif counts.present < threshold.required(n):
        found.append(
            reason(
                "meeting_quorum_short",
                QUORUM_RULE,
                present=counts.present,
                denominator=n,
                required=threshold.required(n),
                threshold=threshold.value,
            )
        )
    return tuple(found)


def explanation(counts: AttendanceCounts, threshold: Threshold = Threshold.TWO_THIRDS) -> Reason:
    """How N was counted, as a reason to show: "12 official members, less 1 …, leaves 11; ≥ 8 needed"."""
    n = counts.denominator
    params = {
        "summoned": counts.summoned,
        "denominator": n,
        "required": threshold.required(n),
        "present": counts.present,
    }
    if not counts.excluded:
        return reason("denominator_explained_plain", RULE, **params)
    return reason("denominator_explained", RULE, exclusions=counts.exclusions(), **params)


BALLOTS_RULE = "HD06 5.1; QĐ294 9.3.2"


def ballots_problem(*, yes: int, no: int, abstain: int, present: int) -> Reason | None:
    """More ballots (or raised cards) than official members present cannot be (HD06 5.1)."""
    cast = yes + no + abstain
    if cast > present:
        return reason("ballots_exceed_present", BALLOTS_RULE, total=cast, present=present)
    return None


def ballot_count_problem(*, yes: int, no: int, abstain: int, present: int) -> Reason | None:
    """A vote entered at a meeting whose attendance is known accounts for every official member
    present: for, against, or not voting (HD06 5.1: the whole result is reported). More ballots
    than members present cannot be (ballots_problem); fewer is a miscount, which would otherwise be
    stored as a failed vote that counts towards the three of QĐ294 4.2.3. A member present who did
    not vote, or left before the vote, is entered under "not voting" (docs/decisions.md, "A vote
    accounts for every member present").

    Only when the vote is entered: a vote already recorded and recounted after its meeting's
    attendance is corrected keeps its counts unless they became impossible (ballots_problem)."""
    cast = yes + no + abstain
    if cast < present:
        return reason("ballots_short_of_present", BALLOTS_RULE, total=cast, present=present, missing=present - cast)
    return ballots_problem(yes=yes, no=no, abstain=abstain, present=present)
