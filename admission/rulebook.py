"""The calendar and rule set that apply to an organisation, built from the database overrides.

Thin glue between the pure `admission.domain` and the admin-editable tables
(CalendarOverride, RuleOverride): one query each, then pure functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from admission.domain.calendar import WorkingCalendar
from admission.domain.rules import NoRuleSetInForce, RuleSet, rule_set_for
from admission.models import CalendarOverride, RuleOverride
from members.models import Organisation

OLDEST_RULE_SET_START = date(2021, 7, 30)


@dataclass(frozen=True)
class RuleBook:
    """Rules for one province: the national rule set in force on a date plus the province's overrides."""

    overrides: tuple[tuple[date, str, int, str], ...] = ()  # (effective_from, key, value, label)

    def for_date(self, day: date) -> RuleSet:
        """The rule set in force on `day` (the trigger date of a deadline, rules §0)."""
        try:
            base = rule_set_for(day)
        except NoRuleSetInForce:
            # Dates before QĐ24 (30/07/2021), e.g. an old certificate: the oldest set we hold.
            # Its periods (60-month certificate, 12-month dossier) equal QĐ29's.
            base = rule_set_for(OLDEST_RULE_SET_START)
        applicable: dict[str, tuple[int, str]] = {}
        for effective_from, key, value, label in sorted(self.overrides):
            if effective_from <= day:
                applicable[key] = (value, label)
        for key, (value, label) in applicable.items():
            base = base.with_overrides({key: value}, label=label)
        return base


def calendar_from_overrides(rows: Iterable[tuple[date, bool]]) -> WorkingCalendar:
    """A calendar from (day, is_working_day) override rows."""
    rows = list(rows)
    return WorkingCalendar(
        extra_working_days=frozenset(day for day, working in rows if working),
        extra_days_off=frozenset(day for day, working in rows if not working),
    )


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
    return calendar_from_overrides(calendar_overrides(organisation).values_list("day", "is_working_day"))


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
        calendars[pk] = calendar_from_overrides(
            (day, working) for org_id, day, working in overrides if org_id is None or org_id in ids
        )
        rulebooks[pk] = RuleBook(overrides=tuple(rules.get(ids[0], ()))) if ids else RuleBook()
    return calendars, rulebooks
