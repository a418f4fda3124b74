"""Plans (chỉ tiêu) of an organisation's subtree: the effective plans the figures compare with,
the plans page's table and the one write, ``annual_plan_set``.

The plan of an organisation for a year is its own plan, else the sum of its children's plans
(``effective_plans``; docs/decisions.md, "Statistics").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils.translation import gettext as _

from admission.domain import statistics as stats
from admission.domain.reasons import reason
from admission.models import AnnualPlan, Candidate
from admission.reporting.query import _pct_plan
from admission.reporting.subtree import RootRows, Subtree, _subtree_q
from admission.services import StepRefused
from members.freshness import organisations_changed
from members.models import Organisation, PartyMember, User
from members.selectors import scope_for

# --- Plans -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plans:
    """The subtree's plans of some years: own (as entered) and effective (own, else the sum below)."""

    own: dict[int, dict[int, int]]  # year -> organisation id -> admit
    effective: dict[int, dict[int, int | None]]

    @classmethod
    def load(cls, subtree: Subtree, years: Iterable[int], rows: RootRows | None = None) -> Plans:
        """Every plan of the subtree in those years: from `rows` (``RootRows.load`` with these
        years) when the caller read them already, else one query."""
        wanted = sorted(set(years))
        own: dict[int, dict[int, int]] = {year: {} for year in wanted}
        if rows is None:
            found = AnnualPlan.objects.filter(_subtree_q(subtree.root), year__in=wanted).values_list(
                "organisation_id", "year", "admit"
            )
            plan_rows: Iterable[tuple[int, int, int]] = found
        else:
            plan_rows = rows.plans
        planned: set[int] = set()  # organisations with a plan of their own or below, any year
        for org_id, year, admit in plan_rows:
            own[year][org_id] = admit
            if org_id in subtree.rows and org_id not in planned:
                planned.update(int(p) for p in subtree.rows[org_id].path.strip("/").split("/"))
        effective = {
            # Only the root's and its children's plans are read (`total`): not the whole subtree.
            year: stats.effective_plans(
                children=subtree.children, own=own[year], root=subtree.root.pk, complete=False, planned=planned
            )
            for year in wanted
        }
        return cls(own=own, effective=effective)

    def total(self, org_id: int, years: Iterable[int], *, own_only: bool = False) -> int | None:
        """The plans of `org_id` summed over `years`; None when no year has one."""
        table = self.own if own_only else self.effective
        present = [value for year in years if (value := table[year].get(org_id)) is not None]
        return sum(present) if present else None


# --- Plans page ------------------------------------------------------------------------------


def plan_table(*, user: User, organisation: Organisation, year: int) -> dict[str, Any]:
    """A year's plans of `organisation` and its children, with the results (five queries).

    Each row: the organisation's own plan (None when not set), its effective plan (own, else
    the sum below it), the members admitted that year by ceremony date, the awareness-class
    certificates and new-member class certificates of the year. The parent's own plan is set
    against the sum of its children's effective plans.
    """
    if not scope_for(user).can_read(organisation):
        raise Http404
    subtree = Subtree.load(organisation)
    own_rows = {
        plan.organisation_id: plan
        for plan in AnnualPlan.objects.filter(
            organisation_id__in=[organisation.pk, *subtree.child_ids], year=year
        ).select_related("updated_by")
    }
    effective = Plans.load(subtree, [year]).effective[year]
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    admitted = (
        PartyMember.objects.filter(_subtree_q(organisation), ceremony_date__range=(first, last))
        .values_list("organisation_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    classes = (
        Candidate.objects.filter(_subtree_q(organisation))
        .filter(Q(certificate_issue_date__range=(first, last)) | Q(new_member_class_date__range=(first, last)))
        .values_list("organisation_id")
        .annotate(
            certificates=Count("pk", filter=Q(certificate_issue_date__range=(first, last))),
            new_member=Count("pk", filter=Q(new_member_class_date__range=(first, last))),
        )
        .order_by()
    )
    # Per child of the root (None: the root's own rows): admitted, certificates, new-member class.
    per_child: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for org_id, n in admitted:
        per_child[subtree.child_of(org_id)][0] += n
    for org_id, certificates, new_member in classes:
        per_child[subtree.child_of(org_id)][1] += certificates
        per_child[subtree.child_of(org_id)][2] += new_member

    def row(org_id: int, counts: Sequence[int]) -> dict[str, Any]:
        org = subtree.rows[org_id]
        plan_value = effective.get(org_id)
        return {
            "id": org_id,
            "name": org.name,
            "kind": org.kind,
            "path": org.path,
            "plan": own_rows.get(org_id),
            "effective": plan_value,
            "admitted": counts[0],
            "plan_percent": _pct_plan(counts[0], plan_value),
            "certificates": counts[1],
            "new_member_class": counts[2],
        }

    children = [row(child, per_child[child]) for child in subtree.child_ids]
    child_sum = [c["effective"] for c in children if c["effective"] is not None]
    parent = row(organisation.pk, [sum(counts[i] for counts in per_child.values()) for i in range(3)])
    return {
        "year": year,
        "parent": parent,
        "children": children,
        "children_sum": sum(child_sum) if child_sum else None,
        "children_admitted": sum(c["admitted"] for c in children),
    }


def annual_plan_set(
    *,
    acting_user: User | None,
    organisation: Organisation,
    year: int,
    admit: int,
    awareness_class: int,
    new_member_class: int,
    note: str = "",
) -> AnnualPlan:
    """Set (create or replace) `organisation`'s plan for `year`.

    Every organisation has a plan, branches included (the public reports show grassroots and
    branch plans), and the body above sets it: the user must edit a strict ancestor of
    `organisation` (`Scope.can_edit_above`; the province's own plan: administrators), else
    StepRefused `plan_set_by_body_above`; outside the user's edit scope PermissionDenied.
    Side effects: one durable transaction; the AnnualPlan row and its history row
    (django-simple-history, with the acting user).
    """
    if acting_user is not None:
        scope = scope_for(acting_user)
        if not scope.can_edit(organisation):
            raise PermissionDenied
        if not scope.can_edit_above(organisation):
            raise StepRefused((reason("plan_set_by_body_above", "", organisation=organisation.name),))
    errors: dict[str, str] = {}
    if not 2000 <= year <= 2100:
        errors["year"] = _("Năm không hợp lệ.")
    for name, value in (("admit", admit), ("awareness_class", awareness_class), ("new_member_class", new_member_class)):
        if value < 0:
            errors[name] = _("Không được là số âm.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        plan, _created = AnnualPlan.objects.update_or_create(
            organisation=organisation,
            year=year,
            defaults={
                "admit": admit,
                "awareness_class": awareness_class,
                "new_member_class": new_member_class,
                "note": note.strip()[:200],
                "updated_by": acting_user,
            },
        )
        organisations_changed(paths=[organisation.path])
    return plan
