"""Vietnamese names: normalisation, accent-free search keys and collation keys.

Pure functions (no ORM), computed in Python so that SQLite (the embedded
default) and PostgreSQL behave the same: no `unaccent`, no ICU collation.
"""

import re
import unicodedata

_SPACES = re.compile(r"\s+")

# The Vietnamese alphabet (29 letters) in dictionary order, with the Latin
# letters it lacks (f, j, w, z) placed where the Latin alphabet puts them so
# that foreign names still sort sensibly.
_ALPHABET = [
    "a",
    "ă",
    "â",
    "b",
    "c",
    "d",
    "đ",
    "e",
    "ê",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "ô",
    "ơ",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "ư",
    "v",
    "w",
    "x",
    "y",
    "z",
]
# Tone marks: dictionary order ngang < huyền < hỏi < ngã < sắc < nặng
# (the order of Vietnamese dictionaries and of CLDR's `vi` collation).
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve (ă), circumflex (â ê ô), horn (ơ ư)
# Two-digit primary weights; 00 separates name parts so "An" sorts before "Anh".
_WEIGHT = {letter: f"{index + 10:02d}" for index, letter in enumerate(_ALPHABET)}
_PART_END = "00"


def normalize_text(value: str) -> str:
    """NFC, trimmed, inner whitespace collapsed to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def normalize_name(value: str) -> str:
    """A person's name as stored: NFC, single spaces, each word capitalised.

    Vietnamese names are written with a capital initial on every syllable
    (`nguyễn văn đức` -> `Nguyễn Văn Đức`); the rest of the word is kept.
    """
    return " ".join(word[:1].upper() + word[1:].lower() for word in normalize_text(value).split(" ") if word)


def split_name(full_name: str) -> tuple[str, str, str]:
    """(family, middle, given): the first word, the words between, the last word."""
    words = normalize_name(full_name).split(" ")
    if len(words) == 1:
        return "", "", words[0]
    return words[0], " ".join(words[1:-1]), words[-1]


def search_key(value: str) -> str:
    """Accent-free, lower-case form used for search: `Nguyễn Văn Đức` -> `nguyen van duc`."""
    decomposed = unicodedata.normalize("NFD", normalize_text(value).lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _letters_and_tones(word: str) -> tuple[str, str]:
    primary: list[str] = []
    tones: list[str] = []
    for char in unicodedata.normalize("NFC", word.lower()):
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in _LETTER_MARKS))
        tone = max((_TONES.get(m, 0) for m in marks), default=0)
        if letter in _WEIGHT:
            primary.append(_WEIGHT[letter])
            tones.append(str(tone))
        elif char.isdigit():
            primary.append(f"0{char}")
            tones.append("0")
        # punctuation and other characters do not take part in ordering
    return "".join(primary), "".join(tones)


def sort_key(family: str, middle: str, given: str) -> str:
    """A digits-only key giving Vietnamese order: given name, then middle, then family.

    Letters compare first (with ă, â, đ, ê, ô, ơ, ư as letters of their own),
    tone marks only when all letters are equal. Digits only, so the key sorts
    the same under every database collation (C, en_US.UTF-8, SQLite BINARY).
    """
    primaries: list[str] = []
    tones: list[str] = []
    for part in (given, middle, family):
        primary, tone = _letters_and_tones(normalize_text(part))
        primaries.append(primary + _PART_END)
        tones.append(tone)
    return "".join(primaries) + "".join(tones)


# Zero-width characters, bidirectional overrides and isolates, the byte-order mark: "format"
# characters (Unicode category Cf), plus control, private-use and surrogate code points. None is
# ever part of a Vietnamese name; they make two names that look the same differ, or reverse how
# the rest of a line is displayed.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cs"})


def invisible_characters(value: str) -> list[str]:
    """The invisible or direction-changing characters in `value`, as U+XXXX codes."""
    return [f"U+{ord(ch):04X}" for ch in value if unicodedata.category(ch) in _INVISIBLE_CATEGORIES]
