"""Every string marked for translation in the sources is in the English catalogue, translated.

`test_translations` checks the entries the catalogue has; this one catches a string marked in a
template or a module that never reached it (English pages would show it in Vietnamese). The
extraction is Django's own (`makemessages`), run on a copy of the sources so the committed
catalogue keeps its order.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.test_translations import PO_PATH, parse_po

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("admission", "members", "config", "templates", "manage.py")


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext tools are not installed")
def test_every_marked_string_has_an_english_translation(tmp_path: Path) -> None:
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete", "-v0"],
        cwd=tmp_path,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    extracted = parse_po((tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    translated = {
        entry.msgid
        for entry in parse_po(PO_PATH.read_text(encoding="utf-8"))
        if entry.translations and all(value.strip() for value in entry.translations.values())
    }
    missing = sorted({entry.msgid for entry in extracted if entry.msgid and entry.msgid not in translated})
    assert missing == [], "marked for translation but not translated:\n" + "\n".join(missing)
