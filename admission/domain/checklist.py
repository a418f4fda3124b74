"""A dossier checklist item that a step ticked automatically, taken back when the step is undone
(services.corrections.step_undo; docs/decisions.md "Undo takes back the dossier ticks of the step").

Pure: the caller reads the item's history into `ItemState`s, newest first, and writes the state
`state_before_tick` returns, or deletes the item (its history keeps it) when it returns None.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

# The values of admission.models.DossierItem.Status (a unit test keeps them equal).
RECEIVED = "received"
RETURNED = "returned"


@dataclass(frozen=True)
class ItemState:
    """One state of a dossier item: held or returned, its date, what ticked it ("": a user entered it)
    and its note; `deleted` for the history row of its deletion."""

    status: str
    issued_on: dt.date
    ticked_by: str = ""
    note: str = ""
    deleted: bool = False


def state_before_tick(history: Iterable[ItemState], *, source: str, before: dt.date | None) -> ItemState | None:
    """The state a dossier item goes back to when the step `source`, which ticked it, is undone.

    `history` holds the item's states newest first, the current one (the step's tick, or its
    correction) first; `before` is the date the undo gives back to the field the step wrote.
    The states that are the step's tick or its corrections (held, ticked by `source`, dated otherwise
    than `before`) are skipped; the first other one is the state before the tick. Then:
    - a document returned before the tick is returned again (the tick had completed it);
    - otherwise, when the field gets a date back (an earlier visit of the same step wrote it), the item
      is held with that date, as the tick of that date makes it;
    - otherwise the state before the tick, or None (the tick made the item: it goes) when there was
      none or it was a deletion.
    """
    prior = next(
        (
            state
            for state in history
            if not (state.status == RECEIVED and state.ticked_by == source and state.issued_on != before)
        ),
        None,
    )
    if prior is not None and prior.deleted:
        prior = None
    if prior is not None and prior.status == RETURNED:
        return prior
    if before is not None:
        return ItemState(status=RECEIVED, issued_on=before, ticked_by=source)
    return prior
