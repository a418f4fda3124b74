"""Excel import of people, party members and candidates: template, dry run, import.

1. `workbook_read` checks the bytes before any parser sees them (size, a zip that holds
   xl/workbook.xml, a bounded uncompressed size), opens them with openpyxl (read-only, cached
   values only) and finds each sheet's header row (under title rows, merged cells filled in).
   `mapping` suggests a field for each column (the organisation's saved mapping, the template's
   headers, the most similar known name) and a branch for each sheet; the user confirms them on
   the mapping page and `sheets_for` applies them (unmapped columns are listed and ignored; empty,
   totals and non-person rows are skipped and listed). A file that cannot be used raises
   ImportFileRefused with a message for the user; nothing is recorded for it.
2. `plan_sheets` checks every row against the database, read only, and says what it would do:
   create, update, leave unchanged, or the row's errors (Vietnamese, with the column). Without a
   "Loại" or "Bước" column the kind and the stage are inferred from the dates and shown.
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

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from admission import services
from admission.domain import stages
from admission.imports.columns import COLUMN_BY_KEY
from admission.imports.files import import_file_forget, import_file_keep
from admission.imports.mapping import EXACT, SAVED, SKIP_SHEET, ColumnMapping, missing_required, suggest
from admission.imports.planning import plan_sheets
from admission.imports.rows import Plan
from admission.imports.workbook import ImportFileRefused, Layout, Sheet, sheets_for, suggested_mapping, workbook_read
from admission.imports.writing import write_row
from admission.models import ImportBatch, ImportMapping
from members.models import AuditLog, Organisation, User
from members.ratelimit import rate_limit_hit
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


def import_mapping_get(*, organisation: Organisation) -> ColumnMapping | None:
    """The organisation's saved mapping, if it confirmed one before."""
    saved = ImportMapping.objects.filter(organisation=organisation).first()
    return ColumnMapping(columns=dict(saved.columns), sheets=dict(saved.sheets)) if saved is not None else None


def import_layout(*, organisation: Organisation, file_name: str, data: bytes) -> tuple[Layout, ColumnMapping | None]:
    """Read only: the file's sheets and headers, and the organisation's saved mapping."""
    saved = import_mapping_get(organisation=organisation)
    return workbook_read(data, name=file_name, saved=saved.columns if saved else None), saved


def _read(
    *, organisation: Organisation, file_name: str, data: bytes, mapping: ColumnMapping | None
) -> tuple[Layout, ColumnMapping, list[Sheet]]:
    layout, saved = import_layout(organisation=organisation, file_name=file_name, data=data)
    if mapping is None:
        mapping = suggested_mapping(layout, saved)
    return layout, mapping, sheets_for(layout, mapping, name=file_name)


def _layout_report(layout: Layout, mapping: ColumnMapping, sheets: list[Sheet]) -> dict[str, Any]:
    """What the report says about the file besides its rows: each column and where it went,
    the sheets and their branch, the rows skipped."""
    columns = []
    for sheet in layout.sheets:
        for column in sheet.columns:
            key = mapping.columns.get(column.folded, "")
            columns.append(
                {
                    "sheet": sheet.title,
                    "letter": column.letter,
                    "label": column.label,
                    "field": COLUMN_BY_KEY[key].header if key else "",
                }
            )
    return {
        "mapping": mapping.to_json(),
        "columns": columns,
        "sheets": [
            {"title": s.title, "header_row": s.header_row, "branch": mapping.sheets.get(s.title, "")}
            for s in layout.sheets
        ],
        "skipped_sheets": [s.title for s in layout.sheets if mapping.sheets.get(s.title) == SKIP_SHEET],
        "skipped": [{"sheet": s.title, "row": n, "why": why} for s in sheets for n, why in s.skipped],
    }


def _mapping_save(
    *, organisation: Organisation, mapping: ColumnMapping, acting_user: User | None, now: dt.datetime
) -> None:
    """Merge the confirmed choices into the organisation's saved mapping (headers of other layouts kept)."""
    saved, _created = ImportMapping.objects.select_for_update().get_or_create(
        organisation=organisation, defaults={"updated_at": now}
    )
    saved.columns = {**saved.columns, **mapping.columns}
    saved.sheets = {**saved.sheets, **mapping.sheets}
    saved.updated_by = acting_user if acting_user is not None and acting_user.is_authenticated else None
    saved.updated_at = now
    saved.save()


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
    mapping: ColumnMapping | None = None,
    save_mapping: bool = False,
) -> ImportBatch:
    """Check the workbook row by row without changing any person, member or candidate.

    `mapping` is the one the user confirmed (None: the suggestions, as for the template).
    Side effects: the bytes are kept under MEDIA_ROOT/imports/ for the import that may follow;
    one durable transaction writes the ImportBatch (dry_run, with the per-row report and the
    mapping used), its audit row and, with `save_mapping`, the organisation's saved mapping.
    Raises ImportFileRefused (nothing recorded) for a file that cannot be read.
    """
    now = now or timezone.now()
    _require_edit(acting_user, organisation)
    if acting_user is not None:
        # A dry run answers for up to thousands of CCCD numbers at once: at most
        # IMPORT_DRY_RUN_LIMIT per user and window, whatever the workers.
        wait = rate_limit_hit(
            f"import-dry-run:{acting_user.pk}",
            limit=settings.IMPORT_DRY_RUN_LIMIT,
            window=settings.IMPORT_DRY_RUN_WINDOW_SECONDS,
            now=now,
        )
        if wait is not None:
            raise ImportFileRefused(
                _("Bạn đã chạy thử %(limit)s lần trong %(minutes)s phút. Vui lòng thử lại sau %(wait)s phút.")
                % {
                    "limit": settings.IMPORT_DRY_RUN_LIMIT,
                    "minutes": settings.IMPORT_DRY_RUN_WINDOW_SECONDS // 60,
                    "wait": max(1, -(-wait // 60)),
                }
            )
    layout, mapping, sheets = _read(organisation=organisation, file_name=file_name, data=data, mapping=mapping)
    plan = plan_sheets(sheets, organisation=organisation, acting_user=acting_user, today=timezone.localdate(now))
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
            **_layout_report(layout, mapping, sheets),
        )
        if save_mapping:
            _mapping_save(organisation=organisation, mapping=mapping, acting_user=acting_user, now=now)
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
    mapping: ColumnMapping | None = None,
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
    and a candidacy already at the file's stage is not walked again. The file is read with
    `mapping` (the dry run's, which the view passes; None: the suggestions).
    """
    now = now or timezone.now()
    _require_edit(acting_user, organisation)
    layout, mapping, sheets = _read(organisation=organisation, file_name=file_name, data=data, mapping=mapping)
    sha256 = hashlib.sha256(data).hexdigest()
    today = timezone.localdate(now)
    extra: dict[str, Any] = {"dry_run_batch": dry_run.pk} if dry_run is not None else {}
    extra |= _layout_report(layout, mapping, sheets)
    try:
        with transaction.atomic(durable=True):
            plan = plan_sheets(sheets, organisation=organisation, acting_user=acting_user, today=today, lock=True)
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
                if row.outcome == "unchanged":  # nothing to write, no figures made stale
                    continue
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
        plan = plan_sheets(sheets, organisation=organisation, acting_user=acting_user, today=today)
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


def import_mapping_needed(*, layout: Layout, saved: ColumnMapping | None, organisation: Organisation) -> bool:
    """Whether the user must see the mapping page: a header that is neither the template's nor in
    the saved mapping, a required field without a column, or sheets whose branch is not known yet.
    The template, and a next file laid out like one already confirmed, go straight to the dry run."""
    suggestions = suggest(layout.headers(), saved.columns if saved else {})
    if any(s.source not in (SAVED, EXACT) for s in suggestions.values()):
        return True
    mapped = {s.key for s in suggestions.values() if s.key}
    if missing_required(mapped):
        return True
    if sheets_asked(layout, mapped=mapped, organisation=organisation):
        known = saved.sheets if saved else {}
        return any(s.title not in known for s in layout.sheets)
    return False


def sheets_asked(layout: Layout, *, mapped: set[str], organisation: Organisation) -> bool:
    """Each sheet is mapped to a branch when there are several, or when nothing else gives the
    branch (no branch column, and the organisation is not itself a branch)."""
    return len(layout.sheets) > 1 or ("branch" not in mapped and not organisation.is_branch)


def import_dry_run_of_file(*, user: User, organisation: Organisation, sha256: str) -> ImportBatch | None:
    """The user's latest dry run of this file here (the mapping page may be reopened from it)."""
    return (
        ImportBatch.objects.filter(
            organisation=organisation, created_by=user, sha256=sha256, status=ImportBatch.Status.DRY_RUN
        )
        .order_by("-created_at", "-pk")
        .first()
    )
