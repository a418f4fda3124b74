"""The member register's statistics summary (`MemberCount`): counts per organisation and period.

The statistics page (``admission.reporting.statistics``, rules §9) asks how many members were
official and probationary at the end of a few days (the baseline, the end of the period, 1 January
of the trend years) and how many were admitted or recognised in a few periods, per child of an
organisation. Counting them from the register read every member of the subtree (150,000 for a
province). The summary holds, per organisation, the changes of each year, month and day, so a
count on a day adds up some dozens of rows per child (`counts_on`).

How it is kept: every writer of members (and of the candidacies whose recognition decision dates
them) already calls `members.freshness.organisations_changed` with the organisation paths it wrote,
in its transaction, after writing; that call recounts here (`organisations_recount`) the own rows
of those organisations from their members (one query), compares them with the stored ones and adds
the difference to the organisation's own rows and to the subtree rows of the organisation and of
every ancestor (one statement). A recount is idempotent: calling it twice, or for an organisation
that did not change, adds nothing. Bulk writers (the dataset generator, the purge) rebuild
(`members_rebuild`, also `manage.py rebuild_statistics`). Not signals: the writers call it.

A member's states over time are intervals (`member_changes`, the twin of
``admission.domain.statistics.member_status_on`` and of the SQL ``member_on_q``); a state that
holds "since always" (no ceremony date recorded) starts on `ALWAYS`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connection

from config.replica import read_connection
from members.models import MemberCount, MemberStatus, Organisation, PartyMember

ALWAYS = dt.date(1, 1, 1)
COLUMNS = (
    "official",
    "probationary",
    "admitted_ceremony",
    "admitted_decision",
    "recognised_official",
    "recognised_decision",
)
INDEX = {name: number for number, name in enumerate(COLUMNS)}
GONE = (MemberStatus.REMOVED, MemberStatus.LEFT)
Vector = tuple[int, ...]
Key = tuple[int, int, dt.date]  # organisation, level, bucket


# --- Pure: one member's changes --------------------------------------------------------------


def member_changes(
    *,
    status: str,
    decision: dt.date | None,
    ceremony: dt.date | None,
    official: dt.date | None,
    left: dt.date | None,
    recognition_decision: dt.date | None,
) -> list[tuple[dt.date, str, int]]:
    """(day, column, +1/-1) of one member: the state intervals [from, until) and the events.

    Alive (not gone) until the left date, always when none and the status is not removed/left,
    never otherwise. Official from the official date or, without one and with an official status,
    from the ceremony (or always); probationary from the ceremony (or always) until the official
    date (forever without one, never with an official status but no date)."""
    changes: list[tuple[dt.date, str, int]] = []

    def interval(column: str, start: dt.date, until: dt.date | None) -> None:
        if until is not None and until <= start:
            return
        changes.append((start, column, 1))
        if until is not None:
            changes.append((until, column, -1))

    alive = left is not None or status not in GONE
    if alive:
        started = ceremony or ALWAYS
        if official is not None:
            interval("official", official, left)
            interval("probationary", started, official if left is None else min(official, left))
        elif status == MemberStatus.OFFICIAL:
            interval("official", started, left)
        else:
            interval("probationary", started, left)
    if ceremony is not None:
        changes.append((ceremony, "admitted_ceremony", 1))
    if decision is not None:
        changes.append((decision, "admitted_decision", 1))
    if official is not None:
        changes.append((official, "recognised_official", 1))
        changes.append((recognition_decision or official, "recognised_decision", 1))
    return changes


def buckets(day: dt.date) -> tuple[tuple[int, dt.date], ...]:
    """The (level, bucket) rows a change on `day` is added to: its year, its month and its day."""
    return (
        (MemberCount.Level.YEAR, day.replace(month=1, day=1)),
        (MemberCount.Level.MONTH, day.replace(day=1)),
        (MemberCount.Level.DAY, day),
    )


def prefix_ranges(day: dt.date) -> list[tuple[int, dt.date, dt.date]]:
    """The (level, first bucket, last bucket) ranges of rows whose sum is the changes up to the
    end of `day`: the years before its year, its year's months before its month, its month's
    days up to it; a day that ends its month takes the whole month, one that ends its year the
    whole year (the usual days of the page: 31/12 reads year rows only, 01/01 one day row)."""
    year, month = day.replace(month=1, day=1), day.replace(day=1)
    if day.month == 12 and day.day == 31:
        return [(MemberCount.Level.YEAR, ALWAYS, year)]
    ranges = [(int(MemberCount.Level.YEAR), ALWAYS, year - dt.timedelta(days=1))] if year > ALWAYS else []
    last_of_month = (day + dt.timedelta(days=1)).day == 1
    if last_of_month:
        ranges.append((MemberCount.Level.MONTH, year, month))
    else:
        if month > year:
            ranges.append((MemberCount.Level.MONTH, year, month - dt.timedelta(days=1)))
        ranges.append((MemberCount.Level.DAY, month, day))
    return [(int(level), first, last) for level, first, last in ranges]


# --- Recount from the register ---------------------------------------------------------------

_MEMBER_FIELDS = ("organisation_id", "status", "admission_decision_date", "ceremony_date", "official_date", "left_date")


def _member_rows(organisation_ids: Sequence[int] | None) -> Iterator[tuple[Any, ...]]:
    """The members of these organisations (all when None), with the recognition decision of
    their candidacy (the reverse relation from the admission app, read by name)."""
    qs = PartyMember.objects.all()
    if organisation_ids is not None:
        qs = qs.filter(organisation_id__in=organisation_ids)
    fields = (*_MEMBER_FIELDS, "candidacy__recognition_decision_date")
    return qs.order_by().values_list(*fields).iterator(chunk_size=5000)


def own_counts(rows: Iterable[tuple[Any, ...]]) -> dict[Key, list[int]]:
    """The own rows (organisation, level, bucket) -> column values of these member rows."""
    counts: dict[Key, list[int]] = defaultdict(lambda: [0] * len(COLUMNS))
    for organisation_id, status, decision, ceremony, official, left, recognition in rows:
        for day, column, delta in member_changes(
            status=status,
            decision=decision,
            ceremony=ceremony,
            official=official,
            left=left,
            recognition_decision=recognition,
        ):
            for level, bucket in buckets(day):
                counts[(organisation_id, level, bucket)][INDEX[column]] += delta
    return counts


def _stored_own(organisation_ids: Sequence[int]) -> dict[Key, list[int]]:
    stored: dict[Key, list[int]] = {}
    for organisation_id, level, bucket, *values in MemberCount.objects.filter(
        organisation_id__in=organisation_ids, own=True
    ).values_list("organisation_id", "level", "bucket", *COLUMNS):
        stored[(organisation_id, level, bucket)] = list(values)
    return stored


def path_ids(path: str) -> list[int]:
    """The ids on an organisation's path: its ancestors, top first, and itself."""
    return [int(part) for part in path.strip("/").split("/") if part]


def organisation_paths(organisation_ids: Iterable[int]) -> dict[int, str]:
    """The paths of these organisations that still exist (and have one), by id (one query): what a
    recount needs to add its differences to every ancestor."""
    ids = sorted(set(organisation_ids))
    if not ids:
        return {}
    found = Organisation.objects.filter(pk__in=ids).values_list("pk", "path")
    return {pk: path for pk, path in found if path}


def _add(differences: dict[Key, list[int]], paths: dict[int, str]) -> None:
    """Add own-row differences to the own rows and to the subtree rows of every ancestor (one
    INSERT ... ON CONFLICT DO UPDATE per 500 rows; PostgreSQL and SQLite)."""
    rows: dict[tuple[int, bool, int, dt.date], list[int]] = defaultdict(lambda: [0] * len(COLUMNS))
    for (organisation_id, level, bucket), values in differences.items():
        if not any(values):
            continue
        targets = [(organisation_id, True)] + [(a, False) for a in path_ids(paths[organisation_id])]
        for target, own in targets:
            row = rows[(target, own, level, bucket)]
            for index, value in enumerate(values):
                row[index] += value
    items = [(key, values) for key, values in rows.items() if any(values)]
    if not items:
        return
    table = MemberCount._meta.db_table
    names = ", ".join(COLUMNS)
    updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in COLUMNS)
    placeholders = "(" + ", ".join(["%s"] * (4 + len(COLUMNS))) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            params: list[Any] = [value for (key, values) in chunk for value in [*key, *values]]
            cursor.execute(
                f"INSERT INTO {table} (organisation_id, own, level, bucket, {names}) "  # noqa: S608 - names
                f"VALUES {', '.join([placeholders] * len(chunk))} "
                f"ON CONFLICT (organisation_id, own, level, bucket) DO UPDATE SET {updates}",
                params,
            )


def organisations_recount(*, organisation_ids: Iterable[int]) -> None:
    """Bring the summary of these organisations' own members (and their ancestors' subtree rows)
    up to date with the register; must run in the writer's transaction, after its writes.
    Three queries whatever the number of organisations: paths, members, stored rows (and the
    writes of what differs)."""
    paths = organisation_paths(organisation_ids)
    ids = sorted(paths)
    if not ids:
        return
    wanted = own_counts(_member_rows(ids))
    stored = _stored_own(ids)
    differences: dict[Key, list[int]] = {}
    for key in wanted.keys() | stored.keys():
        new, old = wanted.get(key), stored.get(key)
        if new is None or old is None:
            differences[key] = list(new) if new is not None else [-v for v in old or ()]
        elif new != old:
            differences[key] = [a - b for a, b in zip(new, old, strict=True)]
    _add(differences, paths)


def members_rebuild(*, batch: int = 2000, set_based: bool | None = None) -> int:
    """Recompute the whole summary from the register (the rebuild command, bulk writers); runs in
    the caller's transaction. Returns the number of rows written. On PostgreSQL one set-based
    statement (`_REBUILD_SQL`, the SQL twin of `member_changes`); elsewhere in Python, `batch`
    organisations at a time (`set_based=False` forces it, for the tests)."""
    if set_based is None:
        set_based = connection.vendor == "postgresql"
    if set_based:
        sql, params = _rebuild_sql()
        return rebuild_by_province(MemberCount._meta.db_table, sql, lambda prefix: [*params, prefix])
    return rebuild_in_batches(
        MemberCount,
        PartyMember.objects.order_by().values_list("organisation_id", flat=True).distinct(),
        lambda chunk, paths: _add(own_counts(_member_rows(chunk)), paths),
        batch,
    )


def rebuild_by_province(table: str, sql: str, params: Callable[[str], Sequence[Any]]) -> int:
    """PostgreSQL: empty the summary `table` and fill it again with `sql`, run once per top-level
    subtree (a province) with `params(its LIKE prefix)`. Returns the number of rows written.

    TRUNCATE, not DELETE: millions of rows go at once (readers wait for the commit). The groupings
    hold a million keys per province: in memory rather than spilled to disk. One province at a time:
    the whole country at once spilled tens of gigabytes of sort and hash files; the rows of an
    ancestor shared by several subtrees add up (`sql`'s ON CONFLICT)."""
    written = 0
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        for prefix in top_level_prefixes():
            cursor.execute(sql, params(prefix))
            written += int(cursor.rowcount)
    return written


def rebuild_in_batches(
    model: Any,
    owners: Iterable[int],
    add: Callable[[list[int], dict[int, str]], None],
    batch: int,
) -> int:
    """Elsewhere than PostgreSQL: empty the summary `model` and fill it again by `add(organisation
    ids, every organisation's path)`, `batch` of the organisations that own rows (`owners`) at a
    time. Returns the number of rows written."""
    model.objects.all().delete()
    paths = dict(Organisation.objects.exclude(path="").values_list("pk", "path"))
    ids = sorted(set(owners))
    for start in range(0, len(ids), batch):
        add(ids[start : start + batch], paths)
    return int(model.objects.count())


def top_level_prefixes() -> list[str]:
    """`LIKE` patterns of the top-level subtrees (the provinces), for rebuilds one at a time."""
    roots = Organisation.objects.filter(parent__isnull=True).exclude(path="").order_by("path")
    return [f"{path}%" for path in roots.values_list("path", flat=True)]


def _rebuild_sql() -> tuple[str, list[Any]]:
    """`_REBUILD_SQL` with the table and column names, and its parameters."""
    candidate = PartyMember._meta.get_field("candidacy").related_model._meta.db_table  # type: ignore[union-attr]
    sql = _REBUILD_SQL.format(
        summary=MemberCount._meta.db_table,
        member=PartyMember._meta.db_table,
        candidate=candidate,
        organisation=Organisation._meta.db_table,
        always=ALWAYS.isoformat(),
        columns=", ".join(COLUMNS),
        sums=", ".join(f"SUM(own.{name})" for name in COLUMNS),
        sums_named=", ".join(f"SUM({name}) AS {name}" for name in COLUMNS),
        nonzero=" OR ".join(f"SUM({name}) <> 0" for name in COLUMNS),
        nonzero_own=" OR ".join(f"SUM(own.{name}) <> 0" for name in COLUMNS),
        added=", ".join(f"{name} = {MemberCount._meta.db_table}.{name} + excluded.{name}" for name in COLUMNS),
        levels=(
            f"SELECT organisation_id, {MemberCount.Level.YEAR}, date_trunc('year', day)::date, {{cols}} FROM e "  # noqa: S608 - names
            f"UNION ALL SELECT organisation_id, {MemberCount.Level.MONTH}, date_trunc('month', day)::date, {{cols}} "
            f"FROM e UNION ALL SELECT organisation_id, {MemberCount.Level.DAY}, day, {{cols}} FROM e"
        ).format(cols=", ".join(COLUMNS)),
    )
    return sql, [*GONE, MemberStatus.OFFICIAL]


# The changes of `member_changes` in SQL: per member, the start and end of the official and of the
# probationary interval and the four events (NULL days dropped), then summed per organisation and
# year / month / day (the own rows) and per ancestor on the path (the subtree rows).
_REBUILD_SQL = """
WITH m AS (
    SELECT m.organisation_id, m.status, m.admission_decision_date AS decision, m.ceremony_date AS ceremony,
           m.official_date AS official, m.left_date AS left_on, c.recognition_decision_date AS recognition,
           COALESCE(m.ceremony_date, DATE '{always}') AS started,
           (m.left_date IS NOT NULL OR m.status NOT IN (%s, %s)) AS alive,
           (m.status = %s) AS is_official,
           LEAST(m.official_date, COALESCE(m.left_date, m.official_date)) AS probation_end
    FROM {member} m LEFT JOIN {candidate} c ON c.member_id = m.id
    JOIN {organisation} mo ON mo.id = m.organisation_id
    WHERE mo.path LIKE %s
),
e AS (
    SELECT m.organisation_id, v.day, v.official, v.probationary, v.admitted_ceremony, v.admitted_decision,
           v.recognised_official, v.recognised_decision
    FROM m CROSS JOIN LATERAL (VALUES
        (CASE WHEN alive AND official IS NOT NULL AND (left_on IS NULL OR left_on > official) THEN official
              WHEN alive AND official IS NULL AND is_official AND (left_on IS NULL OR left_on > started)
              THEN started END, 1, 0, 0, 0, 0, 0),
        (CASE WHEN alive AND official IS NOT NULL AND left_on > official THEN left_on
              WHEN alive AND official IS NULL AND is_official AND left_on > started THEN left_on END,
         -1, 0, 0, 0, 0, 0),
        (CASE WHEN alive AND official IS NOT NULL AND probation_end > started THEN started
              WHEN alive AND official IS NULL AND NOT is_official AND (left_on IS NULL OR left_on > started)
              THEN started END, 0, 1, 0, 0, 0, 0),
        (CASE WHEN alive AND official IS NOT NULL AND probation_end > started THEN probation_end
              WHEN alive AND official IS NULL AND NOT is_official AND left_on > started THEN left_on END,
         0, -1, 0, 0, 0, 0),
        (ceremony, 0, 0, 1, 0, 0, 0),
        (decision, 0, 0, 0, 1, 0, 0),
        (official, 0, 0, 0, 0, 1, 0),
        (CASE WHEN official IS NOT NULL THEN COALESCE(recognition, official) END, 0, 0, 0, 0, 0, 1)
    ) AS v(day, official, probationary, admitted_ceremony, admitted_decision, recognised_official,
           recognised_decision)
    WHERE v.day IS NOT NULL
),
lv (organisation_id, level, bucket, {columns}) AS ({levels}),
own AS (
    SELECT organisation_id, level, bucket, {sums_named} FROM lv GROUP BY 1, 2, 3 HAVING {nonzero}
)
INSERT INTO {summary} (organisation_id, own, level, bucket, {columns})
SELECT * FROM (
    SELECT organisation_id, TRUE, level, bucket, {columns} FROM own
    UNION ALL
    SELECT a.id, FALSE, own.level, own.bucket, {sums}
    FROM own JOIN {organisation} o ON o.id = own.organisation_id
    CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM o.path), '/')::bigint[]) AS a(id)
    GROUP BY 1, 3, 4 HAVING {nonzero_own}
) AS rows_ ORDER BY 1, 2, 3, 4  -- in key order: an organisation's rows share pages (fewer read by the page)
ON CONFLICT (organisation_id, own, level, bucket) DO UPDATE SET {added}
"""


# --- Reading ---------------------------------------------------------------------------------


def counts_on(
    *, scopes: Sequence[tuple[int, bool]], days: Sequence[dt.date]
) -> dict[tuple[int, bool], dict[dt.date, dict[str, int]]]:
    """For each (organisation, own) scope, the sum of every column's changes up to the end of
    each day (one query): the members official/probationary at the end of the day, and the
    events on or before it (an event count of a period is two of them subtracted).

    The days' ranges (`prefix_ranges`) are cut into disjoint pieces (`_disjoint`), each an index
    range scan of the summary's key summed per scope, so a row is read once; the days add their
    pieces up here."""
    result: dict[tuple[int, bool], dict[dt.date, dict[str, int]]] = {
        scope: {day: dict.fromkeys(COLUMNS, 0) for day in days} for scope in scopes
    }
    if not scopes or not days:
        return result
    per_day = {day: prefix_ranges(day) for day in days}
    pieces = _disjoint({piece for day_ranges in per_day.values() for piece in day_ranges})
    arms: list[str] = []
    params: list[Any] = []
    sums = ", ".join(f"SUM(s.{column})" for column in COLUMNS)
    for own in (False, True):
        ids = [organisation_id for organisation_id, scope_own in scopes if scope_own == own]
        if not ids:
            continue
        # Year and month rows: one range scan per level, each row labelled with its piece (rows
        # between the pieces are skipped); day rows: one scan per piece (a day or a few).
        groups: list[list[int]] = [
            [n for n, piece in enumerate(pieces) if piece[0] == level]
            for level in (MemberCount.Level.YEAR, MemberCount.Level.MONTH)
        ]
        groups += [[n] for n, piece in enumerate(pieces) if piece[0] == MemberCount.Level.DAY]
        for numbers in groups:
            if not numbers:
                continue
            label = " ".join("WHEN s.bucket >= %s AND s.bucket <= %s THEN " + str(n) for n in numbers)
            arms.append(
                f"SELECT s.organisation_id, s.own, CASE {label} END AS piece, {sums} "  # noqa: S608 - names
                f"FROM {MemberCount._meta.db_table} s WHERE s.own = %s "
                f"AND s.organisation_id IN ({', '.join(['%s'] * len(ids))}) "
                "AND s.level = %s AND s.bucket >= %s AND s.bucket <= %s GROUP BY 1, 2, 3"
            )
            params += [day for n in numbers for day in pieces[n][1:]]
            params += [own, *ids, pieces[numbers[0]][0], pieces[numbers[0]][1], pieces[numbers[-1]][2]]
    # A server-side cursor (DECLARE) is never given a parallel plan: the dozens of index range
    # scans take about a millisecond, starting parallel workers took tens (bench/report.md).
    # The replica when the view reads from it (config.replica).
    with read_connection().chunked_cursor() as cursor:
        cursor.execute(" UNION ALL ".join(arms), params)
        found = cursor.fetchall()
    # The pieces each day is made of, then each scope's sums added up per day.
    covers = {
        day: [
            number
            for number, (level, first, last) in enumerate(pieces)
            if any(level == r_level and r_first <= first and last <= r_last for r_level, r_first, r_last in ranges)
        ]
        for day, ranges in per_day.items()
    }
    found_sums: dict[tuple[int, bool], dict[int, tuple[int, ...]]] = defaultdict(dict)
    for organisation_id, own, piece, *values in found:
        if piece is not None:
            found_sums[(organisation_id, bool(own))][piece] = tuple(int(v or 0) for v in values)
    zero = (0,) * len(COLUMNS)
    for scope, found_pieces in found_sums.items():
        for day, numbers in covers.items():
            rows = [found_pieces[n] for n in numbers if n in found_pieces]
            # Column by column (zip), not a generator per column: a province's page adds up some
            # thousands of these.
            totals: Sequence[int] = [sum(column) for column in zip(*rows, strict=True)] if rows else zero
            result[scope][day] = dict(zip(COLUMNS, totals, strict=True))
    return result


def _disjoint(ranges: Iterable[tuple[int, dt.date, dt.date]]) -> list[tuple[int, dt.date, dt.date]]:
    """The ranges of some days cut into disjoint pieces (each a union of them): a row is read once
    however many days count it."""
    pieces: list[tuple[int, dt.date, dt.date]] = []
    by_level: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for level, first, last in ranges:
        by_level[level].append((first, last))
    for level, spans in sorted(by_level.items()):
        cuts = sorted({first for first, _last in spans} | {last + dt.timedelta(days=1) for _first, last in spans})
        for start, after in itertools.pairwise(cuts):
            end = after - dt.timedelta(days=1)
            if any(first <= start and end <= last for first, last in spans):
                pieces.append((level, start, end))
    return pieces
