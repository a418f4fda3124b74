"""Migration operations shared by the apps' migrations."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently


class AddIndexConcurrentlyWherePossible(AddIndexConcurrently):
    """`CREATE INDEX CONCURRENTLY` on PostgreSQL, so that building an index on a large table does
    not block its writes (a national instance keeps working during the migration); a plain
    `CREATE INDEX` on the embedded SQLite, which has no such thing. The migration that uses it is
    `atomic = False` (PostgreSQL refuses the concurrent build inside a transaction)."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index)
