"""The step table (admission.workflow.STEPS) is the whole life cycle: checked against the stage
graph, the cascade handlers, the legal dates and the documents it names."""

import dataclasses

import pytest

from admission import services
from admission.dates import CandidateDates
from admission.domain.stages import CASCADE, TERMINAL_STAGES, TRANSITIONS, Stage, can_transition
from admission.models import DocumentType
from admission.workflow import (
    CHAIN,
    CHAIN_WAIVED_BY,
    COMMITTEE_TURNS,
    NEXT_STEP,
    RETURN_TARGET,
    STAGE_DEADLINE,
    STEPS,
    TURN,
    Body,
    Router,
    VoteBy,
)

S = Stage

# Moves made by services other than the step service, each named (written by hand).
SERVICE_EDGES: dict[tuple[Stage, Stage], str] = {
    (S.S0, S.S1): "meeting_record adds to the list",
    **{(s, S.S0): "meeting_record removes from the list" for s in (S.S1, S.S2, S.S3, S.S4, S.S5, S.S6, S.S7, S.S8)},
    (S.S8A, S.S8): "dossier_return",
    (S.S9, S.S8): "dossier_return",
    (S.S10, S.S8): "dossier_return",
    (S.S16, S.S15): "dossier_return",
    (S.S15, S.SY): "candidate_vote: third failed recognition vote (QĐ294 4.2.3)",
    (S.S16, S.SY): "candidate_vote: third failed grassroots resolution on recognition (QĐ294 4.2.3)",
    (S.S8A, S.S10): "candidate_transfer: the destination's committee decides (HD06 3.9b)",
    (S.S10, S.S10): "candidate_transfer: the destination's committee decides (HD06 3.9b)",
}
# Legal dates started by services other than the step service, each named (written by hand).
SERVICE_STARTS: dict[str, str] = {
    "transfer_decision_deadline": "candidate_transfer records the day the destination receives the dossier",
    "transfer_forward_deadline": "candidate_transfer records the move of a dossier that had gone up (HD06 3.9b)",
    "reconsideration_deadline": "transfer_reconsideration_request records the destination's request (HD06 3.9c)",
}


def _step_edges() -> set[tuple[Stage, Stage]]:
    return {(source, target) for step in STEPS for source in step.from_stages for target in step.targets}


def test_every_step_moves_along_a_legal_transition() -> None:
    for step in STEPS:
        for source in step.from_stages:
            for target in step.targets:
                assert can_transition(source, target), (step.key, source, target)


def test_every_transition_is_taken_by_a_step_or_a_named_service() -> None:
    edges = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
    assert edges - _step_edges() - set(SERVICE_EDGES) == set()
    assert set(SERVICE_EDGES) <= edges


def test_every_stage_has_a_way_in_and_every_open_stage_a_step_out() -> None:
    reached = {target for _source, target in _step_edges() | set(SERVICE_EDGES)}
    assert set(Stage) - reached == set()  # S0 too: candidate_create starts there, a drop returns there
    for stage in set(Stage) - TERMINAL_STAGES:
        assert any(stage in step.from_stages for step in STEPS), stage
    for stage in TERMINAL_STAGES - {S.S17}:  # S17 can still be annulled (QĐ294 4.4)
        assert not any(stage in step.from_stages for step in STEPS), stage


def test_every_declared_cascade_effect_has_a_handler() -> None:
    declared = set().union(*CASCADE.values())
    assert declared == set(services.CASCADE_HANDLERS)
    for step in STEPS:
        assert step.effects <= set(services.CASCADE_HANDLERS), step.key


def test_the_routers_lead_where_the_organisation_tree_can() -> None:
    by_key = {step.key: step for step in STEPS}
    assert by_key["branch_vote"].target is Router.AFTER_BRANCH_RESOLUTION
    assert by_key["branch_vote"].targets == {S.S8A, S.S9, S.S10}
    assert by_key["grassroots_vote"].targets == {S.S10, S.S11}


def test_the_legal_dates_and_documents_named_exist() -> None:
    dates = {field.name for field in dataclasses.fields(CandidateDates)}
    documents = set(DocumentType.values)
    for step in STEPS:
        assert set(step.bounded_by) | set(step.starts) <= dates, step.key
        assert set(step.requires) | set(step.produces) <= documents, step.key
        assert step.rule, step.key
        assert (step.kind == "vote") == (step.vote is not None and not step.committee_vote), step.key
        assert step.date_field is None or step.date_field not in step.extra_fields


def test_every_legal_date_is_started_by_one_step() -> None:
    started = [name for step in STEPS for name in step.starts] + list(SERVICE_STARTS)
    assert sorted(started) == sorted(field.name for field in dataclasses.fields(CandidateDates))
    assert next(step.key for step in STEPS if "complaint_deadline" in step.starts) == "remove"


def test_whose_turn_it_is_at_each_stage() -> None:
    # Written by hand from rules §3 and §5: a dossier sitting with a committee is that committee's.
    assert {stage: body for stage, body in TURN.items() if body != Body.BRANCH} == {
        S.S8A: Body.SUB_COMMITTEE,
        S.S9: Body.GRASSROOTS_COMMITTEE,
        S.S10: Body.DECIDING_COMMITTEE,
        S.S16: Body.DECIDING_COMMITTEE,
        S.SY: Body.DECIDING_COMMITTEE,
        S.SZ: Body.DECIDING_COMMITTEE,
    }
    assert {S.S8A, S.S9, S.S10, S.S16, S.SY, S.SZ} == COMMITTEE_TURNS
    assert RETURN_TARGET == {S.S8A: S.S8, S.S9: S.S8, S.S10: S.S8, S.S16: S.S15}


@pytest.mark.parametrize(
    ("stage", "names"),
    [
        (S.S3, None),
        (S.S4, ("dossier_valid_until",)),
        (S.S8, ("dossier_valid_until", "certificate_valid_until")),
        (S.S10, ("decision_deadline", "transfer_decision_deadline")),
        (S.S11, ("ceremony_deadline",)),
        (S.S12, ("member_records_deadline",)),
        (S.S13, ("probation_end",)),
        (S.S15, ("recognition_branch_deadline",)),
        (S.S16, ("recognition_decision_deadline",)),
        (S.SY, None),
        (S.SZ, None),
    ],
)
def test_the_deadline_of_the_step_in_progress(stage: Stage, names: tuple[str, ...] | None) -> None:
    assert STAGE_DEADLINE.get(stage) == names


def test_the_45_working_day_rule_is_found_in_one_hop() -> None:
    decision = next(step for step in STEPS if step.key == "decision")
    assert (decision.owner, decision.vote, decision.bounded_by, decision.produces) == (
        Body.DECIDING_COMMITTEE,
        VoteBy.DECIDING_COMMITTEE,
        ("decision_deadline", "transfer_decision_deadline"),
        ("A10",),
    )
    assert "decision_deadline" in next(step for step in STEPS if step.key == "branch_vote").starts
    assert NEXT_STEP[S.S10] == "decision"


def test_a_step_starts_the_legal_dates_its_recorded_dates_trigger_and_ends_those_that_bound_it() -> None:
    from admission.dates import LEGAL_DATE_TRIGGER
    from admission.workflow import step_ending

    for step in STEPS:
        recorded = {step.date_field, *step.extra_fields}
        for name in step.starts:
            assert LEGAL_DATE_TRIGGER[name] in recorded, (step.key, name)
        assert set(step.ends) <= set(step.bounded_by), step.key
    assert set(LEGAL_DATE_TRIGGER) == {field.name for field in dataclasses.fields(CandidateDates)}
    assert step_ending("decision_deadline").key == "decision"
    assert step_ending("recognition_branch_deadline").key == "recognition_vote"


def test_the_bodies_that_record_a_step_other_than_whose_turn_it_is() -> None:
    # Written by hand: the branch enters the grassroots committee's written acts; committees
    # record their own acts whatever the stage; the branch records a person's withdrawal.
    assert {step.key: step.recorded_by for step in STEPS if step.recorded_by is not None} == {
        "permit_dossier": Body.BRANCH,
        "verification": Body.BRANCH,
        "reject": Body.DECIDING_COMMITTEE,
        "grassroots_reject": Body.GRASSROOTS_COMMITTEE,
        "recognition_appraisal": Body.SUB_COMMITTEE,
        "recognition_grassroots_vote": Body.GRASSROOTS_COMMITTEE,
        "recognition_decision": Body.DECIDING_COMMITTEE,
        "withdraw": Body.BRANCH,
        "removal_grassroots_vote": Body.GRASSROOTS_COMMITTEE,
        "remove": Body.DECIDING_COMMITTEE,
        "annul": Body.DECIDING_COMMITTEE,
    }


def test_the_removal_chain_is_two_votes_within_the_stage_then_the_decision() -> None:
    by_key = {step.key: step for step in STEPS}
    proposing = {S.S13, S.S14, S.S15}
    branch, grassroots, remove = by_key["removal_branch_vote"], by_key["removal_grassroots_vote"], by_key["remove"]
    assert (branch.from_stages, branch.target, branch.targets, branch.effects) == (proposing, None, set(), set())
    assert (branch.kind, branch.owner, branch.vote, branch.vote_purpose) == (
        "vote",
        Body.BRANCH,
        VoteBy.BRANCH,
        "removal",
    )
    assert (grassroots.from_stages, grassroots.target, grassroots.kind) == (proposing, None, "vote")
    assert (grassroots.owner, grassroots.vote, grassroots.needs_body) == (
        Body.GRASSROOTS_COMMITTEE,
        VoteBy.GRASSROOTS_COMMITTEE,
        Body.GRASSROOTS_COMMITTEE,
    )
    # The decision: also from S16 (not recognised) and SY (the superior's ruling).
    assert remove.from_stages == proposing | {S.S16, S.SY}
    assert (remove.target, remove.owner, remove.vote, remove.committee_vote, remove.vote_purpose) == (
        S.SX,
        Body.DECIDING_COMMITTEE,
        VoteBy.DECIDING_COMMITTEE,
        True,
        "removal",
    )
    assert (remove.date_field, remove.starts, remove.needs_note) == ("removal_date", ("complaint_deadline",), True)
    # Votes within a stage never become its forward step.
    assert (NEXT_STEP[S.S13], NEXT_STEP[S.S14], NEXT_STEP[S.S15]) == (
        "probation_review",
        "recognition_dossier",
        "recognition_vote",
    )


def test_leaving_before_a_decision_not_admitted_or_withdrawn() -> None:
    by_key = {step.key: step for step in STEPS}
    reject, withdraw, drop = by_key["reject"], by_key["withdraw"], by_key["drop"]
    assert (reject.from_stages, reject.target, reject.kind, reject.needs_note) == ({S.S10}, S.S1, "back", True)
    assert (reject.vote, reject.committee_vote, reject.vote_must_fail, reject.vote_purpose) == (
        VoteBy.DECIDING_COMMITTEE,
        True,
        True,
        "admission",
    )
    assert withdraw.from_stages == {S.S1, S.S2, S.S3, S.S4, S.S5, S.S6, S.S7, S.S8, S.S8A, S.S9, S.S10}
    assert (withdraw.target, withdraw.owner, withdraw.needs_note) == (S.S0, Body.BRANCH, True)
    # The branch's own resolution taking someone off the list stays before the dossier goes up.
    assert drop.from_stages == {S.S1, S.S2, S.S3, S.S4, S.S5, S.S6, S.S7, S.S8}
    assert NEXT_STEP[S.S10] == "decision"


def test_it_ticks_each_produced_document_from_a_date_its_step_writes() -> None:
    """The checklist ticking is the step table's `produces` (services.checklist_tick): every produced
    document has the candidate date that records it, and that date is one its step writes."""
    from admission.workflow import DOCUMENT_DATE, TICKED_BY_DATE

    for step in STEPS:
        for document in step.produces:
            assert DOCUMENT_DATE[document] in (step.date_field, *step.extra_fields), (step.key, document)
            assert (document, step.key) in TICKED_BY_DATE[DOCUMENT_DATE[document]]
    assert {d for pairs in TICKED_BY_DATE.values() for d, _key in pairs} == set(DOCUMENT_DATE)
    assert TICKED_BY_DATE["certificate_issue_date"] == (("A1", "certificate"),)
    assert TICKED_BY_DATE["branch_resolution_date"] == (("A7", "branch_vote"),)


def test_the_recognition_chain_mirrors_the_admission_chain_within_the_decision_stage() -> None:
    by_key = {step.key: step for step in STEPS}
    appraisal, resolution = by_key["recognition_appraisal"], by_key["recognition_grassroots_vote"]
    assert CHAIN == {S.S16: ("recognition_appraisal", "recognition_grassroots_vote")}
    for step, owner, date_field, document in (
        (appraisal, Body.SUB_COMMITTEE, "recognition_appraisal_date", "R6"),
        (resolution, Body.GRASSROOTS_COMMITTEE, "recognition_grassroots_date", "R7"),
    ):
        assert (step.from_stages, step.target, step.kind, step.owner, step.recorded_by, step.needs_body) == (
            {S.S16},
            None,
            "vote",
            owner,
            owner,
            owner,
        )
        assert (step.date_field, step.produces, step.bounded_by) == (
            date_field,
            (document,),
            ("recognition_decision_deadline",),
        )
    # Votes within the stage never become its forward step: the decision stays the deciding committee's.
    assert (NEXT_STEP[S.S16], TURN[S.S16]) == ("recognition_decision", Body.DECIDING_COMMITTEE)
    assert by_key["deadlock_recognise"].date_field == CHAIN_WAIVED_BY[S.S16]


def test_a_delegated_committee_decides_not_to_admit_at_its_resolution() -> None:
    refuse = next(step for step in STEPS if step.key == "grassroots_reject")
    assert (refuse.from_stages, refuse.target, refuse.owner, refuse.needs_delegation) == (
        {S.S9},
        S.S1,
        Body.GRASSROOTS_COMMITTEE,
        True,
    )
    assert (refuse.committee_vote, refuse.vote_must_fail, refuse.needs_note) == (True, True, True)
    assert NEXT_STEP[S.S9] == "grassroots_vote"
