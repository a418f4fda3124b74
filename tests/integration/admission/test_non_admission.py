"""Leaving before a decision: the deciding committee decides not to admit (QĐ294 4.3.1, the result
yes or no goes back to the proposing branch) and the person returns to the sympathiser list (S1),
from which the branch may propose them again; or the person withdraws, which the branch records
from any stage before a decision (S1-S10).

Reference timeline (admission.devdata.demo, START 06/01/2025): branch vote 05/08/2025, grassroots
resolution 20/08/2025 (S10 from then), decision 15/09/2025.
"""

import datetime as dt

import pytest

from admission import services
from admission.devdata.demo import at, walk_to
from admission.domain.stages import IllegalTransition
from admission.models import Candidate, Notification
from admission.workflow import steps_for
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
DAY = dt.date(2025, 9, 10)


def _waiting(tree, alice, introducers, stage: str = "S10") -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Hà Thị Chờ", date_of_birth=dt.date(1998, 4, 4))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, stage, user=alice, introducers=introducers, start=START)


def _reject(user, candidate: Candidate, note: str = "Chưa đủ tiêu chuẩn chính trị", yes: int | None = 2) -> None:  # type: ignore[no-untyped-def]
    vote = services.VoteCounts(summoned=5, yes=yes, no=5 - yes) if yes is not None else None
    services.candidate_step(
        acting_user=user,
        candidate=candidate,
        step_key="reject",
        data=services.StepInput(on_date=DAY, note=note, vote=vote),
        now=at(DAY),
    )


def _codes(refused: pytest.ExceptionInfo[services.StepRefused]) -> list[str]:
    return [r.code for r in refused.value.reasons]


def test_only_the_deciding_committee_decides_not_to_admit_and_the_branch_is_told(
    tree, alice, carol, gina, introducers
) -> None:  # type: ignore[no-untyped-def]
    candidate = _waiting(tree, alice, introducers)
    for intruder in (alice, carol):
        with pytest.raises(services.StepRefused) as refused:
            _reject(intruder, candidate)
        assert _codes(refused) == ["level_not_due"]
    with pytest.raises(services.StepRefused) as refused:
        _reject(gina, candidate, note=" ")
    assert _codes(refused) == ["note_required"]
    # A vote that reached > 1/2 is an admission, not a refusal: nothing is written.
    with pytest.raises(services.StepRefused) as refused:
        _reject(gina, candidate, yes=3)
    assert _codes(refused) == ["vote_threshold_reached"]
    assert not candidate.votes.filter(purpose="admission", body="STANDING_COMMITTEE").exists()

    _reject(gina, candidate)
    candidate.refresh_from_db()
    assert candidate.stage == "S1"
    transition = candidate.transitions.order_by("-pk").first()
    assert transition is not None
    assert (transition.from_stage, transition.to_stage, transition.note, transition.acting_user) == (
        "S10",
        "S1",
        "Chưa đủ tiêu chuẩn chính trị",
        gina,
    )
    assert list(candidate.votes.filter(body="STANDING_COMMITTEE").values_list("purpose", "yes", "passed")) == [
        ("admission", 2, False)
    ]
    # The branch's secretary is notified, with the reason.
    notice = Notification.objects.get(user=alice, candidate=candidate, key=f"stage:{transition.pk}")
    assert "không kết nạp" in notice.text_vi and "Chưa đủ tiêu chuẩn chính trị" in notice.text_vi
    assert "not to admit" in notice.text_en
    # The history keeps the earlier resolutions; the branch may propose the person again.
    assert candidate.branch_resolution_date == dt.date(2025, 8, 5)
    assert [s.key for s in steps_for(candidate.stage_enum) if services.may_record(alice, candidate, s)] == [
        "propose_class",
        "certificate",
        "drop",
        "withdraw",
    ]
    services.candidate_step(
        acting_user=alice,
        candidate=candidate,
        step_key="propose_class",
        data=services.StepInput(on_date=DAY + dt.timedelta(days=20)),
        now=at(DAY + dt.timedelta(days=20)),
    )
    candidate.refresh_from_db()
    assert candidate.stage == "S2"


@pytest.mark.parametrize("stage", ["S3", "S8", "S9", "S10"])
def test_the_branch_records_a_withdrawal_before_any_decision(tree, alice, introducers, stage: str) -> None:  # type: ignore[no-untyped-def]
    candidate = _waiting(tree, alice, introducers, stage=stage)
    with pytest.raises(services.StepRefused) as refused:
        services.candidate_step(
            acting_user=alice,
            candidate=candidate,
            step_key="withdraw",
            data=services.StepInput(on_date=DAY),
            now=at(DAY),
        )
    assert _codes(refused) == ["note_required"]
    services.candidate_step(
        acting_user=alice,
        candidate=candidate,
        step_key="withdraw",
        data=services.StepInput(on_date=DAY, note="Đơn xin rút vì lý do gia đình"),
        now=at(DAY),
    )
    candidate.refresh_from_db()
    assert candidate.stage == "S0"
    assert candidate.transitions.order_by("-pk").first().note == "Đơn xin rút vì lý do gia đình"  # type: ignore[union-attr]


def test_no_withdrawal_once_a_decision_exists(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _waiting(tree, alice, introducers, stage="S11")
    with pytest.raises(IllegalTransition):
        services.candidate_step(
            acting_user=alice,
            candidate=candidate,
            step_key="withdraw",
            data=services.StepInput(on_date=DAY, note="Xin rút"),
            now=at(DAY),
        )
