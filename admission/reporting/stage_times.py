"""Recount the stage visits stored on StageTransition rows (`entered_on`, `package_working_days`).

``services.candidate_transition`` writes both values with each row; this recount is for rows
written another way: the migration that added the columns (existing rows), rows bulk-created by
tests, and every row after an upgrade of the `holidays` package, whose calendar the stored
working days are counted with (``manage.py stage_times_refresh``; the StageTransition docstring
says why the package calendar).

Set-based, in two statements whatever the number of rows: a temporary table of working-day
indexes by the package calendar (one row per day of the transitions' date range; the index of a
day is the number of working days on or before it, so the working days of (entered, left] are
a difference of indexes), then one UPDATE with LAG over each candidate's transitions joined to
it. The raw SQL names the table rather than the model so the migration can call it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from admission.domain.statistics import PACKAGE_CALENDAR

TABLE = "admission_stagetransition"
INDEX_TABLE = "stage_time_day_index"
BATCH = 5000

_UPDATE = """
UPDATE {table} AS t
SET entered_on = p.prev,
    package_working_days = CASE WHEN p.prev IS NULL THEN NULL ELSE l.idx - e.idx END
FROM (
    SELECT id, on_date, LAG(on_date) OVER (PARTITION BY candidate_id ORDER BY at, id) AS prev
    FROM {table} {where}
) AS p
LEFT JOIN {index} AS e ON e.day = p.prev
LEFT JOIN {index} AS l ON l.day = p.on_date
WHERE p.id = t.id
"""


def stage_times_fill(connection: Any, *, candidate_ids: Sequence[int] | None = None) -> int:
    """Recount `entered_on` and `package_working_days` of the transitions of `candidate_ids`
    (every candidate when None) on `connection`; returns the number of rows updated."""
    where, params = "", []
    if candidate_ids is not None:
        if not candidate_ids:
            return 0
        where = f"WHERE candidate_id IN ({', '.join(['%s'] * len(candidate_ids))})"
        params = list(candidate_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(on_date), MAX(on_date) FROM {TABLE} {where}", params)  # noqa: S608 - placeholders only
        first, last = cursor.fetchone()
        if first is None:
            return 0
        first, last = _as_date(first), _as_date(last)
        cursor.execute(f"DROP TABLE IF EXISTS {INDEX_TABLE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {INDEX_TABLE} (day date PRIMARY KEY, idx integer NOT NULL)")
        rows: list[tuple[dt.date, int]] = []
        index, day = 0, first
        while day <= last:
            if PACKAGE_CALENDAR.is_working_day(day):
                index += 1
            rows.append((day, index))
            day += dt.timedelta(days=1)
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {INDEX_TABLE} (day, idx) VALUES {values}",  # noqa: S608 - placeholders only
                [value for row in chunk for value in row],
            )
        cursor.execute(_UPDATE.format(table=TABLE, index=INDEX_TABLE, where=where), params)
        updated = cursor.rowcount
        cursor.execute(f"DROP TABLE {INDEX_TABLE}")
    return int(updated)


def _as_date(value: Any) -> dt.date:
    """SQLite hands raw SQL dates back as text."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
