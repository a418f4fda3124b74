"""The state a dossier item goes back to when the step that ticked it is undone (domain.checklist)."""

import datetime as dt

import pytest

from admission.domain.checklist import RECEIVED, RETURNED, ItemState, state_before_tick
from admission.models import DossierItem

D1, D2, D3 = dt.date(2025, 3, 1), dt.date(2025, 3, 20), dt.date(2025, 3, 18)
TICK = ItemState(RECEIVED, D2, "certificate")
CORRECTED = ItemState(RECEIVED, D3, "certificate")
USER_RETURNED = ItemState(RETURNED, D1, "", "mờ")
GENERATED = ItemState(RECEIVED, D1, "generated:certificate")
FIRST_VISIT = ItemState(RECEIVED, D1, "certificate")


def test_the_statuses_are_the_models() -> None:
    assert (DossierItem.Status.RECEIVED.value, DossierItem.Status.RETURNED.value) == (RECEIVED, RETURNED)


@pytest.mark.parametrize(
    ("history", "before", "expected"),
    [
        # The tick made the item (and a correction moved it): it goes.
        ([TICK], None, None),
        ([CORRECTED, TICK], None, None),
        # A deletion before the tick: nothing to go back to.
        ([TICK, ItemState(RECEIVED, D1, "", deleted=True)], None, None),
        # Returned before the tick: returned again, whatever date the field gets back.
        ([TICK, USER_RETURNED], None, USER_RETURNED),
        ([TICK, USER_RETURNED, FIRST_VISIT], D1, USER_RETURNED),
        (
            [TICK, ItemState(RETURNED, D1, "certificate", "thiếu"), FIRST_VISIT],
            D1,
            ItemState(RETURNED, D1, "certificate", "thiếu"),
        ),
        # Ticked by another source before: back to it.
        ([TICK, GENERATED], None, GENERATED),
        # The field gets a date back (an earlier visit of the step): held with it.
        ([TICK, FIRST_VISIT], D1, FIRST_VISIT),
        ([TICK, FIRST_VISIT, USER_RETURNED], D1, FIRST_VISIT),  # an older return is not the state before
        ([TICK], D1, FIRST_VISIT),
        ([TICK, GENERATED], D1, FIRST_VISIT),
    ],
)
def test_it_finds_the_state_before_the_tick(
    history: list[ItemState], before: dt.date | None, expected: ItemState | None
) -> None:
    assert state_before_tick(iter(history), source="certificate", before=before) == expected
