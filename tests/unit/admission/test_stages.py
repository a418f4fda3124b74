"""The transition table, checked pair by pair against a table written out here by hand."""

from itertools import product

import pytest

from admission.domain.stages import (
    CASCADE,
    PIPELINE,
    REQUIRES_REASON,
    STAGE_INFO,
    TERMINAL_STAGES,
    TRANSITIONS,
    IllegalTransition,
    InvalidOrgRoute,
    Stage,
    assert_transition,
    can_transition,
    next_after_branch_resolution,
    next_after_grassroots_resolution,
)

# from -> every stage it may move to. Written independently of TRANSITIONS.
ALLOWED: dict[str, set[str]] = {
    "S0": {"S1"},
    "S1": {"S2", "S3", "S0"},
    "S2": {"S3", "S0"},
    "S3": {"S4", "S0"},
    "S4": {"S5", "S0"},
    "S5": {"S6", "S0"},
    "S6": {"S7", "S0"},
    "S7": {"S8", "S0"},
    "S8": {"S8A", "S9", "S10", "S0"},
    "S8A": {"S9", "S8", "S0", "S10"},  # S0: the person withdraws; S10: moved after it went up
    "S9": {"S10", "S11", "S8", "S0", "S1"},  # S1: a delegated committee decides not to admit
    "S10": {"S11", "S8", "S1", "S0", "S10"},  # S1: not admitted; S10 again: moved, decided at the destination
    "S11": {"S12", "SZ"},
    "S12": {"S13", "SZ"},
    "S13": {"S14", "SX", "SZ"},
    "S14": {"S15", "SX", "SZ"},
    "S15": {"S16", "SX", "SY", "SZ"},
    "S16": {"S17", "S15", "SX", "SY", "SZ"},  # SY: three failed grassroots resolutions (R7)
    "S17": {"SZ"},
    "SX": set(),
    "SY": {"S15", "S16", "SX"},
    "SZ": {"SX", "S10"},
}

# Ordinary forward steps: the only allowed moves that need no reason note.
FORWARD: set[tuple[str, str]] = {
    ("S0", "S1"),
    ("S1", "S2"),
    ("S1", "S3"),
    ("S2", "S3"),
    ("S3", "S4"),
    ("S4", "S5"),
    ("S5", "S6"),
    ("S6", "S7"),
    ("S7", "S8"),
    ("S8", "S8A"),
    ("S8", "S9"),
    ("S8", "S10"),
    ("S8A", "S9"),
    ("S9", "S10"),
    ("S9", "S11"),
    ("S10", "S11"),
    ("S11", "S12"),
    ("S12", "S13"),
    ("S13", "S14"),
    ("S14", "S15"),
    ("S15", "S16"),
    ("S16", "S17"),
}


def test_it_has_exactly_the_stages_of_the_rules() -> None:
    assert [s.value for s in Stage] == [
        "S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S8A", "S9",
        "S10", "S11", "S12", "S13", "S14", "S15", "S16", "S17", "SX", "SY", "SZ",
    ]  # fmt: skip
    assert set(ALLOWED) == {s.value for s in Stage}
    assert set(TRANSITIONS) == set(Stage)
    assert set(STAGE_INFO) == set(Stage)
    assert set(CASCADE) == set(Stage)


@pytest.mark.parametrize(("source", "target"), list(product(Stage, Stage)), ids=lambda s: s.value)
def test_it_allows_or_refuses_each_stage_pair(source: Stage, target: Stage) -> None:
    allowed = target.value in ALLOWED[source.value]
    assert can_transition(source, target) is allowed
    if allowed:
        assert_transition(source, target)
    else:
        with pytest.raises(IllegalTransition) as caught:
            assert_transition(source, target)
        assert (caught.value.from_stage, caught.value.to_stage) == (source, target)
        assert f"{source} -> {target}" in str(caught.value)


def test_it_asks_a_reason_for_every_move_but_an_ordinary_step_forward() -> None:
    allowed = {(a, b) for a, targets in ALLOWED.items() for b in targets}
    assert allowed >= FORWARD
    assert {(a.value, b.value) for a, b in REQUIRES_REASON} == allowed - FORWARD


def test_it_ends_only_in_official_membership_or_removal() -> None:
    assert {Stage.S17, Stage.SX} == TERMINAL_STAGES
    assert TRANSITIONS[Stage.SX] == frozenset()
    # Recognition ends the pipeline; only an annulment of a wrong admission reopens it.
    assert TRANSITIONS[Stage.S17] == frozenset({Stage.SZ})


def test_it_never_lets_a_non_member_be_removed_or_deadlocked() -> None:
    for source, targets in TRANSITIONS.items():
        if Stage.SX in targets and source not in (Stage.SY, Stage.SZ):
            assert STAGE_INFO[source].is_member, source
        if Stage.SY in targets:
            assert STAGE_INFO[source].is_member, source


@pytest.mark.parametrize(
    ("stage", "is_member", "phase"),
    [
        ("S0", False, "pre_dossier"),
        ("S2", False, "pre_dossier"),
        ("S3", False, "dossier"),
        ("S7", False, "dossier"),
        ("S8", False, "decision"),
        ("S11", False, "decision"),
        ("S12", True, "probation"),
        ("S16", True, "probation"),
        ("S17", True, "done"),
        ("SX", False, "done"),
        ("SY", True, "probation"),
        ("SZ", False, "decision"),
    ],
)
def test_it_describes_each_stage(stage: str, is_member: bool, phase: str) -> None:
    info = STAGE_INFO[Stage(stage)]
    assert (info.is_member, info.phase) == (is_member, phase)
    assert info.label_vi and info.label_en and info.actor_vi and info.actor_en and info.source


def test_it_orders_the_pipeline() -> None:
    assert PIPELINE[0] is Stage.S0
    assert PIPELINE[-1] is Stage.S17
    assert PIPELINE.index(Stage.S8A) == PIPELINE.index(Stage.S8) + 1
    assert not {Stage.SX, Stage.SY, Stage.SZ} & set(PIPELINE)


@pytest.mark.parametrize(
    ("stage", "effects"),
    [
        ("S0", {"reschedule_reminders", "close_tasks", "end_mentorships"}),
        ("S1", {"reschedule_reminders"}),
        ("S3", {"reschedule_reminders"}),
        ("S12", {"reschedule_reminders", "create_probationary_member"}),
        ("S17", {"reschedule_reminders", "make_member_official", "close_tasks", "end_mentorships"}),
        ("SX", {"reschedule_reminders", "remove_member", "close_tasks", "end_mentorships"}),
        ("SZ", {"reschedule_reminders", "annul_decision"}),
    ],
)
def test_it_declares_the_side_effects_of_entering_a_stage(stage: str, effects: set[str]) -> None:
    assert CASCADE[Stage(stage)] == effects


@pytest.mark.parametrize(
    ("sub", "grassroots", "delegated", "expected"),
    [
        (True, True, False, "S8A"),
        (True, True, True, "S8A"),
        (False, True, False, "S9"),
        (False, True, True, "S9"),
        (False, False, False, "S10"),  # chi bộ cơ sở or village branch
    ],
)
def test_it_routes_the_branch_resolution_by_the_org_tree(
    sub: bool, grassroots: bool, delegated: bool, expected: str
) -> None:
    stage = next_after_branch_resolution(
        has_sub_committee=sub, has_grassroots_committee=grassroots, grassroots_decides_itself=delegated
    )
    assert stage is Stage(expected)
    assert can_transition(Stage.S8, stage)


@pytest.mark.parametrize(("sub", "delegated"), [(True, False), (False, True)])
def test_it_refuses_an_impossible_org_tree(sub: bool, delegated: bool) -> None:
    with pytest.raises(InvalidOrgRoute):
        next_after_branch_resolution(
            has_sub_committee=sub, has_grassroots_committee=False, grassroots_decides_itself=delegated
        )


@pytest.mark.parametrize(("delegated", "expected"), [(True, Stage.S11), (False, Stage.S10)])
def test_it_skips_the_decision_step_when_the_grassroots_committee_decides(delegated: bool, expected: Stage) -> None:
    assert next_after_grassroots_resolution(grassroots_decides_itself=delegated) is expected
    assert can_transition(Stage.S9, expected)
