"""Committee review: only the level that is due acts, returns with a reason per
document, resubmission, and the committee meetings' agendas.

Branch A sits under the grassroots committee C (Carol, its staff, resolves at S9), itself under
the provincial People's Committee organisation G (Gina, its staff, decides at S10). Candidates
follow the reference timeline of admission.devdata.demo from Mon 06/01/2025: branch vote Tue 05/08/2025,
grassroots vote 20/08, decision 15/09/2025.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from admission import selectors, services
from admission.devdata.demo import at, walk_to
from admission.domain.stages import IllegalTransition
from admission.models import (
    AgendaItem,
    Candidate,
    CommitteeMeeting,
    DossierItem,
    DossierReturn,
    Notification,
    StageTransition,
)
from members.models import Role
from members.services import role_assign
from tests.factories import MemberFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
RETURN_DAY = dt.date(2025, 8, 22)


def _at_stage(tree, alice, introducers, stage: str, name: str = "Hoàng Văn Ứng") -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=name, date_of_birth=dt.date(1998, 5, 4))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, stage, user=alice, introducers=introducers, start=START)


def _codes(refused: pytest.ExceptionInfo[services.StepRefused]) -> list[str]:
    return [r.code for r in refused.value.reasons]


def _grassroots_vote(user, candidate: Candidate, day: dt.date):  # type: ignore[no-untyped-def]
    return services.candidate_vote(
        acting_user=user,
        candidate=candidate,
        step_key="grassroots_vote",
        held_on=day,
        summoned=9,
        excluded=0,
        yes=7,
        no=2,
        abstain=0,
        form="secret",
        now=at(day),
    )


# --- Only the level that is due may act ------------------------------------------------------


def test_it_names_the_committee_due_at_each_level(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _at_stage(tree, alice, introducers, "S8")
    assert services.due_committee(candidate) is None  # with the branch
    walk_to(candidate, "S9", user=alice, introducers=introducers, start=START)
    assert services.due_committee(candidate).id == tree.committee.pk  # type: ignore[union-attr]
    walk_to(candidate, "S10", user=alice, introducers=introducers, start=START)
    assert services.due_committee(candidate).id == tree.government.pk  # type: ignore[union-attr]


def test_it_lets_neither_the_branch_nor_the_deciding_committee_skip_the_grassroots_resolution(
    tree, alice, carol, gina, introducers
) -> None:  # type: ignore[no-untyped-def]
    candidate = _at_stage(tree, alice, introducers, "S9")
    for intruder in (alice, gina):
        with pytest.raises(services.StepRefused) as refused:
            _grassroots_vote(intruder, candidate, dt.date(2025, 8, 20))
        assert _codes(refused) == ["level_not_due"]
        assert refused.value.reasons[0].params["committee"] == tree.committee.name
    # Nor can anybody record the decision while the dossier waits for the grassroots resolution.
    with pytest.raises(IllegalTransition):
        services.candidate_step(
            acting_user=gina,
            candidate=candidate,
            step_key="decision",
            data=services.StepInput(on_date=dt.date(2025, 9, 15)),
            now=at(dt.date(2025, 9, 15)),
        )
    assert Candidate.objects.get(pk=candidate.pk).stage == "S9"

    _grassroots_vote(carol, candidate, dt.date(2025, 8, 20))
    candidate.refresh_from_db()
    assert candidate.stage == "S10"


def test_it_lets_only_the_deciding_committee_record_the_decision(tree, alice, carol, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _at_stage(tree, alice, introducers, "S10")
    data = services.StepInput(
        on_date=dt.date(2025, 9, 15), decision_number="15-QĐ/ĐU", decision_received_date=dt.date(2025, 9, 18)
    )
    for intruder in (alice, carol):  # the branch, and the grassroots committee below the decider
        with pytest.raises(services.StepRefused) as refused:
            services.candidate_step(
                acting_user=intruder, candidate=candidate, step_key="decision", data=data, now=at(dt.date(2025, 9, 18))
            )
        assert _codes(refused) == ["level_not_due"]
    # A committee above the decider (province staff) is not the level that is due either.
    province_staff = UserFactory(username="pia")
    role_assign(acting_user=None, user=province_staff, organisation=tree.province, role=Role.COMMITTEE_STAFF)
    with pytest.raises(services.StepRefused):
        services.candidate_step(
            acting_user=province_staff,
            candidate=candidate,
            step_key="decision",
            data=data,
            now=at(dt.date(2025, 9, 18)),
        )

    services.candidate_step(
        acting_user=gina, candidate=candidate, step_key="decision", data=data, now=at(dt.date(2025, 9, 18))
    )
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.decision_number) == ("S11", "15-QĐ/ĐU")


def test_the_queue_and_the_acting_level_agree(tree, alice, carol, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    at_s9 = _at_stage(tree, alice, introducers, "S9", name="Đinh Văn Chín")
    at_s10 = _at_stage(tree, alice, introducers, "S10", name="Đinh Văn Mười")

    assert [c.pk for c in selectors.review_queue(user=carol, committee=tree.committee)] == [at_s9.pk]
    assert [c.pk for c in selectors.review_queue(user=gina, committee=tree.government)] == [at_s10.pk]
    for candidate, committee in ((at_s9, tree.committee), (at_s10, tree.government)):
        assert services.due_committee(candidate).id == committee.pk  # type: ignore[union-attr]


# --- Return and resubmit ---------------------------------------------------------------------


def test_it_returns_resubmits_and_keeps_the_deadline_of_the_branch_resolution(tree, alice, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _at_stage(tree, alice, introducers, "S9")
    deadline = candidate.next_due_on  # 45 WD from the branch resolution of 05/08/2025 (QĐ294 4.3.1)
    assert deadline == dt.date(2025, 10, 9)

    returned = services.dossier_return(
        acting_user=carol,
        candidate=candidate,
        note="Hồ sơ chưa đủ điều kiện chuyển cấp trên",
        documents={"A4": "Giấy giới thiệu thiếu chữ ký", "A6": "Thiếu ý kiến chi ủy nơi cư trú"},
        now=at(RETURN_DAY),
    )

    candidate.refresh_from_db()
    assert candidate.stage == "S8"
    assert (returned.from_stage, returned.committee_id, returned.returned_by) == ("S9", tree.committee.pk, carol)
    assert sorted(returned.items.values_list("doc_type", "reason")) == [
        ("A4", "Giấy giới thiệu thiếu chữ ký"),
        ("A6", "Thiếu ý kiến chi ủy nơi cư trú"),
    ]
    assert set(DossierItem.objects.filter(candidate=candidate, status="returned").values_list("doc_type", "note")) == {
        ("A4", "Giấy giới thiệu thiếu chữ ký"),
        ("A6", "Thiếu ý kiến chi ủy nơi cư trú"),
    }
    notice = Notification.objects.get(user=alice, transition=returned.transition)
    assert "A4: Giấy giới thiệu thiếu chữ ký" in notice.text_vi
    assert selectors.review_queue(user=carol, committee=tree.committee).count() == 0

    # The branch cannot send it up before redoing both documents.
    services.document_record(acting_user=alice, candidate=candidate, doc_type="A4", issued_on=dt.date(2025, 8, 25))
    with pytest.raises(services.StepRefused) as refused:
        services.dossier_resubmit(acting_user=alice, candidate=candidate, now=at(dt.date(2025, 8, 26)))
    assert _codes(refused) == ["returned_documents_pending"]
    assert refused.value.reasons[0].params["documents"] == ("A6",)
    assert Candidate.objects.get(pk=candidate.pk).stage == "S8"

    services.document_record(acting_user=alice, candidate=candidate, doc_type="A6", issued_on=dt.date(2025, 8, 26))
    services.dossier_resubmit(acting_user=alice, candidate=candidate, note="Đã bổ sung", now=at(dt.date(2025, 8, 27)))

    candidate.refresh_from_db()
    assert candidate.stage == "S9"
    assert candidate.branch_resolution_date == dt.date(2025, 8, 5)
    assert candidate.next_due_on == deadline  # the clock still runs from the branch resolution
    returned.refresh_from_db()
    assert returned.resubmitted_at == at(dt.date(2025, 8, 27))
    queue = list(selectors.review_queue(user=carol, committee=tree.committee))
    assert [(c.pk, c.times_returned) for c in queue] == [(candidate.pk, 1)]
    # A second resubmission has nothing to resubmit.
    with pytest.raises(services.StepRefused) as again:
        services.dossier_resubmit(acting_user=alice, candidate=candidate, now=at(dt.date(2025, 8, 28)))
    assert _codes(again) == ["not_returned"]


def test_it_returns_a_recognition_dossier_to_the_branch_vote(tree, alice, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _at_stage(tree, alice, introducers, "S16")
    # The grassroots committee's resolution proposing recognition (R7) puts it with the decider.
    services.candidate_vote(
        acting_user=None,
        candidate=candidate,
        step_key="recognition_grassroots_vote",
        held_on=dt.date(2026, 10, 30),
        summoned=9,
        excluded=0,
        yes=7,
        no=2,
        abstain=0,
        form="secret",
        now=at(dt.date(2026, 10, 30)),
    )
    services.dossier_return(
        acting_user=gina,
        candidate=candidate,
        note="Bản tự kiểm điểm chưa ký",
        documents={"R2": "Chưa ký"},
        now=at(dt.date(2026, 11, 2)),
    )
    candidate.refresh_from_db()
    assert candidate.stage == "S15"
    services.document_record(acting_user=alice, candidate=candidate, doc_type="R2", issued_on=dt.date(2026, 11, 3))
    services.dossier_resubmit(acting_user=alice, candidate=candidate, now=at(dt.date(2026, 11, 4)))
    candidate.refresh_from_db()
    assert candidate.stage == "S16"


def test_it_refuses_a_return_without_reasons_and_writes_nothing(tree, alice, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _at_stage(tree, alice, introducers, "S9")
    before = StageTransition.objects.filter(candidate=candidate).count()

    with pytest.raises(services.StepRefused) as refused:
        services.dossier_return(
            acting_user=carol, candidate=candidate, note=" ", documents={"A4": " "}, now=at(RETURN_DAY)
        )

    assert _codes(refused) == ["return_reason_required", "return_document_reason_required"]
    assert Candidate.objects.get(pk=candidate.pk).stage == "S9"
    assert StageTransition.objects.filter(candidate=candidate).count() == before
    assert not DossierReturn.objects.exists()
    assert not DossierItem.objects.filter(candidate=candidate, status="returned").exists()


def test_it_refuses_a_return_by_another_level_or_an_outsider(tree, alice, bob, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _at_stage(tree, alice, introducers, "S9")
    with pytest.raises(services.StepRefused) as refused:
        services.dossier_return(acting_user=gina, candidate=candidate, note="Sai cấp", documents={}, now=at(RETURN_DAY))
    assert _codes(refused) == ["level_not_due"]
    with pytest.raises(PermissionDenied):
        services.dossier_return(
            acting_user=bob, candidate=candidate, note="Ngoài phạm vi", documents={}, now=at(RETURN_DAY)
        )
    assert Candidate.objects.get(pk=candidate.pk).stage == "S9"


def test_it_resubmits_only_a_returned_dossier(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _at_stage(tree, alice, introducers, "S8")  # waiting for the branch vote, never returned
    with pytest.raises(services.StepRefused) as refused:
        services.dossier_resubmit(acting_user=alice, candidate=candidate, now=at(dt.date(2025, 8, 1)))
    assert _codes(refused) == ["not_returned"]


# --- Committee meetings ------------------------------------------------------------------------


def test_it_puts_due_dossiers_on_an_agenda_and_records_the_outcomes(tree, alice, carol, bob, introducers) -> None:  # type: ignore[no-untyped-def]
    due = _at_stage(tree, alice, introducers, "S9", name="Đinh Văn Chín")
    elsewhere = _at_stage(tree, alice, introducers, "S10", name="Đinh Văn Mười")

    with pytest.raises(services.StepRefused):
        services.committee_meeting_create(
            acting_user=carol,
            committee=tree.committee,
            held_on=dt.date(2025, 8, 28),
            title="",
            candidates=[due, elsewhere],
        )
    with pytest.raises(PermissionDenied):
        services.committee_meeting_create(
            acting_user=bob, committee=tree.committee, held_on=dt.date(2025, 8, 28), title="", candidates=[due]
        )
    meeting = services.committee_meeting_create(
        acting_user=carol,
        committee=tree.committee,
        held_on=dt.date(2025, 8, 28),
        title="Họp thường kỳ",
        candidates=[due],
    )
    item = AgendaItem.objects.get(meeting=meeting)
    assert (item.candidate_id, item.stage_listed, item.outcome) == (due.pk, "S9", "pending")

    changed = services.agenda_outcomes_record(
        acting_user=carol,
        meeting=meeting,
        outcomes={item.pk: ("approved", "7/9 tán thành")},
        now=at(dt.date(2025, 8, 28)),
    )
    assert changed == 1
    item.refresh_from_db()
    assert (item.outcome, item.note, item.recorded_by) == ("approved", "7/9 tán thành", carol)
    # Same outcome again changes nothing; an unknown outcome is ignored.
    assert (
        services.agenda_outcomes_record(
            acting_user=carol, meeting=meeting, outcomes={item.pk: ("approved", "7/9 tán thành")}
        )
        == 0
    )
    assert services.agenda_outcomes_record(acting_user=carol, meeting=meeting, outcomes={item.pk: ("bogus", "")}) == 0
    with pytest.raises(PermissionDenied):
        services.agenda_outcomes_record(acting_user=alice, meeting=meeting, outcomes={item.pk: ("rejected", "")})


@pytest.mark.parametrize(
    ("branch", "stage", "committee"),
    [
        ("village", "S10", "commune"),  # village branches go straight to the commune committee (QĐ294 20.2.2)
        ("delegated_branch", "S9", "delegated"),  # a delegated committee resolves and decides itself
    ],
)
def test_it_derives_the_level_that_is_due_from_the_tree(tree, branch, stage, committee) -> None:  # type: ignore[no-untyped-def]
    organisation = getattr(tree, branch)
    members = [
        MemberFactory(person=PersonFactory(organisation=organisation, full_name=name))
        for name in ("Lê Văn Một", "Phạm Thị Hai")
    ]
    person = PersonFactory(organisation=organisation, full_name="Vi Văn Làng", date_of_birth=dt.date(1998, 5, 4))
    candidate = services.candidate_create(acting_user=None, person=person, now=at(START))
    walk_to(candidate, stage, user=None, introducers=members, start=START)

    assert services.due_committee(candidate).id == getattr(tree, committee).pk  # type: ignore[union-attr]
    staff = UserFactory(username=f"staff-{committee}")
    role_assign(acting_user=None, user=staff, organisation=getattr(tree, committee), role=Role.COMMITTEE_STAFF)
    assert [c.pk for c in selectors.review_queue(user=staff, committee=getattr(tree, committee))] == [candidate.pk]
    if stage == "S9":  # the delegated committee's vote is the decision: straight to the ceremony
        _grassroots_vote(staff, candidate, dt.date(2025, 8, 20))
        candidate.refresh_from_db()
        assert (candidate.stage, candidate.decision_date) == ("S11", dt.date(2025, 8, 20))


def test_a_meeting_dated_before_a_dossier_reached_the_committee_is_refused(tree, alice, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    due = _at_stage(tree, alice, introducers, "S9", name="Đinh Văn Chín")
    arrived = due.stage_entered_on

    with pytest.raises(services.StepRefused) as refused:
        services.committee_meeting_create(
            acting_user=carol, committee=tree.committee, held_on=dt.date(1990, 1, 1), title="", candidates=[due]
        )
    on_arrival = services.committee_meeting_create(
        acting_user=carol, committee=tree.committee, held_on=arrived, title="", candidates=[due]
    )

    assert _codes(refused) == ["meeting_before_dossier"]
    assert refused.value.reasons[0].params["arrived"] == arrived
    assert CommitteeMeeting.objects.get() == on_arrival


def test_outcomes_are_recorded_once_the_meeting_is_held(tree, alice, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    due = _at_stage(tree, alice, introducers, "S9", name="Đinh Văn Chín")
    meeting = services.committee_meeting_create(
        acting_user=carol, committee=tree.committee, held_on=dt.date(2025, 8, 28), title="", candidates=[due]
    )
    item = AgendaItem.objects.get(meeting=meeting)

    with pytest.raises(services.StepRefused) as refused:
        services.agenda_outcomes_record(
            acting_user=carol, meeting=meeting, outcomes={item.pk: ("approved", "")}, now=at(dt.date(2025, 8, 27))
        )
    noted = services.agenda_outcomes_record(
        acting_user=carol, meeting=meeting, outcomes={item.pk: ("pending", "Chờ ý kiến")}, now=at(dt.date(2025, 8, 27))
    )
    held = services.agenda_outcomes_record(
        acting_user=carol, meeting=meeting, outcomes={item.pk: ("approved", "7/9")}, now=at(dt.date(2025, 8, 28))
    )

    assert _codes(refused) == ["meeting_not_held_yet"]
    assert (noted, held) == (1, 1)
    item.refresh_from_db()
    assert item.outcome == "approved"
