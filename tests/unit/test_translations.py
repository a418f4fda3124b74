"""The English catalogue is complete, consistent with its source strings, and compiled.

The .po file is read with a tiny stdlib parser (no polib): entries are separated by blank
lines; `msgctxt`, `msgid`, `msgid_plural`, `msgstr` and `msgstr[N]` may continue over
several quoted lines; obsolete (`#~`) entries are ignored.
"""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils.translation import gettext, ngettext, override

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")\s*$')
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def translations(self) -> dict[str, str]:
        return {k: v for k, v in self.fields.items() if k.startswith("msgstr")}

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def _unquote(token: str) -> str:
    # A PO string uses C escapes, which a Python string literal reads the same way.
    return ast.literal_eval(token)


def parse_po(text: str) -> list[Entry]:
    entries: list[Entry] = []
    current: Entry | None = None
    key: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, key = None, None
            continue
        if line.startswith("#~"):  # obsolete entry
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert key is not None, f"line {number}: continuation without a keyword"
            current.fields[key] += _unquote(line)
        else:
            match = KEYWORD.match(line)
            assert match, f"line {number}: cannot parse {raw!r}"
            key = match.group(1)
            current.fields[key] = _unquote(match.group(2))
    return [entry for entry in entries if "msgid" in entry.fields]


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def messages(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.msgid]


def test_parser_reads_multiline_and_plural_entries() -> None:
    sample = (
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, python-format\nmsgid "%(n)s a"\nmsgid_plural ""\n"%(n)s "\n"b"\n'
        'msgstr[0] "%(n)s x"\nmsgstr[1] "%(n)s \\"y\\""\n\n'
        '#~ msgid "old"\n#~ msgstr "gone"\n'
    )
    header, plural = parse_po(sample)
    assert header.fields["msgstr"] == "Language: en\n"
    assert plural.flags == {"python-format"}
    assert plural.fields["msgid_plural"] == "%(n)s b"
    assert plural.translations == {"msgstr[0]": "%(n)s x", "msgstr[1]": '%(n)s "y"'}


def test_catalogue_has_messages(messages: list[Entry]) -> None:
    assert len(messages) > 300


def test_header(entries: list[Entry]) -> None:
    header = next(entry for entry in entries if not entry.msgid)
    assert "fuzzy" not in header.flags
    text = header.fields["msgstr"]
    assert "Language: en\n" in text
    assert "Content-Type: text/plain; charset=UTF-8\n" in text
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in text


def test_every_entry_is_translated(messages: list[Entry]) -> None:
    untranslated = []
    for entry in messages:
        expected = {"msgstr[0]", "msgstr[1]"} if "msgid_plural" in entry.fields else {"msgstr"}
        translations = entry.translations
        if set(translations) != expected or not all(value.strip() for value in translations.values()):
            untranslated.append(str(entry))
    assert not untranslated, "untranslated entries:\n" + "\n".join(untranslated)


def test_no_entry_is_fuzzy(messages: list[Entry]) -> None:
    fuzzy = [str(entry) for entry in messages if "fuzzy" in entry.flags]
    assert not fuzzy, "fuzzy entries:\n" + "\n".join(fuzzy)


def test_placeholders_match(messages: list[Entry]) -> None:
    mismatched = []
    for entry in messages:
        for key, value in entry.translations.items():
            source = entry.fields["msgid_plural"] if key not in ("msgstr", "msgstr[0]") else entry.msgid
            if set(PLACEHOLDER.findall(value)) != set(PLACEHOLDER.findall(source)):
                mismatched.append(f"{entry} [{key}] -> {value!r}")
    assert not mismatched, "placeholder mismatch:\n" + "\n".join(mismatched)


def test_mo_is_not_older_than_po() -> None:
    assert MO_PATH.exists(), "run: manage.py compilemessages -l en"
    assert MO_PATH.stat().st_mtime >= PO_PATH.stat().st_mtime, "stale .mo: run manage.py compilemessages -l en"


def test_compiled_catalogue_is_loaded() -> None:
    with override("en"):
        assert gettext("Tổng quan") == "Overview"
        assert ngettext("%(n)s đảng viên", "%(n)s đảng viên", 1) % {"n": 1} == "1 member"
        assert ngettext("%(n)s đảng viên", "%(n)s đảng viên", 3) % {"n": 3} == "3 members"
    with override("vi"):
        assert gettext("Tổng quan") == "Tổng quan"
