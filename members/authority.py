"""Who decides admission for a branch, and with which majority (admission-rules §5).

Pure: works on the chain of organisations from the root down to the branch,
which the caller reads from the materialised path in one query.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# Kept as plain strings so this module does not import the ORM models.
PROVINCE = "province"
COMMUNE = "commune"
AGENCIES = "agencies"
GOVERNMENT = "government"
GRASSROOTS_COMMITTEE = "grassroots_committee"
GRASSROOTS_BRANCH = "grassroots_branch"
SUB_COMMITTEE = "sub_committee"
BRANCH = "branch"
VILLAGE_BRANCH = "village_branch"
_DIRECTLY_SUPERIOR_KINDS = {COMMUNE, AGENCIES, GOVERNMENT}


class Majority(StrEnum):
    TWO_THIRDS = "two_thirds"  # at least 2/3: ceil(2N/3)
    MORE_THAN_HALF = "more_than_half"  # more than 1/2: floor(N/2)+1


class DecidingBody(StrEnum):
    GRASSROOTS_COMMITTEE = "grassroots_committee"  # delegated committee, collectively
    STANDING_COMMITTEE = "standing_committee"  # BTV of the directly superior / empowered committee
    PROVINCIAL_STANDING_OFFICE = "provincial_standing_office"  # thường trực tỉnh ủy


@dataclass(frozen=True)
class OrgNode:
    id: int
    kind: str
    name: str
    delegated_to_admit: bool = False
    upper_level_powers: bool = False


@dataclass(frozen=True)
class Authority:
    """The route of an admission dossier above the branch and who decides it."""

    decider: OrgNode
    body: DecidingBody
    majority: Majority
    appraisal_by: OrgNode | None  # đảng ủy bộ phận (S8A) when the branch sits under one
    grassroots_resolution_by: OrgNode | None  # đảng ủy cơ sở resolution (S9) when it is not the decider
    citation: str


class NoDecidingBody(ValueError):
    """The chain does not end in a branch under a valid tree (data error)."""


def admission_authority(chain: Sequence[OrgNode]) -> Authority:
    """Return who decides admission (and recognition) for the branch at the end of `chain`.

    `chain` runs from the root down to the branch. Rules (admission-rules §1, §5):
    1. Village/residential branches: the commune committee's BTV, directly on the
       branch resolution (QĐ294 20.2.2; HD06 3.7a).
    2. Otherwise find the grassroots organisation G (nearest đảng bộ cơ sở or chi bộ cơ sở).
       A đảng ủy bộ phận between the branch and G appraises (QĐ294 20.3.3); G, when it is
       a committee above the branch, passes a proposing resolution (HD06 3.6c).
    3. G delegated to admit decides itself with >= 2/3 of all its members (QĐ294 4.3.2a, 22; HD06 3.7a).
    4. G given upper-level powers decides through its BTV, > 1/2 (QĐ294 4.3.2b, 10.6.2b).
    5. Else G's parent decides: commune/agencies/government committee or an empowered
       committee through its BTV (> 1/2, QĐ294 4.3.2b); the province through its standing
       office (> 1/2, QĐ294 4.3.2c; HD06 3.7b).
    """
    if not chain:
        raise NoDecidingBody("empty chain")
    branch = chain[-1]
    if branch.kind not in {BRANCH, GRASSROOTS_BRANCH, VILLAGE_BRANCH}:
        raise NoDecidingBody(f"{branch.name} is not a branch")
    if branch.kind == VILLAGE_BRANCH:
        commune = chain[-2] if len(chain) >= 2 else None
        if commune is None or commune.kind != COMMUNE:
            raise NoDecidingBody("a village branch must sit directly under a commune committee")
        return Authority(
            commune, DecidingBody.STANDING_COMMITTEE, Majority.MORE_THAN_HALF, None, None, "QĐ294 20.2.2; HD06 3.7a"
        )

    grassroots_index = next(
        (i for i in range(len(chain) - 1, -1, -1) if chain[i].kind in {GRASSROOTS_COMMITTEE, GRASSROOTS_BRANCH}),
        None,
    )
    if grassroots_index is None:
        raise NoDecidingBody(f"{branch.name} has no grassroots organisation above it")
    grassroots = chain[grassroots_index]
    between = chain[grassroots_index + 1 : -1]
    appraisal = next((node for node in reversed(between) if node.kind == SUB_COMMITTEE), None)
    proposes = grassroots if grassroots is not branch else None

    if grassroots.kind == GRASSROOTS_COMMITTEE and grassroots.delegated_to_admit:
        return Authority(
            grassroots,
            DecidingBody.GRASSROOTS_COMMITTEE,
            Majority.TWO_THIRDS,
            appraisal,
            None,
            "QĐ294 4.3.2a, 22; HD06 3.7a",
        )
    if grassroots.kind == GRASSROOTS_COMMITTEE and grassroots.upper_level_powers:
        return Authority(
            grassroots,
            DecidingBody.STANDING_COMMITTEE,
            Majority.MORE_THAN_HALF,
            appraisal,
            proposes,
            "QĐ294 4.3.2b, 10.6.2b",
        )
    if grassroots_index == 0:
        raise NoDecidingBody(f"{grassroots.name} has no superior committee")
    superior = chain[grassroots_index - 1]
    if superior.kind in _DIRECTLY_SUPERIOR_KINDS or superior.upper_level_powers:
        return Authority(
            superior,
            DecidingBody.STANDING_COMMITTEE,
            Majority.MORE_THAN_HALF,
            appraisal,
            proposes,
            "QĐ294 4.3.2b, 10.2, 10.4.2b",
        )
    if superior.kind == PROVINCE:
        return Authority(
            superior,
            DecidingBody.PROVINCIAL_STANDING_OFFICE,
            Majority.MORE_THAN_HALF,
            appraisal,
            proposes,
            "QĐ294 4.3.2c; HD06 3.7b",
        )
    raise NoDecidingBody(f"{grassroots.name} sits under {superior.name}, which cannot decide admission")
