"""Read queries of the API that the UI's selectors do not already provide.

All of them start from the UI's scoped selectors (`candidate_list`, `scope_for`), so the API
sees exactly what the user sees in the UI.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from admission import dates as date_rules
from admission import selectors
from admission.domain.deadlines import ComputedDate
from admission.domain.stages import PIPELINE, Stage
from admission.models import Candidate, StageTransition
from admission.rulebook import calendars_and_rulebooks
from admission.services import due_committee, may_record
from admission.workflow import steps_for
from members.authority import OrgNode
from members.models import User
from members.selectors import scope_for, scope_statistics


def candidate_detail_list(*, user: User) -> QuerySet[Candidate]:
    """Candidates in scope (closed ones too) with their history, votes and documents prefetched."""
    return selectors.candidate_list(user=user, include_closed=True).prefetch_related(
        Prefetch("transitions", queryset=StageTransition.objects.select_related("acting_user")),
        "votes",
        "documents",
    )


def candidate_actions(*, user: User, candidate: Candidate) -> tuple[list[str], OrgNode | None]:
    """The step keys the user may record now, and the committee whose turn it is (None at the branch).

    The same rule as the candidate page: an editor of the branch, and, while the dossier sits
    with a committee, only that committee's staff (QĐ294 4.3).
    """
    committee = due_committee(candidate)
    if not scope_for(user).can_edit(candidate.organisation):
        return [], committee
    return [step.key for step in steps_for(candidate.stage_enum) if may_record(user, candidate, step)], committee


def deadline_list(*, user: User) -> QuerySet[Candidate]:
    """Open candidates in scope whose step has a legal deadline, nearest first."""
    return selectors.candidate_list(user=user).filter(next_due_on__isnull=False).order_by("next_due_on", "pk")


def deadline_rules(candidates: list[Candidate]) -> dict[int, tuple[str, ComputedDate]]:
    """For each candidate, which legal date bounds its step and the rule behind it.

    Two queries for the calendars and rule books of all the organisations on the page.
    """
    calendars, rulebooks = calendars_and_rulebooks({c.organisation for c in candidates})
    found: dict[int, tuple[str, ComputedDate]] = {}
    for candidate in candidates:
        stage = candidate.stage_enum
        dates = date_rules.candidate_dates(
            candidate,
            calendar=calendars[candidate.organisation_id],
            rulebook=rulebooks[candidate.organisation_id],
            only=date_rules.stage_deadline_names(stage),
        )
        deadline = date_rules.stage_deadline(stage, dates)
        if deadline is not None:
            name = next(n for n, value in dates.named() if value is deadline)
            found[candidate.pk] = (name, deadline)
    return found


def statistics_counts(*, user: User, today: dt.date) -> dict[str, Any]:
    """Open candidates per stage (and overdue), members official/probationary, organisations, in scope.

    Three aggregate queries (candidates; members and organisations in `scope_statistics`).
    """
    rows = (
        selectors.candidate_list(user=user)
        .order_by()
        .values("stage")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(next_due_on__lt=today)))
    )
    by_stage = {row["stage"]: (row["n"], row["late"]) for row in rows}
    order = {stage.value: index for index, stage in enumerate(PIPELINE)}
    counts = scope_statistics(user=user)
    return {
        "open_candidates": sum(n for n, _late in by_stage.values()),
        "overdue_candidates": sum(late for _n, late in by_stage.values()),
        "stages": sorted(
            ((Stage(stage), n) for stage, (n, _late) in by_stage.items()),
            key=lambda s: order.get(s[0].value, len(order)),
        ),
        "official_members": counts["official"],
        "probationary_members": counts["probationary"],
        "organisations": counts["organisations"],
        "branches": counts["branches"],
    }
