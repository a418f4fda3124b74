"""Writing the generated rows: PostgreSQL COPY from a background thread, or bulk_create elsewhere."""

from __future__ import annotations

import io
import json
import queue
import threading
import time

from django.db import connection, models

from admission.models import BranchReview, Candidate, StageTransition, Vote
from members.models import Organisation, PartyMember, Person

CHUNK_ROWS = 100_000
NULL = "\\N"  # COPY text format

# --- Columns written (COPY column lists; the same names feed bulk_create) ------------------------

ORG_COLUMNS = (
    "id", "kind", "name", "code", "parent_id", "path", "depth", "delegated_to_admit", "upper_level_powers",
    "province_code", "ward_code", "valid_from", "valid_to", "meeting_day",
)  # fmt: skip
PERSON_COLUMNS = (
    "id", "organisation_id", "full_name", "family_name", "middle_name", "given_name", "search_key", "sort_key",
    "date_of_birth", "gender", "ethnicity", "religion", "cccd", "phone", "email", "hometown", "residence",
    "education_level", "occupation", "youth_union_member", "trade_union_member", "is_student",
    "private_enterprise_worker", "created_at",
)  # fmt: skip
MEMBER_COLUMNS = (
    "id", "person_id", "organisation_id", "status", "admission_decision_date", "ceremony_date", "official_date",
    "left_date", "card_number",
)  # fmt: skip
CANDIDATE_DATE_FIELDS = (
    "sympathiser_date", "class_proposed_date", "certificate_issue_date", "dossier_start_date", "application_date",
    "union_resolution_date", "introduction_date", "verification_completed_date", "comments_completed_date",
    "branch_resolution_date", "appraisal_date", "grassroots_resolution_date", "decision_date",
    "decision_received_date", "ceremony_date", "records_completed_date", "new_member_class_date",
    "recognition_dossier_date", "recognition_branch_date", "recognition_decision_date", "official_date",
    "removal_date", "recognition_appraisal_date", "recognition_grassroots_date",
)  # fmt: skip
CANDIDATE_COLUMNS = (
    "id", "person_id", "organisation_id", "stage", "stage_entered_at", "stage_entered_on", "next_due_on",
    "next_reminder_at", "reminder_sequence", "stage_transition_id", "failed_votes", "certificate_number",
    "introduction_mode", "decision_number", "deadline_extended", "area_exception", "literacy_exception_approved",
    "over_60_approved", "readmission", "readmission_approved", "political_issue_unresolved", "member_id",
    "created_at", *CANDIDATE_DATE_FIELDS,
)  # fmt: skip
TRANSITION_COLUMNS = (
    "id", "candidate_id", "from_stage", "to_stage", "at", "on_date", "acting_user_id", "note", "basis", "notified_at",
    "entered_on", "package_working_days", "step_key", "fields", "vote_id",
)  # fmt: skip
VOTE_COLUMNS = (
    "id", "candidate_id", "body", "purpose", "held_on", "summoned", "excluded", "denominator", "yes", "no",
    "abstain", "form", "required", "passed", "rule", "created_by_id", "created_at", "counts_from_attendance",
    "needs_correction",
)  # fmt: skip
REVIEW_COLUMNS = ("id", "organisation_id", "next_reminder_at", "sequence")
WRITTEN_MODELS: tuple[type[models.Model], ...] = (
    Organisation, Person, PartyMember, Candidate, StageTransition, Vote, BranchReview,
)  # fmt: skip


def tsv_bool(value: bool) -> str:
    return "t" if value else "f"


def tsv_opt(value: object) -> str:
    return NULL if value is None else str(value)


# --- Writing: COPY in a background thread, or bulk_create ------------------------------------------


class Loader:
    """Buffers rows (TSV lines) per model and writes them in chunks, in the order they were flushed.

    On PostgreSQL a worker thread runs COPY on the *same* psycopg2 connection (so the same
    transaction) while the main thread generates the next chunk; psycopg2 releases the GIL while
    the server works. Before the main thread queries the database itself it calls `drain()`.
    """

    def __init__(self) -> None:
        connection.ensure_connection()
        # COPY needs psycopg2's copy_expert (the project's driver); anything else uses bulk_create.
        probe = connection.connection.cursor()
        self.postgres = connection.vendor == "postgresql" and hasattr(probe, "copy_expert")
        probe.close()
        self.buffers: dict[type[models.Model], list[str]] = {}
        self.columns: dict[type[models.Model], tuple[str, ...]] = {}
        self.counts: dict[str, int] = {}
        self.error: BaseException | None = None
        self.busy: dict[str, float] = {}  # seconds the database spent per table (COPY) or statement
        self.queue: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=3)
        self.thread: threading.Thread | None = None
        if self.postgres:
            self.raw = connection.connection
            self.thread = threading.Thread(target=self._work, name="datagen-copy", daemon=True)
            self.thread.start()

    def register(self, model: type[models.Model], columns: tuple[str, ...]) -> list[str]:
        self.columns[model] = columns
        return self.buffers.setdefault(model, [])

    def flush(self, model: type[models.Model]) -> None:
        rows = self.buffers[model]
        if not rows:
            return
        table = model._meta.db_table
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        if self.postgres:
            self._raise_worker_error()
            sql = f"COPY {table} ({', '.join(self.columns[model])}) FROM STDIN"
            self.queue.put((sql, "\n".join(rows) + "\n"))
        else:
            columns = self.columns[model]
            # The TSV holds JSON columns as text: the ORM wants the value itself.
            json_columns = {
                c for c in columns if isinstance(model._meta.get_field(c.removesuffix("_id")), models.JSONField)
            }
            objects = [
                model(
                    **{
                        c: (None if v == NULL else json.loads(v) if c in json_columns else v)
                        for c, v in zip(columns, row.split("\t"), strict=True)
                    }
                )
                for row in rows
            ]
            model._default_manager.bulk_create(objects, batch_size=5000)
        rows.clear()

    def flush_all(self) -> None:
        for model in self.buffers:
            self.flush(model)

    def execute(self, sql: str) -> None:
        """Run a statement in order with the COPYs (PostgreSQL only)."""
        if self.postgres:
            self.queue.put((sql, ""))

    def drain(self) -> None:
        self.flush_all()
        if self.postgres:
            self.queue.join()
            self._raise_worker_error()

    def close(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None

    def _raise_worker_error(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _work(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is not None:
                    continue  # the transaction is aborted: skip what is left, the main thread raises
                sql, data = item
                started = time.perf_counter()
                with self.raw.cursor() as cursor:
                    if data:
                        cursor.copy_expert(sql, io.StringIO(data), size=1 << 20)
                    else:
                        cursor.execute(sql)
                key = sql.split(" (")[0] if data else sql.split(";")[0]
                self.busy[key] = self.busy.get(key, 0.0) + time.perf_counter() - started
            except BaseException as error:  # noqa: BLE001 - handed to the main thread
                self.error = error
            finally:
                self.queue.task_done()
