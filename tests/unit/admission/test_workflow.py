"""The step table (admission.workflow.STEPS) is the whole life cycle: checked against the stage
graph, the cascade handlers, the legal dates and the documents it names."""

import dataclasses

import pytest

from admission import services
from admission.dates import CandidateDates
from admission.domain.stages import CASCADE, TERMINAL_STAGES, TRANSITIONS, Stage, can_transition
from admission.models import DocumentType
from admission.workflow import (
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
    started = [name for step in STEPS for name in step.starts]
    assert sorted(started) == sorted(field.name for field in dataclasses.fields(CandidateDates))


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
        (S.S10, ("decision_deadline",)),
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
        ("decision_deadline",),
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
