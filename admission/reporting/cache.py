"""The figures of the statistics page, cached until the data under them changes.

A province's page reads every member, candidate and stage transition of its subtree (hundreds of
milliseconds on 150,000 members). Its figures only change when something in that subtree is
written, so they are kept in the cache (Redis in production) under a key made of

- the organisation, the query (period, counting rule, baseline) and today's date;
- the *generation* of the organisation: a counter that every write below it increments.

A write to a member, person, candidate, stage transition, plan, organisation or calendar/rule
override increments the generation of its organisation and of every ancestor (the path, at most
six keys), so the next view of any page whose subtree contains it computes afresh; pages of other
subtrees keep their cached figures. The counters are bumped by model signals, at once and again
when the transaction commits (a page computed between the write and the commit would otherwise be
cached under the new generation). Writes that bypass signals (`QuerySet.update`, `bulk_create`)
call `statistics_touch` themselves; the dataset generator and anything global call
`statistics_touch_all`.

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
from django.db.models import Model
from django.db.models.signals import post_delete, post_init, post_save
from django.http import Http404
from django.utils import timezone

from admission.models import AnnualPlan, CalendarOverride, Candidate, RuleOverride, StageTransition
from admission.reporting import statistics
from members.freshness import EPOCH, GENERATION, organisation_forget
from members.freshness import everything_changed as statistics_touch_all
from members.freshness import organisations_changed as statistics_touch
from members.models import Organisation, PartyMember, Person
from members.selectors import scope_for

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
    """Recompute this organisation's figures at the next view (the page's "recompute" button)."""
    organisation_forget(organisation_id=organisation.pk)


# --- Signals: which writes change whose figures ------------------------------------------------


def _organisation_path(organisation_id: int | None, instance: Model, field: str) -> str | None:
    if organisation_id is None:
        return None
    cached = instance._state.fields_cache.get(field)
    if isinstance(cached, Organisation) and cached.pk == organisation_id and cached.path:
        return cached.path
    return Organisation.objects.filter(pk=organisation_id).values_list("path", flat=True).first()


def _remember_organisation(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    """The organisation an object was loaded with, so that moving it invalidates both subtrees."""
    instance.__dict__["_statistics_organisation_id"] = instance.__dict__.get("organisation_id")


def _organisation_changed(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    current = instance.__dict__.get("organisation_id")
    paths = [_organisation_path(current, instance, "organisation")]
    before = instance.__dict__.get("_statistics_organisation_id")
    if before is not None and before != current:
        paths.append(_organisation_path(before, instance, "-"))
    statistics_touch(paths=[path for path in paths if path])
    instance.__dict__["_statistics_organisation_id"] = current


def _transition_changed(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    candidate = instance._state.fields_cache.get("candidate")
    if candidate is not None:
        path = _organisation_path(candidate.organisation_id, candidate, "organisation")
    else:
        organisation_id = (
            Candidate.objects.filter(pk=instance.candidate_id).values_list("organisation_id", flat=True).first()
        )
        path = _organisation_path(organisation_id, instance, "-")
    statistics_touch(paths=[path] if path else [])


def _organisation_saved(sender: type[Model], instance: Organisation, **kwargs: Any) -> None:
    statistics_touch(paths=[instance.path] if instance.path else [])


def _global_or_organisation(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    organisation_id = getattr(instance, "organisation_id", None) or getattr(instance, "province_id", None)
    if organisation_id is None:
        statistics_touch_all()
        return
    field = "organisation" if hasattr(instance, "organisation_id") else "province"
    path = _organisation_path(organisation_id, instance, field)
    statistics_touch(paths=[path] if path else [])


def connect_signals() -> None:
    """Called from AdmissionConfig.ready()."""
    for model in (Person, PartyMember, Candidate, AnnualPlan):  # each belongs to an `organisation`
        post_init.connect(_remember_organisation, sender=model, dispatch_uid=f"statistics-init-{model.__name__}")
        post_save.connect(_organisation_changed, sender=model, dispatch_uid=f"statistics-save-{model.__name__}")
        post_delete.connect(_organisation_changed, sender=model, dispatch_uid=f"statistics-delete-{model.__name__}")
    post_save.connect(_transition_changed, sender=StageTransition, dispatch_uid="statistics-save-transition")
    post_delete.connect(_transition_changed, sender=StageTransition, dispatch_uid="statistics-delete-transition")
    post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="statistics-save-organisation")
    post_delete.connect(_organisation_saved, sender=Organisation, dispatch_uid="statistics-delete-organisation")
    for override in (CalendarOverride, RuleOverride):
        name = override.__name__
        post_save.connect(_global_or_organisation, sender=override, dispatch_uid=f"statistics-save-{name}")
        post_delete.connect(_global_or_organisation, sender=override, dispatch_uid=f"statistics-delete-{name}")
