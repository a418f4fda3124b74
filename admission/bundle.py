"""Several small row sets of one page in ONE query.

A detail page shows a dozen short lists (a candidate's transitions, votes, documents, tasks, scans…).
One `prefetch_related` per list is one round trip per list, however short each is. Here each list is
a `Part`: a filtered queryset whose rows are selected as JSON objects (`JSONObject`, on PostgreSQL and
SQLite alike), tagged with the part's key and their position in the part's ordering (`ROW_NUMBER()`),
and all parts are sent as one `UNION ALL`. The rows come back as model instances (with the foreign
keys named in `related` attached, as `select_related` would), in the part's order.

Fields not listed in a part are deferred, as with `.only()`: reading one later costs a query, which the
pages' query-count tests would catch.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import F, QuerySet, Value, Window
from django.db.models.functions import JSONObject, RowNumber

# PostgreSQL's JSONB_BUILD_OBJECT takes at most 100 arguments (50 keys) per row.
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
    """The model's concrete fields to load, primary key first (a name may be the field or its attname)."""
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


def _plan(part: Part) -> tuple[_Plan, QuerySet[Any]]:
    model = part.queryset.model
    columns = {"": _concrete(model, part.fields)}
    model_of: dict[str, type[models.Model]] = {"": model}
    chains: dict[str, list[models.ForeignKey[Any, Any]]] = {}
    for path, names in part.related.items():
        related_model, chain = _model_at(model, path)
        columns[path] = _concrete(related_model, names)
        model_of[path] = related_model
        chains[path] = chain
    keys = {
        (f"{path}__{f.attname}" if path else f.attname): F(f"{path}__{f.attname}" if path else f.attname)
        for path, fields in columns.items()
        for f in fields
    }
    if len(keys) > MAX_KEYS:
        raise ValueError(f"part {part.key}: {len(keys)} fields, at most {MAX_KEYS}")
    ordering = _ordering(part.queryset)
    queryset = part.queryset
    if part.limit is not None:
        # A LIMIT inside a UNION member is not allowed everywhere (SQLite); an IN subquery is.
        first = part.queryset.order_by(*ordering).values("pk")[: part.limit]
        queryset = part.queryset.model._default_manager.filter(pk__in=first)
    rows = queryset.order_by().values(
        bundle_part=Value(part.key),
        bundle_n=Window(RowNumber(), order_by=ordering),
        bundle_row=JSONObject(**keys),
    )
    return _Plan(part, columns, model_of, chains), rows


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
    if not parts:
        return {}
    plans: dict[str, _Plan] = {}
    querysets = []
    for part in parts:
        plan, rows = _plan(part)
        plans[part.key] = plan
        querysets.append(rows)
    union = querysets[0].union(*querysets[1:], all=True) if len(querysets) > 1 else querysets[0]
    # (Without an ORDER BY of its own the union would take the first model's Meta.ordering.)
    union = union.order_by("bundle_part", "bundle_n")
    db = union.db
    found: dict[str, list[Any]] = {key: [] for key in plans}
    for record in union:
        plan = plans[record["bundle_part"]]
        row = record["bundle_row"]
        if isinstance(row, str):
            row = json.loads(row)
        obj = _instance(plan.model_of[""], plan.columns[""], "", row, db)
        # Attach the related rows, shortest paths first (member before member__person).
        attached: dict[str, Any] = {"": obj}
        for path in sorted(plan.chains, key=lambda p: p.count("__")):
            parent_path, _sep, _name = path.rpartition("__")
            parent = attached.get(parent_path)
            related = _instance(plan.model_of[path], plan.columns[path], f"{path}__", row, db)
            attached[path] = related
            if parent is not None:
                plan.chains[path][-1].set_cached_value(parent, related)
        found[record["bundle_part"]].append(obj)
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
