"""Transfers (HD06 3.9): the checks, the route of the dossier and the two 30-working-day limits,
with dates worked out by hand on the calendar of the `holidays` package (Tết 2026: 16-20/02;
2025: Sat 26/04 worked, Fri 02/05 off in exchange; 01-02/09/2025 National Day)."""

from dataclasses import replace
from datetime import date

import pytest

from admission.domain.calendar import WorkingCalendar
from admission.domain.deadlines import transfer_decision_deadline, transfer_keeps_decision_until
from admission.domain.reasons import format_reason
from admission.domain.rules import QD294
from admission.domain.stages import REQUIRES_REASON, TRANSFER_MOVES, Stage, can_transition
from admission.domain.transfers import (
    DOSSIER_SENT_UP,
    NOT_TRANSFERABLE,
    ROUTE_TARGET,
    TransferFacts,
    TransferRoute,
    check_transfer,
    transfer_route,
)

CAL = WorkingCalendar()
S = Stage
FACTS = TransferFacts(
    stage=S.S13,
    stage_entered_on=date(2025, 10, 30),
    on_date=date(2025, 11, 10),
    today=date(2025, 11, 12),
    note="Chuyển công tác về Sở Xây dựng",
    from_branch=1,
    to_branch=2,
    to_name="Chi bộ B",
    to_is_branch=True,
    same_province=True,
)


def test_it_decides_within_30_working_days_of_receiving_the_dossier_across_tet() -> None:
    # Mon 02/02/2026: Feb 3-6 = 4, Feb 9-13 = 9, Tết 16-20 off, Feb 23-27 = 14, Mar 2-6 = 19,
    # Mar 9-13 = 24, Mar 16-20 = 29, Mon 23/03 = 30.
    result = transfer_decision_deadline(received_date=date(2026, 2, 2), calendar=CAL)
    assert (result.day, result.kind, result.rule.point, result.rule_set_code) == (
        date(2026, 3, 23),
        "deadline",
        "HD06 3.9b",
        "QD294",
    )
    assert result.rule == QD294.ref("transfer_decision_wd")


def test_it_counts_the_make_up_saturday_and_skips_the_swap_day() -> None:
    # Fri 18/04/2025: Apr 21-25 = 5, Sat 26/04 worked = 6, Apr 28-29 = 8; 30/04, 01/05 holidays and
    # 02/05 swapped off; May 5-9 = 13, 12-16 = 18, 19-23 = 23, 26-30 = 28, Jun 2 = 29, Tue 03/06 = 30.
    assert transfer_decision_deadline(received_date=date(2025, 4, 18), calendar=CAL).day == date(2025, 6, 3)


def test_it_starts_after_a_holiday_received_date() -> None:
    # Mon 01/09/2025 (National Day): Sep 3-5 = 3, 8-12 = 8, 15-19 = 13, 22-26 = 18,
    # Sep 29-Oct 3 = 23, Oct 6-10 = 28, Oct 13 = 29, Tue 14/10 = 30.
    assert transfer_decision_deadline(received_date=date(2025, 9, 1), calendar=CAL).day == date(2025, 10, 14)


def test_a_move_keeps_the_decision_for_30_working_days() -> None:
    # Mon 15/09/2025: Sep 16-19 = 4, 22-26 = 9, Sep 29-Oct 3 = 14, Oct 6-10 = 19, 13-17 = 24,
    # 20-24 = 29, Mon 27/10 = 30 (a validity limit: the last day that keeps it).
    result = transfer_keeps_decision_until(decision_date=date(2025, 9, 15), calendar=CAL)
    assert (result.day, result.kind, result.rule.point) == (date(2025, 10, 27), "validity", "HD06 3.9c")


def test_a_province_may_override_the_periods() -> None:
    rules = QD294.with_overrides({"transfer_decision_wd": 15}, label="HN02 9.9")
    # Mon 02/02/2026: Feb 3-6 = 4, 9-13 = 9, Tết, Feb 23-27 = 14, Mon 02/03 = 15.
    result = transfer_decision_deadline(received_date=date(2026, 2, 2), calendar=CAL, rules=rules)
    assert (result.day, result.rule.point) == (date(2026, 3, 2), "HN02 9.9")


@pytest.mark.parametrize("stage", sorted(DOSSIER_SENT_UP))
def test_a_dossier_that_went_up_is_decided_at_the_destination(stage: Stage) -> None:
    route = transfer_route(stage=stage, on_date=date(2025, 9, 1), decision_date=None, calendar=CAL)
    assert route is TransferRoute.DECISION_AT_DESTINATION
    assert ROUTE_TARGET[route] is S.S10
    assert can_transition(stage, S.S10)


@pytest.mark.parametrize("stage", [S.S1, S.S5, S.S8, S.S12, S.S13, S.S16, S.SY, S.SZ])
def test_the_destination_branch_goes_on_from_the_same_stage(stage: Stage) -> None:
    route = transfer_route(stage=stage, on_date=date(2025, 9, 1), decision_date=date(2025, 8, 1), calendar=CAL)
    assert route is TransferRoute.MOVE
    assert route not in ROUTE_TARGET


@pytest.mark.parametrize(
    ("on_date", "route"),
    [
        (date(2025, 9, 15), TransferRoute.CEREMONY_AT_DESTINATION),  # the day of the decision
        (date(2025, 10, 27), TransferRoute.CEREMONY_AT_DESTINATION),  # the 30th working day
        (date(2025, 10, 28), TransferRoute.ANNUL),  # the 31st
    ],
)
def test_after_the_decision_it_is_kept_within_30_working_days_else_annulled(
    on_date: date, route: TransferRoute
) -> None:
    assert transfer_route(stage=S.S11, on_date=on_date, decision_date=date(2025, 9, 15), calendar=CAL) is route
    assert ROUTE_TARGET.get(route, S.S11) in {S.S11, S.SZ}
    assert can_transition(S.S11, S.SZ)


def test_a_decision_without_its_date_is_kept() -> None:
    route = transfer_route(stage=S.S11, on_date=date(2026, 1, 5), decision_date=None, calendar=CAL)
    assert route is TransferRoute.CEREMONY_AT_DESTINATION


def test_the_transfer_moves_need_a_reason() -> None:
    assert TRANSFER_MOVES <= REQUIRES_REASON
    assert all(can_transition(source, target) for source, target in TRANSFER_MOVES)


def test_it_accepts_a_transfer_on_the_day_the_stage_began_and_today() -> None:
    assert check_transfer(FACTS).ok
    assert check_transfer(replace(FACTS, on_date=FACTS.stage_entered_on)).ok
    assert check_transfer(replace(FACTS, on_date=FACTS.today)).ok


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        ({"note": "  "}, ["transfer_reason_required"]),
        ({"on_date": date(2025, 11, 13)}, ["transfer_date_in_future"]),
        ({"on_date": date(2025, 10, 29)}, ["transfer_date_before_stage"]),
        ({"to_is_branch": False}, ["transfer_target_not_branch"]),
        ({"to_branch": 1}, ["transfer_same_branch"]),
        ({"same_province": False, "to_is_branch": False}, ["transfer_target_outside_province"]),
        ({"stage": S.S0}, ["transfer_stage_not_allowed"]),
        ({"stage": S.S17}, ["transfer_stage_not_allowed"]),
        (
            {"stage": S.SX, "note": "", "to_branch": 1},
            ["transfer_stage_not_allowed", "transfer_reason_required", "transfer_same_branch"],
        ),
    ],
)
def test_it_refuses_with_reasons(changes: dict[str, object], codes: list[str]) -> None:
    result = check_transfer(replace(FACTS, **changes))  # type: ignore[arg-type]
    assert not result.ok
    assert list(result.codes) == codes
    assert {r.rule for r in result.reasons} == {"HD06 3.9"}
    for item in result.reasons:  # every message is written in both languages
        assert format_reason(item, "vi") and format_reason(item, "en")


def test_only_the_open_candidacies_move() -> None:
    assert {S.S0, S.S17, S.SX} == NOT_TRANSFERABLE
