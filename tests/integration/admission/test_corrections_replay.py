"""Property: after any sequence of acts and corrections, the candidate's fields equal those replayed
from its corrected history (services.corrections.replayed_fields): no drift between the two."""

import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admission import services
from admission.devdata.demo import TIMELINE, at
from admission.models import Candidate, StageTransition
from admission.services.corrections import correctable_fields, replayed_fields
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
# forward: record the next step of the reference timeline; undo: take back the last step;
# correct: move the day of the step at `index` (modulo the history) earlier by `days`, kept in order.
ACTS = st.lists(
    st.one_of(
        st.just(("forward", 0, 0)),
        st.just(("undo", 0, 0)),
        st.tuples(st.just("correct"), st.integers(0, 30), st.integers(1, 20)),
    ),
    min_size=1,
    max_size=25,
)
LAST_STAGE = "S13"  # beyond it the timeline dates from the probation end; S0-S13 covers every kind of act


def _forward(candidate: Candidate, user, introducers) -> None:  # type: ignore[no-untyped-def]
    if candidate.stage == LAST_STAGE:
        return
    # a corrected day may now follow the timeline's next one: refused, nothing written
    with contextlib.suppress(services.StepRefused):
        TIMELINE[candidate.stage](candidate, user, introducers, START)


def _undo(candidate: Candidate, user) -> None:  # type: ignore[no-untyped-def]
    # nothing to undo, or a step that made the member: refused, nothing written
    with contextlib.suppress(services.StepRefused):
        services.step_undo(acting_user=user, candidate=candidate, reason_text="Thử hủy")


def _correct(candidate: Candidate, user, index: int, days: int) -> None:  # type: ignore[no-untyped-def]
    rows = list(StageTransition.objects.filter(candidate=candidate).order_by("at", "pk"))
    if not rows:
        return
    position = index % len(rows)
    row = rows[position]
    floor = rows[position - 1].on_date if position else START
    new_day = max(row.on_date - dt.timedelta(days=days), floor)
    names = correctable_fields(row)
    values = {name: "SỐ-" + str(days) for name in names if name.endswith("_number")}
    # nothing changed, or not a step of the table: refused, nothing written
    with contextlib.suppress(services.StepRefused):
        services.step_correct(
            acting_user=user, transition=row, reason_text="Thử đính chính", on_date=new_day, values=values
        )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(acts=ACTS)
def test_the_candidate_always_equals_its_replayed_history(tree, introducers, acts) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Hà Văn Phát", date_of_birth=dt.date(1995, 5, 5))
    candidate = services.candidate_create(acting_user=None, person=person, now=at(START))
    for kind, index, days in acts:
        candidate.refresh_from_db()
        if kind == "forward":
            _forward(candidate, None, introducers)
        elif kind == "undo":
            _undo(candidate, None)
        else:
            _correct(candidate, None, index, days)
        candidate.refresh_from_db()
        replayed = replayed_fields(candidate)
        for name, value in replayed.items():
            if name == "stage_entered_on" and value is None:
                continue  # no step yet: the day the candidate was created
            assert getattr(candidate, name) == value, (name, acts)
