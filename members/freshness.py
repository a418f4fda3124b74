"""Data generations: a counter per organisation that every write below it increments.

Cached figures (the statistics page, `admission.reporting.cache`) are keyed by the generation of
their organisation, so a write anywhere in a subtree makes its figures stale at once while other
subtrees keep theirs. The writers call these functions themselves (services, imports, the admin,
bulk tools): `organisations_changed` with the paths of the organisations whose data they wrote,
`everything_changed` for writes that may concern any subtree (a nationwide calendar override, a
purge, a generated dataset). It lives in `members` because organisations do, and both apps write.

Each bump happens at once and again when the transaction commits: a page computed between the
write and the commit would otherwise be cached under the new generation with the old data.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from members.summaries import organisations_recount

GENERATION = "statistics:generation:{}"
EPOCH = "statistics:epoch"  # bumped by everything_changed: every cached figure goes stale

# The summaries of other apps, recounted with the members' for the organisations written (members
# never imports admission: `AdmissionConfig.ready` registers the candidacies' summary here).
_RECOUNTS: list[Callable[[list[int]], None]] = []


def recount_register(recount: Callable[[list[int]], None]) -> None:
    """Have `organisations_changed` also call `recount(organisation ids)` in the writer's transaction."""
    if recount not in _RECOUNTS:
        _RECOUNTS.append(recount)


def _bump(keys: Iterable[str]) -> None:
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:  # not there yet (or evicted): any new value differs from the one read
            cache.set(key, int(timezone.now().timestamp() * 1000), timeout=None)


def _bump_now_and_on_commit(keys: list[str]) -> None:
    _bump(keys)
    transaction.on_commit(lambda: _bump(keys))


def organisations_changed(*, paths: Iterable[str]) -> None:
    """The subtrees containing these organisation paths have changed: bump every ancestor's generation
    and recount the summaries of the organisations themselves (`members.summaries`, and those
    registered by `recount_register`): call it
    in the writer's transaction, after the writes."""
    paths = list(paths)
    ids = {part for path in paths for part in path.strip("/").split("/") if part}
    # The summaries of the organisations written (the last id of each path), in this transaction.
    written = [int(path.strip("/").split("/")[-1]) for path in paths if path.strip("/")]
    organisations_recount(organisation_ids=written)
    for recount in _RECOUNTS:
        recount(written)
    if ids:
        _bump_now_and_on_commit([GENERATION.format(org_id) for org_id in sorted(ids)])


def everything_changed() -> None:
    """Everything may have changed (dataset generation, a nationwide calendar override, a purge)."""
    _bump_now_and_on_commit([EPOCH])


def generation_stamp(*, organisation_id: int) -> tuple[int, int] | None:
    """The epoch and the generation of an organisation now (one cache read), to key what is kept
    while they do not move. A stamp that is missing (never bumped, or evicted) is set first to a
    new value, so that a missing stamp never compares equal to one read before it went missing;
    None when the cache keeps nothing (a dummy cache): then nothing may be kept."""
    keys = [EPOCH, GENERATION.format(organisation_id)]
    stamps = cache.get_many(keys)
    if len(stamps) < len(keys):
        for key in keys:
            if key not in stamps:
                cache.add(key, secrets.randbits(62), timeout=None)  # never a value seen before
        stamps = cache.get_many(keys)  # the value that won if another process added it too
    if len(stamps) < len(keys):
        return None
    return int(stamps[keys[0]]), int(stamps[keys[1]])


def organisation_forget(*, organisation_id: int) -> None:
    """Only this organisation's own figures go stale (the statistics page's "recompute" button)."""
    _bump([GENERATION.format(organisation_id)])


def paths_of(obj: Any) -> list[str] | None:
    """The organisation paths whose figures a row belongs to; None for a nationwide row."""
    from members.models import Organisation  # the models import nothing from here: no cycle

    if isinstance(obj, Organisation):
        return [obj.path] if obj.path else []
    for field in ("organisation", "province"):
        if hasattr(obj, f"{field}_id"):
            organisation_id = getattr(obj, f"{field}_id")
            if organisation_id is None:
                return None
            return list(Organisation.objects.filter(pk=organisation_id).values_list("path", flat=True))
    return []


class FiguresStaleOnAdminWrite:
    """ModelAdmin mixin: a save or delete in the Django admin makes the figures of the row's
    subtree stale (before and after a move), or everything for a nationwide row."""

    def _changed(self, rows: list[list[str] | None]) -> None:
        if any(paths is None for paths in rows):
            everything_changed()
        else:
            organisations_changed(paths=[path for paths in rows if paths for path in paths])

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        before = paths_of(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else []
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        self._changed([before, paths_of(obj)])

    def delete_model(self, request: Any, obj: Any) -> None:
        paths = paths_of(obj)
        super().delete_model(request, obj)  # type: ignore[misc]
        self._changed([paths])

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        rows = [paths_of(obj) for obj in queryset]
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        self._changed(rows)
