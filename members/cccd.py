"""Structural checks of the 12-digit citizen identity number (CCCD / căn cước).

Layout (Circular 07/2016/TT-BCA, kept by Circular 17/2024/TT-BCA):
digits 1-3 the province of birth registration, digit 4 gender and century,
digits 5-6 the last two digits of the year of birth, digits 7-12 a serial.
Pure functions returning error codes; forms turn them into messages.
"""

from datetime import date

# Province codes of birth registration (the 63 pre-2025 provinces; codes are
# not renumbered by the 2025 merger because they identify the old registration).
PROVINCE_CODES = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)
# gender/century digit -> (century start year, gender): 0/1 = 1900s, 2/3 = 2000s, 4/5 = 2100s,
# 6/7 = 2200s, 8/9 = 1800s; even = male, odd = female.
_CENTURY = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200, 8: 1800, 9: 1800}

MALE = "M"
FEMALE = "F"


def cccd_errors(number: str, *, gender: str | None = None, date_of_birth: date | None = None) -> list[str]:
    """Return the list of error codes for `number` (empty when it is valid).

    Codes: not_digits, wrong_length, unknown_province, gender_mismatch, birth_year_mismatch.
    """
    if not number.isdigit() or not number.isascii():
        return ["not_digits"]
    if len(number) != 12:
        return ["wrong_length"]
    errors = []
    if number[:3] not in PROVINCE_CODES:
        errors.append("unknown_province")
    code = int(number[3])
    if gender is not None and (MALE if code % 2 == 0 else FEMALE) != gender:
        errors.append("gender_mismatch")
    if date_of_birth is not None and _CENTURY[code] + int(number[4:6]) != date_of_birth.year:
        errors.append("birth_year_mismatch")
    return errors


def cccd_prefix(*, province_code: str, gender: str, date_of_birth: date) -> str:
    """The first six digits a valid CCCD must have for this person (used by demo data and tests)."""
    century_digit = {1800: 8, 1900: 0, 2000: 2, 2100: 4, 2200: 6}[date_of_birth.year // 100 * 100]
    return f"{province_code}{century_digit + (1 if gender == FEMALE else 0)}{date_of_birth.year % 100:02d}"


def mask_cccd(number: str) -> str:
    """Show only the last three digits: personal identifiers are masked by default."""
    return "•" * max(len(number) - 3, 0) + number[-3:] if number else ""
