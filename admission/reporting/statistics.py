"""Statistics of an organisation's subtree (rules §9): the figures of the page and the saved reports.

The figures are gathered here from their parts: the subtree and its shared SQL (``subtree``), the plans
(``plans``), the admissions' breakdowns (``breakdowns``) and the candidacies' removals, funnel and
deadlines (``candidates``); the people behind a figure are in ``people``, the Excel files in ``exports``.

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
- **Outcomes** (``candidates.outcome_transitions``, ``outcome_transfers``) = people, by the day of
  the event: not admitted (S10 -> S1, the ``reject`` step), annulled (into SZ), withdrawn or dropped
  before a decision (S1-S10 -> S0, the ``withdraw`` and ``drop`` steps; removals at the monthly list
  review are left out), transferred in / out (CandidateTransfer across the subtree's edge; a move
  inside counts in neither). Transitions count in the candidate's organisation today.
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
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from admission.domain import statistics as stats
from admission.domain.stages import PIPELINE, Stage
from admission.models import Candidate, StageTransition, StatisticsReport
from admission.reporting.breakdowns import _breakdowns
from admission.reporting.candidates import _candidate_figures
from admission.reporting.plans import Plans
from admission.reporting.query import AdmittedBy, StatisticsQuery, _pct_base, _pct_plan
from admission.reporting.subtree import Calendars, RootRows, Subtree, _subtree_q
from admission.reporting.summaries import PeriodCounts, period_counts
from config.replica import read_connection
from members import summaries
from members.models import MemberStatus, Organisation, OrganisationKind, PartyMember, User
from members.selectors import scope_for

# The layout of the figures dictionary (saved in StatisticsReport.figures): change it with the layout.
FIGURES_VERSION = 1
# The structure counts of the public reports: "X đảng bộ cơ sở, Y chi bộ cơ sở, ...".
STRUCTURE_KINDS = (
    OrganisationKind.COMMUNE,
    OrganisationKind.GRASSROOTS_COMMITTEE,
    OrganisationKind.GRASSROOTS_BRANCH,
    OrganisationKind.SUB_COMMITTEE,
    OrganisationKind.BRANCH,
    OrganisationKind.VILLAGE_BRANCH,
)


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


# --- Members per child of the root ----------------------------------------------------------


def _recognised_q(query: StatisticsQuery) -> Q:
    if query.admitted_by == AdmittedBy.DECISION:
        return Q(official_date__isnull=False, recognised_on__range=(query.start, query.end))
    return Q(official_date__range=(query.start, query.end))


def _with_recognised_on(qs: QuerySet[PartyMember], query: StatisticsQuery) -> QuerySet[PartyMember]:
    if query.admitted_by == AdmittedBy.DECISION:
        return qs.annotate(recognised_on=Coalesce("candidacy__recognition_decision_date", "official_date"))
    return qs


def _member_groups(subtree: Subtree, query: StatisticsQuery) -> dict[int | None, dict[str, int]]:
    """Per child of the root (None: the root's own members): members at the baseline, at the end
    of the period and at the start of each trend year; admitted and recognised in the period;
    admitted in each trend year. Read from the maintained summary (``members.summaries``, one
    query over the children's subtree rows and the root's own rows): the members on a day are
    the changes summed up to it, a period's events the sum at its end less the sum the day before
    its start. The same figures as ``member_on_q`` and ``_recognised_q`` over the register
    (tests/integration/members/test_summaries.py compares them)."""
    admitted = "admitted_decision" if query.admitted_by == AdmittedBy.DECISION else "admitted_ceremony"
    recognised = "recognised_decision" if query.admitted_by == AdmittedBy.DECISION else "recognised_official"
    before_start = query.start - dt.timedelta(days=1)
    year_starts = {year: dt.date(year, 1, 1) for year in query.trend_years}
    year_ends = {year: dt.date(year, 12, 31) for year in (query.trend_years[0] - 1, *query.trend_years)}
    days = sorted({query.baseline_day, query.end, before_start, *year_starts.values(), *year_ends.values()})
    scopes = [(subtree.root.pk, True), *((child, False) for child in subtree.child_ids)]
    found = summaries.counts_on(scopes=scopes, days=days)
    groups: dict[int | None, dict[str, int]] = {}
    for (organisation_id, own), on in found.items():
        key = None if own else organisation_id
        groups[key] = {
            "base_official": on[query.baseline_day]["official"],
            "base_probationary": on[query.baseline_day]["probationary"],
            "end_official": on[query.end]["official"],
            "end_probationary": on[query.end]["probationary"],
            "admitted": on[query.end][admitted] - on[before_start][admitted],
            "recognised": on[query.end][recognised] - on[before_start][recognised],
            **{f"start_{year}": on[day]["official"] + on[day]["probationary"] for year, day in year_starts.items()},
            **{
                f"admitted_{year}": on[year_ends[year]][admitted] - on[year_ends[year - 1]][admitted]
                for year in query.trend_years
            },
        }
    return groups


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
    {join}
    WHERE t.on_date >= %s AND t.on_date <= %s AND t.entered_on IS NOT NULL AND {inside}
) v
GROUP BY 1, 2
"""
# How the visits are limited to the subtree. With one calendar group (the usual case) a semi-join
# on the subtree's candidates, which PostgreSQL runs as one hash of them probed by the visits of
# the period read from the index `transition_visit_day` alone (or, for a small subtree, per
# candidate through `transition_stage_time`); with several groups the organisation's path is needed.
_VISITS_IN_SUBTREE = (
    "t.candidate_id IN (SELECT c.id FROM {candidate} c JOIN {organisation} o ON o.id = c.organisation_id "
    "WHERE o.path LIKE %s)"
)
_VISITS_JOIN = "JOIN {candidate} c ON c.id = t.candidate_id JOIN {organisation} o ON o.id = c.organisation_id"


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


def _time_in_stage(subtree: Subtree, query: StatisticsQuery, counted: PeriodCounts | None) -> list[dict[str, Any]]:
    """Median and 90th percentile of working days spent in each stage, visits ended in the period.

    A visit of a stage runs from the transition into it to the next transition out of it; each
    transition stores the visit it ends (day entered, working days by the package calendar, see
    StageTransition), and the first stay in S0 has no transition into it and is not counted. A
    period of whole months reads the histograms from the summary (`counted`, ``summaries``) when
    no calendar override of the subtree changes a visit's count; otherwise one query groups the
    visits of the subtree that ended in the period by stage and working days, the stored count
    corrected by the calendar overrides of the visit's calendar group (`_override_correction`):
    a histogram per stage, whatever the number of visits.
    """
    calendars = subtree.calendars()
    correction, correction_params = _override_correction(calendars, query.end)
    histograms: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    if counted is not None and not correction_params:
        for stage, by_days in counted.visits.items():
            histograms[stage].update(by_days)
    else:
        for stage, working_days, count in _visit_histogram_rows(subtree, query, correction, correction_params):
            histograms[stage][working_days] += count
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


def _visit_histogram_rows(
    subtree: Subtree, query: StatisticsQuery, correction: str, correction_params: list[Any]
) -> list[tuple[str, int, int]]:
    """(stage, working days corrected, visits) of the subtree's visits ended in the period."""
    calendars = subtree.calendars()
    group, group_params = calendars.group_sql("o.path")
    tables = {"candidate": Candidate._meta.db_table, "organisation": Organisation._meta.db_table}
    several = bool(group_params)  # several calendar groups: join the organisations for their paths
    sql = _VISITS_SQL.format(
        correction=correction,
        group=group,
        transition=StageTransition._meta.db_table,
        join=_VISITS_JOIN.format(**tables) if several else "",
        inside="o.path LIKE %s" if several else _VISITS_IN_SUBTREE.format(**tables),
    )
    # Placeholders in text order: the correction (outer SELECT), the group, the period, the subtree.
    params: list[Any] = [*correction_params, *group_params, query.start, query.end, f"{subtree.root.path}%"]
    with read_connection().cursor() as cursor:  # the replica when the view reads from it
        cursor.execute(sql, params)
        return cursor.fetchall()


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
    candidates (`_candidate_figures`) and the time in stage; a seventh for a root without a parent
    (`Subtree.holds_everything`).
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
    # The removals, the funnel and the stage visits of a whole-month period from the summary.
    counted = period_counts(root_id=subtree.root.pk, child_ids=subtree.child_ids, start=query.start, end=query.end)
    removed, outcomes, funnel, deadlines = _candidate_figures(subtree, query, today, counted)

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
    kinds = subtree.kinds_on(structure_day)
    structure = {kind: kinds[kind] for kind in STRUCTURE_KINDS}
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
        "outcomes": outcomes,
        "children": children,
        "breakdowns": _breakdowns(subtree, query),
        "funnel": funnel,
        "time_in_stage": _time_in_stage(subtree, query, counted),
        "deadlines": deadlines,
        "structure": {"date": structure_day.isoformat(), **structure},
        "trend": _trend(subtree, query, plans, totals),
    }


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
