"""Corrections of recorded facts (issue 14; docs/decisions.md "Corrections"): by the body that
recorded them while no later act rests on them, by a committee above after that; a reason always;
the original kept; deadlines, the probation end and the membership row following."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from admission import services
from admission.devdata.demo import TIMELINE, at, walk_to
from admission.models import Candidate, Correction, Mentorship, StageTransition, Vote
from admission.services.corrections import replayed_fields
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)  # the reference timeline: ceremony 03/10/2025, probation review 05/10/2026


def _candidate(tree, alice, introducers, stage: str) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Đặng Văn Sửa", date_of_birth=dt.date(1996, 4, 1))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, stage, user=alice, introducers=introducers, start=START)


def _transition(candidate: Candidate, step_key: str) -> StageTransition:
    return StageTransition.objects.get(candidate=candidate, step_key=step_key)


def _codes(refused: pytest.ExceptionInfo[services.StepRefused]) -> list[str]:
    return [r.code for r in refused.value.reasons]


def _assert_replays(candidate: Candidate) -> None:
    candidate.refresh_from_db()
    for name, value in replayed_fields(candidate).items():
        if name == "stage_entered_on" and value is None:
            continue  # no step left: the day the candidate was created (checked where it matters)
        assert getattr(candidate, name) == value, name


def test_a_wrong_ceremony_date_is_corrected_with_the_probation_end_and_membership_following(  # type: ignore[no-untyped-def]
    tree, alice, carol, introducers
) -> None:
    candidate = _candidate(tree, alice, introducers, "S14")  # the probation review is recorded: official date set
    assert (candidate.ceremony_date, candidate.official_date) == (dt.date(2025, 10, 3), dt.date(2026, 10, 3))
    ceremony = _transition(candidate, "ceremony")

    # The branch recorded the ceremony, but a later step (records, probation review) rests on it.
    with pytest.raises(services.StepRefused) as refused:
        services.step_correct(
            acting_user=alice, transition=ceremony, reason_text="Ghi nhầm", on_date=dt.date(2025, 10, 1)
        )
    assert _codes(refused) == ["correction_not_yours"]
    # The committee above corrects it, with a reason.
    with pytest.raises(services.StepRefused) as refused:
        services.step_correct(acting_user=carol, transition=ceremony, reason_text=" ", on_date=dt.date(2025, 10, 1))
    assert _codes(refused) == ["correction_reason_required"]
    correction = services.step_correct(
        acting_user=carol,
        transition=ceremony,
        reason_text="Biên bản lễ ghi ngày 01/10/2025",
        on_date=dt.date(2025, 10, 1),
    )

    candidate.refresh_from_db()
    ceremony.refresh_from_db()
    assert (candidate.ceremony_date, candidate.official_date) == (dt.date(2025, 10, 1), dt.date(2026, 10, 1))
    assert ceremony.on_date == dt.date(2025, 10, 1)
    assert candidate.member is not None
    candidate.member.refresh_from_db()
    assert candidate.member.ceremony_date == dt.date(2025, 10, 1)
    assert correction.changes["ceremony_date"] == ["2025-10-03", "2025-10-01"]
    assert correction.changes["official_date"] == ["2026-10-03", "2026-10-01"]
    assert (correction.recorded_by, correction.reason) == (carol, "Biên bản lễ ghi ngày 01/10/2025")
    # The history keeps who and why; the stage times of the visits the day bounds follow.
    assert candidate.history.filter(history_change_reason="Biên bản lễ ghi ngày 01/10/2025").exists()  # type: ignore[attr-defined]
    records = _transition(candidate, "records")
    assert records.entered_on == dt.date(2025, 10, 1)
    _assert_replays(candidate)


def test_a_corrected_date_keeps_the_order_of_the_history(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S4")  # permit_dossier of 02/04/2025 is the last step
    permit = _transition(candidate, "permit_dossier")
    with pytest.raises(services.StepRefused) as refused:
        services.step_correct(acting_user=alice, transition=permit, reason_text="x", on_date=dt.date(2025, 3, 1))
    assert _codes(refused) == ["correction_before_previous_step"]  # the certificate was 20/03/2025
    with pytest.raises(services.StepRefused) as refused:
        services.step_correct(acting_user=alice, transition=permit, reason_text="x", on_date=dt.date(2099, 1, 1))
    assert "date_in_future" in _codes(refused)
    with pytest.raises(services.StepRefused) as refused:
        services.step_correct(acting_user=alice, transition=permit, reason_text="x", on_date=permit.on_date)
    assert _codes(refused) == ["correction_nothing_changed"]
    assert not Correction.objects.filter(candidate=candidate).exists()

    services.step_correct(acting_user=alice, transition=permit, reason_text="Nhầm ngày", on_date=dt.date(2025, 3, 28))
    candidate.refresh_from_db()
    assert (candidate.dossier_start_date, candidate.stage_entered_on) == (dt.date(2025, 3, 28), dt.date(2025, 3, 28))
    _assert_replays(candidate)


def test_a_corrected_certificate_date_moves_the_ticked_checklist_item(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S3")
    assert candidate.documents.get(doc_type="A1").issued_on == dt.date(2025, 3, 20)  # ticked by the step
    services.step_correct(
        acting_user=alice, transition=_transition(candidate, "certificate"), reason_text="Sai ngày cấp",
        on_date=dt.date(2025, 3, 18),
    )  # fmt: skip
    assert candidate.documents.get(doc_type="A1").issued_on == dt.date(2025, 3, 18)


def test_a_mistyped_certificate_number_is_corrected(tree, alice, bob, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S3")
    certificate = _transition(candidate, "certificate")
    with pytest.raises(PermissionDenied):  # another branch's secretary
        services.step_correct(
            acting_user=bob, transition=certificate, reason_text="x", values={"certificate_number": "Y"}
        )
    services.step_correct(
        acting_user=alice, transition=certificate, reason_text="Gõ sai số", values={"certificate_number": "GCN-2025/17"}
    )
    candidate.refresh_from_db()
    assert candidate.certificate_number == "GCN-2025/17"
    _assert_replays(candidate)


def test_undo_the_last_step_restores_the_stage_and_its_fields(tree, alice, bob, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S3")
    assert (candidate.stage, candidate.certificate_issue_date) == ("S3", dt.date(2025, 3, 20))
    with pytest.raises(PermissionDenied):
        services.step_undo(acting_user=bob, candidate=candidate, reason_text="x")
    with pytest.raises(services.StepRefused) as refused:
        services.step_undo(acting_user=alice, candidate=candidate, reason_text="")
    assert _codes(refused) == ["correction_reason_required"]

    correction = services.step_undo(acting_user=alice, candidate=candidate, reason_text="Ghi nhầm người")
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.certificate_issue_date, candidate.certificate_number) == ("S2", None, "")
    assert candidate.stage_entered_on == dt.date(2025, 2, 5)  # the day the class was proposed
    assert not StageTransition.objects.filter(candidate=candidate, step_key="certificate").exists()
    assert correction.original["to_stage"] == "S3" and correction.original["step_key"] == "certificate"
    _assert_replays(candidate)
    # The step can be recorded again, and the timeline goes on.
    TIMELINE["S2"](candidate, alice, introducers, START)
    candidate.refresh_from_db()
    assert candidate.stage == "S3"
    _assert_replays(candidate)


def test_a_step_that_made_the_member_is_not_undone_but_corrected(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S12")  # the ceremony created the probationary member
    with pytest.raises(services.StepRefused) as refused:
        services.step_undo(acting_user=alice, candidate=candidate, reason_text="Nhầm")
    assert _codes(refused) == ["undo_changes_membership"]


def test_a_mistyped_failed_vote_is_withdrawn_and_entered_again(tree, alice, bob, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S8")
    held_on = dt.date(2025, 8, 5)

    def vote(yes: int) -> Vote:
        return services.candidate_vote(
            acting_user=alice, candidate=candidate, step_key="branch_vote", held_on=held_on,
            summoned=9, excluded=0, yes=yes, no=9 - yes, abstain=0, form="secret", now=at(held_on),
        )  # fmt: skip

    wrong = vote(5)  # typed 5 instead of 7
    candidate.refresh_from_db()
    assert (wrong.passed, candidate.failed_votes) == (False, 1)
    with pytest.raises(PermissionDenied):
        services.vote_withdraw(acting_user=bob, vote=wrong, reason_text="x")
    correction = services.vote_withdraw(acting_user=alice, vote=wrong, reason_text="Nhập sai số phiếu")
    candidate.refresh_from_db()
    assert candidate.failed_votes == 0
    assert not Vote.objects.filter(pk=wrong.pk).exists()
    assert (correction.kind, correction.original["yes"]) == ("vote_withdrawn", 5)

    right = vote(7)
    candidate.refresh_from_db()
    assert right.passed and candidate.stage != "S8"
    # A passed vote that moved the dossier is taken back with its step while it is the last one.
    services.vote_withdraw(acting_user=alice, vote=right, reason_text="Biên bản ghi sai ngày")
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.branch_resolution_date) == ("S8", None)
    assert not Vote.objects.filter(pk=right.pk).exists()
    _assert_replays(candidate)


def test_a_vote_later_steps_rest_on_is_not_withdrawn(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S10")  # the grassroots committee resolved after the branch
    branch_vote = Vote.objects.get(candidate=candidate, body="BRANCH")
    with pytest.raises(services.StepRefused) as refused:
        services.vote_withdraw(acting_user=alice, vote=branch_vote, reason_text="x")
    assert _codes(refused) == ["vote_later_steps"]


def test_a_helper_assigned_by_mistake_is_withdrawn_with_the_reason_kept(tree, alice, bob, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S6")  # the introduction assigned two introducers
    mentorship = candidate.mentorships.first()
    assert mentorship is not None
    with pytest.raises(PermissionDenied):
        services.mentorship_withdraw(acting_user=bob, mentorship=mentorship, reason_text="x")
    pk, member_id = mentorship.pk, mentorship.member_id
    correction = services.mentorship_withdraw(acting_user=alice, mentorship=mentorship, reason_text="Phân công nhầm")
    assert not candidate.mentorships.filter(pk=pk).exists()
    assert correction.original["member"] == member_id
    deleted = Mentorship.history.get(id=pk, history_type="-")  # type: ignore[attr-defined]
    assert deleted.history_change_reason == "Phân công nhầm"


def test_the_statistics_and_the_reminder_follow_a_corrected_ceremony(tree, alice, eve, introducers) -> None:  # type: ignore[no-untyped-def]
    from admission.reporting import statistics as st
    from admission.reporting.query import StatisticsQuery

    candidate = _candidate(tree, alice, introducers, "S12")  # ceremony Fri 03/10/2025, the last step
    september = StatisticsQuery(start=dt.date(2025, 9, 1), end=dt.date(2025, 9, 30))
    october = StatisticsQuery(start=dt.date(2025, 10, 1), end=dt.date(2025, 10, 31))

    def admitted(query: StatisticsQuery) -> int:
        figures = st.statistics_figures(user=eve, organisation=tree.branch_a, query=query, today=dt.date(2025, 11, 1))
        return int(figures["totals"]["admitted"])

    assert (admitted(september), admitted(october)) == (0, 1)
    due_before = candidate.next_due_on
    services.step_correct(
        acting_user=alice, transition=_transition(candidate, "ceremony"), reason_text="Lễ tổ chức ngày 30/09/2025",
        on_date=dt.date(2025, 9, 30), now=at(dt.date(2025, 10, 6)),
    )  # fmt: skip
    candidate.refresh_from_db()
    assert (admitted(september), admitted(october)) == (1, 0)  # counted by the corrected ceremony day
    # The records deadline (30 working days after the ceremony) moved with it.
    assert candidate.next_due_on is not None and due_before is not None and candidate.next_due_on < due_before


def test_changing_a_recorded_document_needs_a_reason_and_keeps_the_former_entry(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S1")
    services.document_record(acting_user=alice, candidate=candidate, doc_type="A2", issued_on=dt.date(2025, 4, 15))
    with pytest.raises(services.StepRefused) as refused:
        services.document_record(acting_user=alice, candidate=candidate, doc_type="A2", issued_on=dt.date(2025, 4, 16))
    assert _codes(refused) == ["document_change_reason_required"]
    item = services.document_record(
        acting_user=alice,
        candidate=candidate,
        doc_type="A2",
        issued_on=dt.date(2025, 4, 16),
        reason_text="Đơn ký 16/04",
    )
    assert item.issued_on == dt.date(2025, 4, 16)
    rows = list(item.history.order_by("history_date").values_list("issued_on", "history_change_reason"))  # type: ignore[attr-defined]
    assert rows == [(dt.date(2025, 4, 15), None), (dt.date(2025, 4, 16), "Đơn ký 16/04")]
    # The same entry again is no change and needs no reason.
    services.document_record(acting_user=alice, candidate=candidate, doc_type="A2", issued_on=dt.date(2025, 4, 16))


def test_a_meeting_decision_taken_by_mistake_is_withdrawn_with_its_move(tree, alice, bob, introducers) -> None:  # type: ignore[no-untyped-def]
    from admission.models import ListDecision, MeetingCorrection

    day = dt.date(2025, 1, 10)
    added, kept = (
        services.candidate_create(
            acting_user=alice, person=PersonFactory(organisation=tree.branch_a, full_name=name), now=at(START)
        )
        for name in ("Kiều Văn Thêm", "Kiều Thị Giữ")
    )
    services.candidate_step(
        acting_user=alice, candidate=kept, step_key="add_to_list", data=services.StepInput(on_date=START), now=at(START)
    )
    kept.refresh_from_db()
    meeting = services.meeting_record(
        acting_user=alice, organisation=tree.branch_a, held_on=day, minutes="", add=[added], keep=[kept],
        remove={}, official_members=9, present=8, now=at(day),
    )  # fmt: skip
    added.refresh_from_db()
    assert (added.stage, added.sympathiser_date) == ("S1", day)
    decision = ListDecision.objects.get(meeting=meeting, candidate=added)
    with pytest.raises(services.StepRefused):  # another branch's secretary
        services.list_decision_withdraw(acting_user=bob, decision=decision, reason_text="x")
    with pytest.raises(services.StepRefused) as refused:
        services.list_decision_withdraw(acting_user=alice, decision=decision, reason_text=" ")
    assert _codes(refused) == ["correction_reason_required"]

    correction = services.list_decision_withdraw(acting_user=alice, decision=decision, reason_text="Nhầm người")
    added.refresh_from_db()
    assert (added.stage, added.sympathiser_date, added.stage_entered_on) == ("S0", None, START)
    assert not ListDecision.objects.filter(pk=decision.pk).exists()
    assert isinstance(correction, MeetingCorrection) and correction.changes[0]["decision"] == "add"
    _assert_replays(added)
    # A kept decision moved nobody: it just goes, with its reason in the meeting's log.
    services.list_decision_withdraw(
        acting_user=alice, decision=ListDecision.objects.get(meeting=meeting, candidate=kept), reason_text="Trùng"
    )
    kept.refresh_from_db()
    assert kept.stage == "S1" and meeting.corrections.count() == 2


def test_a_list_decision_later_steps_rest_on_is_not_withdrawn(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    from admission.models import ListDecision

    day = dt.date(2025, 1, 10)
    person = PersonFactory(organisation=tree.branch_a, full_name="Kiều Văn Sau")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    meeting = services.meeting_record(
        acting_user=alice, organisation=tree.branch_a, held_on=day, minutes="", add=[candidate], keep=[],
        remove={}, official_members=9, present=8, now=at(day),
    )  # fmt: skip
    candidate.refresh_from_db()
    TIMELINE["S1"](candidate, alice, introducers, START)  # the class proposed: a later step
    with pytest.raises(services.StepRefused) as refused:
        services.list_decision_withdraw(
            acting_user=alice, decision=ListDecision.objects.get(meeting=meeting), reason_text="x"
        )
    assert _codes(refused) == ["vote_later_steps"]
