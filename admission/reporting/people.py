"""The people behind a figure of the statistics page: member or candidate rows, scoped to the
user, in Vietnamese name order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Case, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404

from admission.domain import statistics as stats
from admission.domain.stages import Stage
from admission.models import Candidate, StageTransition
from admission.reporting.breakdowns import ADMISSION_GROUPS, BREAKDOWN_COLUMNS, _with_age
from admission.reporting.candidates import (
    DEADLINE_BY_KEY,
    FUNNEL_FILTERS,
    OUTCOME_FIGURES,
    OUTCOMES,
    TRANSFER_FIGURES,
    _deadline_cases,
    outcome_events,
)
from admission.reporting.query import AdmittedBy, StatisticsQuery
from admission.reporting.statistics import _recognised_q, _with_recognised_on, member_on_q
from admission.reporting.subtree import Subtree, _subtree_q
from members.models import Organisation, PartyMember, User
from members.selectors import Scope, scope_for

# --- The people behind a figure ------------------------------------------------------------

MEMBER_FIGURES = ("admitted", "recognised", "members_baseline", "members_end")
CANDIDATE_FIGURES = ("removed", "funnel", "deadline", "stage", *OUTCOME_FIGURES)
# The date shown next to each name of an outcome (the last such event of the period).
OUTCOME_DATES = {
    "rejected": "rejected_on",
    "annulled": "annulled_on",
    "withdrawn": "withdrawn_on",
    "transfers_in": "transferred_on",
    "transfers_out": "transferred_on",
}
FIGURES = MEMBER_FIGURES + CANDIDATE_FIGURES


@dataclass(frozen=True)
class PeopleList:
    """The rows behind one figure: PartyMember or Candidate rows, Vietnamese name order."""

    rows: QuerySet[Any]
    is_members: bool
    date_field: str | None  # the date shown next to each name (annotated as figure_date)
    # Transfers in / out: each row also has `destination_name` (the branch the transfer went to)
    # and `readable` (the user may read the candidate where they are now; otherwise only the
    # name, the transfer's day and its destination are shown: `_transfer_people`).
    transfers: bool = False


def _child_filter(subtree: Subtree, key: str, prefix: str = "organisation__") -> Q | None:
    """`child:<id>` -> the child's subtree (or the root's own rows for `child:direct`)."""
    if not key.startswith("child:"):
        return None
    value = key.split(":", 1)[1]
    if value == "direct":
        return Q(**{f"{prefix}pk": subtree.root.pk})
    if not value.isdigit() or int(value) not in subtree.child_ids:
        raise Http404
    return Q(**{f"{prefix}path__startswith": subtree.rows[int(value)].path})


def _only_child(subtree: Subtree, key: str) -> Q:
    """The filter of a `child:<id>` key; any other key is unknown (404)."""
    child = _child_filter(subtree, key)
    if child is None:
        raise Http404
    return child


def _admitted_filter(subtree: Subtree, key: str) -> Q:
    """The filter of one admissions figure: a breakdown value, a group or a child."""
    dimension, _sep, value = key.partition(":")
    if dimension in BREAKDOWN_COLUMNS:
        return Q(**{BREAKDOWN_COLUMNS[dimension]: value})
    if dimension == "age":
        bands = {band: (low, high) for band, low, high in stats.AGE_BANDS}
        if value not in bands:
            raise Http404
        low, high = bands[value]
        # The lowest band also holds the bad data below it (stats.age_band).
        condition = Q(age__gte=low) if value != stats.AGE_BANDS[0][0] else Q()
        return condition & (Q(age__lte=high) if high is not None else Q())
    if dimension == "group":
        if value not in ADMISSION_GROUPS:
            raise Http404
        return ADMISSION_GROUPS[value]
    return _only_child(subtree, key)


def _admitted_in(query: StatisticsQuery, key: str) -> Q:
    """Admitted in the period, or in one year of the trend (`year:2024`)."""
    if key.startswith("year:"):
        value = key.split(":", 1)[1]
        if not value.isdigit() or int(value) not in query.trend_years:
            raise Http404
        first, last = dt.date(int(value), 1, 1), dt.date(int(value), 12, 31)
    else:
        first, last = query.start, query.end
    return Q(**{f"{query.admitted_field}__range": (first, last)})


def _member_people(
    subtree: Subtree, members: QuerySet[PartyMember], query: StatisticsQuery, figure: str, key: str
) -> PeopleList:
    if figure == "admitted":
        members = members.filter(_admitted_in(query, key))
        if key and not key.startswith("year:"):
            if key.startswith("age:"):
                members = _with_age(members, query.admitted_field, "person__date_of_birth", "age")
            members = members.filter(_admitted_filter(subtree, key))
        date_field = query.admitted_field
    elif figure == "recognised":
        members = _with_recognised_on(members, query).filter(_recognised_q(query))
        if key:
            members = members.filter(_only_child(subtree, key))
        date_field = "official_date" if query.admitted_by == AdmittedBy.CEREMONY else "recognised_on"
    else:  # members_baseline, members_end: `official`, `probationary` or `all`, then `;child:<id>`
        day = query.baseline_day if figure == "members_baseline" else query.end
        state, _sep, child = key.partition(";")
        if state not in {"official", "probationary", "all"}:
            raise Http404
        members = members.filter(member_on_q(day, state))
        if child:
            members = members.filter(_only_child(subtree, child))
        date_field = "ceremony_date"
    rows = members.select_related("person", "organisation").annotate(figure_date=F(date_field))
    return PeopleList(rows.order_by("person__sort_key", "pk"), True, date_field)


def _candidate_people(
    subtree: Subtree, candidates: QuerySet[Candidate], query: StatisticsQuery, figure: str, key: str, today: dt.date
) -> PeopleList:
    date_field: str | None
    if figure == "removed":
        candidates = candidates.filter(stage=Stage.SX.value, removal_date__range=(query.start, query.end))
        if key:
            candidates = candidates.filter(_only_child(subtree, key))
        date_field = "removal_date"
    elif figure == "funnel":
        if key not in FUNNEL_FILTERS:
            raise Http404
        candidates = candidates.filter(FUNNEL_FILTERS[key], certificate_issue_date__range=(query.start, query.end))
        date_field = "certificate_issue_date"
    elif figure == "deadline":
        kind_key, _sep, outcome = key.partition(":")
        if kind_key not in DEADLINE_BY_KEY or outcome not in OUTCOMES:
            raise Http404
        kind = DEADLINE_BY_KEY[kind_key]
        cases = _deadline_cases(subtree, query, today, kind)
        candidates = candidates.filter(pk__in=[pk for found, _n, pks in cases if found == outcome for pk in pks])
        date_field = kind.done
    elif figure in OUTCOME_FIGURES:  # rejected, annulled, withdrawn (transfers: `_transfer_people`)
        if key:
            raise Http404
        events = outcome_events(subtree.root, query, figure)
        date_field = OUTCOME_DATES[figure]
        last = events.filter(candidate_id=OuterRef("pk")).order_by("-on_date").values("on_date")[:1]
        # The event's day as figure_date directly: its label key (e.g. "transferred_on") may be a
        # field of the candidate too, which an annotation may not shadow.
        candidates = candidates.filter(pk__in=events.values("candidate_id")).annotate(figure_date=Subquery(last))
    else:  # stage: the candidates who left the stage in the period (the visits of the medians)
        if key not in {s.value for s in Stage}:
            raise Http404
        left = StageTransition.objects.filter(from_stage=key, on_date__range=(query.start, query.end))
        candidates = candidates.filter(pk__in=left.values("candidate_id"))
        date_field = None
    rows = candidates.select_related("person", "organisation")
    if date_field and figure not in OUTCOME_FIGURES:
        rows = rows.annotate(figure_date=F(date_field))
    return PeopleList(rows.order_by("person__sort_key", "pk"), False, date_field)


def _transfer_people(scope: Scope, root: Organisation, query: StatisticsQuery, figure: str, key: str) -> PeopleList:
    """Those transferred into / out of the subtree in the period: the candidates of the transfers
    the figure counts (``outcome_events``, the rule of the count), wherever they are now.

    The user reads the root, so they could read each of these people while they belonged to it
    (before a transfer out, after a transfer in): the name, the day of the (last) transfer and its
    destination are shown to them. Whether they may read the candidate where they are now is
    `readable`: the rest of the row and the link to the candidate's page only then
    (docs/decisions.md, "Transfers out: the figure and its people").
    """
    if key:
        raise Http404
    events = outcome_events(root, query, figure)
    last = events.filter(candidate_id=OuterRef("pk")).order_by("-on_date", "-recorded_at", "-pk")
    readable: Any = Value(True, output_field=BooleanField())
    if not scope.everything:
        readable = Case(
            When(scope.organisation_q("organisation__"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    rows = (
        Candidate.objects.filter(pk__in=events.values("candidate_id"))
        .select_related("person", "organisation")
        .annotate(
            figure_date=Subquery(last.values("on_date")[:1]),
            destination_name=Subquery(last.values("to_organisation__name")[:1]),
            readable=readable,
        )
    )
    return PeopleList(rows.order_by("person__sort_key", "pk"), False, OUTCOME_DATES[figure], transfers=True)


def statistics_people(
    *, user: User, organisation: Organisation, query: StatisticsQuery, figure: str, key: str, today: dt.date
) -> PeopleList:
    """The people behind `figure` (and `key`: a breakdown value, a child, a stage ...), scoped.

    Rows come from the member register or the candidacies through the user's scope, then the
    figure's own filter; transfers in / out from the transfer rows the figure counts, wherever the
    person is now (`_transfer_people`). Ordered by the Vietnamese sort key of the name. Unknown
    figures or keys are a 404 (they come from the query string).
    """
    scope = scope_for(user)
    if not scope.can_read(organisation):
        raise Http404
    if figure in TRANSFER_FIGURES:  # by the transfers' records: those who left are elsewhere now
        return _transfer_people(scope, organisation, query, figure, key)
    subtree = Subtree.load(organisation)
    if figure in MEMBER_FIGURES:
        members = PartyMember.objects.filter(scope.organisation_q("organisation__"), _subtree_q(organisation))
        return _member_people(subtree, members, query, figure, key)
    if figure in CANDIDATE_FIGURES:
        candidates = Candidate.objects.filter(scope.organisation_q("organisation__"), _subtree_q(organisation))
        return _candidate_people(subtree, candidates, query, figure, key, today)
    raise Http404
