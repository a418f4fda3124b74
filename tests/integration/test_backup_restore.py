"""The documented backup and restore (docs/operations.md) really round-trip the database."""

import datetime as dt
import os
import subprocess
from pathlib import Path

import psycopg2
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from admission import services
from admission.devdata.demo import at, walk_to
from tests.factories import PersonFactory

ROOT = Path(settings.BASE_DIR)


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{name}"


def _counts(cursor) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {}
    for model in apps.get_models():
        cursor.execute(f'SELECT count(*) FROM "{model._meta.db_table}"')  # noqa: S608 - table names from the models
        counts[model._meta.db_table] = cursor.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=True)
def test_it_backs_up_and_restores_every_row(tree, alice, introducers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Phan Văn Sao Lưu")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(dt.date(2025, 1, 6)))
    walk_to(candidate, "S12", user=alice, introducers=introducers, start=dt.date(2025, 1, 6))
    media = tmp_path / "media"
    (media / "scans").mkdir(parents=True)
    (media / "scans" / "x.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    env = {**os.environ, "DATABASE_URL": _url(connection.settings_dict["NAME"]), "MEDIA_ROOT": str(media)}

    out = subprocess.run(  # noqa: S603
        [str(ROOT / "scripts" / "backup"), str(tmp_path / "backups")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    dump = out.stdout.strip().splitlines()[-1]
    uploads = next((tmp_path / "backups").glob("uploads-*.tar.gz"))

    restored_name = "tracker_restore_check"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{restored_name}"')
        cursor.execute(f'CREATE DATABASE "{restored_name}"')
        before = _counts(cursor)
    try:
        restored_media = tmp_path / "restored-media"
        env_restore = {**os.environ, "DATABASE_URL": _url(restored_name), "MEDIA_ROOT": str(restored_media)}
        subprocess.run(  # noqa: S603
            [str(ROOT / "scripts" / "restore"), dump, str(uploads)], env=env_restore, check=True, capture_output=True
        )
        restored = psycopg2.connect(_url(restored_name))
        try:
            with restored.cursor() as cursor:
                after = _counts(cursor)
                cursor.execute("SELECT stage FROM admission_candidate WHERE id = %s", [candidate.pk])
                stage = cursor.fetchone()[0]
        finally:
            restored.close()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored_name}"')

    assert after == before
    assert before["admission_stagetransition"] >= 12
    assert stage == "S12"
    assert (restored_media / "scans" / "x.pdf").read_bytes() == b"%PDF-1.4\n%%EOF\n"
