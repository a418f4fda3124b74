import pytest

from members.authority import DecidingBody, Majority, NoDecidingBody, OrgNode, admission_authority

PROVINCE = OrgNode(1, "province", "Tỉnh")
COMMUNE = OrgNode(2, "commune", "Phường")
GOVERNMENT = OrgNode(3, "government", "Đảng bộ UBND tỉnh")
AGENCIES = OrgNode(4, "agencies", "Đảng bộ các cơ quan Đảng tỉnh")
COMMITTEE = OrgNode(5, "grassroots_committee", "Đảng bộ Sở")
DELEGATED = OrgNode(6, "grassroots_committee", "Đảng bộ Công ty lớn", delegated_to_admit=True)
EMPOWERED = OrgNode(7, "grassroots_committee", "Đảng bộ Tổng công ty", upper_level_powers=True)
SUB = OrgNode(8, "sub_committee", "Đảng bộ bộ phận")
BRANCH = OrgNode(9, "branch", "Chi bộ")
VILLAGE = OrgNode(10, "village_branch", "Chi bộ thôn")
GRASSROOTS_BRANCH = OrgNode(11, "grassroots_branch", "Chi bộ cơ sở")


@pytest.mark.parametrize(
    ("chain", "decider", "body", "majority", "appraisal", "proposer"),
    [
        # village branch -> commune BTV directly (QĐ294 20.2.2; HD06 3.7a)
        ([PROVINCE, COMMUNE, VILLAGE], COMMUNE, DecidingBody.STANDING_COMMITTEE, Majority.MORE_THAN_HALF, None, None),
        # branch of a grassroots committee in a commune -> commune BTV after the committee's resolution
        (
            [PROVINCE, COMMUNE, COMMITTEE, BRANCH],
            COMMUNE,
            DecidingBody.STANDING_COMMITTEE,
            Majority.MORE_THAN_HALF,
            None,
            COMMITTEE,
        ),
        # provincial department -> Đảng bộ UBND tỉnh BTV; sub-committee appraises
        (
            [PROVINCE, GOVERNMENT, COMMITTEE, SUB, BRANCH],
            GOVERNMENT,
            DecidingBody.STANDING_COMMITTEE,
            Majority.MORE_THAN_HALF,
            SUB,
            COMMITTEE,
        ),
        # grassroots branch (chi bộ cơ sở) in the agencies organisation: its own resolution goes straight up
        (
            [PROVINCE, AGENCIES, GRASSROOTS_BRANCH],
            AGENCIES,
            DecidingBody.STANDING_COMMITTEE,
            Majority.MORE_THAN_HALF,
            None,
            None,
        ),
        # delegated committee decides itself with 2/3 of all its members (QĐ294 4.3.2a)
        (
            [PROVINCE, GOVERNMENT, DELEGATED, BRANCH],
            DELEGATED,
            DecidingBody.GRASSROOTS_COMMITTEE,
            Majority.TWO_THIRDS,
            None,
            None,
        ),
        # empowered committee: its BTV (QĐ294 10.6.2b)
        (
            [PROVINCE, EMPOWERED, BRANCH],
            EMPOWERED,
            DecidingBody.STANDING_COMMITTEE,
            Majority.MORE_THAN_HALF,
            None,
            EMPOWERED,
        ),
        # grassroots committee under an empowered committee: the empowered BTV decides
        (
            [PROVINCE, EMPOWERED, COMMITTEE, BRANCH],
            EMPOWERED,
            DecidingBody.STANDING_COMMITTEE,
            Majority.MORE_THAN_HALF,
            None,
            COMMITTEE,
        ),
        # grassroots organisation placed directly under the province (QĐ294 4.3.2c; HD06 3.7b)
        (
            [PROVINCE, COMMITTEE, BRANCH],
            PROVINCE,
            DecidingBody.PROVINCIAL_STANDING_OFFICE,
            Majority.MORE_THAN_HALF,
            None,
            COMMITTEE,
        ),
    ],
)
def test_it_finds_who_decides_admission(chain, decider, body, majority, appraisal, proposer) -> None:  # type: ignore[no-untyped-def]
    authority = admission_authority(chain)
    assert (authority.decider, authority.body, authority.majority) == (decider, body, majority)
    assert authority.appraisal_by == appraisal
    assert authority.grassroots_resolution_by == proposer
    assert authority.citation


@pytest.mark.parametrize(
    "chain",
    [
        [],
        [PROVINCE, COMMUNE],
        [PROVINCE, VILLAGE],
        [PROVINCE, BRANCH],
        [COMMITTEE, BRANCH],
        [PROVINCE, SUB, COMMITTEE, BRANCH][1:],
    ],
)
def test_it_refuses_chains_that_are_not_a_valid_branch_position(chain) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NoDecidingBody):
        admission_authority(chain)
