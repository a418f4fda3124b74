from dataclasses import fields
from datetime import date

import pytest

from admission.domain.rules import (
    PARAMETER_KEYS,
    QD24,
    QD232,
    QD294,
    RULE_SETS,
    InvalidRuleParameterValue,
    NoRuleSetInForce,
    RuleBook,
    RuleSet,
    UnknownRuleParameter,
    rule_set_for,
)

HN = "Hà Nội HN02 2.1.4"


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (date(2021, 7, 30), "QD24"),
        (date(2025, 1, 19), "QD24"),
        (date(2025, 1, 20), "QD232"),
        (date(2025, 6, 30), "QD232"),
        (date(2025, 7, 1), "QD294"),
        (date(2030, 1, 1), "QD294"),
    ],
)
def test_it_picks_the_rule_set_in_force_on_the_trigger_date(day: date, code: str) -> None:
    assert rule_set_for(day).code == code


def test_it_has_no_rule_set_before_qd24() -> None:
    with pytest.raises(NoRuleSetInForce) as caught:
        rule_set_for(date(2021, 7, 29))
    assert caught.value.day == date(2021, 7, 29)


def test_it_keeps_the_periods_contiguous() -> None:
    ordered = sorted(RULE_SETS, key=lambda r: r.effective_from)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        assert earlier.effective_to is not None
        assert (later.effective_from - earlier.effective_to).days == 1
    assert ordered[-1].effective_to is None


def test_it_holds_the_rules_13_values() -> None:
    expected = {
        "age_min_months": 216,
        "age_max_months_without_approval": 720,
        "cert_validity_months": 60,
        "dossier_validity_months": 12,
        "verify_reply_wd_domestic": 30,
        "verify_reply_wd_abroad": 90,
        "decision_wd": 45,
        "decision_ext_wd": 15,
        "ceremony_wd": 30,
        "member_records_wd": 30,
        "probation_months": 12,
        "recognition_branch_wd": 30,
        "recognition_decision_wd": 30,
        "recognition_ext_wd": 15,
        "deadlock_votes": 3,
        "readmit_wait_months": 36,
        "readmit_wait_months_after_expungement": 60,
        "complaint_wd": 30,
        "mentor_together_months": 12,
        "transfer_decision_wd": 30,
        "transfer_forward_wd": 15,
        "reconsideration_wd": 60,
        "transfer_ceremony_wd": 30,
        "age_counts_day": False,
    }
    assert set(PARAMETER_KEYS) == set(expected)
    assert {key: QD294.value(key) for key in PARAMETER_KEYS} == expected
    assert {f.name for f in fields(RuleSet)} >= set(PARAMETER_KEYS)
    assert QD294.title == "QĐ294-QĐ/TW + HD06-HD/TW + HD38-HD/BTCTW"


def test_it_keeps_the_older_decision_deadlines() -> None:
    assert (QD232.decision_wd, QD232.decision_ext_wd) == (60, 30)
    assert (QD24.decision_wd, QD24.decision_ext_wd) == (60, 30)
    assert QD232.ceremony_wd == 30


@pytest.mark.parametrize(
    ("rule_set", "key", "point"),
    [
        (QD294, "decision_wd", "QĐ294 4.3.1"),
        (QD294, "cert_validity_months", "HD06 5.4b"),
        (QD294, "member_records_wd", "HD38 I.2.2"),
        (QD294, "probation_months", "ĐL 5.1; QĐ294 4.2.2"),
        (QD232, "decision_wd", "QĐ232 4.3.1"),
        (QD232, "dossier_validity_months", "HD01 5.4a"),
        (QD24, "member_records_wd", "HD12 I.2.2"),
        (QD24, "readmit_wait_months", "QĐ24 3.5.1b"),
    ],
)
def test_it_cites_the_point_of_its_own_documents(rule_set: RuleSet, key: str, point: str) -> None:
    assert rule_set.ref(key).point == point


def test_it_puts_the_value_in_the_description() -> None:
    ref = QD294.ref("decision_wd")
    assert ref.key == "decision_wd"
    assert "45 ngày làm việc" in ref.description_vi
    assert "45 working days" in ref.description_en
    assert QD294.ref("age_counts_day").description_en.endswith(": no")
    assert QD294.ref("age_counts_day").description_vi.endswith(": không")


def test_it_cites_an_override_by_its_label() -> None:
    hanoi = QD294.with_overrides({"recognition_decision_wd": 15}, label=HN)
    ref = hanoi.ref("recognition_decision_wd")
    assert hanoi.recognition_decision_wd == 15
    assert ref.point == HN
    assert "15 ngày làm việc" in ref.description_vi
    assert "QĐ294 4.3.1" in ref.description_vi
    assert "instead of QĐ294 4.3.1" in ref.description_en
    # Parameters not overridden keep their own citation, and the base set is unchanged.
    assert hanoi.ref("recognition_ext_wd").point == "QĐ294 4.3.1"
    assert QD294.recognition_decision_wd == 30
    assert hanoi.code == "QD294"
    assert hanoi.overrides == (("recognition_decision_wd", HN),)


def test_it_replaces_the_label_of_a_key_overridden_twice() -> None:
    first = QD294.with_overrides({"decision_wd": 40, "ceremony_wd": 20}, label="A")
    second = first.with_overrides({"decision_wd": 35}, label="B")
    assert second.overrides == (("ceremony_wd", "A"), ("decision_wd", "B"))
    assert second.ref("decision_wd").point == "B"


def test_it_overrides_the_age_switch_with_a_bool() -> None:
    counted = QD294.with_overrides({"age_counts_day": True}, label="Tỉnh X")
    assert counted.age_counts_day is True
    assert ": yes (local rule" in counted.ref("age_counts_day").description_en
    assert ": có (quy định riêng" in counted.ref("age_counts_day").description_vi


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"decision_days": 10}, UnknownRuleParameter),
        ({"code": 1}, UnknownRuleParameter),
        ({"decision_wd": -1}, InvalidRuleParameterValue),
        ({"decision_wd": True}, InvalidRuleParameterValue),
        ({"decision_wd": "45"}, InvalidRuleParameterValue),
        ({"age_counts_day": 1}, InvalidRuleParameterValue),
    ],
)
def test_it_refuses_bad_overrides(overrides: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        QD294.with_overrides(overrides, label=HN)  # type: ignore[arg-type]
    assert issubclass(error, ValueError)


def test_it_needs_a_label_for_an_override() -> None:
    with pytest.raises(ValueError, match="label"):
        QD294.with_overrides({"decision_wd": 30}, label="  ")


def test_it_refuses_to_cite_an_unknown_key() -> None:
    with pytest.raises(UnknownRuleParameter):
        QD294.ref("title")


def test_it_is_hashable() -> None:
    assert hash(QD294) != hash(QD294.with_overrides({"decision_wd": 30}, label=HN))


def test_a_rule_book_without_overrides_gives_the_national_set_in_force() -> None:
    book = RuleBook()
    assert book.for_date(date(2026, 1, 1)) == QD294
    assert book.for_date(date(2025, 3, 1)) == QD232
    assert book.for_date(date(2021, 7, 30)) == QD24


def test_a_rule_book_applies_an_override_from_its_effective_date() -> None:
    book = RuleBook(overrides=((date(2026, 1, 1), "recognition_decision_wd", 15, HN),))
    assert book.for_date(date(2025, 12, 31)) == QD294  # not yet in force the day before
    on_the_day = book.for_date(date(2026, 1, 1))
    assert on_the_day.recognition_decision_wd == 15
    assert on_the_day.overrides == (("recognition_decision_wd", HN),)
    assert on_the_day.ref("recognition_decision_wd").point == HN
    assert on_the_day.decision_wd == QD294.decision_wd


def test_a_rule_book_applies_the_latest_override_of_a_key_in_force() -> None:
    # Listed newest first: the book orders them by effective date.
    book = RuleBook(
        overrides=(
            (date(2026, 1, 1), "decision_wd", 30, "B"),
            (date(2025, 8, 1), "decision_wd", 40, "A"),
            (date(2025, 8, 1), "ceremony_wd", 20, "A"),
        )
    )
    assert book.for_date(date(2025, 7, 31)) == QD294
    autumn = book.for_date(date(2025, 9, 1))
    assert (autumn.decision_wd, autumn.ceremony_wd) == (40, 20)
    assert autumn.ref("decision_wd").point == "A"
    later = book.for_date(date(2026, 6, 1))
    assert (later.decision_wd, later.ceremony_wd) == (30, 20)
    assert later.ref("decision_wd").point == "B"
    assert dict(later.overrides) == {"decision_wd": "B", "ceremony_wd": "A"}


def test_a_rule_book_puts_the_overrides_on_the_set_of_the_day() -> None:
    book = RuleBook(overrides=((date(2024, 1, 1), "ceremony_wd", 20, HN),))
    old = book.for_date(date(2024, 6, 1))
    assert (old.code, old.ceremony_wd, old.decision_wd) == ("QD24", 20, 60)
    new = book.for_date(date(2025, 7, 1))
    assert (new.code, new.ceremony_wd, new.decision_wd) == ("QD294", 20, 45)


def test_a_rule_book_reads_a_day_before_the_oldest_set_with_the_oldest_set() -> None:
    day = date(2019, 5, 1)  # e.g. an old awareness-class certificate
    assert RuleBook().for_date(day) == QD24
    book = RuleBook(
        overrides=(
            (date(2019, 1, 1), "cert_validity_months", 48, HN),
            (date(2019, 6, 1), "dossier_validity_months", 6, HN),  # after the day
        )
    )
    found = book.for_date(day)
    assert found.code == "QD24"
    assert (found.cert_validity_months, found.dossier_validity_months) == (48, QD24.dossier_validity_months)
