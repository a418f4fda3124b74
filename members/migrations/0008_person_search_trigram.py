"""A trigram index for the contains-search on people's names (PostgreSQL only).

`search_key__contains` is `LIKE '%key%'`, which a B-tree cannot serve: at national scale
(5.5 million people) the member search read every row of the subtree (785 ms for Hà Nội).
pg_trgm's GIN index answers it from the trigrams of the key. pg_trgm is a trusted extension
(PostgreSQL 13+), so the database owner may create it; where it already exists nothing is
done. SQLite (the demo) has no such index and keeps its table scan.

Not atomic, so that the index is built CONCURRENTLY and a production table stays writable
while it is built.
"""

from django.db import migrations

INDEX = "person_search_key_trgm"


def create_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON members_person USING gin (search_key gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("members", "0007_audit_import_action"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
