"""Phone numbers as people write them (members.models.phone_number_ok)."""

import pytest

from members.models import phone_number_ok


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("0912345678", True),  # a mobile, 10 digits
        ("0912 345 678", True),
        ("0912.345.678", True),
        ("+84 912 345 678", True),
        ("024-3825-1234", True),  # a Hà Nội landline with its area code, 11 digits
        ("02438251234", True),
        ("0912", False),  # too short
        ("1234567", False),  # 7 digits
        ("+84 1234 5678 9012 3456", False),  # 20 digits
        ("abc", False),
        ("0912 345 678 (nhà)", False),
        ("09l2345678", False),  # a letter l for a one
        ("++84912345678", False),
        ("0912٣٤٥٦٧٨", False),  # Arabic-Indic digits
    ],
)
def test_a_phone_number_has_8_to_15_digits_and_only_separators(phone: str, ok: bool) -> None:
    assert phone_number_ok(phone) is ok
