"""admission.dates.StageDeadlines: the deadline of the step in progress, kept per process for each
calendar and rule book, is the one computed from the candidate's dates, for every stage, with or
without overrides, the first time and from the memo."""

import datetime as dt
import random
from dataclasses import dataclass

from admission import dates as date_rules
from admission.domain.calendar import WorkingCalendar
from admission.domain.rules import RuleBook
from admission.domain.stages import Stage

FIELDS = [
    "certificate_issue_date",
    "dossier_start_date",
    "branch_resolution_date",
    "decision_received_date",
    "ceremony_date",
    "recognition_branch_date",
    "removal_date",
    "transfer_received_date",
    "transferred_on",
    "reconsideration_requested_date",
]


@dataclass
class Dates:
    certificate_issue_date: dt.date | None = None
    dossier_start_date: dt.date | None = None
    branch_resolution_date: dt.date | None = None
    deadline_extended: bool = False
    decision_received_date: dt.date | None = None
    ceremony_date: dt.date | None = None
    recognition_branch_date: dt.date | None = None
    removal_date: dt.date | None = None
    transfer_received_date: dt.date | None = None
    transferred_on: dt.date | None = None
    reconsideration_requested_date: dt.date | None = None


def _random_dates(rng: random.Random) -> Dates:
    day = lambda: dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 8 * 365))  # noqa: E731
    found = Dates(deadline_extended=rng.random() < 0.3)
    for name in FIELDS:
        if rng.random() < 0.6:
            setattr(found, name, day())
    return found


CALENDARS = [
    WorkingCalendar(),
    WorkingCalendar(
        extra_days_off=frozenset({dt.date(2024, 5, 6), dt.date(2025, 9, 3)}),
        extra_working_days=frozenset({dt.date(2024, 5, 4)}),
    ),
]
RULEBOOKS = [
    RuleBook(),
    RuleBook(overrides=((dt.date(2024, 1, 1), "decision_wd", 30, "Quy định riêng 1/2024"),)),
]


def test_the_kept_deadline_is_the_computed_one() -> None:
    rng = random.Random(18)  # noqa: S311 - test data
    candidates = [_random_dates(rng) for _ in range(400)]
    for calendar in CALENDARS:
        for rulebook in RULEBOOKS:
            for _round in range(2):  # the second round from the memo
                deadlines = date_rules.StageDeadlines(calendar, rulebook)
                for candidate in candidates:
                    for stage in Stage:
                        expected = date_rules.stage_deadline(
                            stage, date_rules.candidate_dates(candidate, calendar=calendar, rulebook=rulebook)
                        )
                        assert deadlines.of(stage, candidate) == expected, (stage, candidate)


def test_another_calendar_or_rule_book_is_never_answered_from_the_first_ones_memo() -> None:
    candidate = Dates(branch_resolution_date=dt.date(2025, 8, 1))
    plain = date_rules.StageDeadlines(WorkingCalendar(), RuleBook()).of(Stage.S9, candidate)
    day_off = WorkingCalendar(extra_days_off=frozenset({dt.date(2025, 8, 4)}))
    later = date_rules.StageDeadlines(day_off, RuleBook()).of(Stage.S9, candidate)
    shorter = date_rules.StageDeadlines(
        WorkingCalendar(), RuleBook(overrides=((dt.date(2024, 1, 1), "decision_wd", 30, "QĐ riêng"),))
    ).of(Stage.S9, candidate)
    assert plain is not None and later is not None and shorter is not None
    assert later.day > plain.day > shorter.day
    assert shorter.rule.point == "QĐ riêng" and plain.rule.point != "QĐ riêng"
    # The same calendar again, as another equal value: the same (kept) answer.
    again = date_rules.StageDeadlines(WorkingCalendar(extra_days_off=frozenset({dt.date(2025, 8, 4)})), RuleBook())
    assert again.of(Stage.S9, candidate) == later


def test_the_memo_is_bounded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(date_rules, "MEMO_MAX", 10)
    date_rules._MEMOS.clear()
    rulebook = RuleBook()
    for offset in range(30):  # many calendars
        calendar = WorkingCalendar(extra_days_off=frozenset({dt.date(2030, 1, 1) + dt.timedelta(days=offset)}))
        deadlines = date_rules.StageDeadlines(calendar, rulebook)
        for day in range(5):
            deadlines.of(Stage.S9, Dates(branch_resolution_date=dt.date(2025, 1, 1) + dt.timedelta(days=day)))
        assert sum(len(memo) for _calendar, memo in date_rules._MEMOS.values()) <= 2 * 10
    deadlines = date_rules.StageDeadlines(WorkingCalendar(), rulebook)
    for day in range(100):  # many dates under one calendar
        candidate = Dates(branch_resolution_date=dt.date(2025, 1, 1) + dt.timedelta(days=day))
        expected = date_rules.stage_deadline(
            Stage.S9, date_rules.candidate_dates(candidate, calendar=WorkingCalendar(), rulebook=rulebook)
        )
        assert deadlines.of(Stage.S9, candidate) == expected
        assert sum(len(memo) for _calendar, memo in date_rules._MEMOS.values()) <= 2 * 10
