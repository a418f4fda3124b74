"""Writing one planned row: the person, the party member, the candidacy walked step by step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from admission import services
from admission.domain.stages import Stage
from admission.imports.columns import KIND_CANDIDATE, KIND_MEMBER, fields_recorded_by
from admission.imports.rows import RowPlan
from admission.models import Candidate, ImportBatch, Notification
from members.freshness import organisations_changed
from members.models import MemberStatus, Person, User
from members.services import member_create
from members.summaries import organisations_recount

IMPORT_NOTE = "Nhập từ Excel"


def _walk(
    *,
    acting_user: User | None,
    candidate: Candidate,
    path: list[Stage],
    values: dict[str, Any],
    batch: ImportBatch,
    now: dt.datetime,
) -> None:
    """Record each step of `path` through candidate_transition, dated as the file says; a step
    without a date column (application, introduction, ...) takes the date of the step before."""
    transitions: list[int] = []
    day = candidate.stage_entered_on
    for source, target in zip(path, path[1:], strict=False):
        keys = fields_recorded_by(source, target)
        fields: dict[str, Any] = {}
        if keys:
            day = values[keys[0]] or day
            fields = {k: values[k] for k in keys if values.get(k) not in (None, "")}
            if "decision_received_date" in keys and values.get("decision_date"):
                fields["decision_received_date"] = values["decision_date"]
            if source == Stage.S9 and target == Stage.S11 and values.get("decision_date"):
                fields["grassroots_resolution_date"] = values["decision_date"]
        transition = services.candidate_transition(
            acting_user=acting_user,
            candidate=candidate,
            expected_stage=source,
            to_stage=target,
            on_date=day,
            now=now,
            note=IMPORT_NOTE,
            basis=f"Import {batch.pk}",
            fields=fields,
        )
        transitions.append(transition.pk)
    # Imported history is not news: the walk's "dossier moved up / decided" notices go.
    Notification.objects.filter(transition_id__in=transitions, kind=Notification.Kind.STAGE_CHANGE).delete()


def _first_known(plan: RowPlan) -> dt.date | None:
    for source, target in zip(plan.path, plan.path[1:], strict=False):
        keys = fields_recorded_by(source, target)
        if keys and plan.values.get(keys[0]):
            day: dt.date = plan.values[keys[0]]
            return day
    return None


def write_row(plan: RowPlan, *, acting_user: User | None, batch: ImportBatch, now: dt.datetime) -> None:
    person = plan.person
    assert person is not None  # noqa: S101 - rows without a person have errors and are never written
    # The subtrees whose figures this row changes: the person's organisation, before and after a move.
    before = Person.objects.filter(pk=person.pk).values_list("organisation__path", flat=True).first()
    organisations_changed(paths=[path for path in (before, person.organisation.path) if path])
    _write_row(plan, person, acting_user=acting_user, batch=batch, now=now)
    # The member summary after the writes (members.summaries), of the same organisations and of the
    # member's own (an existing member may be held elsewhere than the person).
    touched = {int(path.strip("/").split("/")[-1]) for path in (before, person.organisation.path) if path}
    if plan.member is not None and plan.member.organisation_id is not None:
        touched.add(plan.member.organisation_id)
    organisations_recount(organisation_ids=touched)


def _write_row(
    plan: RowPlan, person: Person, *, acting_user: User | None, batch: ImportBatch, now: dt.datetime
) -> None:
    if plan.person_new or plan.person_changed:
        person._history_user = acting_user  # type: ignore[attr-defined]
        person.save()
    kind = plan.values["kind"]
    if kind == KIND_MEMBER and plan.member is not None:
        if plan.member.pk is None:
            member_create(
                acting_user=None,  # the plan checked the importing user's scope row by row
                person=person,
                status=MemberStatus.OFFICIAL,
                admission_decision_date=plan.member.admission_decision_date,
                ceremony_date=plan.member.ceremony_date,
                official_date=plan.member.official_date,
                card_number=plan.member.card_number,
            )
        elif plan.member_changed:
            plan.member._history_user = acting_user  # type: ignore[attr-defined]
            plan.member.full_clean(validate_unique=False)
            plan.member.save(update_fields=plan.member_changed)
    if kind != KIND_CANDIDATE:
        return
    candidate = plan.candidate
    if plan.candidate_new:
        # A probationary member's list may start at the admission: the steps before the first date
        # given are recorded on it (planning says so in the row's notes).
        first = plan.values.get("sympathiser_date") or _first_known(plan) or timezone.localdate(now)
        candidate = Candidate(
            person=person, organisation=person.organisation, stage_entered_at=now, stage_entered_on=first
        )
        candidate._history_user = acting_user  # type: ignore[attr-defined]
        candidate.save()
    assert candidate is not None  # noqa: S101 - a candidate row has a new or an existing candidacy
    if len(plan.path) > 1:
        _walk(acting_user=acting_user, candidate=candidate, path=plan.path, values=plan.values, batch=batch, now=now)
    card = plan.values.get("card_number")
    if card:
        candidate.refresh_from_db(fields=["member"])
        member = candidate.member
        if member is not None and member.card_number != card:
            member.card_number = card
            member._history_user = acting_user  # type: ignore[attr-defined]
            member.full_clean(validate_unique=False)
            member.save(update_fields=["card_number"])
