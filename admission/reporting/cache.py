"""The figures of the statistics page, cached until the data under them changes.

A province's page reads every member, candidate and stage transition of its subtree (hundreds of
milliseconds on 150,000 members). Its figures only change when something in that subtree is
written, so they are kept in the cache (Redis in production) under a key made of

- the organisation, the query (period, counting rule, baseline) and today's date;
- the *generation* of the organisation: a counter that every write below it increments.

Every service that writes a member, person, candidate, stage transition, plan or organisation,
and the admin's saves of calendar/rule overrides, calls `members.freshness` itself, in its
transaction: the generation of the row's organisation and of every ancestor (the path, at most six
keys) is bumped at once and again on commit, so the next view of any page whose subtree contains
it computes afresh; pages of other subtrees keep their cached figures. Bulk writers (the dataset
generator, the purge, `stage_times_refresh`) make everything stale.

As a safety net every entry also expires after `STATISTICS_CACHE_SECONDS` (default 600; 0 turns
the cache off), and the page says when its figures were computed and offers to recompute them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from admission.reporting import statistics
from members.freshness import EPOCH, GENERATION, organisation_forget
from members.models import Organisation
from members.selectors import scope_for
from members.summaries import organisations_recount

FIGURES = "statistics:figures:{}"


def cache_seconds() -> int:
    return int(getattr(settings, "STATISTICS_CACHE_SECONDS", 600))


class CachedFigures(NamedTuple):
    figures: dict[str, Any]
    computed_at: dt.datetime
    # Names this version of the figures (empty when the cache is off): the page also caches the
    # HTML rendered from them under it ({% cache %} in statistics/page.html), per language.
    key: str


def figures_cached(
    *, organisation: Organisation, params: dict[str, Any], today: dt.date, compute: Callable[[], dict[str, Any]]
) -> CachedFigures:
    """The figures of `organisation` for `params` and `today`, and when they were computed.

    The caller has checked that the user may read `organisation` (the cached figures are the same
    for everyone who may)."""
    seconds = cache_seconds()
    if seconds <= 0:
        return CachedFigures(compute(), timezone.now(), "")
    generation_key = GENERATION.format(organisation.pk)
    stamps = cache.get_many([EPOCH, generation_key])
    material = json.dumps(
        [organisation.pk, sorted(params.items()), today.isoformat(), stamps.get(EPOCH), stamps.get(generation_key)],
        default=str,
    )
    key = FIGURES.format(hashlib.sha256(material.encode()).hexdigest())
    hit = cache.get(key)
    if hit is not None:
        return CachedFigures(hit["figures"], hit["computed_at"], key)
    figures, computed_at = compute(), timezone.now()
    cache.set(key, {"figures": figures, "computed_at": computed_at}, timeout=seconds)
    return CachedFigures(figures, computed_at, key)


def statistics_figures_cached(*, user: Any, organisation: Organisation, query: Any, today: dt.date) -> CachedFigures:
    """`statistics.statistics_figures` through the cache, for the page and its export: the figures
    and when they were computed. (A saved report is computed afresh.)"""
    if not scope_for(user).can_read(organisation):
        raise Http404
    return figures_cached(
        organisation=organisation,
        params=query.as_params(),
        today=today,
        compute=lambda: statistics.statistics_figures(user=user, organisation=organisation, query=query, today=today),
    )


def figures_forget(*, organisation: Organisation) -> None:
    """Recompute this organisation's figures at the next view (the page's "recompute" button):
    the member summary of its subtree is recounted from the register (for a write that bypassed
    the services), and its cached figures go stale. One durable transaction."""
    with transaction.atomic(durable=True):
        organisations_recount(
            organisation_ids=Organisation.objects.filter(path__startswith=organisation.path).values_list(
                "pk", flat=True
            )
        )
    organisation_forget(organisation_id=organisation.pk)
