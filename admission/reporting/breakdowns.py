"""Who was admitted: admissions by gender, ethnicity, religion, education, age band and the
groups the public reports name (rules §9 (c)).

The person is read as recorded today; the age is the age at the ceremony (or decision) in
completed years (docs/decisions.md, "Statistics").
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Case, Count, F, Field, IntegerField, Model, Q, QuerySet, Value, When
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear

from admission.domain import statistics as stats
from admission.reporting.query import StatisticsQuery
from admission.reporting.subtree import Subtree, _subtree_q
from config.replica import read_connection
from members.models import Organisation, PartyMember, Person

# --- Age in SQL ------------------------------------------------------------------------------


def _age_expression(day_field: str, born_field: str) -> Any:
    """Completed years from `born_field` to `day_field` (stats.completed_years), portable SQL.

    Reads the month and day annotations of `_with_age`: a year is not complete before the
    birthday (one born on 29/02 is a year older on 01/03)."""
    not_yet = Q(_m_day__lt=F("_m_born")) | Q(_m_day=F("_m_born"), _d_day__lt=F("_d_born"))
    return (
        ExtractYear(day_field)
        - ExtractYear(born_field)
        - Case(When(not_yet, then=Value(1)), default=Value(0), output_field=IntegerField())
    )


def _with_age(qs: QuerySet[Any], day_field: str, born_field: str, name: str) -> QuerySet[Any]:
    """Annotate `name` = completed years from `born_field` to `day_field`."""
    return qs.annotate(
        _m_day=ExtractMonth(day_field),
        _m_born=ExtractMonth(born_field),
        _d_day=ExtractDay(day_field),
        _d_born=ExtractDay(born_field),
    ).annotate(**{name: _age_expression(day_field, born_field)})


def admitted_members(*, organisation: Organisation, query: StatisticsQuery) -> QuerySet[PartyMember]:
    """Members of the subtree admitted in the period (by ceremony or by decision date)."""
    return PartyMember.objects.filter(
        _subtree_q(organisation), **{f"{query.admitted_field}__range": (query.start, query.end)}
    )


# The groups the public reports name (rules §9 (c)); the person's flags as recorded today.
ADMISSION_GROUPS: dict[str, Q] = {
    "female": Q(person__gender="F"),
    "ethnic_minority": ~Q(person__ethnicity="Kinh"),
    "religious": ~Q(person__religion=""),
    "youth_union": Q(person__youth_union_member=True),
    "student": Q(person__is_student=True),
    "private_enterprise": Q(person__private_enterprise_worker=True),
}


BREAKDOWN_COLUMNS = {
    "gender": "person__gender",
    "ethnicity": "person__ethnicity",
    "religion": "person__religion",
    "education": "person__education_level",
}
FLAG_COLUMNS = {
    "youth_union": "person__youth_union_member",
    "student": "person__is_student",
    "private_enterprise": "person__private_enterprise_worker",
}


def _breakdowns(subtree: Subtree, query: StatisticsQuery) -> dict[str, Any]:
    """Admissions by gender, ethnicity, religion, education, age band and groups (one query).

    The admissions are counted per value of each dimension (`_dimension_counts`: on PostgreSQL
    one GROUPING SETS over all of them, a few dozen rows; elsewhere one GROUP BY over every
    dimension at once, added up here). The groups are those of ADMISSION_GROUPS, which the
    people lists filter on, read from the dimensions' counts.
    """
    counters = _dimension_counts(subtree, query)
    groups = {
        "female": counters["person__gender"].get("F", 0),
        "ethnic_minority": sum(count for value, count in counters["person__ethnicity"].items() if value != "Kinh"),
        "religious": sum(count for value, count in counters["person__religion"].items() if value),
        **{key: counters[column].get(True, 0) for key, column in FLAG_COLUMNS.items()},
    }

    def ranked(column: str) -> list[dict[str, Any]]:
        found: dict[Any, int] = defaultdict(int)
        for value, count in counters[column].items():
            found[value or ""] += count
        pairs = sorted(found.items(), key=lambda pair: (-pair[1], str(pair[0])))
        return [{"key": key, "count": count} for key, count in pairs]

    return {
        **{dimension: ranked(column) for dimension, column in BREAKDOWN_COLUMNS.items()},
        "age": [{"key": key, "count": count} for key, count in stats.age_bands(counters["age"]).items()],
        "groups": [{"key": key, "count": groups[key]} for key in ADMISSION_GROUPS],
    }


BREAKDOWN_DIMENSIONS = [*BREAKDOWN_COLUMNS.values(), *FLAG_COLUMNS.values(), "age"]


def _dimension_counts(subtree: Subtree, query: StatisticsQuery) -> dict[str, dict[Any, int]]:
    """For each column of BREAKDOWN_DIMENSIONS, the subtree's admissions of the period per value
    (the person as recorded today, the age at the admission day).

    On PostgreSQL raw SQL that looks each admitted member's person up by id and groups by each
    column alone (`_BREAKDOWN_SQL`, GROUPING SETS: a hash per column instead of sorting every
    combination), without the organisations when the root holds them all
    (`Subtree.holds_everything`); elsewhere the ORM's GROUP BY over all the columns, added up here."""
    organisation = subtree.root
    columns = BREAKDOWN_DIMENSIONS
    counters: dict[str, dict[Any, int]] = {column: defaultdict(int) for column in columns}
    connection = read_connection()
    if connection.vendor != "postgresql":
        admitted = _with_age(
            admitted_members(organisation=organisation, query=query),
            query.admitted_field,
            "person__date_of_birth",
            "age",
        )
        for *values, count in admitted.values_list(*columns).annotate(n=Count("pk")).order_by():
            for column, value in zip(columns, values, strict=True):
                counters[column][value] += count
        return counters
    selected = [f"p.{_column(Person, column.removeprefix('person__'))}" for column in columns if column != "age"]
    names = [*selected, "a.age"]
    params: list[Any]
    if subtree.holds_everything():
        source, params = _ADMITTED_SQL, [query.start, query.end]
    else:
        source, params = _ADMITTED_UNDER_SQL, [f"{organisation.path}%", query.start, query.end]
    sql = _BREAKDOWN_SQL.replace("{admitted}", source).format(
        selected=", ".join(selected),
        names=", ".join(names),
        sets=", ".join(f"({name})" for name in names),
        member=PartyMember._meta.db_table,
        person=Person._meta.db_table,
        organisation=Organisation._meta.db_table,
        day=_column(PartyMember, query.admitted_field),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    last = len(columns) - 1
    for grouping, *values, count in rows:
        # GROUPING(...) has a bit per column, the first column's the highest, set where the row
        # is NOT grouped by it: each row of a single-column set has exactly one bit clear.
        number = next(k for k in range(len(columns)) if not (grouping >> (last - k)) & 1)
        counters[columns[number]][values[number]] += count
    return counters


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(name)
    return field.column


# The admissions of the subtree in the period (an index range on the admission day, a hash of the
# subtree's organisations unless the root holds them all), each member's person then looked up by
# primary key: the LATERAL with OFFSET 0 keeps PostgreSQL from hashing all the people instead (a
# province: 160,000 people read for 3,600 admissions, 57 ms against 22 ms), and the index
# `person_breakdown` holds the columns read, so the lookup never reads the person's row (a
# province's year: 17 → 11.5 ms with the whole-tree shortcut). The age is `_age_expression`
# (completed years at the admission day: not before the birthday, 29/02 counted from 01/03), as an
# integer.
_ADMITTED_UNDER_SQL = """
    SELECT m.person_id, m.{day} AS day
    FROM {member} m JOIN {organisation} o ON o.id = m.organisation_id
    WHERE o.path LIKE %s AND m.{day} BETWEEN %s AND %s"""
_ADMITTED_SQL = """
    SELECT m.person_id, m.{day} AS day FROM {member} m WHERE m.{day} BETWEEN %s AND %s"""
_BREAKDOWN_SQL = """
SELECT GROUPING({names}), {names}, COUNT(*)
FROM ({admitted}
) m
CROSS JOIN LATERAL (
    SELECT {selected}, p.date_of_birth FROM {person} p WHERE p.id = m.person_id OFFSET 0
) p
CROSS JOIN LATERAL (
    SELECT (EXTRACT(YEAR FROM m.day) - EXTRACT(YEAR FROM p.date_of_birth)
            - CASE WHEN EXTRACT(MONTH FROM m.day) < EXTRACT(MONTH FROM p.date_of_birth)
                     OR (EXTRACT(MONTH FROM m.day) = EXTRACT(MONTH FROM p.date_of_birth)
                         AND EXTRACT(DAY FROM m.day) < EXTRACT(DAY FROM p.date_of_birth))
                   THEN 1 ELSE 0 END)::integer AS age
) a
GROUP BY GROUPING SETS ({sets})
"""
