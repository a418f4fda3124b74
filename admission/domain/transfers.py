"""Transfers: a candidate or probationer who moves to another branch (chuyển sinh hoạt, HD06 3.9, 3.10).

What may be recorded (:func:`check_transfer`) and what becomes of the dossier (:func:`transfer_route`):

- before the dossier went up (S1-S8) and during probation (S12-S16, SY) the destination branch
  goes on from the same stage; the awareness certificate travels with the person, and the new
  branch assigns a helper without the 12-month condition (HD06 3.9a, 3.10);
- a dossier that had gone up (S8A, S9, S10) is decided by the destination's competent committee
  within 30 WD of receiving it (HD06 3.9b): the candidate moves to S10 at the destination;
- after the admission decision, before the ceremony (S11): a move within 30 WD of the decision
  keeps it, and the ceremony is held at the destination; a later one annuls it and the dossier
  is sent on for a new decision (S11 -> SZ, then the existing annulment steps; HD06 3.9c).
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from admission.domain.calendar import WorkingCalendar
from admission.domain.deadlines import transfer_keeps_decision_until
from admission.domain.reasons import CheckResult, Reason, reason
from admission.domain.rules import RuleSet
from admission.domain.stages import Stage

RULE = "HD06 3.9"
# Not on the sympathiser list yet (S0), or the candidacy is over (S17 official, SX removed).
NOT_TRANSFERABLE: frozenset[Stage] = frozenset({Stage.S0, Stage.S17, Stage.SX})
# The dossier is with a committee above the branch, before any decision (HD06 3.9b).
DOSSIER_SENT_UP: frozenset[Stage] = frozenset({Stage.S8A, Stage.S9, Stage.S10})


@dataclass(frozen=True)
class TransferFacts:
    """What a transfer is checked against: the candidate's stage, the day, the reason, the target."""

    stage: Stage
    stage_entered_on: date
    on_date: date
    today: date
    note: str
    from_branch: int
    to_branch: int
    to_name: str
    to_is_branch: bool
    same_province: bool


def check_transfer(facts: TransferFacts) -> CheckResult:
    """The reasons against recording the transfer (all of them, HD06 3.9)."""
    found: list[Reason] = []
    if facts.stage in NOT_TRANSFERABLE:
        found.append(reason("transfer_stage_not_allowed", RULE, stage=facts.stage.value))
    if not facts.note.strip():
        found.append(reason("transfer_reason_required", RULE))
    if facts.on_date > facts.today:
        found.append(reason("transfer_date_in_future", RULE, day=facts.on_date))
    elif facts.on_date < facts.stage_entered_on:
        found.append(reason("transfer_date_before_stage", RULE, day=facts.on_date, stage_day=facts.stage_entered_on))
    if not facts.same_province:
        found.append(reason("transfer_target_outside_province", RULE))
    elif not facts.to_is_branch:
        found.append(reason("transfer_target_not_branch", RULE, name=facts.to_name))
    elif facts.to_branch == facts.from_branch:
        found.append(reason("transfer_same_branch", RULE, name=facts.to_name))
    return CheckResult.from_reasons(found)


class TransferRoute(StrEnum):
    """What becomes of the dossier when its person moves."""

    MOVE = "move"  # the destination branch goes on from the same stage (HD06 3.9a, 3.10)
    DECISION_AT_DESTINATION = "decision_at_destination"  # S8A/S9/S10 -> S10 there (HD06 3.9b)
    CEREMONY_AT_DESTINATION = "ceremony_at_destination"  # S11 kept: the ceremony is held there (HD06 3.9c)
    ANNUL = "annul"  # S11 -> SZ: the decision is annulled, the dossier sent on (HD06 3.9c)


# The stage each route leads to; the others stay at their stage.
ROUTE_TARGET: dict[TransferRoute, Stage] = {
    TransferRoute.DECISION_AT_DESTINATION: Stage.S10,
    TransferRoute.ANNUL: Stage.SZ,
}


def transfer_route(
    *, stage: Stage, on_date: date, decision_date: date | None, calendar: WorkingCalendar, rules: RuleSet | None = None
) -> TransferRoute:
    """Where the dossier goes when its person moves on `on_date` from `stage` (HD06 3.9b-c).

    At S11 the move is compared with the last day it keeps the decision (30 WD after
    `decision_date`, :func:`admission.domain.deadlines.transfer_keeps_decision_until`).
    """
    if stage in DOSSIER_SENT_UP:
        return TransferRoute.DECISION_AT_DESTINATION
    if stage != Stage.S11:
        return TransferRoute.MOVE
    if decision_date is None:  # S11 is entered with a decision; an imported row may lack its date
        return TransferRoute.CEREMONY_AT_DESTINATION
    keeps_until = transfer_keeps_decision_until(decision_date=decision_date, calendar=calendar, rules=rules)
    return TransferRoute.CEREMONY_AT_DESTINATION if on_date <= keeps_until.day else TransferRoute.ANNUL
