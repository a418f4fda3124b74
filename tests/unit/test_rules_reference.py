"""Every rule citation in the code and on screen resolves to an entry of docs/rules.md.

Scanned: ``admission/**/*.py`` (migrations excluded), ``members/**/*.py``, ``templates/**/*.html``
and ``locale/{vi,en}/LC_MESSAGES/django.po`` (the English catalogue too: its translations are
what English users see), plus the citations the rule sets build at run time
(``RuleSet.ref``, which renames QĐ294/HD06/HD38 for the historical sets).

A citation is a document (``QĐ294``, ``HD06``, ``HD38``, ``HN02``, ``ĐL``, older ``QĐ232``,
``QĐ24``, ``QĐ29``, ``HD01``, ``HD12``; "Điều lệ Đảng," also means ``ĐL``) followed by one point
or a comma-separated list of points, each optionally after "Art.", "Điều", "mục" or "điểm".
"QD294" without the Đ is read as QĐ294. Normalisation to (document, point):

* a list "3.6a-b, 5.1" gives one point per item;
* a letter range "3.6a-b" or "I.1.1b-d" gives every letter (3.6a, 3.6b);
* an item range "II.1.1c(6)-(7)" gives every item;
* a numeric range "4.2.1-4.2.2" or "4.2–4.6" whose ends differ only in the last number gives
  every number in between; any other range gives its two ends.

Resolution: docs/rules.md has entries as headings ``## … #### <document> <point> …``. A point
resolves to its own entry or, failing that, to the nearest more general one, found by dropping a
trailing "(n)" item, a trailing letter, or the last ".n" number in turn ("3.6b" → "3.6",
"II.1.1a(5)" → "II.1.1a" → "II.1.1"). The walk stops before a bare top-level number ("4.3.1"
never resolves to "4"), unless the citation itself is one ("QĐ294 22"). A point of an older
document (QĐ232, QĐ24, QĐ29, HD01, HD12) with no entry of its own resolves as the same point of
its successor (QĐ294, HD06, HD38), as the table under "Historical documents" in rules.md says.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from admission.domain.rules import PARAMETER_KEYS, RULE_SETS

ROOT = Path(__file__).resolve().parents[2]
RULES_MD = ROOT / "docs" / "rules.md"

SUCCESSOR = {"QĐ232": "QĐ294", "QĐ24": "QĐ294", "QĐ29": "QĐ294", "HD01": "HD06", "HD12": "HD38"}

_WORD = r"(?:(?:Art\.|Điều|mục|điểm)\s+)?"
_ONE = r"(?:[IVX]+\.)?\d+(?:\.\d+)*[a-z]?(?:\(\d+\))?"
_END = r"(?:[IVX]+\.)?\d*(?:\.\d+)*[a-z]?(?:\(\d+\))?"
_POINT = rf"{_ONE}(?:\s?[-–]\s?{_END})?"
CITATION = re.compile(
    r"(?<!\w)(?P<doc>Q[ĐD]\s?\d+|HD\s?\d+|HN\s?\d+|ĐL|Điều lệ Đảng,)"
    rf"\s+{_WORD}(?P<points>{_POINT}(?:\s*,\s*{_WORD}{_POINT}(?![\d/]))*)(?![\d/])"
)
HEADING = re.compile(r"^#{2,4}\s+(?P<doc>Q[ĐD]\d+|HD\d+|HN\d+|ĐL)\s+(?P<point>(?:[IVX]+\.)?\d[^\s,;]*)", re.MULTILINE)
PARTS = re.compile(r"^(?P<base>(?:[IVX]+\.)?\d+(?:\.\d+)*)(?P<letter>[a-z]?)(?P<item>\(\d+\))?$")


def normalise_doc(doc: str) -> str:
    doc = doc.replace(" ", "")
    if doc.startswith("Điều"):
        return "ĐL"
    if doc.startswith("QD"):
        return "QĐ" + doc[2:]
    return doc


def expand(points: str) -> list[str]:
    """The points a citation names (see the module docstring)."""
    result: list[str] = []
    for part in re.split(r"\s*,\s*", points.strip()):
        part = re.sub(r"^(?:Art\.|Điều|mục|điểm)\s+", "", part)
        ends = [end.strip() for end in re.split(r"[-–]", part, maxsplit=1)]
        first = ends[0]
        result.append(first)
        if len(ends) == 1:
            continue
        last = ends[1]
        match = PARTS.match(first)
        if match and match["letter"] and re.fullmatch(r"[a-z]", last):
            result += [match["base"] + chr(c) for c in range(ord(match["letter"]) + 1, ord(last) + 1)]
        elif match and match["item"] and re.fullmatch(r"\(\d+\)", last):
            head = match["base"] + match["letter"]
            result += [f"{head}({n})" for n in range(int(match["item"][1:-1]) + 1, int(last[1:-1]) + 1)]
        else:
            head_a, _, tail_a = first.rpartition(".")
            head_b, _, tail_b = last.rpartition(".")
            if head_a == head_b and tail_a.isdigit() and tail_b.isdigit():
                prefix = f"{head_a}." if head_a else ""
                result += [f"{prefix}{n}" for n in range(int(tail_a) + 1, int(tail_b) + 1)]
            elif last:
                result.append(last)
    return result


def parse(text: str) -> Iterator[tuple[str, str, int]]:
    """(document, point, offset) for every citation in ``text``."""
    for match in CITATION.finditer(text):
        for point in expand(match["points"]):
            yield normalise_doc(match["doc"]), point, match.start()


def scanned_files() -> list[Path]:
    files = [p for p in (ROOT / "admission").rglob("*.py") if "migrations" not in p.parts]
    files += (ROOT / "members").rglob("*.py")
    files += (ROOT / "templates").rglob("*.html")
    files += [ROOT / "locale" / lang / "LC_MESSAGES" / "django.po" for lang in ("vi", "en")]
    return sorted(files)


def code_citations() -> dict[tuple[str, str], list[str]]:
    """(document, point) -> where it is cited ("path:line")."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in scanned_files():
        text = path.read_text(encoding="utf-8")
        for doc, point, offset in parse(text):
            line = text.count("\n", 0, offset) + 1
            found.setdefault((doc, point), []).append(f"{path.relative_to(ROOT)}:{line}")
    return found


def entries() -> set[tuple[str, str]]:
    text = RULES_MD.read_text(encoding="utf-8")
    return {(normalise_doc(m["doc"]), m["point"]) for m in HEADING.finditer(text)}


def general_points(point: str) -> Iterator[str]:
    """``point`` and its more general parents, nearest first (not a bare top-level number)."""
    yield point
    while True:
        match = PARTS.match(point)
        if not match:
            return
        if match["item"]:
            point = match["base"] + match["letter"]
        elif match["letter"]:
            point = match["base"]
        elif "." in point:
            point = point.rpartition(".")[0]
            if "." not in point:
                return
        else:
            return
        yield point


def resolve(doc: str, point: str, known: set[tuple[str, str]]) -> tuple[str, str] | None:
    for document in (doc, SUCCESSOR.get(doc)):
        if document is None:
            continue
        for candidate in general_points(point):
            if (document, candidate) in known:
                return document, candidate
    return None


@pytest.fixture(scope="module")
def known() -> set[tuple[str, str]]:
    return entries()


def test_code_citations_resolve(known: set[tuple[str, str]]) -> None:
    found = code_citations()
    assert len(found) > 50, "the scanner lost the citations"
    missing = [
        f"{doc} {point} ({', '.join(places[:3])})"
        for (doc, point), places in sorted(found.items())
        if resolve(doc, point, known) is None
    ]
    assert not missing, "citations with no entry in docs/rules.md:\n" + "\n".join(missing)


def test_rule_set_citations_resolve(known: set[tuple[str, str]]) -> None:
    """What the screens show next to each number, for every rule set (renamed for old sets)."""
    missing = []
    for rule_set in RULE_SETS:
        for key in PARAMETER_KEYS:
            cited = list(parse(rule_set.ref(key).point))
            assert cited, f"{rule_set.code} {key}: no citation in {rule_set.ref(key).point!r}"
            missing += [f"{rule_set.code} {key}: {d} {p}" for d, p, _ in cited if resolve(d, p, known) is None]
    assert not missing, "\n".join(missing)


def test_historical_documents_are_explained() -> None:
    text = RULES_MD.read_text(encoding="utf-8")
    section = text.partition("## Historical documents")[2]
    assert section, "docs/rules.md lost its 'Historical documents' section"
    for old in SUCCESSOR:
        assert old in section, f"{old} is not explained under 'Historical documents'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HD06 3.6a-b, 5.1", [("HD06", "3.6a"), ("HD06", "3.6b"), ("HD06", "5.1")]),
        ("HD38 I.1.1b-d", [("HD38", "I.1.1b"), ("HD38", "I.1.1c"), ("HD38", "I.1.1d")]),
        ("QĐ294 4.2.1-4.2.2", [("QĐ294", "4.2.1"), ("QĐ294", "4.2.2")]),
        ("HD06 4.2–4.4.", [("HD06", "4.2"), ("HD06", "4.3"), ("HD06", "4.4")]),
        ("HD38 II.1.1c(6)-(7)", [("HD38", "II.1.1c(6)"), ("HD38", "II.1.1c(7)")]),
        ("ĐL 4.3, 24.1, QĐ294 9.3", [("ĐL", "4.3"), ("ĐL", "24.1"), ("QĐ294", "9.3")]),
        ("(ĐL Art. 24.1)", [("ĐL", "24.1")]),
        ("Điều lệ Đảng, Điều 4; QĐ294 mục 3", [("ĐL", "4"), ("QĐ294", "3")]),
        ("QD294 4.1 and HD06 3.4; HD38 I.1.5", [("QĐ294", "4.1"), ("HD06", "3.4"), ("HD38", "I.1.5")]),
        ("QĐ24 (30/07/2021), QĐ294 set, HD06-HD/TW, QD294 = RuleSet(", []),
    ],
)
def test_parse(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(doc, point) for doc, point, _ in parse(text)] == expected


def test_resolution_falls_back_to_a_general_point_only() -> None:
    known = {("HD06", "3.6"), ("QĐ294", "4"), ("QĐ294", "22"), ("QĐ294", "4.3.1")}
    assert resolve("HD06", "3.6b", known) == ("HD06", "3.6")
    assert resolve("QĐ294", "22", known) == ("QĐ294", "22")
    assert resolve("QĐ294", "4.9", known) is None  # never up to a bare "4"
    assert resolve("QĐ232", "4.3.1", known) == ("QĐ294", "4.3.1")
    assert resolve("HD38", "I.1.1b", known) is None
