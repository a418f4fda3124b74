"""The organisations under a root, read once, and the SQL every figure of the subtree shares.

``Subtree`` (one query) groups rows by the root's child that holds them; ``Calendars`` are the
working calendars and rule book of its organisations; ``RootRows`` reads the small tables keyed by
the root (calendar and rule overrides, plans) in one statement with ``_union_all``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import BooleanField, Case, CharField, DateField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Left, NullIf, StrIndex, Substr

from admission.domain import statistics as stats
from admission.domain.calendar import WorkingCalendar, calendar_for_ancestors
from admission.domain.rules import RuleBook
from admission.models import AnnualPlan, CalendarOverride, RuleOverride
from config.replica import read_connection
from members.freshness import generation_stamp
from members.models import Organisation, OrganisationKind

KIND_ORDER = {kind: index for index, kind in enumerate(OrganisationKind.values)}


# --- The subtree ---------------------------------------------------------------------------


class OrgRow(NamedTuple):
    """An organisation of the subtree: a tuple, built for thousands of rows per page (a frozen
    dataclass costs several times more to create)."""

    id: int
    parent_id: int | None
    path: str
    kind: str
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


_SUBTREE_SQL = "SELECT id, parent_id, path, kind, name, valid_from, valid_to FROM {table} WHERE path LIKE %s"  # noqa: S608


class Loaded(NamedTuple):
    """What is read of a subtree, kept between pages (`LoadedSubtrees`): never modified."""

    rows: dict[int, OrgRow]
    children: dict[int, list[int]]
    # The structure counts (statistics "structure"): the organisations below the root without
    # validity dates counted by kind once, those with dates checked on the day asked.
    kinds_always: Counter[str]
    dated: tuple[OrgRow, ...]


def _read_subtree(root: Organisation) -> Loaded:
    """One query, the columns of OrgRow only, through a raw cursor (the ORM's row handling
    costs more than the query for the 8,744 organisations of a province); each organisation's
    children in the order of the page (kind, name, id)."""
    reading = read_connection()  # the replica when the view reads from it
    with reading.cursor() as cursor:
        cursor.execute(_SUBTREE_SQL.format(table=Organisation._meta.db_table), [f"{root.path}%"])
        found = cursor.fetchall()
    if reading.vendor != "postgresql":  # SQLite hands raw SQL dates back as text
        found = [(*row[:5], _as_date_or_none(row[5]), _as_date_or_none(row[6])) for row in found]
    make = OrgRow._make
    rows = {row[0]: make(row) for row in found}
    root_pk = root.pk
    by_parent: dict[int, list[OrgRow]] = defaultdict(list)
    for row in rows.values():
        if row.parent_id is not None and row.id != root_pk:
            by_parent[row.parent_id].append(row)
    order = KIND_ORDER.get
    # Each parent's few children sorted on their own: cheaper than one sort of the whole subtree.
    children = {
        parent: [r.id for r in sorted(group, key=lambda r: (order(r.kind, 99), r.name, r.id))]
        for parent, group in by_parent.items()
    }
    below = [row for row in rows.values() if row.id != root_pk]
    kinds_always = Counter(row.kind for row in below if row.valid_from is None and row.valid_to is None)
    dated = tuple(row for row in below if row.valid_from is not None or row.valid_to is not None)
    return Loaded(rows, children, kinds_always, dated)


class LoadedSubtrees:
    """The subtrees loaded by this process, each kept while the data generation of its root
    (``members.freshness``) has not moved: every writer of an organisation (the service that
    creates one, the admin's change and delete, the dataset generator) makes it move, as does
    any other write below the root. A few roots only, each for `seconds` at most (a safety net);
    never a subtree read from the replica (it may lag behind the generation just read) or inside
    a transaction (it may hold rows that are rolled back). docs/decisions.md, "Statistics
    computed cheaply: the Python side, continued"."""

    def __init__(self, size: int = 4, seconds: float = 600.0) -> None:
        self.size = size
        self.seconds = seconds
        self._entries: OrderedDict[tuple[Any, ...], tuple[float, Loaded]]
        self._entries = OrderedDict()
        self.lock = threading.Lock()

    def get(self, root: Organisation) -> Loaded:
        reading = read_connection()
        if reading.alias != DEFAULT_DB_ALIAS or reading.in_atomic_block:
            return _read_subtree(root)
        stamp = generation_stamp(organisation_id=root.pk)
        if stamp is None:
            return _read_subtree(root)
        key = (reading.settings_dict.get("NAME"), root.pk, root.path, stamp)
        now = time.monotonic()
        with self.lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] < self.seconds:
                self._entries.move_to_end(key)
                return entry[1]
        loaded = _read_subtree(root)
        with self.lock:
            self._entries[key] = (now, loaded)
            self._entries.move_to_end(key)
            for old in [k for k in self._entries if k[1] == root.pk and k != key]:
                del self._entries[old]  # an older generation of the same root
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return loaded

    def clear(self) -> None:
        with self.lock:
            self._entries.clear()


# Shared by the requests of this process; the rows and lists it hands out are never modified.
_LOADED = LoadedSubtrees()


@dataclass
class Subtree:
    """The organisations under (and including) a root, read with one query."""

    root: Organisation
    loaded: Loaded
    _calendars: Calendars | None = None
    _holds_everything: bool | None = None

    @property
    def rows(self) -> dict[int, OrgRow]:
        return self.loaded.rows

    @property
    def children(self) -> dict[int, list[int]]:
        return self.loaded.children

    def kinds_on(self, day: dt.date) -> Counter[str]:
        """The organisations below the root valid on `day`, counted by kind."""
        kinds = Counter(self.loaded.kinds_always)
        kinds.update(row.kind for row in self.loaded.dated if row.valid_on(day))
        return kinds

    @classmethod
    def load(cls, root: Organisation) -> Subtree:
        """The organisations under `root`: from the process's cache of loaded subtrees when the
        root's data generation has not moved since (`_LOADED`), else one query."""
        return cls(root=root, loaded=_LOADED.get(root))

    def holds_everything(self) -> bool:
        """Whether every organisation is under the root (the root is the only one without a parent,
        as in a province's own deployment): a statement over the subtree can then read whole tables.
        One query per page, never kept between pages: another root can be created at any time."""
        if self._holds_everything is None:
            if self.root.parent_id is not None:
                self._holds_everything = False
            else:
                with read_connection().cursor() as cursor:
                    cursor.execute(
                        f'SELECT NOT EXISTS (SELECT 1 FROM "{Organisation._meta.db_table}" '  # noqa: S608 - names
                        "WHERE parent_id IS NULL AND id <> %s)",
                        [self.root.pk],
                    )
                    self._holds_everything = bool(cursor.fetchone()[0])
        return self._holds_everything

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


# The calendars of the pages before, by value: a page reuses the working days an equal calendar
# already worked out (WorkingCalendar keeps them per year) instead of recounting each year.
_CALENDARS: OrderedDict[WorkingCalendar, WorkingCalendar] = OrderedDict()
_CALENDARS_KEPT = 64


def _interned(calendar: WorkingCalendar) -> WorkingCalendar:
    with _LOADED.lock:
        found = _CALENDARS.get(calendar)
        if found is None:
            found = _CALENDARS[calendar] = calendar
            while len(_CALENDARS) > _CALENDARS_KEPT:
                _CALENDARS.popitem(last=False)
        return found


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
        with_overrides = {org_id for org_id, _day, _working in rows.calendar}

        def key(path: str) -> tuple[int, ...]:
            return tuple(int(p) for p in path.strip("/").split("/") if p and int(p) in with_overrides)

        root_key = key(root.path)
        if any(pk in subtree.rows and pk != root.pk for pk in with_overrides):
            keys = {pk: key(row.path) for pk, row in subtree.rows.items()}
        else:  # no overrides below the root (the usual case): every organisation has the root's calendar
            keys = dict.fromkeys(subtree.rows, root_key)
        others = sorted({k for k in keys.values() if k != root_key}, key=lambda k: -len(subtree.rows[k[-1]].path))
        group_keys = [root_key, *others]
        groups = tuple(_interned(calendar_for_ancestors(rows.calendar, key)) for key in group_keys)
        number = {key: index for index, key in enumerate(group_keys)}
        # Sorted: the same overrides make an equal rule book whatever order they were read in
        # (RuleBook.for_date sorts them anyway), so the deadlines memo finds it again.
        rules = RuleBook(overrides=tuple(sorted(rows.rules)))
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
    parts: Sequence[QuerySet[Any]],
    columns: Sequence[str],
    prefix: tuple[str, list[Any]] = ("", []),
    raw_parts: Sequence[tuple[str, list[Any]]] = (),
) -> list[tuple[Any, ...]]:
    """The rows of several querysets in one statement (UNION ALL), each selecting `columns`.

    Every part annotates the same column names with the same types (typed NULLs where a part
    has nothing to say); the first column is usually a constant naming the part. One round trip
    instead of one per part: the statistics page reads a dozen small aggregates. `prefix` is SQL
    put before the statement (a WITH clause) and its parameters; `raw_parts` are more parts
    as SQL and parameters, selecting the same columns.
    """
    selects: list[str] = []
    params: list[Any] = list(prefix[1])
    names = ", ".join(columns)
    for number, part in enumerate(parts):
        sql, part_params = part.values(*columns).query.sql_with_params()
        selects.append(f"SELECT {names} FROM ({sql}) part{number}")  # noqa: S608 - compiled ORM SQL
        params += part_params
    for number, (raw_sql, raw_params) in enumerate(raw_parts, start=len(parts)):
        selects.append(f"SELECT {names} FROM ({raw_sql}) part{number}")  # noqa: S608 - the caller's SQL
        params += raw_params
    with read_connection().cursor() as cursor:  # the replica when the view reads from it
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


def _as_date_or_none(value: Any) -> dt.date | None:
    return None if value is None else _as_date(value)
