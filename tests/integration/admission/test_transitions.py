"""The single mutation point of `Candidate.stage` (architecture B): the transition table, the
reason note, and the compare-and-swap that lets only one of two concurrent writers win."""

import datetime as dt

import pytest

from admission import services
from admission.devdata.demo import at, walk_to
from admission.domain.stages import TRANSITIONS, IllegalTransition, Stage
from admission.models import Candidate, StageTransition
from admission.workflow import STEPS
from members.models import User
from tests.concurrency import run_together
from tests.factories import PersonFactory

START = dt.date(2025, 1, 6)
LISTED_ON = dt.date(2025, 1, 10)  # add_to_list: START + 4 days (demo.TIMELINE["S0"])
CLASS_ON = dt.date(2025, 2, 5)  # propose_class: START + 30 days


def _candidate(tree, alice, stage: str = "S0") -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Trịnh Văn Chuyển")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, stage, user=alice, introducers=[], start=START)


def _row(candidate: Candidate) -> dict[str, object]:
    return Candidate.objects.filter(pk=candidate.pk).values().get()


# --- The transition table and the reason note -------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_a_jump_from_s0_to_s8_that_the_table_does_not_allow(tree, alice) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice)
    before = _row(candidate)

    with pytest.raises(IllegalTransition) as refused:
        services.candidate_transition(
            acting_user=alice,
            candidate=candidate,
            expected_stage=Stage.S0,
            to_stage=Stage.S8,
            on_date=LISTED_ON,
            now=at(LISTED_ON),
        )

    assert (refused.value.from_stage, refused.value.to_stage) == (Stage.S0, Stage.S8)
    assert _row(candidate) == before
    assert not StageTransition.objects.filter(candidate=candidate).exists()


@pytest.mark.django_db
def test_it_refuses_a_step_that_does_not_start_from_the_current_stage(tree, alice) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice)  # S0; "propose_class" starts from S1 only
    before = _row(candidate)

    with pytest.raises(IllegalTransition):
        services.candidate_step(
            acting_user=alice,
            candidate=candidate,
            step_key="propose_class",
            data=services.StepInput(on_date=LISTED_ON),
            now=at(LISTED_ON),
        )

    assert _row(candidate) == before
    assert not StageTransition.objects.filter(candidate=candidate).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("note", ["", "   \n "])
def test_it_refuses_a_drop_from_the_list_without_a_reason(tree, alice, note) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, "S1")
    before = _row(candidate)
    transitions = StageTransition.objects.count()

    with pytest.raises(services.StepRefused) as refused:
        services.candidate_step(
            acting_user=alice,
            candidate=candidate,
            step_key="drop",
            data=services.StepInput(on_date=CLASS_ON, note=note),
            now=at(CLASS_ON),
        )

    assert [r.code for r in refused.value.reasons] == ["note_required"]
    assert refused.value.reasons[0].params["step"] == "S1→S0"
    assert _row(candidate) == before
    assert StageTransition.objects.count() == transitions


@pytest.mark.django_db
def test_it_drops_from_the_list_with_a_reason_and_keeps_it_on_the_transition(tree, alice) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, "S1")

    services.candidate_step(
        acting_user=alice,
        candidate=candidate,
        step_key="drop",
        data=services.StepInput(on_date=CLASS_ON, note="  Chuyển công tác  "),
        now=at(CLASS_ON),
    )

    last = StageTransition.objects.filter(candidate=candidate).latest("at", "pk")
    assert (last.from_stage, last.to_stage, last.note, last.on_date) == ("S1", "S0", "Chuyển công tác", CLASS_ON)
    assert Candidate.objects.get(pk=candidate.pk).stage == "S0"


# --- Compare-and-swap -------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lets_only_the_first_of_two_writers_expecting_the_same_stage_win(tree, alice) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, "S1")
    first_copy = Candidate.objects.get(pk=candidate.pk)
    second_copy = Candidate.objects.get(pk=candidate.pk)
    kwargs = {"acting_user": alice, "expected_stage": Stage.S1, "on_date": CLASS_ON, "now": at(CLASS_ON)}

    services.candidate_transition(candidate=first_copy, to_stage=Stage.S2, **kwargs)
    with pytest.raises(services.ConcurrentStageChange):
        # Legal in the table (S1 -> S3: certificate already held), but the row is no longer S1.
        services.candidate_transition(candidate=second_copy, to_stage=Stage.S3, **kwargs)

    assert Candidate.objects.get(pk=candidate.pk).stage == "S2"
    assert list(StageTransition.objects.filter(candidate=candidate).values_list("from_stage", "to_stage")) == [
        ("S0", "S1"),
        ("S1", "S2"),
    ]


@pytest.mark.django_db
def test_it_refuses_a_transition_when_the_row_changed_after_it_was_read(tree, alice) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, "S1")  # read while S1
    # Someone else moves the row on between our read and our write.
    Candidate.objects.filter(pk=candidate.pk).update(stage="S2", class_proposed_date=CLASS_ON)
    transitions = StageTransition.objects.count()

    with pytest.raises(services.ConcurrentStageChange):
        services.candidate_transition(
            acting_user=alice,
            candidate=candidate,
            expected_stage=Stage.S1,
            to_stage=Stage.S2,
            on_date=CLASS_ON,
            now=at(CLASS_ON),
            fields={"class_proposed_date": CLASS_ON + dt.timedelta(days=1)},
        )

    row = Candidate.objects.get(pk=candidate.pk)
    assert (row.stage, row.class_proposed_date, row.stage_entered_on) == ("S2", CLASS_ON, LISTED_ON)
    assert StageTransition.objects.count() == transitions


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_concurrent_steps_win(tree, alice) -> None:  # type: ignore[no-untyped-def]
    """Two real connections record the same step at the same moment (PostgreSQL row lock)."""
    candidate = _candidate(tree, alice, "S1")

    def record(wait):  # type: ignore[no-untyped-def]
        user = User.objects.get(pk=alice.pk)
        mine = Candidate.objects.get(pk=candidate.pk)  # both read S1 before either writes
        wait()
        services.candidate_step(
            acting_user=user,
            candidate=mine,
            step_key="propose_class",
            data=services.StepInput(on_date=CLASS_ON),
            now=at(CLASS_ON),
        )
        return "ok"

    outcomes = run_together(record)
    assert outcomes.count("ok") == 1, outcomes
    (loser,) = [o for o in outcomes if o != "ok"]
    assert isinstance(loser, services.ConcurrentStageChange | IllegalTransition), repr(loser)
    assert StageTransition.objects.filter(candidate=candidate, from_stage="S1", to_stage="S2").count() == 1
    row = Candidate.objects.get(pk=candidate.pk)
    assert (row.stage, row.class_proposed_date) == ("S2", CLASS_ON)


# --- Every step offered on the candidate page is a legal move of the table ---------------------

STEP_CASES = [
    pytest.param(step.key, stage) for step in STEPS if step.kind != "vote" for stage in sorted(step.from_stages)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("step_key", "stage"), STEP_CASES)
def test_it_never_offers_a_step_that_the_transition_table_refuses(tree, alice, step_key, stage) -> None:  # type: ignore[no-untyped-def]
    """A scan of (step, stage) pairs: the candidate is put in `stage` directly (test set-up, not
    a walk), with the dates the later steps read, and the step is recorded on 20/11/2026."""
    candidate = _candidate(tree, alice)
    Candidate.objects.filter(pk=candidate.pk).update(
        stage=stage.value,
        stage_entered_on=dt.date(2025, 1, 1),
        certificate_issue_date=dt.date(2025, 1, 1),
        decision_date=dt.date(2025, 1, 1),
        decision_received_date=dt.date(2025, 1, 1),
        ceremony_date=dt.date(2025, 1, 2),
    )
    candidate.refresh_from_db()
    day = dt.date(2026, 11, 20)

    try:
        services.candidate_step(
            acting_user=alice,
            candidate=candidate,
            step_key=step_key,
            data=services.StepInput(on_date=day, note="Lý do"),
            now=at(day),
        )
    except services.StepRefused:
        assert Candidate.objects.get(pk=candidate.pk).stage == stage.value  # refused by a rule: fine
    else:
        moved = StageTransition.objects.filter(candidate=candidate).latest("at", "pk")
        assert (moved.from_stage, moved.to_stage) == (stage.value, Candidate.objects.get(pk=candidate.pk).stage)
        assert Stage(moved.to_stage) in TRANSITIONS[stage]
