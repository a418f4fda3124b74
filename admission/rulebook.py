"""The calendar and rule set that apply to an organisation, built from the database overrides.

Thin glue between the pure `admission.domain` and the admin-editable tables
(CalendarOverride, RuleOverride): one query each, then pure functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import Q, QuerySet

from admission.domain.calendar import WorkingCalendar, calendar_for_ancestors
from admission.domain.rules import RuleBook
from admission.models import CalendarOverride, RuleOverride
from members.models import Organisation


def calendar_overrides(organisation: Organisation) -> QuerySet[CalendarOverride]:
    """The calendar overrides that apply to `organisation`: national ones and its ancestors'."""
    return CalendarOverride.objects.filter(
        Q(organisation__isnull=True) | Q(organisation_id__in=organisation.ancestor_ids())
    )


def rule_overrides(organisation: Organisation) -> QuerySet[RuleOverride]:
    """The province's rule overrides (the province is the root of the organisation's path)."""
    ancestors = organisation.ancestor_ids()
    if not ancestors:
        return RuleOverride.objects.none()
    return RuleOverride.objects.filter(province_id=ancestors[0])


def calendar_for(organisation: Organisation) -> WorkingCalendar:
    """Working days for `organisation`: the national overrides plus those of its ancestors (one query)."""
    rows = calendar_overrides(organisation).values_list("organisation_id", "day", "is_working_day")
    return calendar_for_ancestors(rows, organisation.ancestor_ids())


def rulebook_for(organisation: Organisation) -> RuleBook:
    """The province's rule overrides (the province is the root of the organisation's path)."""
    if not organisation.ancestor_ids():
        return RuleBook()
    rows = rule_overrides(organisation).values_list("effective_from", "key", "value", "label")
    return RuleBook(overrides=tuple(rows))


def calendars_and_rulebooks(
    organisations: Iterable[Organisation],
) -> tuple[dict[int, WorkingCalendar], dict[int, RuleBook]]:
    """Calendars and rule books of many organisations with two queries."""
    orgs = {o.pk: o for o in organisations}
    ancestors = {pk: o.ancestor_ids() for pk, o in orgs.items()}
    all_ids = {i for ids in ancestors.values() for i in ids}
    overrides = list(
        CalendarOverride.objects.filter(Q(organisation__isnull=True) | Q(organisation_id__in=all_ids)).values_list(
            "organisation_id", "day", "is_working_day"
        )
    )
    provinces = {ids[0] for ids in ancestors.values() if ids}
    rules: defaultdict[int, list[tuple[date, str, int, str]]] = defaultdict(list)
    for province_id, *row in RuleOverride.objects.filter(province_id__in=provinces).values_list(
        "province_id", "effective_from", "key", "value", "label"
    ):
        rules[province_id].append(tuple(row))  # type: ignore[arg-type]
    calendars, rulebooks = {}, {}
    for pk, ids in ancestors.items():
        calendars[pk] = calendar_for_ancestors(overrides, ids)
        rulebooks[pk] = RuleBook(overrides=tuple(rules.get(ids[0], ()))) if ids else RuleBook()
    return calendars, rulebooks
