"""Recording the steps of `workflow.STEPS`: what the user entered, the rules' checks, the move.

Where a step leads, who votes on it and which documents it needs are read from its `Step`
entry; this module only adds the checks that need the candidate's recorded facts (STEP_CHECKS).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

from admission import schedule
from admission.domain import stages
from admission.domain.attendance import ballot_count_problem
from admission.domain.deadlines import probation_end
from admission.domain.eligibility import (
    BranchConsiderationFacts,
    EducationLevel,
    IntroductionMode,
    check_branch_consideration,
    check_ceremony_date,
    check_certificate,
    check_introduction,
    check_order,
    check_recognition_ready,
    is_youth_age,
)
from admission.domain.reasons import Reason, reason
from admission.domain.stages import Stage
from admission.domain.votes import (
    ChainVote,
    VoteOutcome,
    VotingBody,
    deadlock_reached,
    evaluate_vote,
    removal_chain_missing,
    threshold_for,
    threshold_rule,
)
from admission.models import BranchMeeting, Candidate, DossierItem, StageTransition, Vote, VotePurpose
from admission.rulebook import rulebook_for
from admission.services.base import ConcurrentStageChange, StepRefused, date_problems, require_edit, require_turn
from admission.services.candidates import introducer_facts, introduction_mode_default
from admission.services.meetings import meeting_vote_counts
from admission.services.transitions import candidate_transition
from admission.services.verification import open_requests_reason
from admission.workflow import CHAIN, CHAIN_SINCE, STEP_BY_KEY, Router, Step, VoteBy, chain_pending
from members.authority import DecidingBody
from members.models import PartyMember, Person, User
from members.selectors import organisation_authority

# --- What the user enters ------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteCounts:
    """The counts of a vote as entered: summoned, excluded (rules §5), for, against, abstaining."""

    summoned: int
    excluded: int = 0
    yes: int = 0
    no: int = 0
    abstain: int = 0
    form: str = "secret"


@dataclass(frozen=True)
class StepInput:
    """What a user enters with a non-vote step: the same value from a page, the API or an import.

    `on_date` is the day of the act (today when absent); the other fields are those the step's
    `extra_fields` name; `vote` is the committee's vote entered with an appraisal or a decision.
    """

    on_date: dt.date | None = None
    note: str = ""
    basis: str = ""
    certificate_number: str | None = None
    introduction_mode: str | None = None
    union_resolution_date: dt.date | None = None
    decision_number: str | None = None
    decision_received_date: dt.date | None = None
    new_member_class_date: dt.date | None = None
    vote: VoteCounts | None = None

    @classmethod
    def from_fields(cls, step: Step, data: Mapping[str, Any]) -> StepInput:
        """From a form's cleaned data or the API's validated data: the date may come under the
        step's date field name, the committee's vote as `vote_summoned`, `vote_yes`, …"""
        vote = None
        if data.get("vote_summoned") not in (None, ""):
            vote = VoteCounts(
                summoned=int(data["vote_summoned"]),
                excluded=int(data.get("vote_excluded") or 0),
                yes=int(data.get("vote_yes") or 0),
                no=int(data.get("vote_no") or 0),
                abstain=int(data.get("vote_abstain") or 0),
                form=data.get("vote_form") or "secret",
            )
        extra = {name: data[name] for name in step.extra_fields if data.get(name) not in (None, "")}
        return cls(
            on_date=data.get("on_date") or (data.get(step.date_field) if step.date_field else None),
            note=str(data.get("note") or ""),
            basis=str(data.get("basis") or ""),
            vote=vote,
            **extra,
        )

    def recorded_fields(self, step: Step) -> dict[str, Any]:
        """The candidate fields the step writes from what was entered (absent values are not written)."""
        return {name: getattr(self, name) for name in step.extra_fields if getattr(self, name) not in (None, "")}


# --- Where a step leads ----------------------------------------------------------------------------


def route_after_branch_resolution(candidate: Candidate) -> Stage:
    authority = organisation_authority(organisation=candidate.organisation)
    decides_itself = authority.body == DecidingBody.GRASSROOTS_COMMITTEE
    return stages.next_after_branch_resolution(
        has_sub_committee=authority.appraisal_by is not None,
        has_grassroots_committee=authority.grassroots_resolution_by is not None or decides_itself,
        grassroots_decides_itself=decides_itself,
    )


def _grassroots_decides_itself(candidate: Candidate) -> bool:
    return organisation_authority(organisation=candidate.organisation).body == DecidingBody.GRASSROOTS_COMMITTEE


def step_target(step: Step, candidate: Candidate) -> Stage:
    """The stage a step leads to for this candidate (its Router resolved by the organisation tree)."""
    if step.target == Router.AFTER_BRANCH_RESOLUTION:
        return route_after_branch_resolution(candidate)
    if step.target == Router.AFTER_GRASSROOTS_RESOLUTION:
        return stages.next_after_grassroots_resolution(grassroots_decides_itself=_grassroots_decides_itself(candidate))
    assert isinstance(step.target, Stage)  # noqa: S101 - a Step's target is a Stage or a Router
    return step.target


_DECIDING_VOTING_BODY = {
    DecidingBody.GRASSROOTS_COMMITTEE: VotingBody.DELEGATED_GRASSROOTS_COMMITTEE,
    DecidingBody.STANDING_COMMITTEE: VotingBody.STANDING_COMMITTEE,
    DecidingBody.PROVINCIAL_STANDING_OFFICE: VotingBody.PROVINCIAL_STANDING_OFFICE,
}


def voting_body(step: Step, candidate: Candidate) -> VotingBody:
    """Who votes on the step, which fixes the threshold (rules §5): by the step's `vote` and the tree."""
    if step.vote == VoteBy.BRANCH:
        return VotingBody.BRANCH
    if step.vote == VoteBy.SUB_COMMITTEE:
        return VotingBody.SUB_COMMITTEE_APPRAISAL
    if step.vote == VoteBy.GRASSROOTS_COMMITTEE:
        delegated = _grassroots_decides_itself(candidate)
        return VotingBody.DELEGATED_GRASSROOTS_COMMITTEE if delegated else VotingBody.GRASSROOTS_COMMITTEE
    if step.vote == VoteBy.DECIDING_COMMITTEE:
        return _DECIDING_VOTING_BODY[organisation_authority(organisation=candidate.organisation).body]
    raise ValueError(f"step {step.key} has no vote")


# --- The checks that need the candidate's facts ------------------------------------------------------

# A check reads the candidate, the day and what was entered; it returns the reasons against the
# step and may complete the fields the step writes (a received date, the official date).
StepCheck = Callable[[Candidate, dt.date, StepInput, dict[str, Any]], list[Reason]]


def _check_permit_dossier(
    candidate: Candidate, on: dt.date, entered: StepInput, fields: dict[str, Any]
) -> list[Reason]:
    if on < candidate.stage_entered_on:
        return []  # before the certificate's own step: date_problems says so, once
    rules = rulebook_for(candidate.organisation).for_date(on)
    return list(check_certificate(candidate.certificate_issue_date, on, rules, day_label="dossier_permit").reasons)


def _check_introduction(candidate: Candidate, on: dt.date, entered: StepInput, fields: dict[str, Any]) -> list[Reason]:
    """Who introduces: the helpers by default, in the form chosen (or the person's default, which is
    then recorded with the step); the refusal names who counts and what to assign."""
    person = candidate.person
    if entered.introduction_mode:
        mode = IntroductionMode[entered.introduction_mode]
    else:
        mode = introduction_mode_default(candidate, on)
        fields["introduction_mode"] = mode.name
    return list(
        check_introduction(
            mode,
            introducer_facts(candidate, mode),
            on,
            rulebook_for(candidate.organisation).for_date(on),
            youth_union_exists=person.youth_union_member,
            is_youth_age=is_youth_age(person.date_of_birth, on),
            is_youth_union_member=person.youth_union_member,
            union_resolution_date=entered.union_resolution_date,
        ).reasons
    )


def _check_verification(candidate: Candidate, on: dt.date, entered: StepInput, fields: dict[str, Any]) -> list[Reason]:
    """Every request answered or cancelled; the refusal names the open ones (subject, addressee, due)."""
    pending = open_requests_reason(candidate)
    return [pending] if pending is not None else []


def _check_decision(candidate: Candidate, on: dt.date, entered: StepInput, fields: dict[str, Any]) -> list[Reason]:
    received = entered.decision_received_date or on
    fields["decision_received_date"] = received
    found = list(
        _order_after(
            candidate.grassroots_resolution_date or candidate.branch_resolution_date, "branch_meeting", on, "decision"
        )
    )
    found.extend(check_order("decision", on, "decision_received", received, rule="QĐ294 4.1").reasons)
    return found


def _check_ceremony(candidate: Candidate, on: dt.date, entered: StepInput, fields: dict[str, Any]) -> list[Reason]:
    assert candidate.decision_date is not None and candidate.decision_received_date is not None  # noqa: S101  (S11 needs them)
    return list(
        check_ceremony_date(
            ceremony_date=on,
            decision_date=candidate.decision_date,
            decision_received_date=candidate.decision_received_date,
        ).reasons
    )


def _check_probation_review(
    candidate: Candidate, on: dt.date, entered: StepInput, fields: dict[str, Any]
) -> list[Reason]:
    if candidate.ceremony_date is None:  # pragma: no cover - S13 is only reached through the ceremony
        raise StepRefused((reason("ceremony_missing", ""),))
    end = probation_end(
        ceremony_date=candidate.ceremony_date,
        rules=rulebook_for(candidate.organisation).for_date(candidate.ceremony_date),
    )
    fields["official_date"] = end.day
    return list(check_recognition_ready(probation_end=end.day, on_date=on).reasons)


def _check_recognition_decision(
    candidate: Candidate, on: dt.date, entered: StepInput, fields: dict[str, Any]
) -> list[Reason]:
    """After the branch's resolution and, where the tree has them, the sub-committee's appraisal
    and the grassroots committee's resolution on it (HD38 II.1.1c(6)-(7)), unless the superior
    ruled after three failed votes (QĐ294 4.2.3)."""
    pending = chain_pending(candidate, organisation_authority(organisation=candidate.organisation))
    if pending is not None:
        return [_chain_missing(pending)]
    latest = max(
        (day for day in (candidate.recognition_branch_date, *_chain_dates(candidate)) if day is not None), default=None
    )
    return list(_order_after(latest, "recognition_proposal", on, "decision"))


def _chain_missing(pending: Step) -> Reason:
    """The reason a later act of the recognition chain gives while `pending` is awaited."""
    if pending.key == "recognition_appraisal":
        return reason("recognition_appraisal_missing", pending.rule)
    return reason("recognition_grassroots_vote_missing", pending.rule)


def _chain_dates(candidate: Candidate) -> list[dt.date | None]:
    """The dates of the chain's acts recorded for the resolution in force."""
    since = getattr(candidate, CHAIN_SINCE.get(candidate.stage_enum, ""), None)
    found = []
    for key in CHAIN.get(candidate.stage_enum, ()):
        day = getattr(candidate, STEP_BY_KEY[key].date_field or "")
        found.append(day if day is not None and (since is None or day >= since) else None)
    return found


def _check_chain_turn(candidate: Candidate, step: Step, held_on: dt.date) -> list[Reason]:
    """An act of the stage's chain is recorded in its order, once per resolution in force."""
    pending = chain_pending(candidate, organisation_authority(organisation=candidate.organisation))
    keys = CHAIN.get(candidate.stage_enum, ())
    if pending is None or keys.index(pending.key) > keys.index(step.key):
        return [reason("recognition_chain_recorded", step.rule)]
    if pending.key != step.key:
        return [_chain_missing(pending)]
    earlier = max((day for day in (candidate.recognition_branch_date, *_chain_dates(candidate)) if day), default=None)
    return list(_order_after(earlier, "recognition_proposal", held_on, "decision"))


# Stages where the removal decision rests on the resolutions proposing it, recorded within the
# stage; at S16 (not recognised) and SY (the superior's ruling) the dossier is already with them.
_REMOVAL_PROPOSED_AT = frozenset({Stage.S13, Stage.S14, Stage.S15})


def grassroots_resolves(candidate: Candidate) -> bool:
    """Whether a grassroots committee resolves on the branch's proposals before the decision."""
    return organisation_authority(organisation=candidate.organisation).grassroots_resolution_by is not None


def _check_removal(candidate: Candidate, on: dt.date, entered: StepInput, fields: dict[str, Any]) -> list[Reason]:
    """The removal decision needs the passed resolutions proposing it, held in this stage (HD06 4.6)."""
    if candidate.stage_enum not in _REMOVAL_PROPOSED_AT:
        return []
    rows = list(
        Vote.objects.filter(
            candidate=candidate, purpose=VotePurpose.REMOVAL, held_on__gte=candidate.stage_entered_on
        ).order_by("held_on", "pk")
    )
    deciding = {VotingBody.STANDING_COMMITTEE.name, VotingBody.PROVINCIAL_STANDING_OFFICE.name}
    chain = [
        ChainVote(by="branch" if row.body == VotingBody.BRANCH.name else "grassroots", passed=row.passed)
        for row in rows
        if row.body not in deciding and row.body != VotingBody.DELEGATED_GRASSROOTS_COMMITTEE.name
    ]
    found = list(removal_chain_missing(chain, grassroots_resolves=grassroots_resolves(candidate)))
    proposals = [row for row in rows if row.body not in deciding]
    if not found and proposals:
        found.extend(_order_after(proposals[-1].held_on, "removal_proposal", on, "decision"))
    return found


STEP_CHECKS: dict[str, StepCheck] = {
    "permit_dossier": _check_permit_dossier,
    "introduction": _check_introduction,
    "verification": _check_verification,
    "decision": _check_decision,
    "ceremony": _check_ceremony,
    "probation_review": _check_probation_review,
    "recognition_decision": _check_recognition_decision,
    "remove": _check_removal,
}


def _documents_check(candidate: Candidate, step: Step) -> list[Reason]:
    """The documents the step requires (workflow `requires`) must be held; the branch vote checks
    its own with the other conditions of consideration (check_branch_consideration)."""
    if step.kind == "vote" or not step.requires:
        return []
    missing = documents_missing(candidate, step.requires)
    return [reason("documents_missing", step.rule, documents=missing)] if missing else []


def _order_after(earlier: dt.date | None, earlier_label: str, later: dt.date, later_label: str) -> tuple[Reason, ...]:
    return check_order(earlier_label, earlier, later_label, later).reasons if earlier else ()


def is_youth_union_case(person: Person, on: dt.date) -> bool:
    """A Youth Union member of youth age must be introduced by the Youth Union (ĐL 4.1)."""
    return person.youth_union_member and is_youth_age(person.date_of_birth, on)


def documents_missing(candidate: Candidate, required: tuple[str, ...]) -> tuple[str, ...]:
    held = set(candidate.documents.filter(status=DossierItem.Status.RECEIVED).values_list("doc_type", flat=True))
    return tuple(doc for doc in required if doc not in held)


# --- Non-vote steps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitteeVote:
    """A committee's vote entered with a step: the unsaved row and the rules' verdict on it."""

    vote: Vote
    outcome: VoteOutcome

    @property
    def invalid(self) -> bool:
        """Counts that cannot be (more votes than voters, …): refused, never stored."""
        return any(r.code != "vote_threshold_not_reached" for r in self.outcome.reasons)


def candidate_step(
    *,
    acting_user: User | None,
    candidate: Candidate,
    step_key: str,
    data: StepInput,
    now: dt.datetime | None = None,
) -> StageTransition:
    """Record a non-vote step (see workflow.STEPS) and move the candidate on.

    1. The acting user may edit the candidate, the step starts from its stage, and it is the
       turn of the user's body (require_turn).
    2. The checks: the date (not in the future, not before the stage began; a certificate may
       predate the stage), the step's own rule checks (STEP_CHECKS), its required documents, and
       the committee's vote entered with it.
    3. One durable transaction: the vote row, the candidate's dates, the stage (CAS), a
       StageTransition row and the cascade of the new stage.
    Raises StepRefused with reasons: nothing written (a committee vote below its threshold included;
    the decision not to admit that it means is the "reject" step, which keeps the vote).
    """
    now = now or timezone.now()
    step = STEP_BY_KEY[step_key]
    require_edit(acting_user, candidate)
    stage = candidate.stage_enum
    if stage not in step.from_stages or step.kind == "vote":
        raise stages.IllegalTransition(stage, stage)
    require_turn(acting_user, candidate, step)
    on_date: dt.date = data.on_date or timezone.localdate(now)
    fields = data.recorded_fields(step)
    if step.date_field:
        fields[step.date_field] = on_date
    if step.key == "certificate":  # a certificate may have been issued before the person was listed
        checks = [reason("date_in_future", "", day=on_date)] if on_date > timezone.localdate(now) else []
    else:
        checks = date_problems(on_date, candidate, now)
    check = STEP_CHECKS.get(step.key)
    if check is not None:
        checks.extend(check(candidate, on_date, data, fields))
    checks.extend(_documents_check(candidate, step))
    committee_vote = _committee_vote(candidate, step, data.vote, on_date, acting_user) if step.committee_vote else None
    if committee_vote is not None and step.vote_must_fail:
        # The act records what the failed vote means (not admitted): the threshold must NOT be reached.
        outcome = committee_vote.outcome
        if outcome.passed:
            checks.append(
                reason(
                    "vote_threshold_reached",
                    committee_vote.vote.rule,
                    threshold=threshold_for(voting_body(step, candidate)).value,
                    yes=outcome.yes,
                    denominator=outcome.denominator,
                )
            )
        else:
            checks.extend(r for r in outcome.reasons if r.code != "vote_threshold_not_reached")
    elif committee_vote is not None:
        checks.extend(committee_vote.outcome.reasons)
        if not committee_vote.outcome.passed and not committee_vote.invalid:
            checks.append(reason("committee_vote_not_recorded", committee_vote.vote.rule))
    if checks:
        # A refused entry is never stored, a failed committee vote included: the screen said "not
        # recorded". The committee's decision that its failed vote means is its own step ("reject").
        raise StepRefused(tuple(checks))
    with transaction.atomic(durable=True):
        if committee_vote is not None:
            committee_vote.vote.save()
        return candidate_transition(
            acting_user=acting_user,
            candidate=candidate,
            expected_stage=stage,
            to_stage=step_target(step, candidate),
            on_date=on_date,
            now=now,
            note=data.note,
            basis=data.basis,
            fields=fields,
            step_key=step.key,
            vote=committee_vote.vote if committee_vote is not None else None,
        )


def _committee_vote(
    candidate: Candidate, step: Step, counts: VoteCounts | None, on_date: dt.date, acting_user: User | None
) -> CommitteeVote | None:
    """The committee's vote entered with an appraisal or a decision, evaluated but unsaved; None if absent.

    The body follows the step's `vote` and the organisation tree: the sub-committee appraises
    (> 1/2, a project default); the deciding body is the delegated committee (>= 2/3) or a
    standing committee / standing office (> 1/2).
    """
    if counts is None:
        return None
    body = voting_body(step, candidate)
    outcome = evaluate_vote(
        yes=counts.yes,
        no=counts.no,
        abstain=counts.abstain,
        denominator=counts.summoned - counts.excluded,
        threshold=threshold_for(body),
        rule=threshold_rule(body),
    )
    vote = Vote(
        candidate=candidate,
        body=body.name,
        purpose=step.vote_purpose,
        held_on=on_date,
        summoned=counts.summoned,
        excluded=min(counts.excluded, counts.summoned),
        denominator=max(counts.summoned - counts.excluded, 0),
        yes=counts.yes,
        no=counts.no,
        abstain=counts.abstain,
        form=counts.form,
        required=outcome.required,
        passed=outcome.passed,
        rule=threshold_rule(body),
        created_by=acting_user,
    )
    return CommitteeVote(vote, outcome)


# --- Votes -------------------------------------------------------------------------------------


def candidate_vote(
    *,
    acting_user: User | None,
    candidate: Candidate,
    step_key: str,
    held_on: dt.date,
    summoned: int | None = None,
    excluded: int | None = None,
    yes: int,
    no: int,
    abstain: int,
    form: str,
    note: str = "",
    meeting: BranchMeeting | None = None,
    now: dt.datetime | None = None,
) -> Vote:
    """Record a vote of the branch or grassroots committee (a `kind="vote"` step); move on if it passed.

    Invalid counts (more votes than the denominator, …) or an admission the branch may not yet
    consider (expired certificate, missing documents, …) raise StepRefused: nothing written.
    A vote with no target (a resolution proposing removal) leaves the candidate in the stage; the
    removal decision reads it (STEP_CHECKS "remove"). A vote below the threshold is recorded as
    failed; after 3 failed branch votes at the recognition stage, to recognise or to remove, the
    candidate is escalated to the superior committee (S-Y, QĐ294 4.2.3).
    A branch vote held at a recorded `meeting` takes summoned and excluded from its attendance
    (meetings.meeting_vote_counts; typed counts only for a meeting without one) and may not have
    ballots other than one per member present (for, against or not voting).
    Side effects: one durable transaction; the Vote row; on success the stage transition.
    """
    now = now or timezone.now()
    step = STEP_BY_KEY[step_key]
    require_edit(acting_user, candidate)
    stage = candidate.stage_enum
    if stage not in step.from_stages or step.kind != "vote":
        raise stages.IllegalTransition(stage, stage)
    require_turn(acting_user, candidate, step)
    target = step_target(step, candidate) if step.target is not None else None  # None: stays in the stage
    body = voting_body(step, candidate)
    problems = date_problems(held_on, candidate, now)
    counts = meeting_vote_counts(
        meeting=meeting, candidate=candidate, body=body, held_on=held_on, summoned=summoned, excluded=excluded
    )
    if counts.problems:
        raise StepRefused((*problems, *counts.problems))
    summoned, excluded = counts.summoned, counts.excluded
    denominator = summoned - excluded
    if excluded > summoned:
        problems.append(
            reason("vote_counts_exceed_denominator", threshold_rule(body), total=excluded, denominator=summoned)
        )
    rules = rulebook_for(candidate.organisation).for_date(held_on)
    if step_key == "branch_vote":
        problems.extend(check_branch_consideration(_consideration_facts(candidate, held_on, step), rules).reasons)
    if step_key == "recognition_vote" and candidate.official_date and held_on < candidate.official_date:
        problems.extend(check_recognition_ready(probation_end=candidate.official_date, on_date=held_on).reasons)
    if step_key in CHAIN.get(stage, ()):
        problems.extend(_check_chain_turn(candidate, step, held_on))
    if excluded > summoned:
        raise StepRefused(tuple(problems))
    outcome = evaluate_vote(
        yes=yes,
        no=no,
        abstain=abstain,
        denominator=denominator,
        threshold=threshold_for(body),
        rule=threshold_rule(body),
        body=body,
        official_members=summoned if body is VotingBody.BRANCH else None,
    )
    invalid = [r for r in outcome.reasons if r.code != "vote_threshold_not_reached"]
    problems.extend(invalid)
    if counts.present is not None and (
        miscount := ballot_count_problem(yes=yes, no=no, abstain=abstain, present=counts.present)
    ):
        problems.append(miscount)
    if problems:
        raise StepRefused(tuple(problems))
    with transaction.atomic(durable=True):
        vote = Vote.objects.create(
            candidate=candidate,
            body=body.name,
            purpose=step.vote_purpose,
            held_on=held_on,
            summoned=summoned,
            excluded=excluded,
            denominator=denominator,
            yes=yes,
            no=no,
            abstain=abstain,
            form=form,
            required=outcome.required,
            passed=outcome.passed,
            rule=threshold_rule(body),
            created_by=acting_user,
            meeting=meeting,
            counts_from_attendance=counts.from_attendance,
        )
        # A passed vote with no target is a resolution within the stage (proposing removal, or an
        # act of the recognition chain, whose date it records): the next body acts on it.
        if outcome.passed and target is None and step.date_field:
            _record_within_stage(
                candidate, stage, {step.date_field: held_on}, acting_user=acting_user, change_reason=step.key
            )
            schedule.chain_notify(candidate=candidate, act_key=f"vote-{vote.pk}", now=now)
        elif outcome.passed and target is not None:
            fields: dict[str, Any] = {step.date_field: held_on} if step.date_field else {}
            if target == Stage.S11:  # a delegated committee's resolution is also the decision
                fields.update(decision_date=held_on, decision_received_date=held_on)
            candidate_transition(
                acting_user=acting_user,
                candidate=candidate,
                expected_stage=stage,
                to_stage=target,
                on_date=held_on,
                now=now,
                note=note,
                basis=f"Vote {vote.pk}",
                fields=fields,
                step_key=step.key,
                vote=vote,
            )
        elif not outcome.passed:
            failed = _count_failure(candidate, step, body)
            # Three failures of one lower body at the consideration for recognition, to recognise or
            # to remove, go to the committees above (QĐ294 4.2.3; docs/decisions.md, Life cycle).
            if failed and stages.can_transition(stage, Stage.SY) and deadlock_reached(failed, rules):
                candidate_transition(
                    acting_user=acting_user,
                    candidate=candidate,
                    expected_stage=stage,
                    to_stage=Stage.SY,
                    on_date=held_on,
                    now=now,
                    note=deadlock_note(body, failed),
                    fields={"failed_votes": failed},  # kept: the superior sees how many
                    step_key=step.key,  # withdrawing the third failed vote undoes the escalation
                    vote=vote,
                )
    return vote


def _count_failure(candidate: Candidate, step: Step, body: VotingBody) -> int:
    """How many times the body that just failed has failed on the step in progress (0: not counted).

    The branch's failed votes (and those of a vote that moves the dossier) count in
    `failed_votes`, which every transition resets: at S15 the branch's votes to recognise and to
    remove count together. The grassroots committee's resolutions on recognition or removal,
    recorded within the stage, count by its own failed votes of the stage visit. The
    sub-committee's appraisal is no vote to recognise or remove: not counted.
    """
    if step.vote == VoteBy.BRANCH or step.target is not None:
        Candidate.objects.filter(pk=candidate.pk).update(failed_votes=F("failed_votes") + 1)
        candidate.refresh_from_db(fields=["failed_votes"])
        return candidate.failed_votes
    if step.vote == VoteBy.GRASSROOTS_COMMITTEE:
        return Vote.objects.filter(
            candidate=candidate,
            body=body.name,
            passed=False,
            purpose__in=[VotePurpose.RECOGNITION, VotePurpose.REMOVAL],
            held_on__gte=candidate.stage_entered_on,
        ).count()
    return 0


def deadlock_note(body: VotingBody, failed: int) -> str:
    """The escalation's note, kept in Vietnamese in the history (the screens' language)."""
    with translation.override("vi"):
        if body is VotingBody.BRANCH:
            text = gettext(
                "Chi bộ biểu quyết %(count)s lần không đạt 2/3: báo cáo cấp ủy cấp trên trực tiếp và cấp ủy "
                "có thẩm quyền xem xét, quyết định (QĐ294 4.2.3)"
            )
        else:
            text = gettext(
                "Đảng ủy cơ sở biểu quyết %(count)s lần không đạt 2/3: báo cáo cấp ủy cấp trên trực tiếp và "
                "cấp ủy có thẩm quyền xem xét, quyết định (QĐ294 4.2.3)"
            )
        return text % {"count": failed}


def _record_within_stage(
    candidate: Candidate, stage: Stage, fields: dict[str, Any], *, acting_user: User | None, change_reason: str
) -> None:
    """Write the date of an act recorded within the stage (no transition); inside the caller's transaction.

    Compare-and-swap on the stage, as a transition: a candidate moved meanwhile is a conflict.
    """
    if Candidate.objects.filter(pk=candidate.pk, stage=stage.value).update(**fields) != 1:
        raise ConcurrentStageChange(f"candidate {candidate.pk} is no longer in {stage}")
    candidate.refresh_from_db()
    Candidate.history.bulk_history_create(  # type: ignore[attr-defined]
        [candidate], update=True, default_user=acting_user, default_change_reason=change_reason
    )


def _readmission_facts(candidate: Candidate) -> dict[str, Any]:
    """When the person's last membership ended, and whether an earlier readmission made them a member."""
    left = (
        PartyMember.objects.filter(person_id=candidate.person_id, left_date__isnull=False)
        .order_by("-left_date")
        .values_list("left_date", flat=True)
        .first()
    )
    again = (
        Candidate.objects.filter(person_id=candidate.person_id, readmission=True, member__isnull=False)
        .exclude(pk=candidate.pk)
        .exists()
    )
    return {"left_party_on": left, "readmitted_before": again}


def _consideration_facts(candidate: Candidate, meeting_date: dt.date, step: Step) -> BranchConsiderationFacts:
    person = candidate.person
    mode = introduction_mode_default(candidate, meeting_date)
    introducers = introducer_facts(candidate, mode)
    required = step.requires + (("A5",) if mode is not IntroductionMode.TWO_MEMBERS else ())
    return BranchConsiderationFacts(
        birth_date=person.date_of_birth,
        meeting_date=meeting_date,
        certificate_issue_date=candidate.certificate_issue_date,
        dossier_start_date=candidate.dossier_start_date,
        education=EducationLevel[person.education_level.upper()],
        introduction_mode=mode,
        introducers=introducers,
        youth_union_exists=person.youth_union_member,
        is_youth_age=is_youth_age(person.date_of_birth, meeting_date),
        is_youth_union_member=person.youth_union_member,
        union_resolution_date=candidate.union_resolution_date,
        documents_missing=documents_missing(candidate, required),
        verification_complete=candidate.verification_completed_date is not None,
        comments_complete=candidate.comments_completed_date is not None,
        area_exception=candidate.area_exception,
        literacy_exception_approved=candidate.literacy_exception_approved,
        over_60_approved=candidate.over_60_approved,
        readmission=candidate.readmission,
        readmission_approved=candidate.readmission_approved,
        **(_readmission_facts(candidate) if candidate.readmission else {}),
        political_issue_unresolved=candidate.political_issue_unresolved,
    )
