import unicodedata

import pytest

from members.names import normalize_name, search_key, sort_key, split_name


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  nguyễn   văn  đức ", "Nguyễn Văn Đức"),
        (unicodedata.normalize("NFD", "Trần Thị Ánh"), "Trần Thị Ánh"),  # decomposed input becomes NFC
        ("LÊ THỊ HỒNG", "Lê Thị Hồng"),
        ("Hoàng\tAnh", "Hoàng Anh"),
    ],
)
def test_it_normalises_names_to_nfc_single_spaced_capitalised(typed: str, stored: str) -> None:
    result = normalize_name(typed)
    assert result == stored
    assert unicodedata.is_normalized("NFC", result)


def test_it_splits_family_middle_and_given_names() -> None:
    assert split_name("Nguyễn Thị Minh Khai") == ("Nguyễn", "Thị Minh", "Khai")
    assert split_name("Lê Duẩn") == ("Lê", "", "Duẩn")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("ĐẶNG THỊ ẤN", "dang thi an"),
        (unicodedata.normalize("NFD", "Ưng Hoàng Phúc"), "ung hoang phuc"),
    ],
)
def test_it_folds_accents_and_case_for_search(name: str, key: str) -> None:
    assert search_key(name) == key


def _ordered(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: sort_key(*split_name(n)))


def test_it_sorts_by_given_name_before_family_name() -> None:
    assert _ordered(["Trần Văn An", "Nguyễn Văn Bình", "Lê Thị An"]) == ["Lê Thị An", "Trần Văn An", "Nguyễn Văn Bình"]


def test_it_sorts_vietnamese_letters_after_their_base_letter() -> None:
    # a < ă < â < b ... d < đ < e < ê ... o < ô < ơ ... u < ư (Vietnamese alphabet)
    given = ["Ấn", "Bảo", "Ăn", "An", "Đào", "Dung", "Ưng", "Uyên", "Ơn", "Ôn", "Oanh"]
    ordered = [n.split()[-1] for n in _ordered([f"Nguyễn Văn {g}" for g in given])]
    assert ordered == ["An", "Ăn", "Ấn", "Bảo", "Dung", "Đào", "Oanh", "Ôn", "Ơn", "Uyên", "Ưng"]


def test_it_orders_tones_after_letters_ngang_huyen_hoi_nga_sac_nang() -> None:
    given = ["Mạ", "Má", "Mã", "Mả", "Mà", "Ma"]
    assert [n.split()[-1] for n in _ordered([f"Lê Văn {g}" for g in given])] == ["Ma", "Mà", "Mả", "Mã", "Má", "Mạ"]
    # letters decide before tones: "Mà" < "Mai" even though à carries a tone
    assert _ordered(["Lê Văn Mai", "Lê Văn Mà"]) == ["Lê Văn Mà", "Lê Văn Mai"]


def test_it_puts_a_shorter_given_name_first_and_then_compares_middle_names() -> None:
    assert _ordered(["Phạm Văn Anh", "Phạm Thị An", "Phạm Đức An"]) == ["Phạm Đức An", "Phạm Thị An", "Phạm Văn Anh"]


def test_sort_key_is_digits_only_so_every_collation_agrees() -> None:
    assert sort_key("Nguyễn", "Văn", "Đức").isdigit()
