from datetime import date

import pytest

from members.cccd import cccd_errors, cccd_prefix, mask_cccd


@pytest.mark.parametrize(
    ("number", "gender", "born", "errors"),
    [
        ("001095012345", "M", date(1995, 1, 2), []),  # Hà Nội, male born in the 1900s, '95
        ("001195012345", "F", date(1995, 1, 2), []),  # female 1900s
        ("019203012345", "M", date(2003, 7, 9), []),  # male 2000s
        ("096305000001", "F", date(2005, 1, 1), []),  # female 2000s, Cà Mau
        ("001095012345", "F", date(1995, 1, 2), ["gender_mismatch"]),
        ("001095012345", "M", date(1996, 1, 2), ["birth_year_mismatch"]),
        ("001295012345", "M", date(1995, 1, 2), ["birth_year_mismatch"]),  # century digit says 2095
        ("003095012345", "M", date(1995, 1, 2), ["unknown_province"]),  # 003 is not a province code
        ("00109501234", None, None, ["wrong_length"]),
        ("0010950123456", None, None, ["wrong_length"]),
        ("00109501234a", None, None, ["not_digits"]),
        ("００1095012345", None, None, ["not_digits"]),  # full-width digits are not ASCII digits
    ],
)
def test_it_checks_the_structure_of_a_cccd(
    number: str, gender: str | None, born: date | None, errors: list[str]
) -> None:
    assert cccd_errors(number, gender=gender, date_of_birth=born) == errors


def test_it_builds_the_prefix_a_person_must_have() -> None:
    assert cccd_prefix(province_code="006", gender="F", date_of_birth=date(2001, 3, 4)) == "006301"
    assert cccd_prefix(province_code="006", gender="M", date_of_birth=date(1899, 3, 4)) == "006899"


def test_it_masks_all_but_the_last_three_digits() -> None:
    assert mask_cccd("001095012345") == "•••••••••345"
    assert mask_cccd("") == ""
