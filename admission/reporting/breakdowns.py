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
from admission.reporting.subtree import _subtree_q
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


def _breakdowns(organisation: Organisation, query: StatisticsQuery) -> dict[str, Any]:
    """Admissions by gender, ethnicity, religion, education, age band and groups (one query).

    One GROUP BY over every dimension at once (at most one row per admitted member, usually far
    fewer), summed per dimension here: one pass over the admissions instead of one per dimension.
    The groups are those of ADMISSION_GROUPS, which the people lists filter on.
    """
    columns = [*BREAKDOWN_COLUMNS.values(), *FLAG_COLUMNS.values(), "age"]
    counters: dict[str, dict[Any, int]] = defaultdict(lambda: defaultdict(int))
    groups = dict.fromkeys(ADMISSION_GROUPS, 0)
    for row in _breakdown_rows(organisation, query, columns):
        *values, count = row
        found = dict(zip(columns, values, strict=True))
        for dimension, column in BREAKDOWN_COLUMNS.items():
            counters[dimension][found[column] or ""] += count
        counters["age"][found["age"]] += count
        groups["female"] += count if found["person__gender"] == "F" else 0
        groups["ethnic_minority"] += count if found["person__ethnicity"] != "Kinh" else 0
        groups["religious"] += count if found["person__religion"] else 0
        for key, column in FLAG_COLUMNS.items():
            groups[key] += count if found[column] else 0

    def ranked(dimension: str) -> list[dict[str, Any]]:
        pairs = sorted(counters[dimension].items(), key=lambda pair: (-pair[1], str(pair[0])))
        return [{"key": key, "count": count} for key, count in pairs]

    return {
        **{dimension: ranked(dimension) for dimension in BREAKDOWN_COLUMNS},
        "age": [{"key": key, "count": count} for key, count in stats.age_bands(counters["age"]).items()],
        "groups": [{"key": key, "count": count} for key, count in groups.items()],
    }


def _breakdown_rows(organisation: Organisation, query: StatisticsQuery, columns: list[str]) -> list[tuple[Any, ...]]:
    """(the `columns`, count) of the subtree's admissions of the period, grouped by all of them.

    On PostgreSQL raw SQL that looks each admitted member's person up by id (`_BREAKDOWN_SQL`);
    elsewhere the same GROUP BY through the ORM."""
    connection = read_connection()
    if connection.vendor != "postgresql":
        admitted = _with_age(
            admitted_members(organisation=organisation, query=query),
            query.admitted_field,
            "person__date_of_birth",
            "age",
        )
        return list(admitted.values_list(*columns).annotate(n=Count("pk")).order_by())
    selected = [f"p.{_column(Person, column.removeprefix('person__'))}" for column in columns if column != "age"]
    sql = _BREAKDOWN_SQL.format(
        selected=", ".join(selected),
        groups=", ".join(str(number) for number in range(1, len(selected) + 2)),  # the columns and the age
        member=PartyMember._meta.db_table,
        person=Person._meta.db_table,
        organisation=Organisation._meta.db_table,
        day=_column(PartyMember, query.admitted_field),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"{organisation.path}%", query.start, query.end])
        return cursor.fetchall()


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(name)
    return field.column


# The admissions of the subtree in the period (an index range on the admission day, a hash of the
# subtree's organisations), each member's person then looked up by primary key: the LATERAL with
# OFFSET 0 keeps PostgreSQL from hashing all the people instead (a province: 160,000 people read
# for 3,600 admissions, 57 ms against 22 ms). The age is `_age_expression` (completed years at the
# admission day: not before the birthday, 29/02 counted from 01/03), as an integer.
_BREAKDOWN_SQL = """
SELECT {selected},
       (EXTRACT(YEAR FROM m.day) - EXTRACT(YEAR FROM p.date_of_birth)
        - CASE WHEN EXTRACT(MONTH FROM m.day) < EXTRACT(MONTH FROM p.date_of_birth)
                 OR (EXTRACT(MONTH FROM m.day) = EXTRACT(MONTH FROM p.date_of_birth)
                     AND EXTRACT(DAY FROM m.day) < EXTRACT(DAY FROM p.date_of_birth))
               THEN 1 ELSE 0 END)::integer AS age,
       COUNT(*)
FROM (
    SELECT m.person_id, m.{day} AS day
    FROM {member} m JOIN {organisation} o ON o.id = m.organisation_id
    WHERE o.path LIKE %s AND m.{day} BETWEEN %s AND %s
) m
CROSS JOIN LATERAL (
    SELECT {selected}, p.date_of_birth FROM {person} p WHERE p.id = m.person_id OFFSET 0
) p
GROUP BY {groups}
"""
