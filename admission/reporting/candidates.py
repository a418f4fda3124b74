"""The figures of the candidacies, read in one statement (``_candidate_figures``): removals from
the probationary list, the life-cycle outcomes (not admitted, annulled, withdrawn or dropped,
transferred in and out), the awareness-class funnel and the time limits met or missed.

Deadlines fetch the candidates grouped by their dates (one row per distinct combination) and
compute each deadline once per distinct trigger day with ``admission.domain.deadlines``.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear

from admission.dates import LEGAL_DATE_TRIGGER, SUPERSEDES
from admission.domain import deadlines
from admission.domain import statistics as stats
from admission.domain.calendar import WorkingCalendar
from admission.domain.rules import RuleBook, RuleSet
from admission.domain.stages import PIPELINE, Stage
from admission.models import OUTCOME_TRANSITION, Candidate, CandidateTransfer, ListDecision, StageTransition
from admission.reporting.query import StatisticsQuery, _pct_plan
from admission.reporting.subtree import Subtree, _as_date, _child_of_root, _subtree_q, _typed_null, _union_all
from admission.reporting.summaries import PeriodCounts
from admission.workflow import step_ending
from members.models import Organisation

# --- Removals and the awareness-class funnel -------------------------------------------------


def _with_months(qs: QuerySet[Any], start_field: str, end_field: str, name: str) -> QuerySet[Any]:
    """Annotate `name` = completed months from `start_field` to `end_field` (stats.completed_months)."""
    return qs.annotate(
        _d_start=ExtractDay(start_field),
        _d_end=ExtractDay(end_field),
    ).annotate(
        **{
            name: (ExtractYear(end_field) - ExtractYear(start_field)) * 12
            + ExtractMonth(end_field)
            - ExtractMonth(start_field)
            - Case(When(_d_end__lt=F("_d_start"), then=Value(1)), default=Value(0), output_field=IntegerField())
        }
    )


def _removed_part(subtree: Subtree, query: StatisticsQuery) -> QuerySet[Candidate]:
    """Removals from the probationary list in the period, per child of the root (`_candidate_figures`)."""
    return (
        Candidate.objects.filter(
            _subtree_q(subtree.root), stage=Stage.SX.value, removal_date__range=(query.start, query.end)
        )
        .order_by()
        .annotate(
            part=Value("removed", output_field=CharField()),
            i1=_child_of_root(subtree.root),
            i2=_typed_null(IntegerField()),
            d1=_typed_null(DateField()),
            d2=_typed_null(DateField()),
            flag=_typed_null(BooleanField()),
        )
    )


# --- Life-cycle outcomes ----------------------------------------------------------------------

# Not admitted (the `reject` step, S10 -> S1), annulled (into SZ: the `annul` step, or a transfer
# after the 30 working days), withdrawn or dropped from the list before a decision (the `withdraw`
# and `drop` steps, S1-S10 -> S0; the monthly list review's removals are left out, see
# `_list_review`). Counted by the transition's on_date, by the candidate's organisation today.
_BEFORE_DECISION = [stage.value for stage in PIPELINE[PIPELINE.index(Stage.S1) : PIPELINE.index(Stage.S10) + 1]]


def _list_review() -> Exists:
    """The transition is a removal decided at a monthly branch meeting (branch_meeting_record:
    a ListDecision REMOVE of the candidate at a meeting held on the transition's day)."""
    return Exists(
        ListDecision.objects.filter(
            candidate_id=OuterRef("candidate_id"),
            decision=ListDecision.Decision.REMOVE,
            meeting__held_on=OuterRef("on_date"),
        )
    )


def _transition_filters() -> dict[str, Q]:
    return {
        "rejected": Q(from_stage=Stage.S10.value, to_stage=Stage.S1.value),
        "annulled": Q(to_stage=Stage.SZ.value) & ~Q(from_stage=Stage.SZ.value),
        "withdrawn": Q(to_stage=Stage.S0.value, from_stage__in=_BEFORE_DECISION) & ~Q(_list_review()),
    }


TRANSITION_FIGURES = ("rejected", "annulled", "withdrawn")
TRANSFER_FIGURES = ("transfers_in", "transfers_out")
OUTCOME_FIGURES = TRANSITION_FIGURES + TRANSFER_FIGURES


def outcome_transitions(root: Organisation, query: StatisticsQuery) -> QuerySet[StageTransition]:
    """The subtree's transitions in the period that are an outcome, named by `part`: one scan of
    the partial index `transition_outcome_day`, whose condition (`OUTCOME_TRANSITION`, implied by
    the outcome filters) is repeated as is so that PostgreSQL sees it may use it."""
    filters = _transition_filters()
    any_outcome = Q()
    for condition in filters.values():
        any_outcome |= condition
    return (
        StageTransition.objects.filter(
            _subtree_q(root, "candidate__organisation__"),
            OUTCOME_TRANSITION,
            any_outcome,
            on_date__range=(query.start, query.end),
        )
        .order_by()
        .annotate(
            part=Case(
                *(When(condition, then=Value(name)) for name, condition in filters.items()),
                output_field=CharField(),
            )
        )
    )


def outcome_transfers(root: Organisation, query: StatisticsQuery) -> QuerySet[CandidateTransfer]:
    """Transfers in the period across the subtree's edge, named `transfers_in` (destination in the
    subtree, origin outside) or `transfers_out`; a move inside the subtree is neither."""
    inside_to = _subtree_q(root, "to_organisation__")
    inside_from = _subtree_q(root, "from_organisation__")
    return (
        CandidateTransfer.objects.filter(
            (inside_to & ~inside_from) | (inside_from & ~inside_to), on_date__range=(query.start, query.end)
        )
        .order_by()
        .annotate(
            part=Case(
                When(inside_to, then=Value("transfers_in")),
                default=Value("transfers_out"),
                output_field=CharField(),
            )
        )
    )


def outcome_events(root: Organisation, query: StatisticsQuery, figure: str) -> QuerySet[Any]:
    """The transitions or transfers of one outcome (the people lists): the same filters as the counts."""
    if figure in TRANSFER_FIGURES:
        inside_to = _subtree_q(root, "to_organisation__")
        inside_from = _subtree_q(root, "from_organisation__")
        edge = (inside_to & ~inside_from) if figure == "transfers_in" else (inside_from & ~inside_to)
        return CandidateTransfer.objects.filter(edge, on_date__range=(query.start, query.end))
    return StageTransition.objects.filter(
        _subtree_q(root, "candidate__organisation__"),
        _transition_filters()[figure],
        on_date__range=(query.start, query.end),
    )


def _outcome_parts(root: Organisation, query: StatisticsQuery) -> list[QuerySet[Any]]:
    """The outcomes in the columns of `_candidate_figures`: people (distinct candidacies) per outcome."""
    columns = {
        "i1": _typed_null(IntegerField()),
        "i2": _typed_null(IntegerField()),
        "d1": _typed_null(DateField()),
        "d2": _typed_null(DateField()),
        "flag": _typed_null(BooleanField()),
    }
    return [
        qs.annotate(**columns).values(*CANDIDATE_COLUMNS).annotate(n=Count("candidate_id", distinct=True))
        for qs in (outcome_transitions(root, query), outcome_transfers(root, query))
    ]


# The cohort is the candidates whose awareness-class certificate falls in the period; each step
# counts those who got at least that far (the dossier permitted, the branch vote, the ceremony).
FUNNEL_FILTERS: dict[str, Q] = {
    "certificate": Q(),
    "dossier": Q(dossier_start_date__isnull=False),
    "branch_vote": Q(branch_resolution_date__isnull=False),
    "admitted": Q(ceremony_date__isnull=False),
}
FUNNEL_STEPS = tuple(FUNNEL_FILTERS)


def _funnel_part(organisation: Organisation, query: StatisticsQuery) -> QuerySet[Candidate]:
    """The awareness-class cohort of the period grouped by months to the ceremony (NULL: not
    admitted), branch vote (1/0) and dossier (flag): `_funnel` adds the steps up."""
    cohort = Candidate.objects.filter(
        _subtree_q(organisation), certificate_issue_date__range=(query.start, query.end)
    ).order_by()
    return _with_months(cohort, "certificate_issue_date", "ceremony_date", "months").annotate(
        part=Value("funnel", output_field=CharField()),
        i1=F("months"),
        i2=Case(When(FUNNEL_FILTERS["branch_vote"], then=Value(1)), default=Value(0), output_field=IntegerField()),
        d1=_typed_null(DateField()),
        d2=_typed_null(DateField()),
        flag=Case(When(FUNNEL_FILTERS["dossier"], then=Value(True)), default=Value(False), output_field=BooleanField()),
    )


def _funnel(rows: Iterable[tuple[int | None, int, bool, int]]) -> dict[str, Any]:
    """The cohort's steps and median months to the ceremony, from (months, voted, dossier, n)."""
    steps = dict.fromkeys(FUNNEL_STEPS, 0)
    months: dict[int, int] = defaultdict(int)
    for month, voted, dossier, count in rows:
        steps["certificate"] += count
        steps["dossier"] += count if dossier else 0
        steps["branch_vote"] += count if voted else 0
        if month is not None:  # the ceremony is held (FUNNEL_FILTERS["admitted"])
            steps["admitted"] += count
            months[int(month)] += count
    values = [steps[key] for key in FUNNEL_STEPS]
    percents = stats.funnel_percentages(values)
    return {
        "steps": [
            {"key": key, "count": count, "percent": None if pct is None else str(pct)}
            for key, count, pct in zip(FUNNEL_STEPS, values, percents, strict=True)
        ],
        "median_months": stats.quantile(months, 0.5),
    }


# --- Deadlines met or missed -----------------------------------------------------------------


# The limits in the words of ``admission.domain.deadlines`` (``period_end_day``: the day of each
# named deadline's ``period_end`` without the rule it cites; tests/unit/admission/
# test_statistics_limits.py compares them with the named functions). `rules` is the rule set in
# force on a day, memoised per page (``_deadline_outcomes``).
RulesOn = Callable[[dt.date], RuleSet]


@dataclass(frozen=True)
class DeadlineKind:
    key: str
    trigger: str  # the date field that starts the time limit
    done: str  # the date field that meets it
    # The triggers whose deadline can fall in the period lie in [start - longest, end - shortest]:
    # a limit of N working days is at least N calendar days and, with the longest extension and
    # Tết, well under `longest_days`; 12 months more (at least 365 days) for the probation.
    shortest_days: int
    longest_days: int
    compute: Callable[[dt.date, WorkingCalendar, RulesOn, bool], dt.date]
    # A legal date that replaces this one when it applies (dates.SUPERSEDES): its trigger field,
    # which applies when not older than `trigger`, and how it is computed.
    superseding_trigger: str | None = None
    compute_superseding: Callable[[dt.date, WorkingCalendar, RulesOn], dt.date] | None = None

    def trigger_day(self) -> Any:
        """The day the limit counts from: the superseding trigger where it applies, else `trigger`."""
        if self.superseding_trigger is None:
            return F(self.trigger)
        return Case(When(self.superseded(), then=F(self.superseding_trigger)), default=F(self.trigger))

    def window(self, query: StatisticsQuery) -> tuple[dt.date, dt.date]:
        """The trigger days whose time limit can end in the period."""
        return (query.start - dt.timedelta(days=self.longest_days), query.end - dt.timedelta(days=self.shortest_days))

    def superseded(self) -> Q:
        if self.superseding_trigger is None:
            return Q(pk__in=[])
        return Q(**{f"{self.superseding_trigger}__gte": F(self.trigger)})


def _decision_limit(day: dt.date, calendar: WorkingCalendar, rules: RulesOn, extended: bool) -> dt.date:
    """admission_decision_deadline: 45 WD from the branch resolution, + 15 WD (QĐ294 4.3.1)."""
    return deadlines.period_end_day(
        trigger=day,
        key="decision_wd",
        extension_key="decision_ext_wd" if extended else None,
        kind="deadline",
        calendar=calendar,
        rules=rules(day),
    )


def _ceremony_limit(day: dt.date, calendar: WorkingCalendar, rules: RulesOn, _extended: bool) -> dt.date:
    """ceremony_deadline: 30 WD from the decision's receipt (QĐ294 4.1)."""
    return deadlines.period_end_day(
        trigger=day, key="ceremony_wd", kind="deadline", calendar=calendar, rules=rules(day)
    )


def _recognition_branch_limit(day: dt.date, calendar: WorkingCalendar, rules: RulesOn, _extended: bool) -> dt.date:
    """recognition_branch_deadline: 30 WD after the end of probation (QĐ294 4.2.1), itself
    probation_end, 12 months after the ceremony (`day`; ĐL 5.1)."""
    end = deadlines.period_end_day(trigger=day, key="probation_months", kind="status", rules=rules(day))
    return deadlines.period_end_day(
        trigger=end, key="recognition_branch_wd", kind="deadline", calendar=calendar, rules=rules(end)
    )


def _recognition_decision_limit(day: dt.date, calendar: WorkingCalendar, rules: RulesOn, extended: bool) -> dt.date:
    """recognition_decision_deadline: 30 WD from the branch resolution, + 15 WD (QĐ294 4.3.1)."""
    return deadlines.period_end_day(
        trigger=day,
        key="recognition_decision_wd",
        extension_key="recognition_ext_wd" if extended else None,
        kind="deadline",
        calendar=calendar,
        rules=rules(day),
    )


def _transfer_decision_limit(day: dt.date, calendar: WorkingCalendar, rules: RulesOn) -> dt.date:
    """transfer_decision_deadline: 30 WD from the transferred dossier's receipt (HD06 3.9b)."""
    return deadlines.period_end_day(
        trigger=day, key="transfer_decision_wd", kind="deadline", calendar=calendar, rules=rules(day)
    )


# How the legal dates that supersede another are computed (dates.SUPERSEDES).
_SUPERSEDING_LIMITS: dict[str, Callable[[dt.date, WorkingCalendar, RulesOn], dt.date]] = {
    "transfer_decision_deadline": _transfer_decision_limit,
}


def _kind(
    key: str,
    shortest_days: int,
    longest_days: int,
    compute: Callable[[dt.date, WorkingCalendar, RulesOn, bool], dt.date],
) -> DeadlineKind:
    """The time limit `<key>_deadline`: counted from its trigger (dates.LEGAL_DATE_TRIGGER), met by
    the date of the step that ends it (workflow.step_ending); replaced by the legal date that
    supersedes it where that applies (dates.SUPERSEDES: the 30 WD of a transferred dossier)."""
    legal_date = f"{key}_deadline"
    done = step_ending(legal_date).date_field
    assert done is not None  # noqa: S101 - every step ending a deadline records its date
    newer = next((name for name, older in SUPERSEDES.items() if older == legal_date), None)
    return DeadlineKind(
        key,
        LEGAL_DATE_TRIGGER[legal_date],
        done,
        shortest_days,
        longest_days,
        compute,
        LEGAL_DATE_TRIGGER[newer] if newer else None,
        _SUPERSEDING_LIMITS[newer] if newer else None,
    )


DEADLINE_KINDS: tuple[DeadlineKind, ...] = (
    _kind("decision", 30, 150, _decision_limit),
    _kind("ceremony", 30, 120, _ceremony_limit),
    _kind("recognition_branch", 365 + 30, 370 + 120, _recognition_branch_limit),
    _kind("recognition_decision", 30, 150, _recognition_decision_limit),
)
DEADLINE_BY_KEY = {kind.key: kind for kind in DEADLINE_KINDS}
OUTCOMES = ("met", "late", "overdue", "open")


# Where a candidate who left the path stands: removed, or back on (or off) the sympathiser list.
_LEFT_STAGES = [Stage.SX.value, *(stage.value for stage in PIPELINE[: PIPELINE.index(Stage.S8)])]


def _deadline_qs(subtree: Subtree, query: StatisticsQuery, kind: DeadlineKind) -> QuerySet[Candidate]:
    """The candidates whose time limit of `kind` may end in the period, with their calendar group
    (`grp`). Candidates who left before meeting a limit are left out (not overdue or open): removed
    (SX), or back before the dossier's end (not admitted, withdrawn: S0-S7)."""
    window = kind.window(query)
    return (
        Candidate.objects.filter(_subtree_q(subtree.root))
        .annotate(
            trigger_day=kind.trigger_day(),
            superseded=Case(When(kind.superseded(), then=Value(1)), default=Value(0), output_field=IntegerField()),
        )
        .filter(trigger_day__range=window)
        .exclude(Q(stage__in=_LEFT_STAGES) & Q(**{f"{kind.done}__isnull": True}))
        .order_by()
        .annotate(grp=subtree.calendars().group_expression())
    )


def _deadline_part(subtree: Subtree, query: StatisticsQuery, kind: DeadlineKind) -> QuerySet[Candidate]:
    """`_deadline_qs` in the columns of `_candidate_figures`: group, trigger, done, extended."""
    return _deadline_qs(subtree, query, kind).annotate(
        part=Value(kind.key, output_field=CharField()),
        i1=F("grp"),
        i2=F("superseded"),
        d1=F("trigger_day"),
        d2=F(kind.done),
        flag=F("deadline_extended"),
    )


class _LimitMemo:
    """The day of each time limit already computed by this process, per kind, calendar and rule
    book (compared by value: the same overrides give the same days) and per (trigger, extended,
    superseded): the limits are pure functions of them, so a page reuses those of the pages
    before it and computes only the trigger days it has not met yet. A few dozen calendars and
    rule books at most; each holds a day per distinct trigger of some years."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._memos: OrderedDict[tuple[str, WorkingCalendar, RuleBook], dict[tuple[dt.date, bool, bool], dt.date]]
        self._memos = OrderedDict()
        self._lock = threading.Lock()

    def of(self, kind: str, calendar: WorkingCalendar, rules: RuleBook) -> dict[tuple[dt.date, bool, bool], dt.date]:
        key = (kind, calendar, rules)
        with self._lock:
            memo = self._memos.get(key)
            if memo is None:
                memo = self._memos[key] = {}
                while len(self._memos) > self.size:
                    self._memos.popitem(last=False)
            else:
                self._memos.move_to_end(key)
            return memo

    def clear(self) -> None:
        with self._lock:
            self._memos.clear()


_LIMITS = _LimitMemo()


def _limit(
    kind: DeadlineKind,
    calendar: WorkingCalendar,
    rules: RulesOn,
    memo: dict[tuple[dt.date, bool, bool], dt.date],
    trigger: dt.date,
    extended: bool,
    superseded: bool,
) -> dt.date:
    """The day the time limit of `kind` ends for a trigger, from `memo` (`_LIMITS.of` for the
    calendar) or computed and kept there: by the superseding rule when it applies (the 30 WD
    from a transferred dossier's receipt), else by the kind's own."""
    key = (trigger, extended, superseded)
    limit = memo.get(key)
    if limit is None:
        if superseded and kind.compute_superseding is not None:
            limit = kind.compute_superseding(trigger, calendar, rules)
        else:
            limit = kind.compute(trigger, calendar, rules, extended)
        memo[key] = limit
    return limit


def _deadline_outcomes(
    subtree: Subtree,
    query: StatisticsQuery,
    today: dt.date,
    kind: DeadlineKind,
    rows: Iterable[tuple[int, dt.date, dt.date | None, bool, bool, int, list[int]]],
) -> list[tuple[str, int, list[int]]]:
    """(outcome, count, candidate ids) of the limits that end in the period, from rows
    (calendar group, trigger, done, extended, superseded, count, ids); each deadline is computed
    once per distinct trigger and calendar with the functions of ``admission.domain.deadlines``
    (a superseded one by its superseding rule: the 30 WD from a transferred dossier's receipt),
    and kept for the next pages (`_LimitMemo`)."""
    calendars = subtree.calendars()
    rules = functools.cache(calendars.rules.for_date)  # the rule set in force on a day, once per day
    memos = [_LIMITS.of(kind.key, calendar, calendars.rules) for calendar in calendars.groups]
    start, end, outcome = query.start, query.end, stats.deadline_outcome
    found: list[tuple[str, int, list[int]]] = []
    for number, trigger, done, extended, superseded, count, ids in rows:
        limit = _limit(kind, calendars.groups[number], rules, memos[number], trigger, extended, superseded)
        if start <= limit <= end:
            found.append((outcome(deadline=limit, done=done, as_of=today), count, ids))
    return found


def _deadline_cases(
    subtree: Subtree, query: StatisticsQuery, today: dt.date, kind: DeadlineKind
) -> list[tuple[str, int, list[int]]]:
    """(outcome, 1, [candidate id]) of every time limit of `kind` that ends in the period (one
    query; the people lists)."""
    columns = ["grp", "trigger_day", kind.done, "deadline_extended", "superseded", "pk"]
    rows = [(*row[:-1], 1, [row[-1]]) for row in _deadline_qs(subtree, query, kind).values_list(*columns)]
    return _deadline_outcomes(subtree, query, today, kind, rows)


def _deadlines(
    subtree: Subtree,
    query: StatisticsQuery,
    today: dt.date,
    rows: Mapping[str, list[tuple[Any, ...]]],
    counted_in_sql: bool = False,
) -> list[dict[str, Any]]:
    """Limits met, late, overdue and open per kind, from the rows of `_candidate_figures`: the
    outcomes counted by the statement itself (`counted_in_sql`, `_deadline_count_sql`: rows of
    outcome number and count), or rows of (group, superseded, trigger, done, extended, count)
    whose limits are computed here."""
    result = []
    typed = connection.vendor == "postgresql"
    no_ids: list[int] = []  # the page counts, it does not list the people
    for kind in DEADLINE_KINDS:
        totals = dict.fromkeys(OUTCOMES, 0)
        if counted_in_sql:
            for outcome, *_unused, count in rows.get(kind.key, []):
                totals[OUTCOMES[int(outcome)]] += int(count)
        else:
            found: list[tuple[int, dt.date, dt.date | None, bool, bool, int, list[int]]]
            if typed:  # PostgreSQL's dates are already dates (and there are thousands of rows)
                found = [
                    (int(number), trigger, done, extended, bool(superseded), count, no_ids)
                    for number, superseded, trigger, done, extended, count in rows.get(kind.key, [])
                ]
            else:
                found = [
                    (
                        int(number),
                        _as_date(trigger),
                        None if done is None else _as_date(done),
                        bool(extended),
                        bool(superseded),
                        count,
                        no_ids,
                    )
                    for number, superseded, trigger, done, extended, count in rows.get(kind.key, [])
                ]
            for outcome, count, _ids in _deadline_outcomes(subtree, query, today, kind, found):
                totals[outcome] += count
        decided = totals["met"] + totals["late"] + totals["overdue"]
        result.append({"key": kind.key, **totals, "met_percent": _pct_plan(totals["met"], decided)})
    return result


# --- Deadlines counted by the statement (PostgreSQL) --------------------------------------------

# The limits of a period, per kind, calendar, rule book and period: the arrays (group, superseded,
# trigger, extended, limit) of every trigger of the window whose limit falls in the period, as the
# array literals `_deadline_count_sql` joins the candidates to (one string each: psycopg2 then
# quotes five strings instead of adapting thousands of dates). Pure functions of their key, kept
# like `_LIMITS`.
_PERIOD_LIMITS: OrderedDict[tuple[Any, ...], tuple[str, str, str, str, str]] = OrderedDict()
_PERIOD_LIMITS_LOCK = threading.Lock()


def _limits_in_period(subtree: Subtree, query: StatisticsQuery, kind: DeadlineKind) -> tuple[str, str, str, str, str]:
    """Array literals (group, superseded, trigger, extended, limit) of the time limits of `kind`
    that end in the period, for every trigger day of the window (`DeadlineKind.window`) and
    calendar group: the limits `_deadline_outcomes` computes row by row
    (`_LIMITS` memo), for every trigger instead of those the candidates have."""
    calendars = subtree.calendars()
    key = (kind.key, calendars.groups, calendars.rules, query.start, query.end)
    with _PERIOD_LIMITS_LOCK:
        kept = _PERIOD_LIMITS.get(key)
        if kept is not None:
            _PERIOD_LIMITS.move_to_end(key)
            return kept
    rules = functools.cache(calendars.rules.for_date)
    first, last = kind.window(query)
    days = (last - first).days + 1
    rows: list[tuple[int, bool, dt.date, bool, dt.date]] = []
    for number, calendar in enumerate(calendars.groups):
        memo = _LIMITS.of(kind.key, calendar, calendars.rules)
        for offset in range(max(days, 0)):
            trigger = first + dt.timedelta(days=offset)
            for superseded in (False, True) if kind.compute_superseding is not None else (False,):
                for extended in (False, True):
                    limit = _limit(kind, calendar, rules, memo, trigger, extended, superseded)
                    if query.start <= limit <= query.end:
                        rows.append((number, superseded, trigger, extended, limit))

    def literal(values: Iterable[object]) -> str:
        return "{" + ",".join(values) + "}"  # type: ignore[arg-type]

    arrays = (
        literal(str(row[0]) for row in rows),
        literal("t" if row[1] else "f" for row in rows),
        literal(row[2].isoformat() for row in rows),
        literal("t" if row[3] else "f" for row in rows),
        literal(row[4].isoformat() for row in rows),
    )
    with _PERIOD_LIMITS_LOCK:
        _PERIOD_LIMITS[key] = arrays
        while len(_PERIOD_LIMITS) > 64:
            _PERIOD_LIMITS.popitem(last=False)
    return arrays


def _deadline_count_sql(
    subtree: Subtree, query: StatisticsQuery, today: dt.date, kind: DeadlineKind
) -> tuple[str, list[Any]]:
    """PostgreSQL: the outcomes of the limits of `kind` that end in the period, counted by the
    statement (rows of outcome number in OUTCOMES and count, in the columns of
    `_candidate_figures`): the subtree's candidates (the WITH clause of `_subtree_candidates`)
    joined to the limits of every trigger day (`_limits_in_period`, arrays), instead of one row
    per distinct trigger and done day (9,000 for a province) whose limits Python looked up. The
    twin of `_deadline_qs` + `_deadline_outcomes` (tests compare them)."""
    trigger, done = f"c.{kind.trigger}", f"c.{kind.done}"
    if kind.superseding_trigger is not None:
        newer = f"c.{kind.superseding_trigger}"
        trigger_day = f"CASE WHEN {newer} >= {trigger} THEN {newer} ELSE {trigger} END"
        superseded = f"(({newer} >= {trigger}) IS TRUE)"
    else:
        trigger_day, superseded = trigger, "FALSE"
    group, group_params = subtree.calendars().group_sql("c.path")
    left = ", ".join(["%s"] * len(_LEFT_STAGES))
    sql = (
        "SELECT %s AS part, x.outcome AS i1, NULL::integer AS i2, NULL::date AS d1, NULL::date AS d2, "  # noqa: S608 - names
        "NULL::boolean AS flag, COUNT(*) AS n FROM (SELECT CASE "
        f"WHEN {done} IS NOT NULL THEN CASE WHEN {done} <= l.lim THEN 0 ELSE 1 END "
        "WHEN l.lim < %s THEN 2 ELSE 3 END AS outcome "
        f'FROM "{SUBTREE_CANDIDATES}" c JOIN unnest(%s::integer[], %s::boolean[], %s::date[], %s::boolean[], %s::date[]) '
        "AS l(grp, sup, trig, ext, lim) "
        f"ON l.trig = {trigger_day} AND l.sup = {superseded} AND l.ext = c.deadline_extended AND l.grp = {group} "
        f"WHERE NOT (c.stage IN ({left}) AND {done} IS NULL)) x GROUP BY x.outcome"
    )
    params: list[Any] = [kind.key, today, *_limits_in_period(subtree, query, kind), *group_params, *_LEFT_STAGES]
    return sql, params


CANDIDATE_COLUMNS = ("part", "i1", "i2", "d1", "d2", "flag")


# The WITH clause of `_subtree_candidates`: its own name, so that the ORM parts of the same
# statement (the outcomes' transitions joined to their candidates) still read the candidate table
# and its indexes; shadowing the table made PostgreSQL probe the transitions once per candidate of
# the subtree (180 ms for Hà Nội on the national preset, for no row).
SUBTREE_CANDIDATES = "subtree_candidate"


def _subtree_candidates(subtree: Subtree, query: StatisticsQuery, with_path: bool = False) -> tuple[str, list[Any]]:
    """On PostgreSQL, a WITH clause that reads the subtree's candidates once (`SUBTREE_CANDIDATES`):
    the four deadline parts of `_candidate_figures` (`_deadline_count_sql`) then scan those rows
    instead of the whole table four times (Hà Nội on the national preset: 26,000 of 300,000
    candidates). SQLite counts the deadlines through the ORM and needs none.

    Only the candidates one of whose trigger days lies in a deadline kind's window
    (`DeadlineKind.window`) are kept: the parts join the rest to no limit (the province preset's
    root, a year: 7,275 of 20,000 rows; the statement 25 % faster).

    The candidates are found by probing their organisation index with the subtree's ids
    (`= ANY(ARRAY(…))`): joined on the path instead, PostgreSQL scanned the whole candidate table and
    hashed it (Hà Nội on the national preset: 95 ms against 32 ms). When the root holds the whole
    tree (`Subtree.holds_everything`: a province's own deployment), every candidate is in it and the
    table is read without that filter (the statement another 20 % faster). With several calendar
    groups the statement needs the path, hence the join."""
    if connection.vendor != "postgresql":
        return "", []
    candidate, organisation = Candidate._meta.db_table, Organisation._meta.db_table
    # Only the columns the deadline parts read (a narrower row to materialise than the whole candidate).
    names = {"id", "organisation_id", "stage", "deadline_extended"}
    names |= {
        field for kind in DEADLINE_KINDS for field in (kind.trigger, kind.done, kind.superseding_trigger) if field
    }
    columns = ", ".join(f"c.{name}" for name in sorted(names))
    # A kind's trigger day is its trigger or its superseding trigger: one of them lies in its window.
    in_window = [
        (f"c.{field} BETWEEN %s AND %s", list(kind.window(query)))
        for kind in DEADLINE_KINDS
        for field in (kind.trigger, kind.superseding_trigger)
        if field
    ]
    conditions = ["(" + " OR ".join(condition for condition, _ in in_window) + ")"]
    params: list[Any] = [day for _, days in in_window for day in days]
    everything = subtree.holds_everything()
    if with_path:  # several calendar groups: `_deadline_count_sql` numbers them by path
        columns += ", o.path"
        source = f'"{candidate}" c JOIN "{organisation}" o ON o.id = c.organisation_id'
        if not everything:
            conditions.append("o.path LIKE %s")
            params.append(f"{subtree.root.path}%")
    else:
        source = f'"{candidate}" c'
        if not everything:
            conditions.append(
                f'c.organisation_id = ANY(ARRAY(SELECT o.id FROM "{organisation}" o WHERE o.path LIKE %s))'  # noqa: S608 - names
            )
            params.append(f"{subtree.root.path}%")
    return (
        f'WITH "{SUBTREE_CANDIDATES}" AS MATERIALIZED '  # noqa: S608 - names
        f"(SELECT {columns} FROM {source} WHERE {' AND '.join(conditions)}) ",
        params,
    )


def _candidate_figures(
    subtree: Subtree, query: StatisticsQuery, today: dt.date, counted: PeriodCounts | None = None
) -> tuple[dict[int | None, int], dict[str, int], dict[str, Any], list[dict[str, Any]]]:
    """Removals per child of the root, the outcomes, the funnel and the deadlines: eight
    aggregates over the subtree's candidates, transitions and transfers in one statement
    (`_union_all`), each a GROUP BY of its own filter. The removals and the funnel of a
    whole-month period come from the summary instead (`counted`, ``summaries.period_counts``);
    on PostgreSQL the deadlines' outcomes are counted by the statement (`_deadline_count_sql`)."""
    several_groups = len(subtree.calendars().groups) > 1
    prefix = _subtree_candidates(subtree, query, with_path=several_groups)
    counted_in_sql = bool(prefix[0])  # PostgreSQL: the deadlines' outcomes counted by the statement
    parts = [] if counted is not None else [_removed_part(subtree, query), _funnel_part(subtree.root, query)]
    raw_parts: list[tuple[str, list[Any]]] = []
    if counted_in_sql:
        raw_parts = [_deadline_count_sql(subtree, query, today, kind) for kind in DEADLINE_KINDS]
    else:
        parts += [_deadline_part(subtree, query, kind) for kind in DEADLINE_KINDS]
    counted_parts = [part.values(*CANDIDATE_COLUMNS).annotate(n=Count("pk")) for part in parts]
    counted_parts += _outcome_parts(subtree.root, query)
    by_part: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for name, *values in _union_all(counted_parts, (*CANDIDATE_COLUMNS, "n"), prefix, raw_parts):
        by_part[name].append(tuple(values))
    outcomes = {name: sum(int(row[-1]) for row in by_part[name]) for name in OUTCOME_FIGURES}
    deadline_figures = _deadlines(subtree, query, today, by_part, counted_in_sql=bool(raw_parts))
    if counted is not None:
        return dict(counted.removed), outcomes, _funnel(counted.funnel), deadline_figures
    removed: dict[int | None, int] = defaultdict(int)
    for child, _i2, _d1, _d2, _flag, count in by_part["removed"]:
        removed[None if child is None else int(child)] += count
    funnel = _funnel((months, voted, dossier, count) for months, voted, _d1, _d2, dossier, count in by_part["funnel"])
    return dict(removed), outcomes, funnel, deadline_figures
