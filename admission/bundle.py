"""Several small row sets of one page in ONE query.

A detail page shows a dozen short lists (a candidate's transitions, votes, documents, tasks, scans…).
One `prefetch_related` per list is one round trip per list, however short each is. Here each list is
a `Part`: a filtered queryset whose rows are selected as JSON objects (JSON_BUILD_OBJECT on
PostgreSQL, JSON_OBJECT on SQLite), tagged with the part's key and their position in the part's
ordering (`ROW_NUMBER()`), and all parts are sent as one `UNION ALL`. The rows come back as model
instances (with the foreign keys named in `related` attached, as `select_related` would), in the
part's order.

Fields not listed in a part are deferred, as with `.only()`: reading one later costs a query, which
the pages' query-count tests would catch. A part orders by its model's own fields only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

# PostgreSQL's JSON_BUILD_OBJECT takes at most 100 arguments (50 keys) per row.
MAX_KEYS = 50


@dataclass(frozen=True)
class Part:
    """One list of the page: `queryset` (filtered, ordered; its ordering is kept), the main model's
    `fields` (None: every concrete field), `related` foreign-key paths with the fields to load of each
    (None: every concrete field), and `limit` (the first rows of the ordering only)."""

    key: str
    queryset: QuerySet[Any]
    fields: tuple[str, ...] | None = None
    related: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    limit: int | None = None


def _concrete(model: type[models.Model], names: tuple[str, ...] | None) -> list[models.Field[Any, Any]]:
    """The model's concrete fields to load, in the model's order, the primary key always included
    (a name may be the field's name or its attname)."""
    meta = model._meta
    if names is None:
        return list(meta.concrete_fields)
    wanted = {meta.get_field(name).name for name in names} | {meta.pk.name}  # type: ignore[union-attr]
    return [f for f in meta.concrete_fields if f.name in wanted]


def _model_at(model: type[models.Model], path: str) -> tuple[type[models.Model], list[models.ForeignKey[Any, Any]]]:
    chain = []
    for name in path.split("__"):
        fk = model._meta.get_field(name)
        if not isinstance(fk, models.ForeignKey):  # OneToOneField is a ForeignKey
            raise ValueError(f"{model.__name__}.{name} is not a foreign key")
        chain.append(fk)
        model = fk.related_model  # type: ignore[assignment]
    return model, chain


def _ordering(queryset: QuerySet[Any]) -> list[Any]:
    return list(queryset.query.order_by) or list(queryset.model._meta.ordering) or ["pk"]


@dataclass
class _Plan:
    part: Part
    columns: dict[str, list[models.Field[Any, Any]]]  # "" = the part's model, else a related path
    model_of: dict[str, type[models.Model]]
    chains: dict[str, list[models.ForeignKey[Any, Any]]]


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _literal(text: str) -> str:
    """A key of ours as an SQL string literal (checked: letters, digits and underscores only)."""
    for name in text.split("__"):
        if not _NAME.match(name):
            raise ValueError(f"not a plain name: {text!r}")
    return f"'{text}'"


def _order_sql(model: type[models.Model], ordering: list[Any], alias: str, qn: Any) -> str:
    """ORDER BY of the part's own columns ("field", "-field", "pk"), inside ROW_NUMBER() OVER (…)."""
    terms = []
    for item in ordering:
        if not isinstance(item, str) or "__" in item or item.startswith("?"):
            raise ValueError(f"{model.__name__}: order by the model's own fields only, not {item!r}")
        name = item.lstrip("-")
        column = model._meta.pk.column if name == "pk" else model._meta.get_field(name).column  # type: ignore[union-attr]
        terms.append(f"{alias}.{qn(column)} {'DESC' if item.startswith('-') else 'ASC'}")
    return ", ".join(terms)


def _select(part: Part, connection: BaseDatabaseWrapper) -> tuple[_Plan, str, list[Any]] | None:
    """The part's SELECT of the UNION, and its parameters; None when the part is empty (.none()).

    The part's queryset is compiled by the ORM for its WHERE only (the ids of its rows, first
    `limit` of them if set); the JSON of each row is written here from the models' metadata:
    building it with ORM expressions (JSONObject of F()s) cost ten times the query itself.
    """
    model = part.queryset.model
    qn = connection.ops.quote_name
    columns = {"": _concrete(model, part.fields)}
    model_of: dict[str, type[models.Model]] = {"": model}
    chains: dict[str, list[models.ForeignKey[Any, Any]]] = {}
    aliases = {"": "b0"}
    joins = []
    # Shortest paths first, so that a join's parent alias exists (member before member__person).
    for number, path in enumerate(sorted(part.related, key=lambda p: p.count("__")), start=1):
        related_model, chain = _model_at(model, path)
        columns[path] = _concrete(related_model, part.related[path])
        model_of[path] = related_model
        chains[path] = chain
        aliases[path] = alias = f"b{number}"
        parent = aliases[path.rpartition("__")[0]]
        fk = chain[-1]
        joins.append(
            f"LEFT OUTER JOIN {qn(related_model._meta.db_table)} {alias}"
            f" ON {alias}.{qn(fk.target_field.column)} = {parent}.{qn(fk.column)}"  # type: ignore[arg-type]
        )
    pairs = [
        f"{_literal(f'{path}__{f.attname}' if path else f.attname)}, {aliases[path]}.{qn(f.column)}"  # type: ignore[arg-type]
        for path, fields in columns.items()
        for f in fields
    ]
    if len(pairs) > MAX_KEYS:
        raise ValueError(f"part {part.key}: {len(pairs)} fields, at most {MAX_KEYS}")
    ordering = _ordering(part.queryset)
    ids = part.queryset.order_by(*ordering) if part.limit is not None else part.queryset.order_by()
    ids = ids.values("pk")
    if part.limit is not None:
        ids = ids[: part.limit]
    try:
        ids_sql, ids_params = ids.query.sql_with_params()
    except EmptyResultSet:
        return None
    json_object = "JSON_BUILD_OBJECT" if connection.vendor == "postgresql" else "JSON_OBJECT"
    pk_column = model._meta.pk.column  # type: ignore[union-attr]
    # Only quoted table and column names of the models and checked keys are written into the SQL;
    # every value is a parameter of the ORM-compiled WHERE.
    sql = (
        f"SELECT {_literal(part.key)} AS bundle_part,"  # noqa: S608
        f" ROW_NUMBER() OVER (ORDER BY {_order_sql(model, ordering, 'b0', qn)}) AS bundle_n,"
        f" {json_object}({', '.join(pairs)}) AS bundle_row"
        f" FROM {qn(model._meta.db_table)} b0 {' '.join(joins)}"
        f" WHERE b0.{qn(pk_column)} IN ({ids_sql})"
    )
    return _Plan(part, columns, model_of, chains), sql, list(ids_params)


def _python(f: models.Field[Any, Any], value: Any) -> Any:
    """A JSON value back to what the database adapter would have returned for the column."""
    if value is None:
        return None
    if isinstance(f, models.JSONField):
        return json.loads(value) if isinstance(value, str) else value  # SQLite nests JSON as text
    if isinstance(f, models.DateTimeField):
        parsed = f.to_python(value)
        # SQLite keeps UTC without an offset; PostgreSQL's JSON carries the session's (UTC) offset.
        return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed
    if isinstance(f, models.DecimalField):
        return f.to_python(str(value))
    if isinstance(f, models.FileField):
        return value
    return f.to_python(value)


def _instance(
    model: type[models.Model], fields: list[models.Field[Any, Any]], prefix: str, row: dict[str, Any], db: str
) -> Any:
    pk_name = model._meta.pk.attname  # type: ignore[union-attr]
    if row.get(prefix + pk_name) is None:
        return None  # a null foreign key (LEFT OUTER JOIN)
    names = [f.attname for f in fields]
    values = [_python(f, row.get(prefix + f.attname)) for f in fields]
    return model.from_db(db, names, values)


def fetch(parts: Sequence[Part]) -> dict[str, list[Any]]:
    """The rows of every part, with one query: {part key: [instance, …]} in each part's order."""
    found: dict[str, list[Any]] = {part.key: [] for part in parts}
    if not parts:
        return found
    db = parts[0].queryset.db
    connection = connections[db]
    plans: dict[str, _Plan] = {}
    selects, params = [], []
    for part in parts:
        if part.queryset.db != db:
            raise ValueError("the parts of a bundle must read the same database")
        planned = _select(part, connection)
        if planned is not None:
            plans[part.key], sql, part_params = planned
            selects.append(sql)
            params.extend(part_params)
    if not selects:
        return found
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects) + " ORDER BY 1, 2", params)
        records = cursor.fetchall()
    for key, _n, row in records:
        plan = plans[key]
        if isinstance(row, str):
            row = json.loads(row)
        obj = _instance(plan.model_of[""], plan.columns[""], "", row, db)
        # Attach the related rows, shortest paths first (member before member__person).
        attached: dict[str, Any] = {"": obj}
        for path in sorted(plan.chains, key=lambda p: p.count("__")):
            parent = attached.get(path.rpartition("__")[0])
            related = _instance(plan.model_of[path], plan.columns[path], f"{path}__", row, db)
            attached[path] = related
            if parent is not None:
                plan.chains[path][-1].set_cached_value(parent, related)
        found[key].append(obj)
    return found


def set_prefetched(instance: models.Model, name: str, rows: list[Any]) -> None:
    """Make `instance.<name>.all()` (a reverse foreign key) return `rows` without a query, as
    `prefetch_related` leaves it."""
    manager = getattr(instance, name)
    queryset = manager.get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[manager.field.remote_field.cache_name] = queryset
