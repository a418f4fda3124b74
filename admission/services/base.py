"""What every write service of the pipeline shares: its errors and its authority checks."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from admission.domain.eligibility import check_order
from admission.domain.reasons import CheckResult, Reason, reason
from admission.models import Candidate
from admission.workflow import Body, Step, body_committee, chain_pending, step_applies_to, turn_of
from members.authority import OrgNode
from members.models import User
from members.selectors import organisation_authority, scope_for


class StepRefused(Exception):
    """The rules do not allow the step yet; `reasons` say why (shown on the form)."""

    def __init__(self, reasons: tuple[Reason, ...]) -> None:
        super().__init__(", ".join(r.code for r in reasons))
        self.reasons = reasons


class ConcurrentStageChange(Exception):
    """Someone else changed the candidate's stage between reading and writing."""


def require_edit(acting_user: User | None, candidate: Candidate) -> None:
    if acting_user is not None and not scope_for(acting_user).can_edit(candidate.organisation):
        raise PermissionDenied


def pending_chain_step(candidate: Candidate) -> Step | None:
    """The act of the stage's chain awaited now (workflow.chain_pending): R6 or R7 at S16."""
    return chain_pending(candidate, organisation_authority(organisation=candidate.organisation))


def committee_of(body: Body, candidate: Candidate) -> OrgNode | None:
    """The committee of the organisation tree that is `body` for this candidate's branch (None: the branch)."""
    return body_committee(body, organisation_authority(organisation=candidate.organisation))


def due_committee(candidate: Candidate) -> OrgNode | None:
    """The committee whose turn it is on the dossier (workflow.turn_of: the stage's TURN, or the
    owner of an act of its chain still pending), None at the branch."""
    authority = organisation_authority(organisation=candidate.organisation)
    return body_committee(turn_of(candidate, authority), authority)


def recording_committee(candidate: Candidate, step: Step | None = None) -> OrgNode | None:
    """The committee whose staff record `step` (or any step at the candidate's stage); None: the branch.

    A dossier sitting with a committee is that committee's: the branch, the committees below and
    those above cannot record its steps (no skipping). A step that names the body recording it (an
    annulment) needs that body whatever the stage."""
    if step is not None and step.recorded_by is not None:
        return committee_of(step.recorded_by, candidate)
    return due_committee(candidate)


def step_applies(step: Step, candidate: Candidate) -> bool:
    """Whether the organisation tree has the body the step needs (Step.needs_body): a branch whose
    proposals go straight to the deciding committee (a village branch, a chi bộ cơ sở, a delegated
    grassroots committee deciding itself) has no grassroots resolution to record."""
    if step.needs_body is None and not step.needs_delegation:
        return True
    return step_applies_to(step, organisation_authority(organisation=candidate.organisation))


def may_record(user: User, candidate: Candidate, step: Step | None = None) -> bool:
    """Whether `user`'s body records `step` now (require_turn without raising; pages hide the others)."""
    if step is not None and not step_applies(step, candidate):
        return False
    committee = recording_committee(candidate, step)
    scope = scope_for(user)
    if committee is None:
        return scope.acts_for_branch(candidate.organisation)
    return scope.acts_for_committee(committee.id)


def require_turn(acting_user: User | None, candidate: Candidate, step: Step | None = None) -> None:
    """Refuse (level_not_due) a step that is not the acting user's body's to record (recording_committee)."""
    if step is not None and not step_applies(step, candidate):
        raise StepRefused((reason("step_not_in_tree", step.rule),))
    if acting_user is None:
        return  # system actions (imports, demo data) already went through their own checks
    committee = recording_committee(candidate, step)
    if committee is None:
        if not scope_for(acting_user).acts_for_branch(candidate.organisation):
            # The committees above may read and edit the branch's data, not record its acts.
            raise StepRefused((reason("branch_turn", "ĐL 24.2; HD06 3.6", branch=candidate.organisation.name),))
        return
    if not scope_for(acting_user).acts_for_committee(committee.id):
        raise StepRefused((reason("level_not_due", "QĐ294 4.3; HD06 3.6-3.7", committee=committee.name),))


def refuse_unless(result: CheckResult) -> None:
    if not result.ok:
        raise StepRefused(result.reasons)


def date_problems(on_date: dt.date, candidate: Candidate | None, now: dt.datetime) -> list[Reason]:
    """A recorded event cannot be in the future nor before the step it ends began."""
    today = timezone.localdate(now)
    found = []
    if on_date > today:
        found.append(reason("date_in_future", "", day=on_date))
    if candidate is not None and on_date < candidate.stage_entered_on:
        found.extend(check_order("stage_entered", candidate.stage_entered_on, "event", on_date).reasons)
    return found
