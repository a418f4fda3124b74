"""Plans (chỉ tiêu) and statistics of an organisation's subtree (rules §9): reads, two writes, Excel.

Reads aggregate in SQL (``Count`` with filters, ``values().annotate()`` histograms), grouped by the
child of the root that holds the rows (the statistics page) or by organisation, and add the
groups up in Python: a page costs the same number of queries whatever the number of members, and
the page's small aggregates share statements (``_union_all``: 12 queries in all). The arithmetic is pure
(``admission.domain.statistics``). Working days come from the calendar in Python: time in stage
groups the visits stored on the transitions (StageTransition.entered_on, package_working_days)
into a histogram, corrected by the calendar overrides; deadlines fetch the
candidates grouped by their dates (one row per distinct combination) and compute each deadline
once per distinct trigger day with ``admission.domain.deadlines``.

Performance (bench/test_statistics.py, 150,000 members; bench/test_pages.py): indexes on the member
dates and on the transitions (``on_date``; ``candidate, on_date, from_stage, package_working_days,
entered_on`` for the time in stage read from the index). The stage visits are stored when they end
(the StageTransition docstring says why their working days count with the package calendar and how
they stay right when the overrides change).

Choices where the texts are silent (docs/decisions.md, "Statistics"):

- **Admitted** = rows of the member register (PartyMember, which also holds members imported
  without a candidacy) whose ceremony date (default) or admission-decision date falls in the
  period. A decision whose ceremony is not held yet has no member row and is not counted.
- **Recognised official** = members recognised (``official_date`` set) whose official date falls
  in the period when counting by ceremony (status dates), or whose recognition decision falls in
  it when counting by decision (a member without a candidacy: the official date).
- **Removed** = candidacies closed by removal from the probationary list (SX), by removal date.
- **Plan** of an organisation for a year = its own plan, else the sum of its children's plans
  (``effective_plans``); a period uses the whole plan of every year it touches.
- **Baseline** = members (official + probationary, ``member_status_on``) at the end of the
  baseline day: the term start entered on the form (default 1 January of the term's first year),
  1 January of the period's first year, or 31 December before it.
- Breakdowns read the person as recorded today (gender, ethnicity, flags); the age is the age at
  the ceremony (or decision) in completed years.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, Case, CharField, Count, DateField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import (
    Cast,
    Coalesce,
    ExtractDay,
    ExtractMonth,
    ExtractYear,
    Left,
    NullIf,
    StrIndex,
    Substr,
)
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from admission.domain import deadlines
from admission.domain import statistics as stats
from admission.domain.calendar import WorkingCalendar
from admission.domain.stages import PIPELINE, Stage
from admission.models import AnnualPlan, CalendarOverride, Candidate, RuleOverride, StageTransition, StatisticsReport
from admission.rulebook import RuleBook, calendar_from_overrides
from members.models import MemberStatus, Organisation, OrganisationKind, PartyMember, User
from members.selectors import scope_for

AdmittedBy = StatisticsReport.AdmittedBy
ADMITTED_FIELD = {AdmittedBy.CEREMONY: "ceremony_date", AdmittedBy.DECISION: "admission_decision_date"}
TREND_YEARS = 5
# The layout of the figures dictionary (saved in StatisticsReport.figures): change it with the layout.
FIGURES_VERSION = 1
# A period longer than this is refused by the form: ten years of reports is already a lot.
MAX_PERIOD_DAYS = 3700
KIND_ORDER = {kind: index for index, kind in enumerate(OrganisationKind.values)}
# The structure counts of the public reports: "X đảng bộ cơ sở, Y chi bộ cơ sở, ...".
STRUCTURE_KINDS = (
    OrganisationKind.COMMUNE,
    OrganisationKind.GRASSROOTS_COMMITTEE,
    OrganisationKind.GRASSROOTS_BRANCH,
    OrganisationKind.SUB_COMMITTEE,
    OrganisationKind.BRANCH,
    OrganisationKind.VILLAGE_BRANCH,
)


@dataclass(frozen=True)
class StatisticsQuery:
    """What the user asked for: the period, how admissions are dated and the baseline."""

    start: dt.date
    end: dt.date
    admitted_by: str = AdmittedBy.CEREMONY
    baseline: str = stats.Baseline.YEAR_START
    term_start: dt.date | None = None

    @property
    def term(self) -> dt.date:
        return self.term_start or stats.default_term_start(self.start)

    @property
    def baseline_day(self) -> dt.date:
        return stats.baseline_date(stats.Baseline(self.baseline), period_start=self.start, term_start=self.term)

    @property
    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)

    @property
    def admitted_field(self) -> str:
        return ADMITTED_FIELD[AdmittedBy(self.admitted_by)]

    @property
    def trend_years(self) -> range:
        return range(self.end.year - TREND_YEARS + 1, self.end.year + 1)

    @classmethod
    def for_year(cls, year: int, **options: Any) -> StatisticsQuery:
        return cls(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31), **options)

    def as_params(self) -> dict[str, str]:
        """The query string of the page (dd/mm/yyyy, as the form reads it)."""
        params = {
            "start": self.start.strftime("%d/%m/%Y"),
            "end": self.end.strftime("%d/%m/%Y"),
            "admitted_by": str(self.admitted_by),
            "baseline": str(self.baseline),
        }
        if self.term_start:
            params["term_start"] = self.term_start.strftime("%d/%m/%Y")
        return params


# --- The subtree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgRow:
    id: int
    parent_id: int | None
    path: str
    kind: str
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass
class Subtree:
    """The organisations under (and including) a root, read with one query."""

    root: Organisation
    rows: dict[int, OrgRow]
    children: dict[int, list[int]] = field(default_factory=dict)
    _calendars: Calendars | None = None

    @classmethod
    def load(cls, root: Organisation) -> Subtree:
        rows = {
            pk: OrgRow(pk, parent, path, kind, name, valid_from, valid_to)
            for pk, parent, path, kind, name, valid_from, valid_to in Organisation.objects.filter(
                path__startswith=root.path
            ).values_list("pk", "parent_id", "path", "kind", "name", "valid_from", "valid_to")
        }
        children: dict[int, list[int]] = defaultdict(list)
        for row in sorted(rows.values(), key=lambda r: (KIND_ORDER.get(r.kind, 99), r.name, r.id)):
            if row.parent_id is not None and row.id != root.pk:
                children[row.parent_id].append(row.id)
        return cls(root=root, rows=rows, children=dict(children))

    @property
    def child_ids(self) -> list[int]:
        return self.children.get(self.root.pk, [])

    def child_of(self, org_id: int) -> int | None:
        """The root's child that holds `org_id` (None for the root itself)."""
        return stats.child_under(self.rows[org_id].path, self.root.path)

    def calendars(self, rows: RootRows | None = None) -> Calendars:
        """Calendars and rule book of the subtree's organisations (read once: from `rows`, or one query).

        The same rules as ``rulebook.calendar_for``/``rulebook_for`` (the national overrides plus
        those of the organisation and its ancestors; the province's rule overrides), but the
        organisations are grouped by the organisations above them that have overrides of their
        own: a province of 2,000 branches usually builds one calendar, not 2,000.
        """
        if self._calendars is None:
            self._calendars = Calendars.load(self, rows)
        return self._calendars


@dataclass(frozen=True)
class Calendars:
    """Calendar groups of a subtree: group 0 is the root's; group i > 0 covers `paths[i]`.

    A group i > 0 is the subtree of the deepest organisation with calendar overrides of its own;
    groups are numbered deepest first so that `group_sql` can test the paths in order.
    """

    groups: tuple[WorkingCalendar, ...]
    paths: tuple[str, ...]  # paths[0] is the root's path
    group_of: dict[int, int]
    rules: RuleBook

    @classmethod
    def load(cls, subtree: Subtree, rows: RootRows | None = None) -> Calendars:
        """From `rows` (``RootRows.load``) when the caller read them already, else one query."""
        root = subtree.root
        rows = rows if rows is not None else RootRows.load(root, years=())
        overrides: dict[int | None, list[tuple[dt.date, bool]]] = defaultdict(list)
        for org_id, day, working in rows.calendar:
            overrides[org_id].append((day, working))
        keys = {
            pk: tuple(int(p) for p in row.path.strip("/").split("/") if p and int(p) in overrides)
            for pk, row in subtree.rows.items()
        }
        root_key = keys[root.pk]
        others = sorted({k for k in keys.values() if k != root_key}, key=lambda k: -len(subtree.rows[k[-1]].path))
        group_keys = [root_key, *others]
        groups = tuple(
            calendar_from_overrides([*overrides.get(None, []), *(row for i in key for row in overrides[i])])
            for key in group_keys
        )
        number = {key: index for index, key in enumerate(group_keys)}
        rules = RuleBook(overrides=tuple(rows.rules))
        return cls(
            groups=groups,
            paths=(root.path, *(subtree.rows[k[-1]].path for k in others)),
            group_of={pk: number[key] for pk, key in keys.items()},
            rules=rules,
        )

    def of(self, org_id: int) -> WorkingCalendar:
        return self.groups[self.group_of[org_id]]

    def group_sql(self, path_column: str) -> tuple[str, list[str]]:
        """SQL for the group number of a row whose organisation path is `path_column`."""
        if len(self.groups) == 1:
            return "0", []
        whens = " ".join(f"WHEN {path_column} LIKE %s THEN {i}" for i in range(1, len(self.groups)))
        return f"CASE {whens} ELSE 0 END", [f"{path}%" for path in self.paths[1:]]

    def group_expression(self) -> Any:
        """The ORM twin of `group_sql` for rows with an `organisation`."""
        if len(self.groups) == 1:
            return Value(0, output_field=IntegerField())
        return Case(
            *[When(organisation__path__startswith=path, then=Value(i)) for i, path in enumerate(self.paths) if i],
            default=Value(0),
            output_field=IntegerField(),
        )


def _subtree_q(organisation: Organisation, prefix: str = "organisation__") -> Q:
    return Q(**{f"{prefix}path__startswith": organisation.path})


def _child_of_root(root: Organisation, path_field: str = "organisation__path") -> Any:
    """SQL for the root's child whose subtree holds the row (NULL for the root's own rows): the
    first id of the path after the root's (SQL twin of ``stats.child_under``), so aggregates
    group by the few children instead of the thousands of organisations."""
    rest = Substr(path_field, len(root.path) + 1)  # "23/456/" under child 23, "" for the root
    first_id = Left(rest, StrIndex(rest, Value("/")) - 1)
    return Cast(NullIf(first_id, Value("")), output_field=IntegerField())


def _child_sql(root: Organisation, path_column: str) -> str:
    """Raw SQL twin of `_child_of_root` (PostgreSQL, or SQLite's string functions)."""
    start = len(root.path) + 1
    if connection.vendor == "postgresql":
        return f"NULLIF(split_part(substr({path_column}, {start}), '/', 1), '')::integer"
    rest = f"substr({path_column}, {start})"
    return f"CAST(NULLIF(substr({rest}, 1, instr({rest}, '/') - 1), '') AS INTEGER)"


def _typed_null(output_field: Any) -> Any:
    """A NULL of a given type: each column of a UNION needs one type on PostgreSQL."""
    return Cast(Value(None), output_field=output_field)


def _union_all(
    parts: Sequence[QuerySet[Any]], columns: Sequence[str], prefix: tuple[str, list[Any]] = ("", [])
) -> list[tuple[Any, ...]]:
    """The rows of several querysets in one statement (UNION ALL), each selecting `columns`.

    Every part annotates the same column names with the same types (typed NULLs where a part
    has nothing to say); the first column is usually a constant naming the part. One round trip
    instead of one per part: the statistics page reads a dozen small aggregates. `prefix` is SQL
    put before the statement (a WITH clause) and its parameters.
    """
    selects: list[str] = []
    params: list[Any] = list(prefix[1])
    names = ", ".join(columns)
    for number, part in enumerate(parts):
        sql, part_params = part.values(*columns).query.sql_with_params()
        selects.append(f"SELECT {names} FROM ({sql}) part{number}")  # noqa: S608 - compiled ORM SQL
        params += part_params
    with connection.cursor() as cursor:
        cursor.execute(prefix[0] + " UNION ALL ".join(selects), params)
        return cursor.fetchall()


@dataclass(frozen=True)
class RootRows:
    """The small tables keyed by the root of a subtree, read in one statement: the calendar
    overrides (national, of the root's ancestors and of its subtree), the province's rule
    overrides and the subtree's plans of some years."""

    calendar: list[tuple[int | None, dt.date, bool]]
    rules: list[tuple[dt.date, str, int, str]]
    plans: list[tuple[int, int, int]]  # organisation id, year, admit

    COLUMNS = ("part", "org", "day", "flag", "key", "number", "label", "year")

    @classmethod
    def load(cls, root: Organisation, *, years: Iterable[int]) -> RootRows:
        above = root.ancestor_ids()
        text, integer = CharField(), IntegerField()
        calendar = CalendarOverride.objects.filter(
            Q(organisation__isnull=True) | Q(organisation_id__in=above) | Q(organisation__path__startswith=root.path)
        ).annotate(
            part=Value("calendar", output_field=text),
            org=F("organisation_id"),
            flag=F("is_working_day"),
            key=_typed_null(text),
            number=_typed_null(integer),
            label=_typed_null(text),
            year=_typed_null(integer),
        )
        rules = RuleOverride.objects.filter(province_id=above[0]).annotate(
            part=Value("rule", output_field=text),
            org=F("province_id"),
            # `key` and `label` are the override's own columns.
            day=F("effective_from"),
            flag=_typed_null(BooleanField()),
            number=F("value"),
            year=_typed_null(integer),
        )
        parts: list[QuerySet[Any]] = [
            calendar,
            rules,
        ]
        wanted = sorted(set(years))
        if wanted:
            parts.append(
                AnnualPlan.objects.filter(_subtree_q(root), year__in=wanted).annotate(
                    part=Value("plan", output_field=text),
                    org=F("organisation_id"),
                    day=_typed_null(DateField()),
                    flag=_typed_null(BooleanField()),
                    key=_typed_null(text),
                    number=F("admit"),
                    label=_typed_null(text),
                )
            )
        found = cls(calendar=[], rules=[], plans=[])
        for part, org, day, flag, key, number, label, year in _union_all(parts, cls.COLUMNS):
            if part == "calendar":
                found.calendar.append((org, _as_date(day), bool(flag)))
            elif part == "rule":
                found.rules.append((_as_date(day), key, number, label))
            else:
                found.plans.append((org, year, number))
        return found


def _as_date(value: Any) -> dt.date:
    """SQLite hands raw SQL dates back as text."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# --- Members on a day ----------------------------------------------------------------------

GONE = [MemberStatus.REMOVED, MemberStatus.LEFT]


def member_on_q(day: dt.date, state: str, prefix: str = "") -> Q:
    """SQL twin of ``admission.domain.statistics.member_status_on``: members in `state` at the end of `day`.

    official: official date on or before the day, or (no official date, today's status official
    and the ceremony on or before the day or unrecorded); probationary: ceremony on or before the
    day (or unrecorded) and not official yet; both: not gone (a left date after the day, or no
    left date and a status that is not removed/left).
    """

    def q(**lookups: Any) -> Q:
        return Q(**{f"{prefix}{key}": value for key, value in lookups.items()})

    not_gone = q(left_date__gt=day) | (q(left_date__isnull=True) & ~q(status__in=GONE))
    started = q(ceremony_date__isnull=True) | q(ceremony_date__lte=day)
    if state == "official":
        return not_gone & (
            q(official_date__lte=day) | (q(official_date__isnull=True, status=MemberStatus.OFFICIAL) & started)
        )
    if state == "probationary":
        return (
            not_gone
            & started
            & (q(official_date__gt=day) | (q(official_date__isnull=True) & ~q(status=MemberStatus.OFFICIAL)))
        )
    if state == "all":
        # official or probationary, simplified: whoever is not gone and has started or is official.
        return not_gone & (started | q(official_date__lte=day))
    raise ValueError(state)


def member_counts_on(*, organisation: Organisation, days: Sequence[dt.date]) -> dict[dt.date, dict[str, int]]:
    """Official and probationary members of the subtree at the end of each day (one query)."""
    aggregates: dict[str, Any] = {}
    for index, day in enumerate(days):
        aggregates[f"o{index}"] = Count("pk", filter=member_on_q(day, "official"))
        aggregates[f"p{index}"] = Count("pk", filter=member_on_q(day, "probationary"))
    found = PartyMember.objects.filter(_subtree_q(organisation)).aggregate(**aggregates)
    return {
        day: {"official": found[f"o{i}"], "probationary": found[f"p{i}"], "total": found[f"o{i}"] + found[f"p{i}"]}
        for i, day in enumerate(days)
    }


# --- Plans -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plans:
    """The subtree's plans of some years: own (as entered) and effective (own, else the sum below)."""

    own: dict[int, dict[int, int]]  # year -> organisation id -> admit
    effective: dict[int, dict[int, int | None]]

    @classmethod
    def load(cls, subtree: Subtree, years: Iterable[int], rows: RootRows | None = None) -> Plans:
        """Every plan of the subtree in those years: from `rows` (``RootRows.load`` with these
        years) when the caller read them already, else one query."""
        wanted = sorted(set(years))
        own: dict[int, dict[int, int]] = {year: {} for year in wanted}
        if rows is None:
            found = AnnualPlan.objects.filter(_subtree_q(subtree.root), year__in=wanted).values_list(
                "organisation_id", "year", "admit"
            )
            plan_rows: Iterable[tuple[int, int, int]] = found
        else:
            plan_rows = rows.plans
        planned: set[int] = set()  # organisations with a plan of their own or below, any year
        for org_id, year, admit in plan_rows:
            own[year][org_id] = admit
            if org_id in subtree.rows and org_id not in planned:
                planned.update(int(p) for p in subtree.rows[org_id].path.strip("/").split("/"))
        effective = {
            # Only the root's and its children's plans are read (`total`): not the whole subtree.
            year: stats.effective_plans(
                children=subtree.children, own=own[year], root=subtree.root.pk, complete=False, planned=planned
            )
            for year in wanted
        }
        return cls(own=own, effective=effective)

    def total(self, org_id: int, years: Iterable[int], *, own_only: bool = False) -> int | None:
        """The plans of `org_id` summed over `years`; None when no year has one."""
        table = self.own if own_only else self.effective
        present = [value for year in years if (value := table[year].get(org_id)) is not None]
        return sum(present) if present else None


# --- The statistics page -------------------------------------------------------------------


def _pct_plan(part: int, whole: int | None) -> str | None:
    value = stats.percentage(part, whole, decimals=stats.PLAN_DECIMALS)
    return None if value is None else str(value)


def _pct_base(part: int, whole: int | None) -> str | None:
    value = stats.percentage(part, whole, decimals=stats.BASELINE_DECIMALS)
    return None if value is None else str(value)


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


def _with_months(qs: QuerySet[Any], start_field: str, end_field: str, name: str) -> QuerySet[Any]:
    """Annotate `name` = completed months from `start_field` to `end_field` (stats.completed_months)."""
    return qs.annotate(
        _d_start=ExtractDay(start_field),
        _d_end=ExtractDay(end_field),
    ).annotate(
        **{
            name: (ExtractYear(end_field) - ExtractYear(start_field)) * 12
            + ExtractMonth(end_field)
            - ExtractMonth(start_field)
            - Case(When(_d_end__lt=F("_d_start"), then=Value(1)), default=Value(0), output_field=IntegerField())
        }
    )


def admitted_members(*, organisation: Organisation, query: StatisticsQuery) -> QuerySet[PartyMember]:
    """Members of the subtree admitted in the period (by ceremony or by decision date)."""
    return PartyMember.objects.filter(
        _subtree_q(organisation), **{f"{query.admitted_field}__range": (query.start, query.end)}
    )


def _recognised_q(query: StatisticsQuery) -> Q:
    if query.admitted_by == AdmittedBy.DECISION:
        return Q(official_date__isnull=False, recognised_on__range=(query.start, query.end))
    return Q(official_date__range=(query.start, query.end))


def _with_recognised_on(qs: QuerySet[PartyMember], query: StatisticsQuery) -> QuerySet[PartyMember]:
    if query.admitted_by == AdmittedBy.DECISION:
        return qs.annotate(recognised_on=Coalesce("candidacy__recognition_decision_date", "official_date"))
    return qs


def _member_groups(subtree: Subtree, query: StatisticsQuery) -> dict[int | None, dict[str, int]]:
    """Per child of the root (None: the root's own members), in one scan of the subtree's
    members: members at the baseline, at the end
    of the period and at the start of each trend year; admitted and recognised in the period;
    admitted in each trend year."""
    counts: dict[str, Any] = {
        "base_official": Count("pk", filter=member_on_q(query.baseline_day, "official")),
        "base_probationary": Count("pk", filter=member_on_q(query.baseline_day, "probationary")),
        "end_official": Count("pk", filter=member_on_q(query.end, "official")),
        "end_probationary": Count("pk", filter=member_on_q(query.end, "probationary")),
        "admitted": Count("pk", filter=Q(**{f"{query.admitted_field}__range": (query.start, query.end)})),
        "recognised": Count("pk", filter=_recognised_q(query)),
        **{f"start_{year}": Count("pk", filter=member_on_q(dt.date(year, 1, 1), "all")) for year in query.trend_years},
        # Admissions of each trend year (the trend chart), in the same scan.
        **{
            f"admitted_{year}": Count(
                "pk", filter=Q(**{f"{query.admitted_field}__range": (dt.date(year, 1, 1), dt.date(year, 12, 31))})
            )
            for year in query.trend_years
        },
    }
    qs = _with_recognised_on(PartyMember.objects.filter(_subtree_q(subtree.root)), query)
    # Grouped by organisation (one integer key per member row), then those few thousand groups
    # by the root's child: the path is cut once per organisation, not once per member.
    inner, params = qs.values("organisation_id").annotate(**counts).order_by().query.sql_with_params()
    sums = ", ".join(f"SUM(g.{name})" for name in counts)
    sql = (
        f"SELECT {_child_sql(subtree.root, 'o.path')}, {sums} FROM ({inner}) g "  # noqa: S608 - compiled ORM SQL
        f"JOIN {Organisation._meta.db_table} o ON o.id = g.organisation_id GROUP BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {child: {name: int(value) for name, value in zip(counts, values, strict=True)} for child, *values in rows}


def _removed_part(subtree: Subtree, query: StatisticsQuery) -> QuerySet[Candidate]:
    """Removals from the probationary list in the period, per child of the root (`_candidate_figures`)."""
    return (
        Candidate.objects.filter(
            _subtree_q(subtree.root), stage=Stage.SX.value, removal_date__range=(query.start, query.end)
        )
        .order_by()
        .annotate(
            part=Value("removed", output_field=CharField()),
            i1=_child_of_root(subtree.root),
            i2=_typed_null(IntegerField()),
            d1=_typed_null(DateField()),
            d2=_typed_null(DateField()),
            flag=_typed_null(BooleanField()),
        )
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
    admitted = _with_age(
        admitted_members(organisation=organisation, query=query), query.admitted_field, "person__date_of_birth", "age"
    )
    columns = [*BREAKDOWN_COLUMNS.values(), *FLAG_COLUMNS.values(), "age"]
    counters: dict[str, dict[Any, int]] = defaultdict(lambda: defaultdict(int))
    groups = dict.fromkeys(ADMISSION_GROUPS, 0)
    for row in admitted.values_list(*columns).annotate(n=Count("pk")).order_by():
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


# The cohort is the candidates whose awareness-class certificate falls in the period; each step
# counts those who got at least that far (the dossier permitted, the branch vote, the ceremony).
FUNNEL_FILTERS: dict[str, Q] = {
    "certificate": Q(),
    "dossier": Q(dossier_start_date__isnull=False),
    "branch_vote": Q(branch_resolution_date__isnull=False),
    "admitted": Q(ceremony_date__isnull=False),
}
FUNNEL_STEPS = tuple(FUNNEL_FILTERS)


def _funnel_part(organisation: Organisation, query: StatisticsQuery) -> QuerySet[Candidate]:
    """The awareness-class cohort of the period grouped by months to the ceremony (NULL: not
    admitted), branch vote (1/0) and dossier (flag): `_funnel` adds the steps up."""
    cohort = Candidate.objects.filter(
        _subtree_q(organisation), certificate_issue_date__range=(query.start, query.end)
    ).order_by()
    return _with_months(cohort, "certificate_issue_date", "ceremony_date", "months").annotate(
        part=Value("funnel", output_field=CharField()),
        i1=F("months"),
        i2=Case(When(FUNNEL_FILTERS["branch_vote"], then=Value(1)), default=Value(0), output_field=IntegerField()),
        d1=_typed_null(DateField()),
        d2=_typed_null(DateField()),
        flag=Case(When(FUNNEL_FILTERS["dossier"], then=Value(True)), default=Value(False), output_field=BooleanField()),
    )


def _funnel(rows: Iterable[tuple[int | None, int, bool, int]]) -> dict[str, Any]:
    """The cohort's steps and median months to the ceremony, from (months, voted, dossier, n)."""
    steps = dict.fromkeys(FUNNEL_STEPS, 0)
    months: dict[int, int] = defaultdict(int)
    for month, voted, dossier, count in rows:
        steps["certificate"] += count
        steps["dossier"] += count if dossier else 0
        steps["branch_vote"] += count if voted else 0
        if month is not None:  # the ceremony is held (FUNNEL_FILTERS["admitted"])
            steps["admitted"] += count
            months[int(month)] += count
    values = [steps[key] for key in FUNNEL_STEPS]
    percents = stats.funnel_percentages(values)
    return {
        "steps": [
            {"key": key, "count": count, "percent": None if pct is None else str(pct)}
            for key, count, pct in zip(FUNNEL_STEPS, values, percents, strict=True)
        ],
        "median_months": stats.quantile(months, 0.5),
    }


# --- Time in stage ---------------------------------------------------------------------------

_VISITS_SQL = """
SELECT v.stage, v.days + {correction}, COUNT(*)
FROM (
    SELECT t.from_stage AS stage,
           t.package_working_days AS days,
           t.entered_on AS entered_on,
           t.on_date AS left_on,
           {group} AS grp
    FROM {transition} t
    JOIN {candidate} c ON c.id = t.candidate_id
    JOIN {organisation} o ON o.id = c.organisation_id
    WHERE o.path LIKE %s AND t.on_date >= %s AND t.on_date <= %s AND t.entered_on IS NOT NULL
) v
GROUP BY 1, 2
"""


def _override_correction(calendars: Calendars, last: dt.date) -> tuple[str, list[Any]]:
    """SQL for the working days the overrides add to (or take from) a visit's stored count.

    The stored count uses the package calendar (StageTransition docstring); each calendar group
    differs from it on its override days only (``stats.override_deltas``): +1/-1 for each such
    day inside the visit (entered_on, left_on]. Days after `last` end no visit of the period.
    """
    terms: list[str] = []
    params: list[Any] = []
    several = len(calendars.groups) > 1
    for number, calendar in enumerate(calendars.groups):
        for day, delta in stats.override_deltas(calendar):
            if day > last:
                continue
            group = f"v.grp = {number} AND " if several else ""
            terms.append(f"CASE WHEN {group}v.entered_on < %s AND v.left_on >= %s THEN {delta} ELSE 0 END")
            params += [day, day]
    return (" + ".join(terms) if terms else "0"), params


def _time_in_stage(subtree: Subtree, query: StatisticsQuery) -> list[dict[str, Any]]:
    """Median and 90th percentile of working days spent in each stage, visits ended in the period.

    A visit of a stage runs from the transition into it to the next transition out of it; each
    transition stores the visit it ends (day entered, working days by the package calendar, see
    StageTransition), and the first stay in S0 has no transition into it and is not counted. One
    query groups the visits of the subtree that ended in the period by stage and working days,
    the stored count corrected by the calendar overrides of the visit's calendar group
    (`_override_correction`): a histogram per stage, whatever the number of visits.
    """
    calendars = subtree.calendars()
    group, group_params = calendars.group_sql("o.path")
    correction, correction_params = _override_correction(calendars, query.end)
    sql = _VISITS_SQL.format(
        correction=correction,
        group=group,
        transition=StageTransition._meta.db_table,
        candidate=Candidate._meta.db_table,
        organisation=Organisation._meta.db_table,
    )
    # Placeholders in text order: the correction (outer SELECT), then the group and the filters.
    params: list[Any] = [*correction_params, *group_params, f"{subtree.root.path}%", query.start, query.end]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    histograms: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for stage, days, count in rows:
        histograms[stage][days] += count
    order = [s.value for s in PIPELINE] + [Stage.SY.value, Stage.SZ.value]
    return [
        {
            "stage": stage,
            "count": sum(histograms[stage].values()),
            "median": stats.quantile(histograms[stage], 0.5),
            "p90": stats.quantile(histograms[stage], 0.9),
        }
        for stage in order
        if stage in histograms
    ]


# --- Deadlines met or missed -----------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineKind:
    key: str
    trigger: str  # the date field that starts the time limit
    done: str  # the date field that meets it
    # The triggers whose deadline can fall in the period lie in [start - longest, end - shortest]:
    # a limit of N working days is at least N calendar days and, with the longest extension and
    # Tết, well under `longest_days`; 12 months more (at least 365 days) for the probation.
    shortest_days: int
    longest_days: int
    compute: Callable[[dt.date, WorkingCalendar, RuleBook, bool], dt.date]


def _decision_limit(day: dt.date, calendar: WorkingCalendar, book: RuleBook, extended: bool) -> dt.date:
    return deadlines.admission_decision_deadline(
        branch_resolution_date=day, calendar=calendar, rules=book.for_date(day), extended=extended
    ).day


def _ceremony_limit(day: dt.date, calendar: WorkingCalendar, book: RuleBook, _extended: bool) -> dt.date:
    return deadlines.ceremony_deadline(decision_received_date=day, calendar=calendar, rules=book.for_date(day)).day


def _recognition_branch_limit(day: dt.date, calendar: WorkingCalendar, book: RuleBook, _extended: bool) -> dt.date:
    """30 WD after the end of probation, itself 12 months after the ceremony (`day`)."""
    end = deadlines.probation_end(ceremony_date=day, rules=book.for_date(day)).day
    return deadlines.recognition_branch_deadline(
        probation_end_date=end, calendar=calendar, rules=book.for_date(end)
    ).day


def _recognition_decision_limit(day: dt.date, calendar: WorkingCalendar, book: RuleBook, extended: bool) -> dt.date:
    return deadlines.recognition_decision_deadline(
        branch_resolution_date=day, calendar=calendar, rules=book.for_date(day), extended=extended
    ).day


DEADLINE_KINDS: tuple[DeadlineKind, ...] = (
    DeadlineKind("decision", "branch_resolution_date", "decision_date", 30, 150, _decision_limit),
    DeadlineKind("ceremony", "decision_received_date", "ceremony_date", 30, 120, _ceremony_limit),
    DeadlineKind(
        "recognition_branch", "ceremony_date", "recognition_branch_date", 365 + 30, 370 + 120, _recognition_branch_limit
    ),
    DeadlineKind(
        "recognition_decision",
        "recognition_branch_date",
        "recognition_decision_date",
        30,
        150,
        _recognition_decision_limit,
    ),
)
DEADLINE_BY_KEY = {kind.key: kind for kind in DEADLINE_KINDS}
OUTCOMES = ("met", "late", "overdue", "open")


def _deadline_qs(subtree: Subtree, query: StatisticsQuery, kind: DeadlineKind) -> QuerySet[Candidate]:
    """The candidates whose time limit of `kind` may end in the period, with their calendar group
    (`grp`). Candidates removed (SX) before meeting a limit are left out (not overdue or open)."""
    window = (query.start - dt.timedelta(days=kind.longest_days), query.end - dt.timedelta(days=kind.shortest_days))
    return (
        Candidate.objects.filter(_subtree_q(subtree.root), **{f"{kind.trigger}__range": window})
        .exclude(Q(stage=Stage.SX.value) & Q(**{f"{kind.done}__isnull": True}))
        .order_by()
        .annotate(grp=subtree.calendars().group_expression())
    )


def _deadline_part(subtree: Subtree, query: StatisticsQuery, kind: DeadlineKind) -> QuerySet[Candidate]:
    """`_deadline_qs` in the columns of `_candidate_figures`: group, trigger, done, extended."""
    return _deadline_qs(subtree, query, kind).annotate(
        part=Value(kind.key, output_field=CharField()),
        i1=F("grp"),
        i2=_typed_null(IntegerField()),
        d1=F(kind.trigger),
        d2=F(kind.done),
        flag=F("deadline_extended"),
    )


def _deadline_outcomes(
    subtree: Subtree,
    query: StatisticsQuery,
    today: dt.date,
    kind: DeadlineKind,
    rows: Iterable[tuple[int, dt.date, dt.date | None, bool, int, list[int]]],
) -> list[tuple[str, int, list[int]]]:
    """(outcome, count, candidate ids) of the limits that end in the period, from rows
    (calendar group, trigger, done, extended, count, ids); each deadline is computed once per
    distinct trigger and calendar with the functions of ``admission.domain.deadlines``."""
    calendars = subtree.calendars()
    memo: dict[tuple[int, dt.date, bool], dt.date] = {}
    found: list[tuple[str, int, list[int]]] = []
    for number, trigger, done, extended, count, ids in rows:
        key = (number, trigger, extended)
        limit = memo.get(key)
        if limit is None:
            limit = memo[key] = kind.compute(trigger, calendars.groups[number], calendars.rules, extended)
        if query.start <= limit <= query.end:
            found.append((stats.deadline_outcome(deadline=limit, done=done, as_of=today), count, ids))
    return found


def _deadline_cases(
    subtree: Subtree, query: StatisticsQuery, today: dt.date, kind: DeadlineKind
) -> list[tuple[str, int, list[int]]]:
    """(outcome, 1, [candidate id]) of every time limit of `kind` that ends in the period (one
    query; the people lists)."""
    columns = ["grp", kind.trigger, kind.done, "deadline_extended", "pk"]
    rows = [(*row[:-1], 1, [row[-1]]) for row in _deadline_qs(subtree, query, kind).values_list(*columns)]
    return _deadline_outcomes(subtree, query, today, kind, rows)


def _deadlines(
    subtree: Subtree, query: StatisticsQuery, today: dt.date, rows: Mapping[str, list[tuple[Any, ...]]]
) -> list[dict[str, Any]]:
    """Limits met, late, overdue and open per kind, from the rows of `_candidate_figures`."""
    result = []
    for kind in DEADLINE_KINDS:
        totals = dict.fromkeys(OUTCOMES, 0)
        found: list[tuple[int, dt.date, dt.date | None, bool, int, list[int]]] = [
            (int(number), _as_date(trigger), None if done is None else _as_date(done), bool(extended), count, [])
            for number, _i2, trigger, done, extended, count in rows.get(kind.key, [])
        ]
        for outcome, count, _ids in _deadline_outcomes(subtree, query, today, kind, found):
            totals[outcome] += count
        decided = totals["met"] + totals["late"] + totals["overdue"]
        result.append({"key": kind.key, **totals, "met_percent": _pct_plan(totals["met"], decided)})
    return result


CANDIDATE_COLUMNS = ("part", "i1", "i2", "d1", "d2", "flag")


def _subtree_candidates(root: Organisation) -> tuple[str, list[Any]]:
    """On PostgreSQL, a WITH clause that reads the subtree's candidates once, under the name of
    the candidate table: the six parts of `_candidate_figures` then scan those rows instead of
    the whole table six times (Hà Nội on the national preset: 26,000 of 300,000 candidates). A
    CTE shadows a table of the same name in PostgreSQL; SQLite refuses it (a circular
    reference) and its demo databases are small, so it scans the table."""
    if connection.vendor != "postgresql":
        return "", []
    candidate, organisation = Candidate._meta.db_table, Organisation._meta.db_table
    # Only the columns the parts read (a narrower row to materialise than the whole candidate).
    names = {"id", "organisation_id", "stage", "removal_date", "deadline_extended"}
    names |= {"certificate_issue_date", "ceremony_date", "dossier_start_date", "branch_resolution_date"}
    names |= {field for kind in DEADLINE_KINDS for field in (kind.trigger, kind.done)}
    columns = ", ".join(f"c.{name}" for name in sorted(names))
    return (
        f'WITH "{candidate}" AS MATERIALIZED (SELECT {columns} FROM "{candidate}" c '  # noqa: S608 - names
        f'JOIN "{organisation}" o ON o.id = c.organisation_id WHERE o.path LIKE %s) ',
        [f"{root.path}%"],
    )


def _candidate_figures(
    subtree: Subtree, query: StatisticsQuery, today: dt.date
) -> tuple[dict[int | None, int], dict[str, Any], list[dict[str, Any]]]:
    """Removals per child of the root, the funnel and the deadlines: six aggregates over the
    subtree's candidates in one statement (`_union_all`), each a GROUP BY of its own filter."""
    parts = [
        _removed_part(subtree, query),
        _funnel_part(subtree.root, query),
        *(_deadline_part(subtree, query, kind) for kind in DEADLINE_KINDS),
    ]
    counted = [part.values(*CANDIDATE_COLUMNS).annotate(n=Count("pk")) for part in parts]
    by_part: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for name, *values in _union_all(counted, (*CANDIDATE_COLUMNS, "n"), _subtree_candidates(subtree.root)):
        by_part[name].append(tuple(values))
    removed: dict[int | None, int] = defaultdict(int)
    for child, _i2, _d1, _d2, _flag, count in by_part["removed"]:
        removed[None if child is None else int(child)] += count
    funnel = _funnel((months, voted, dossier, count) for months, voted, _d1, _d2, dossier, count in by_part["funnel"])
    return dict(removed), funnel, _deadlines(subtree, query, today, by_part)


# --- Everything on the page ----------------------------------------------------------------


def _trend(subtree: Subtree, query: StatisticsQuery, plans: Plans, totals: Mapping[str, int]) -> list[dict[str, Any]]:
    """Admissions, plan and start-of-year members of the last five years (from `_member_groups`)."""
    rows = []
    for year in query.trend_years:
        plan = plans.effective[year].get(subtree.root.pk)
        members = totals[f"start_{year}"]
        count = totals[f"admitted_{year}"]
        rows.append(
            {
                "year": year,
                "admitted": count,
                "plan": plan,
                "plan_percent": _pct_plan(count, plan),
                "members": members,
                "members_percent": _pct_base(count, members),
            }
        )
    return rows


def statistics_figures(
    *, user: User, organisation: Organisation, query: StatisticsQuery, today: dt.date
) -> dict[str, Any]:
    """Every figure of the statistics page of `organisation`'s subtree, JSON-serialisable.

    The same dictionary is rendered, exported and saved (StatisticsReport.figures). Labels are
    not in it (keys only), so a saved report reads in either language. Six queries whatever the
    number of rows (tests/functional/admission/test_statistics_views.py): the subtree, the small
    tables keyed by the root (`RootRows`), the members (`_member_groups`), the breakdowns, the
    candidates (`_candidate_figures`) and the time in stage.
    """
    if not scope_for(user).can_read(organisation):
        raise Http404
    subtree = Subtree.load(organisation)
    end_day = query.end
    years = [*query.years, *query.trend_years]
    root_rows = RootRows.load(organisation, years=years)
    subtree.calendars(root_rows)
    plans = Plans.load(subtree, years, root_rows)
    groups = _member_groups(subtree, query)
    removed, funnel, deadlines = _candidate_figures(subtree, query, today)

    def rollup(keys: Iterable[int | None]) -> dict[str, int]:
        """The counts of some children of the root (None: the root's own rows), added up."""
        total: dict[str, int] = defaultdict(int)
        for key in keys:
            for name, value in groups.get(key, {}).items():
                total[name] += value
            total["removed"] += removed.get(key, 0)
        return total

    children = []
    for child_id in subtree.child_ids:
        row = subtree.rows[child_id]
        counts = rollup([child_id])
        plan = plans.total(child_id, query.years)
        base = counts["base_official"] + counts["base_probationary"]
        children.append(
            {
                "id": child_id,
                "name": row.name,
                "kind": row.kind,
                "plan": plan,
                "admitted": counts["admitted"],
                "plan_percent": _pct_plan(counts["admitted"], plan),
                "recognised": counts["recognised"],
                "removed": counts["removed"],
                "baseline_members": base,
                "baseline_percent": _pct_base(counts["admitted"], base),
                "official": counts["end_official"],
                "probationary": counts["end_probationary"],
            }
        )
    direct = rollup([None])
    totals = rollup(groups.keys() | removed.keys())
    baseline_members = totals["base_official"] + totals["base_probationary"]
    plan = plans.total(subtree.root.pk, query.years)
    child_plans = [c["plan"] for c in children if c["plan"] is not None]
    structure_day = end_day
    structure = {
        kind: sum(
            1
            for row in subtree.rows.values()
            if row.kind == kind and row.id != subtree.root.pk and row.valid_on(structure_day)
        )
        for kind in STRUCTURE_KINDS
    }
    return {
        "version": FIGURES_VERSION,
        "organisation": {"id": organisation.pk, "name": organisation.name, "kind": organisation.kind},
        "period": {"start": query.start.isoformat(), "end": query.end.isoformat()},
        "admitted_by": str(query.admitted_by),
        "term_start": query.term.isoformat(),
        "baseline": {
            "kind": str(query.baseline),
            "date": query.baseline_day.isoformat(),
            "official": totals["base_official"],
            "probationary": totals["base_probationary"],
            "members": baseline_members,
        },
        "totals": {
            "admitted": totals["admitted"],
            "recognised": totals["recognised"],
            "removed": totals["removed"],
            "plan": plan,
            "plan_own": plans.total(subtree.root.pk, query.years, own_only=True),
            "plan_children": sum(child_plans) if child_plans else None,
            "plan_percent": _pct_plan(totals["admitted"], plan),
            "baseline_percent": _pct_base(totals["admitted"], baseline_members),
        },
        "members_end": {
            "date": end_day.isoformat(),
            "official": totals["end_official"],
            "probationary": totals["end_probationary"],
            "total": totals["end_official"] + totals["end_probationary"],
        },
        "direct": {
            "admitted": direct["admitted"],
            "official": direct["end_official"],
            "probationary": direct["end_probationary"],
        },
        "children": children,
        "breakdowns": _breakdowns(organisation, query),
        "funnel": funnel,
        "time_in_stage": _time_in_stage(subtree, query),
        "deadlines": deadlines,
        "structure": {"date": structure_day.isoformat(), **structure},
        "trend": _trend(subtree, query, plans, totals),
    }


# --- The people behind a figure ------------------------------------------------------------

MEMBER_FIGURES = ("admitted", "recognised", "members_baseline", "members_end")
CANDIDATE_FIGURES = ("removed", "funnel", "deadline", "stage")
FIGURES = MEMBER_FIGURES + CANDIDATE_FIGURES


@dataclass(frozen=True)
class PeopleList:
    """The rows behind one figure: PartyMember or Candidate rows, Vietnamese name order."""

    rows: QuerySet[Any]
    is_members: bool
    date_field: str | None  # the date shown next to each name (annotated as figure_date)


def _child_filter(subtree: Subtree, key: str, prefix: str = "organisation__") -> Q | None:
    """`child:<id>` -> the child's subtree (or the root's own rows for `child:direct`)."""
    if not key.startswith("child:"):
        return None
    value = key.split(":", 1)[1]
    if value == "direct":
        return Q(**{f"{prefix}pk": subtree.root.pk})
    if not value.isdigit() or int(value) not in subtree.child_ids:
        raise Http404
    return Q(**{f"{prefix}path__startswith": subtree.rows[int(value)].path})


def _only_child(subtree: Subtree, key: str) -> Q:
    """The filter of a `child:<id>` key; any other key is unknown (404)."""
    child = _child_filter(subtree, key)
    if child is None:
        raise Http404
    return child


def _admitted_filter(subtree: Subtree, key: str) -> Q:
    """The filter of one admissions figure: a breakdown value, a group or a child."""
    dimension, _sep, value = key.partition(":")
    if dimension in BREAKDOWN_COLUMNS:
        return Q(**{BREAKDOWN_COLUMNS[dimension]: value})
    if dimension == "age":
        bands = {band: (low, high) for band, low, high in stats.AGE_BANDS}
        if value not in bands:
            raise Http404
        low, high = bands[value]
        # The lowest band also holds the bad data below it (stats.age_band).
        condition = Q(age__gte=low) if value != stats.AGE_BANDS[0][0] else Q()
        return condition & (Q(age__lte=high) if high is not None else Q())
    if dimension == "group":
        if value not in ADMISSION_GROUPS:
            raise Http404
        return ADMISSION_GROUPS[value]
    return _only_child(subtree, key)


def _admitted_in(query: StatisticsQuery, key: str) -> Q:
    """Admitted in the period, or in one year of the trend (`year:2024`)."""
    if key.startswith("year:"):
        value = key.split(":", 1)[1]
        if not value.isdigit() or int(value) not in query.trend_years:
            raise Http404
        first, last = dt.date(int(value), 1, 1), dt.date(int(value), 12, 31)
    else:
        first, last = query.start, query.end
    return Q(**{f"{query.admitted_field}__range": (first, last)})


def _member_people(
    subtree: Subtree, members: QuerySet[PartyMember], query: StatisticsQuery, figure: str, key: str
) -> PeopleList:
    if figure == "admitted":
        members = members.filter(_admitted_in(query, key))
        if key and not key.startswith("year:"):
            if key.startswith("age:"):
                members = _with_age(members, query.admitted_field, "person__date_of_birth", "age")
            members = members.filter(_admitted_filter(subtree, key))
        date_field = query.admitted_field
    elif figure == "recognised":
        members = _with_recognised_on(members, query).filter(_recognised_q(query))
        if key:
            members = members.filter(_only_child(subtree, key))
        date_field = "official_date" if query.admitted_by == AdmittedBy.CEREMONY else "recognised_on"
    else:  # members_baseline, members_end: `official`, `probationary` or `all`, then `;child:<id>`
        day = query.baseline_day if figure == "members_baseline" else query.end
        state, _sep, child = key.partition(";")
        if state not in {"official", "probationary", "all"}:
            raise Http404
        members = members.filter(member_on_q(day, state))
        if child:
            members = members.filter(_only_child(subtree, child))
        date_field = "ceremony_date"
    rows = members.select_related("person", "organisation").annotate(figure_date=F(date_field))
    return PeopleList(rows.order_by("person__sort_key", "pk"), True, date_field)


def _candidate_people(
    subtree: Subtree, candidates: QuerySet[Candidate], query: StatisticsQuery, figure: str, key: str, today: dt.date
) -> PeopleList:
    date_field: str | None
    if figure == "removed":
        candidates = candidates.filter(stage=Stage.SX.value, removal_date__range=(query.start, query.end))
        if key:
            candidates = candidates.filter(_only_child(subtree, key))
        date_field = "removal_date"
    elif figure == "funnel":
        if key not in FUNNEL_FILTERS:
            raise Http404
        candidates = candidates.filter(FUNNEL_FILTERS[key], certificate_issue_date__range=(query.start, query.end))
        date_field = "certificate_issue_date"
    elif figure == "deadline":
        kind_key, _sep, outcome = key.partition(":")
        if kind_key not in DEADLINE_BY_KEY or outcome not in OUTCOMES:
            raise Http404
        kind = DEADLINE_BY_KEY[kind_key]
        cases = _deadline_cases(subtree, query, today, kind)
        candidates = candidates.filter(pk__in=[pk for found, _n, pks in cases if found == outcome for pk in pks])
        date_field = kind.done
    else:  # stage: the candidates who left the stage in the period (the visits of the medians)
        if key not in {s.value for s in Stage}:
            raise Http404
        left = StageTransition.objects.filter(from_stage=key, on_date__range=(query.start, query.end))
        candidates = candidates.filter(pk__in=left.values("candidate_id"))
        date_field = None
    rows = candidates.select_related("person", "organisation")
    if date_field:
        rows = rows.annotate(figure_date=F(date_field))
    return PeopleList(rows.order_by("person__sort_key", "pk"), False, date_field)


def statistics_people(
    *, user: User, organisation: Organisation, query: StatisticsQuery, figure: str, key: str, today: dt.date
) -> PeopleList:
    """The people behind `figure` (and `key`: a breakdown value, a child, a stage ...), scoped.

    Rows come from the member register or the candidacies through the user's scope, then the
    figure's own filter; ordered by the Vietnamese sort key of the name. Unknown figures or keys
    are a 404 (they come from the query string).
    """
    scope = scope_for(user)
    if not scope.can_read(organisation):
        raise Http404
    subtree = Subtree.load(organisation)
    if figure in MEMBER_FIGURES:
        members = PartyMember.objects.filter(scope.organisation_q("organisation__"), _subtree_q(organisation))
        return _member_people(subtree, members, query, figure, key)
    if figure in CANDIDATE_FIGURES:
        candidates = Candidate.objects.filter(scope.organisation_q("organisation__"), _subtree_q(organisation))
        return _candidate_people(subtree, candidates, query, figure, key, today)
    raise Http404


# --- Plans page ------------------------------------------------------------------------------


def plan_table(*, user: User, organisation: Organisation, year: int) -> dict[str, Any]:
    """A year's plans of `organisation` and its children, with the results (five queries).

    Each row: the organisation's own plan (None when not set), its effective plan (own, else
    the sum below it), the members admitted that year by ceremony date, the awareness-class
    certificates and new-member class certificates of the year. The parent's own plan is set
    against the sum of its children's effective plans.
    """
    if not scope_for(user).can_read(organisation):
        raise Http404
    subtree = Subtree.load(organisation)
    own_rows = {
        plan.organisation_id: plan
        for plan in AnnualPlan.objects.filter(
            organisation_id__in=[organisation.pk, *subtree.child_ids], year=year
        ).select_related("updated_by")
    }
    effective = Plans.load(subtree, [year]).effective[year]
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    admitted = (
        PartyMember.objects.filter(_subtree_q(organisation), ceremony_date__range=(first, last))
        .values_list("organisation_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    classes = (
        Candidate.objects.filter(_subtree_q(organisation))
        .filter(Q(certificate_issue_date__range=(first, last)) | Q(new_member_class_date__range=(first, last)))
        .values_list("organisation_id")
        .annotate(
            certificates=Count("pk", filter=Q(certificate_issue_date__range=(first, last))),
            new_member=Count("pk", filter=Q(new_member_class_date__range=(first, last))),
        )
        .order_by()
    )
    # Per child of the root (None: the root's own rows): admitted, certificates, new-member class.
    per_child: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for org_id, n in admitted:
        per_child[subtree.child_of(org_id)][0] += n
    for org_id, certificates, new_member in classes:
        per_child[subtree.child_of(org_id)][1] += certificates
        per_child[subtree.child_of(org_id)][2] += new_member

    def row(org_id: int, counts: Sequence[int]) -> dict[str, Any]:
        org = subtree.rows[org_id]
        plan_value = effective.get(org_id)
        return {
            "id": org_id,
            "name": org.name,
            "kind": org.kind,
            "path": org.path,
            "plan": own_rows.get(org_id),
            "effective": plan_value,
            "admitted": counts[0],
            "plan_percent": _pct_plan(counts[0], plan_value),
            "certificates": counts[1],
            "new_member_class": counts[2],
        }

    children = [row(child, per_child[child]) for child in subtree.child_ids]
    child_sum = [c["effective"] for c in children if c["effective"] is not None]
    parent = row(organisation.pk, [sum(counts[i] for counts in per_child.values()) for i in range(3)])
    return {
        "year": year,
        "parent": parent,
        "children": children,
        "children_sum": sum(child_sum) if child_sum else None,
        "children_admitted": sum(c["admitted"] for c in children),
    }


def annual_plan_set(
    *,
    acting_user: User | None,
    organisation: Organisation,
    year: int,
    admit: int,
    awareness_class: int,
    new_member_class: int,
    note: str = "",
) -> AnnualPlan:
    """Set (create or replace) `organisation`'s plan for `year`.

    Any organisation the user may edit has a plan, branches included: the public reports show
    grassroots and branch plans. Side effects: one durable transaction; the AnnualPlan row and
    its history row (django-simple-history, with the acting user).
    """
    if acting_user is not None and not scope_for(acting_user).can_edit(organisation):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if not 2000 <= year <= 2100:
        errors["year"] = _("Năm không hợp lệ.")
    for name, value in (("admit", admit), ("awareness_class", awareness_class), ("new_member_class", new_member_class)):
        if value < 0:
            errors[name] = _("Không được là số âm.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        plan, _created = AnnualPlan.objects.update_or_create(
            organisation=organisation,
            year=year,
            defaults={
                "admit": admit,
                "awareness_class": awareness_class,
                "new_member_class": new_member_class,
                "note": note.strip()[:200],
                "updated_by": acting_user,
            },
        )
    return plan


# --- Saved reports ---------------------------------------------------------------------------


def statistics_report_save(
    *,
    acting_user: User,
    organisation: Organisation,
    query: StatisticsQuery,
    figures: Mapping[str, Any],
    now: dt.datetime,
) -> StatisticsReport:
    """Keep the figures as computed now, with the baseline chosen (its day and member count).

    Only users who may edit the organisation save reports (auditors read them). Side effects:
    one durable transaction; one StatisticsReport row.
    """
    if not scope_for(acting_user).can_edit(organisation):
        raise PermissionDenied
    with transaction.atomic(durable=True):
        return StatisticsReport.objects.create(
            organisation=organisation,
            period_start=query.start,
            period_end=query.end,
            admitted_by=query.admitted_by,
            baseline=query.baseline,
            baseline_date=query.baseline_day,
            baseline_members=int(figures["baseline"]["members"]),
            figures=dict(figures),
            created_by=acting_user,
            created_at=now,
        )


def statistics_report_list(*, user: User, organisation: Organisation, limit: int = 10) -> list[StatisticsReport]:
    if not scope_for(user).can_read(organisation):
        raise Http404
    return list(
        StatisticsReport.objects.filter(organisation=organisation)
        .select_related("created_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def statistics_report_get(*, user: User, pk: int) -> StatisticsReport:
    """A saved report of an organisation the user may read; 404 otherwise."""
    report = (
        StatisticsReport.objects.filter(scope_for(user).organisation_q("organisation__"), pk=pk)
        .select_related("organisation", "created_by")
        .first()
    )
    if report is None:
        raise Http404
    return report


# --- Excel -----------------------------------------------------------------------------------

DATE_FORMAT = "DD/MM/YYYY"


@dataclass(frozen=True)
class Percent:
    """A percentage cell: "102.5" is written as 1.025 formatted 0.0% (Excel shows 102,5% in Vietnamese)."""

    value: str | None


@dataclass
class Sheet:
    """One table of an export: a title, header labels and rows (dates, numbers, text, Percent)."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] = ()


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx with one formatted sheet per table: bold header, widths, dd/mm/yyyy, frozen header."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=False)
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title))
        ws.append(list(sheet.headers))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="F2DCDB")
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for number, values in enumerate(sheet.rows, start=2):
            for column, value in enumerate(values, start=1):
                cell = ws.cell(row=number, column=column)
                if isinstance(value, Percent):
                    if value.value is not None:
                        decimals = len(value.value.partition(".")[2])
                        cell.value = float(Decimal(value.value) / 100)
                        cell.number_format = "0." + "0" * decimals + "%" if decimals else "0%"
                elif isinstance(value, dt.date):
                    cell.value = value
                    cell.number_format = DATE_FORMAT
                elif isinstance(value, Decimal):
                    cell.value = float(value)
                elif isinstance(value, Promise):  # a lazily translated label
                    cell.value = str(value)
                else:
                    cell.value = value
        for index, header in enumerate(sheet.headers):
            width = sheet.widths[index] if index < len(sheet.widths) else max(12, min(45, len(str(header)) + 4))
            ws.column_dimensions[get_column_letter(index + 1)].width = width
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """Excel refuses []:*?/\\ in sheet names and more than 31 characters."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:31]
