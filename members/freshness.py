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

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

GENERATION = "statistics:generation:{}"
EPOCH = "statistics:epoch"  # bumped by everything_changed: every cached figure goes stale


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
    """The subtrees containing these organisation paths have changed: bump every ancestor's generation."""
    ids = {part for path in paths for part in path.strip("/").split("/") if part}
    if ids:
        _bump_now_and_on_commit([GENERATION.format(org_id) for org_id in sorted(ids)])


def everything_changed() -> None:
    """Everything may have changed (dataset generation, a nationwide calendar override, a purge)."""
    _bump_now_and_on_commit([EPOCH])


def organisation_forget(*, organisation_id: int) -> None:
    """Only this organisation's own figures go stale (the statistics page's "recompute" button)."""
    _bump([GENERATION.format(organisation_id)])
