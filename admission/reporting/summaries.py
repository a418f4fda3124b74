"""The candidacies' statistics summary (`CandidateCount`): counts per organisation and month.

The statistics page of a province (``admission.reporting.statistics``) read every stage visit of
the period (64,000 a year for a province) to build the time-in-stage histograms, and every
candidacy of the subtree for the removals and the awareness-class funnel. The summary holds,
per organisation, what each year and month added to those figures, so a period made of whole
months reads some hundreds of rows (`period_counts`); a period that starts or ends inside a
month is counted from the candidacies as before (the callers fall back when `period_counts`
returns None). Time in stage also falls back when calendar overrides change a visit's working
days (the summary keeps the package calendar's count, as the transitions do).

Figures (`CandidateCount.figure`), each row counting candidacies or visits:

- ``visit``: a stage visit that ended in the month (a transition with `entered_on`), `label`
  the stage left, `value` its working days by the package calendar (StageTransition);
- ``removed``: a candidacy removed from the probationary list (SX) with its removal date in it;
- ``funnel``: a candidacy whose awareness-class certificate is dated in it, `label` = ``c``
  ceremony held or ``n`` not, ``v`` branch vote held or ``-``, ``d`` dossier started or ``-``;
  `value` the completed months from the certificate to the ceremony (0 without a ceremony).

How it is kept, as the member summary is (``members.summaries``): every writer of candidacies
already calls `members.freshness.organisations_changed` with the paths it wrote, in its
transaction; that call recounts here (`organisations_recount`, registered in
`AdmissionConfig.ready`) the own rows of those organisations from their candidacies, and adds
the difference to the own rows and to the subtree rows of every ancestor. Idempotent. Bulk
writers (the dataset generator) and `manage.py rebuild_statistics` rebuild (`candidates_rebuild`).
A candidacy counts in its organisation today, as in the figures computed from the candidacies.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from admission.domain.stages import Stage
from admission.domain.statistics import completed_months
from admission.models import Candidate, CandidateCount, StageTransition
from config.replica import read_connection
from members.models import Organisation
from members.summaries import organisation_paths, path_ids, rebuild_by_province, rebuild_in_batches

VISIT, REMOVED, FUNNEL = "visit", "removed", "funnel"
FIGURES = (VISIT, REMOVED, FUNNEL)
YEAR, MONTH = int(CandidateCount.Level.YEAR), int(CandidateCount.Level.MONTH)
# (organisation, figure, level, bucket, label, value) -> count
Key = tuple[int, str, int, dt.date, str, int]


# --- Pure: what one candidacy and one visit add ----------------------------------------------


def funnel_label(*, ceremony: dt.date | None, voted: bool, dossier: bool) -> str:
    return ("c" if ceremony else "n") + ("v" if voted else "-") + ("d" if dossier else "-")


def candidate_items(
    *,
    stage: str,
    removal: dt.date | None,
    certificate: dt.date | None,
    ceremony: dt.date | None,
    voted: bool,
    dossier: bool,
) -> list[tuple[str, dt.date, str, int]]:
    """(figure, day, label, value) that one candidacy counts in."""
    items: list[tuple[str, dt.date, str, int]] = []
    if stage == Stage.SX.value and removal is not None:
        items.append((REMOVED, removal, "", 0))
    if certificate is not None:
        months = completed_months(certificate, ceremony) if ceremony is not None else 0
        items.append((FUNNEL, certificate, funnel_label(ceremony=ceremony, voted=voted, dossier=dossier), months))
    return items


def buckets(day: dt.date) -> tuple[tuple[int, dt.date], tuple[int, dt.date]]:
    return ((YEAR, day.replace(month=1, day=1)), (MONTH, day.replace(day=1)))


def _last_of_month(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).day == 1


def period_ranges(start: dt.date, end: dt.date) -> list[tuple[int, dt.date, dt.date]] | None:
    """The (level, first bucket, last bucket) ranges whose rows add up to a period of whole months:
    the whole years inside it, the months before and after them; None when the period starts or
    ends inside a month (the summary cannot answer it)."""
    if start.day != 1 or not _last_of_month(end) or end < start:
        return None
    first_year = start.year if start.month == 1 else start.year + 1
    last_year = end.year if end.month == 12 else end.year - 1
    if first_year > last_year:
        return [(MONTH, start, end.replace(day=1))]
    ranges: list[tuple[int, dt.date, dt.date]] = []
    if start < dt.date(first_year, 1, 1):
        ranges.append((MONTH, start, dt.date(first_year - 1, 12, 1)))
    ranges.append((YEAR, dt.date(first_year, 1, 1), dt.date(last_year, 1, 1)))
    if end > dt.date(last_year, 12, 31):
        ranges.append((MONTH, dt.date(last_year + 1, 1, 1), end.replace(day=1)))
    return ranges


# --- Recount from the candidacies --------------------------------------------------------------


def _candidate_rows(organisation_ids: Sequence[int] | None) -> Iterator[tuple[Any, ...]]:
    qs = Candidate.objects.all()
    if organisation_ids is not None:
        qs = qs.filter(organisation_id__in=organisation_ids)
    fields = (
        "organisation_id",
        "stage",
        "removal_date",
        "certificate_issue_date",
        "ceremony_date",
        "branch_resolution_date",
        "dossier_start_date",
    )
    return qs.order_by().values_list(*fields).iterator(chunk_size=5000)


def _visit_rows(organisation_ids: Sequence[int] | None) -> Iterator[tuple[Any, ...]]:
    qs = StageTransition.objects.filter(entered_on__isnull=False, package_working_days__isnull=False)
    if organisation_ids is not None:
        qs = qs.filter(candidate__organisation_id__in=organisation_ids)
    fields = ("candidate__organisation_id", "from_stage", "package_working_days", "on_date")
    return qs.order_by().values_list(*fields).iterator(chunk_size=5000)


def own_counts(candidates: Iterable[tuple[Any, ...]], visits: Iterable[tuple[Any, ...]]) -> dict[Key, int]:
    """The own rows of these candidacies and visits: (organisation, figure, level, bucket, label, value) -> count."""
    counts: dict[Key, int] = defaultdict(int)
    for organisation_id, stage, removal, certificate, ceremony, resolution, dossier in candidates:
        for figure, day, label, value in candidate_items(
            stage=stage,
            removal=removal,
            certificate=certificate,
            ceremony=ceremony,
            voted=resolution is not None,
            dossier=dossier is not None,
        ):
            for level, bucket in buckets(day):
                counts[(organisation_id, figure, level, bucket, label, value)] += 1
    for organisation_id, stage, days, left_on in visits:
        for level, bucket in buckets(left_on):
            counts[(organisation_id, VISIT, level, bucket, stage, days)] += 1
    return counts


def _stored_own(organisation_ids: Sequence[int]) -> dict[Key, int]:
    fields = ("organisation_id", "figure", "level", "bucket", "label", "value", "count")
    return {
        (org, figure, level, bucket, label, value): count
        for org, figure, level, bucket, label, value, count in CandidateCount.objects.filter(
            organisation_id__in=organisation_ids, own=True
        ).values_list(*fields)
    }


def _add(differences: dict[Key, int], paths: dict[int, str]) -> None:
    """Add own-row differences to the own rows and to the subtree rows of every ancestor (one
    INSERT ... ON CONFLICT DO UPDATE per 500 rows; PostgreSQL and SQLite)."""
    rows: dict[tuple[int, bool, str, int, dt.date, str, int], int] = defaultdict(int)
    for (organisation_id, figure, level, bucket, label, value), count in differences.items():
        if not count:
            continue
        targets = [(organisation_id, True)] + [(a, False) for a in path_ids(paths[organisation_id])]
        for target, own in targets:
            rows[(target, own, figure, level, bucket, label, value)] += count
    items = [(*key, count) for key, count in rows.items() if count]
    if not items:
        return
    table = CandidateCount._meta.db_table
    placeholders = "(%s, %s, %s, %s, %s, %s, %s, %s)"
    with connection.cursor() as cursor:
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            cursor.execute(
                f"INSERT INTO {table} (organisation_id, own, figure, level, bucket, label, value, count) "  # noqa: S608 - names
                f"VALUES {', '.join([placeholders] * len(chunk))} "
                "ON CONFLICT (organisation_id, own, figure, level, bucket, label, value) "
                f"DO UPDATE SET count = {table}.count + excluded.count",
                [value for row in chunk for value in row],
            )


def organisations_recount(organisation_ids: Iterable[int]) -> None:
    """Bring the summary of these organisations' own candidacies (and their ancestors' subtree
    rows) up to date; runs in the writer's transaction, after its writes (registered with
    `members.freshness` by `AdmissionConfig.ready`). Four queries whatever the number of
    organisations: paths, candidacies, visits, stored rows (and the writes of what differs)."""
    paths = organisation_paths(organisation_ids)
    ids = sorted(paths)
    if not ids:
        return
    wanted = own_counts(_candidate_rows(ids), _visit_rows(ids))
    stored = _stored_own(ids)
    differences = {key: wanted.get(key, 0) - stored.get(key, 0) for key in wanted.keys() | stored.keys()}
    _add(differences, paths)


def candidates_rebuild(*, batch: int = 2000, set_based: bool | None = None) -> int:
    """Recompute the whole summary from the candidacies (the rebuild command, bulk writers); runs
    in the caller's transaction. Returns the number of rows written. On PostgreSQL one set-based
    statement per province (`_REBUILD_SQL`, the SQL twin of `own_counts`); elsewhere in Python,
    `batch` organisations at a time (`set_based=False` forces it, for the tests)."""
    if set_based is None:
        set_based = connection.vendor == "postgresql"
    if set_based:
        return rebuild_by_province(
            CandidateCount._meta.db_table, _rebuild_sql(), lambda prefix: [prefix, Stage.SX.value]
        )
    return rebuild_in_batches(
        CandidateCount,
        Candidate.objects.order_by().values_list("organisation_id", flat=True).distinct(),
        lambda chunk, paths: _add(own_counts(_candidate_rows(chunk), _visit_rows(chunk)), paths),
        batch,
    )


def _rebuild_sql() -> str:
    return _REBUILD_SQL.format(
        summary=CandidateCount._meta.db_table,
        candidate=Candidate._meta.db_table,
        transition=StageTransition._meta.db_table,
        organisation=Organisation._meta.db_table,
        year=YEAR,
        month=MONTH,
        visit=VISIT,
        removed=REMOVED,
        funnel=FUNNEL,
    )


# `own_counts` in SQL: the items of each candidacy and visit (figure, day, label, value), counted
# per organisation and year / month (the own rows), then per ancestor on the path (the subtree rows).
# The funnel's months are `completed_months` (years * 12 + months, less one when the day is not reached).
_REBUILD_SQL = """
WITH inside AS (SELECT id FROM {organisation} WHERE path LIKE %s),
items AS (
    SELECT c.organisation_id, '{removed}' AS figure, c.removal_date AS day, '' AS label, 0 AS value
    FROM {candidate} c WHERE c.organisation_id IN (SELECT id FROM inside)
      AND c.stage = %s AND c.removal_date IS NOT NULL
    UNION ALL
    SELECT c.organisation_id, '{funnel}', c.certificate_issue_date,
           CASE WHEN c.ceremony_date IS NULL THEN 'n' ELSE 'c' END
           || CASE WHEN c.branch_resolution_date IS NULL THEN '-' ELSE 'v' END
           || CASE WHEN c.dossier_start_date IS NULL THEN '-' ELSE 'd' END,
           CASE WHEN c.ceremony_date IS NULL THEN 0 ELSE
               ((EXTRACT(YEAR FROM c.ceremony_date) - EXTRACT(YEAR FROM c.certificate_issue_date)) * 12
                + EXTRACT(MONTH FROM c.ceremony_date) - EXTRACT(MONTH FROM c.certificate_issue_date)
                - CASE WHEN EXTRACT(DAY FROM c.ceremony_date) < EXTRACT(DAY FROM c.certificate_issue_date)
                       THEN 1 ELSE 0 END)::integer END
    FROM {candidate} c WHERE c.organisation_id IN (SELECT id FROM inside) AND c.certificate_issue_date IS NOT NULL
    UNION ALL
    SELECT c.organisation_id, '{visit}', t.on_date, t.from_stage, t.package_working_days
    FROM {transition} t JOIN {candidate} c ON c.id = t.candidate_id
    WHERE c.organisation_id IN (SELECT id FROM inside)
      AND t.entered_on IS NOT NULL AND t.package_working_days IS NOT NULL
),
own AS (
    SELECT organisation_id, figure, lv.level, lv.bucket, label, value, COUNT(*) AS n
    FROM items CROSS JOIN LATERAL (VALUES
        ({year}, date_trunc('year', day)::date), ({month}, date_trunc('month', day)::date)
    ) AS lv(level, bucket)
    GROUP BY 1, 2, 3, 4, 5, 6
)
INSERT INTO {summary} (organisation_id, own, figure, level, bucket, label, value, count)
SELECT * FROM (
    SELECT organisation_id, TRUE, figure, level, bucket, label, value, n FROM own
    UNION ALL
    SELECT a.id, FALSE, own.figure, own.level, own.bucket, own.label, own.value, SUM(own.n)
    FROM own JOIN {organisation} o ON o.id = own.organisation_id
    CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM o.path), '/')::bigint[]) AS a(id)
    GROUP BY 1, 3, 4, 5, 6, 7
) AS rows_ ORDER BY 1, 2, 3, 4, 5  -- in key order: a scope's rows of a figure share pages
ON CONFLICT (organisation_id, own, figure, level, bucket, label, value) DO UPDATE SET count = {summary}.count + excluded.count
"""


# --- Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodCounts:
    """A whole-month period's figures of a subtree, from the summary."""

    # stage -> working days -> visits that ended in the period (the subtree)
    visits: dict[str, dict[int, int]]
    # child of the root (None: the root's own candidacies) -> removals in the period
    removed: dict[int | None, int]
    # (months to the ceremony or None, branch vote held, dossier started, count): the cohort
    funnel: list[tuple[int | None, bool, bool, int]]


def period_counts(*, root_id: int, child_ids: Sequence[int], start: dt.date, end: dt.date) -> PeriodCounts | None:
    """The summary's figures of the subtree of `root_id` for a period of whole months (one query),
    None for any other period. The removals per child (their subtree rows) and of the root's
    own candidacies; the visits and the funnel of the whole subtree."""
    ranges = period_ranges(start, end)
    if ranges is None:
        return None
    within = " OR ".join("(s.level = %s AND s.bucket >= %s AND s.bucket <= %s)" for _range in ranges)
    range_params = [value for piece in ranges for value in piece]
    table = CandidateCount._meta.db_table
    arm = (
        f"SELECT s.organisation_id, s.own, s.figure, s.label, s.value, SUM(s.count) FROM {table} s "  # noqa: S608 - names
        "WHERE s.organisation_id IN ({ids}) AND s.own = %s AND s.figure IN ({figures}) "
        f"AND ({within}) GROUP BY 1, 2, 3, 4, 5"
    )
    arms: list[str] = []
    params: list[Any] = []
    for ids, own, figures in (
        ([root_id], False, [VISIT, FUNNEL]),
        ([root_id], True, [REMOVED]),
        (list(child_ids), False, [REMOVED]),
    ):
        if not ids:
            continue
        arms.append(arm.format(ids=", ".join(["%s"] * len(ids)), figures=", ".join(["%s"] * len(figures))))
        params += [*ids, own, *figures, *range_params]
    with read_connection().cursor() as cursor:  # the replica when the view reads from it
        cursor.execute(" UNION ALL ".join(arms), params)
        rows = cursor.fetchall()
    visits: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    removed: dict[int | None, int] = defaultdict(int)
    funnel: list[tuple[int | None, bool, bool, int]] = []
    for organisation_id, own, figure, label, value, count in rows:
        count = int(count)
        if not count:
            continue
        if figure == VISIT:
            visits[label][int(value)] += count
        elif figure == REMOVED:
            removed[None if own else int(organisation_id)] += count
        else:
            funnel.append((int(value) if label[0] == "c" else None, label[1] == "v", label[2] == "d", count))
    return PeriodCounts(visits={k: dict(v) for k, v in visits.items()}, removed=dict(removed), funnel=funnel)
