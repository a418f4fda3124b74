"""Excel import of people, party members and candidates: template, dry run, import.

1. `workbook_read` checks the bytes before any parser sees them (size, a zip that holds
   xl/workbook.xml, a bounded uncompressed size), opens them with openpyxl (read-only, cached
   values only) and maps the header row onto COLUMNS. A file that cannot be used raises
   ImportFileRefused with a message for the user; nothing is recorded for it.
2. `plan_sheet` checks every row against the database, read only, and says what it would do:
   create, update, leave unchanged, or the row's errors (Vietnamese, with the column).
3. `import_dry_run` records the plan as an ImportBatch (dry_run) and keeps the bytes under
   MEDIA_ROOT/imports/<sha256>.xlsx; `import_apply` re-reads those bytes, re-plans inside one
   durable transaction and writes everything or nothing (any error: a `refused` batch only).

Candidates are imported at a stage by walking `services.candidate_transition` from S0 along the
route the organisation tree gives (S8 -> S8A/S9/S10), with the recorded date of each step, so
stage, dates, `next_due_on` and the reminder schedule are exactly what the app would hold had
the steps been recorded one by one. The walk runs with today's clock, so only the next reminder
from today on is scheduled (no blast of past occurrences), and the "stage changed"
notifications it writes are deleted in the same transaction: imported history is not news.

This module holds the services the views call (dry run, import, the batches). The pieces live
beside it: `columns` (the file format), `workbook` (reading the file), `cells` (a row's values),
`rows` (what each row would do, and the report), `planning` (the checks against the database),
`writing` (writing one row), `files` (the bytes kept between dry run and import) and `template`
(the workbook to download).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from admission import services
from admission.domain import stages
from admission.imports.files import import_file_forget, import_file_keep
from admission.imports.planning import plan_sheet
from admission.imports.rows import Plan
from admission.imports.workbook import workbook_read
from admission.imports.writing import write_row
from admission.models import ImportBatch
from members.models import AuditLog, Organisation, User
from members.selectors import organisation_get, scope_for
from members.services import audit_record


def _require_edit(acting_user: User | None, organisation: Organisation) -> None:
    if acting_user is not None and not scope_for(acting_user).can_edit(organisation):
        raise PermissionDenied


def _audit(acting_user: User | None, batch: ImportBatch, ip_address: str | None) -> None:
    # The detail names the batch, where the row-by-row report is.
    audit_record(
        user=acting_user,
        action=AuditLog.Action.IMPORT,
        detail=(
            f"import {batch.pk} {batch.status}: {batch.file_name} ({batch.rows} rows; "
            f"+{batch.created_count} ~{batch.updated_count} ={batch.unchanged_count})"
        ),
        ip_address=ip_address,
    )


def _batch(
    *,
    organisation: Organisation,
    acting_user: User | None,
    now: dt.datetime,
    file_name: str,
    sha256: str,
    status: str,
    plan: Plan,
    **extra: Any,
) -> ImportBatch:
    counts = plan.counts()
    return ImportBatch.objects.create(
        organisation=organisation,
        created_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
        created_at=now,
        file_name=file_name[:255],
        sha256=sha256,
        status=status,
        rows=len(plan.rows),
        created_count=counts["create"],
        updated_count=counts["update"],
        unchanged_count=counts["unchanged"],
        report=plan.report(**extra),
    )


def import_dry_run(
    *,
    acting_user: User | None,
    organisation: Organisation,
    file_name: str,
    data: bytes,
    now: dt.datetime | None = None,
    ip_address: str | None = None,
) -> ImportBatch:
    """Check the workbook row by row without changing any person, member or candidate.

    Side effects: the bytes are kept under MEDIA_ROOT/imports/ for the import that may follow;
    one durable transaction writes the ImportBatch (dry_run, with the per-row report) and its
    audit row. Raises ImportFileRefused (nothing recorded) for a file that cannot be read.
    """
    now = now or timezone.now()
    _require_edit(acting_user, organisation)
    sheet = workbook_read(data, name=file_name)
    plan = plan_sheet(sheet, organisation=organisation, acting_user=acting_user, today=timezone.localdate(now))
    sha256 = import_file_keep(data=data, now=now)
    with transaction.atomic(durable=True):
        batch = _batch(
            organisation=organisation,
            acting_user=acting_user,
            now=now,
            file_name=file_name,
            sha256=sha256,
            status=ImportBatch.Status.DRY_RUN,
            plan=plan,
        )
        _audit(acting_user, batch, ip_address)
    return batch


class _Refused(Exception):
    def __init__(self, plan: Plan, message: str = "") -> None:
        super().__init__(message)
        self.plan = plan
        self.message = message


def import_apply(
    *,
    acting_user: User | None,
    organisation: Organisation,
    file_name: str,
    data: bytes,
    now: dt.datetime | None = None,
    ip_address: str | None = None,
    dry_run: ImportBatch | None = None,
) -> ImportBatch:
    """Import the workbook all-or-nothing; the result is an `applied` or a `refused` batch.

    1. Read the file (ImportFileRefused: nothing recorded).
    2. One durable transaction: lock the people the file names (SELECT … FOR UPDATE), plan
       again (the database may have changed since the dry run), and on any error roll back.
    3. Otherwise write the ImportBatch first (its id is the transitions' basis), then every row:
       the Person (history row), the PartyMember (member_create or an update), the Candidate
       walked from S0 through candidate_transition (StageTransition rows, dates, next_due_on,
       the next reminder from today on, the probationary member at the ceremony), and the
       audit row.
    4. A refusal (row errors, or someone else's change while writing) writes only a `refused`
       batch with the report, in its own durable transaction, and its audit row.
    Re-running the same file changes nothing: CCCD finds each person, equal values are left,
    and a candidacy already at the file's stage is not walked again.
    """
    now = now or timezone.now()
    _require_edit(acting_user, organisation)
    sheet = workbook_read(data, name=file_name)
    sha256 = hashlib.sha256(data).hexdigest()
    today = timezone.localdate(now)
    extra: dict[str, Any] = {"dry_run_batch": dry_run.pk} if dry_run is not None else {}
    try:
        with transaction.atomic(durable=True):
            plan = plan_sheet(sheet, organisation=organisation, acting_user=acting_user, today=today, lock=True)
            if plan.error_rows:
                raise _Refused(plan)
            batch = _batch(
                organisation=organisation,
                acting_user=acting_user,
                now=now,
                file_name=file_name,
                sha256=sha256,
                status=ImportBatch.Status.APPLIED,
                plan=plan,
                **extra,
            )
            for row in plan.rows:
                try:
                    write_row(row, acting_user=acting_user, batch=batch, now=now)
                except (ValidationError, stages.IllegalTransition, services.StepRefused) as error:
                    row.error("", _("Không ghi được dòng này: %(error)s") % {"error": _error_text(error)})
                    row.outcome = "error"
                    raise _Refused(plan) from error
            _audit(acting_user, batch, ip_address)
    except _Refused as refused:
        plan = refused.plan
    except (services.ConcurrentStageChange, IntegrityError):
        # Someone changed the same people or candidates while this import ran (a unique CCCD
        # inserted meanwhile, a candidate moved): everything was rolled back.
        plan = plan_sheet(sheet, organisation=organisation, acting_user=acting_user, today=today)
        extra["error"] = _(
            "Dữ liệu vừa được người khác thay đổi trong lúc nhập; không có gì được ghi. Hãy chạy thử lại."
        )
    else:
        import_file_forget(sha256=sha256)
        return batch
    with transaction.atomic(durable=True):
        batch = _batch(
            organisation=organisation,
            acting_user=acting_user,
            now=now,
            file_name=file_name,
            sha256=sha256,
            status=ImportBatch.Status.REFUSED,
            plan=plan,
            **extra,
        )
        _audit(acting_user, batch, ip_address)
    return batch


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    if isinstance(error, services.StepRefused):
        return ", ".join(r.code for r in error.reasons)
    return str(error)


# --- Reads --------------------------------------------------------------------------------


def import_batch_list(*, organisation: Organisation) -> QuerySet[ImportBatch]:
    """The organisation's imports and dry runs, newest first (the caller has scoped it)."""
    return (
        ImportBatch.objects.filter(organisation=organisation)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def import_batch_get(*, user: User, pk: int) -> ImportBatch:
    """The batch if the user may read its organisation; 404 otherwise."""
    batch = ImportBatch.objects.select_related("organisation", "created_by").filter(pk=pk).first()
    if batch is None:
        raise Http404
    organisation_get(user=user, pk=batch.organisation_id)  # 404 outside the user's scope
    return batch


def import_batch_applied_after(*, batch: ImportBatch) -> ImportBatch | None:
    """The import made from this dry run, if any."""
    return (
        ImportBatch.objects.filter(organisation_id=batch.organisation_id, report__dry_run_batch=batch.pk)
        .order_by("-created_at", "-pk")
        .first()
    )
