"""Transfers (chuyển sinh hoạt, HD06 3.9, 3.10): the sending branch records the move; the candidate,
the person and the probationary membership go to the new branch at once; helpers end; a dossier
that had gone up is decided at the destination within 30 working days; a decision is kept or
annulled by the 30-working-day rule."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from admission import selectors, services
from admission.devdata.demo import at, walk_to
from admission.domain.stages import Stage
from admission.models import Candidate, CandidateTransfer, Mentorship, Notification
from members.freshness import GENERATION
from members.models import MemberStatus, Person, Role
from members.selectors import person_list, transfer_destinations
from members.services import role_assign
from tests.factories import MemberFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)  # walk: branch vote 05/08/2025 (-> S9), decision 15/09/2025 (-> S11)
NOTE = "Chuyển công tác về đơn vị mới"


def _candidate(tree, alice, introducers, stage: str, name: str = "Đặng Văn Chuyển") -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=name, date_of_birth=dt.date(1996, 5, 6))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, stage, user=alice, introducers=introducers, start=START)


def _transfer(user, candidate, to, day: dt.date, note: str = NOTE) -> CandidateTransfer:  # type: ignore[no-untyped-def]
    return services.candidate_transfer(
        acting_user=user, candidate=candidate, to_branch=to, on_date=day, note=note, now=at(day)
    )


def test_the_sending_branch_moves_a_probationer_and_access_follows(tree, alice, bob, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S13")
    helper = MemberFactory(person=PersonFactory(organisation=tree.branch_a, full_name="Ngô Văn Giúp"))
    services.mentor_assign(
        acting_user=alice, candidate=candidate, member=helper, together_since=dt.date(2024, 1, 1),
        assigned_on=dt.date(2025, 10, 5),
    )  # fmt: skip
    assert selectors.candidate_get(user=alice, pk=candidate.pk)
    with pytest.raises(Http404):
        selectors.candidate_get(user=bob, pk=candidate.pk)
    day = dt.date(2025, 11, 10)

    transfer = _transfer(alice, candidate, tree.branch_b, day)

    candidate.refresh_from_db()
    assert (candidate.organisation, candidate.stage) == (tree.branch_b, "S13")
    assert Person.objects.get(pk=candidate.person_id).organisation == tree.branch_b
    assert candidate.member is not None
    candidate.member.refresh_from_db()
    assert (candidate.member.organisation, candidate.member.status) == (tree.branch_b, MemberStatus.PROBATIONARY)
    assert (transfer.from_organisation, transfer.to_organisation, transfer.stage, transfer.stage_after) == (
        tree.branch_a, tree.branch_b, "S13", "S13",
    )  # fmt: skip
    assert transfer.transition is None and transfer.recorded_by == alice and transfer.note == NOTE
    # The old branch loses access at once, the new one gains it, with the candidate's whole history.
    with pytest.raises(Http404):
        selectors.candidate_get(user=alice, pk=candidate.pk)
    assert not person_list(user=alice).filter(pk=candidate.person_id).exists()
    seen = selectors.candidate_get(user=bob, pk=candidate.pk)
    assert seen.transitions.count() == candidate.transitions.count() > 10
    assert list(seen.transfers.all()) == [transfer]
    # Helpers end on the transfer day; the first helper of the new branch needs no 12 months.
    ended = Mentorship.objects.get(candidate=candidate, member=helper)
    assert (ended.ended_on, ended.ended_by_transfer) == (day, transfer)
    newcomer = MemberFactory(person=PersonFactory(organisation=tree.branch_b, full_name="Hồ Thị Mới"))
    first = services.mentor_assign(
        acting_user=bob, candidate=candidate, member=newcomer, together_since=day, assigned_on=dt.date(2025, 11, 12)
    )
    assert first.is_replacement
    other = MemberFactory(person=PersonFactory(organisation=tree.branch_b, full_name="Hồ Thị Khác"))
    with pytest.raises(services.StepRefused) as refused:  # the second helper is not a replacement
        services.mentor_assign(
            acting_user=bob, candidate=candidate, member=other, together_since=day, assigned_on=dt.date(2025, 11, 12)
        )
    assert "mentor_together_too_short" in [r.code for r in refused.value.reasons]
    # Notices to both branches.
    assert Notification.objects.filter(user=bob, key=f"transfer-in:{transfer.pk}").exists()
    out = Notification.objects.get(user=alice, key=f"transfer-out:{transfer.pk}")
    assert out.organisation == tree.branch_a and tree.branch_b.name in out.text_vi


@pytest.mark.parametrize("who", ["bob", "carol", "gina", "eve"])
def test_only_the_sending_branch_records_it(request, tree, alice, introducers, who) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S13")
    user = request.getfixturevalue(who)
    if who in {"bob", "eve"}:  # outside the branch, or read-only
        with pytest.raises(PermissionDenied):
            _transfer(user, candidate, tree.branch_b, dt.date(2025, 11, 10))
    else:  # the committees above may edit the branch's data, not record its acts
        with pytest.raises(services.StepRefused) as refused:
            _transfer(user, candidate, tree.branch_b, dt.date(2025, 11, 10))
        assert [r.code for r in refused.value.reasons] == ["branch_turn"]
    candidate.refresh_from_db()
    assert candidate.organisation == tree.branch_a and not CandidateTransfer.objects.exists()


def test_the_branch_deputy_and_an_administrator_record_it(tree, alice, branch_deputy, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S4")
    _transfer(branch_deputy, candidate, tree.village, dt.date(2025, 4, 10))
    admin = UserFactory(username="quantri")
    role_assign(acting_user=None, user=admin, organisation=tree.province, role=Role.ADMINISTRATOR)
    candidate.refresh_from_db()
    _transfer(admin, candidate, tree.delegated_branch, dt.date(2025, 4, 11))
    candidate.refresh_from_db()
    assert candidate.organisation == tree.delegated_branch and candidate.stage == "S4"
    assert candidate.transfers.count() == 2


def test_it_refuses_with_reasons_and_writes_nothing(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S13")  # S13 since 30/10/2025 (records)
    cases = [
        (tree.branch_b, dt.date(2025, 11, 10), " ", ["transfer_reason_required"]),
        (tree.branch_b, dt.date(2025, 11, 11), NOTE, ["transfer_date_in_future"]),
        (tree.branch_b, dt.date(2025, 10, 29), NOTE, ["transfer_date_before_stage"]),
        (tree.committee, dt.date(2025, 11, 10), NOTE, ["transfer_target_not_branch"]),
        (tree.branch_a, dt.date(2025, 11, 10), NOTE, ["transfer_same_branch"]),
    ]
    for to, day, note, codes in cases:
        with pytest.raises(services.StepRefused) as refused:
            services.candidate_transfer(
                acting_user=alice, candidate=candidate, to_branch=to, on_date=day, note=note,
                now=at(dt.date(2025, 11, 10)),
            )  # fmt: skip
        assert [r.code for r in refused.value.reasons] == codes
        assert {r.rule for r in refused.value.reasons} == {"HD06 3.9"}
    candidate.refresh_from_db()
    assert candidate.organisation == tree.branch_a and not CandidateTransfer.objects.exists()


@pytest.mark.parametrize("stage", ["S0", "S17"])
def test_it_refuses_a_person_not_listed_or_already_official(tree, alice, gina, introducers, stage) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, stage)
    day = max(candidate.stage_entered_on, dt.date(2025, 1, 7))
    with pytest.raises(services.StepRefused) as refused:
        _transfer(alice, candidate, tree.branch_b, day)
    assert [r.code for r in refused.value.reasons] == ["transfer_stage_not_allowed"]


def test_a_dossier_at_the_grassroots_committee_is_decided_at_the_destination_within_30_wd(
    tree, alice, introducers
) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S9")  # branch resolution 05/08/2025
    day = dt.date(2025, 9, 1)  # National Day: Sep 3-5 = 3 ... Tue 14/10/2025 = 30 WD
    from django.core.cache import cache

    before = {key: cache.get(GENERATION.format(key)) for key in (tree.branch_a.pk, tree.village.pk, tree.province.pk)}
    transfer = _transfer(alice, candidate, tree.village, day)

    candidate.refresh_from_db()
    assert (candidate.stage, candidate.organisation, candidate.stage_entered_on) == ("S10", tree.village, day)
    assert candidate.transfer_received_date == day
    assert candidate.next_due_on == dt.date(2025, 10, 14)  # not the 45 WD of 05/08: 09/10/2025
    assert transfer.transition is not None
    assert (transfer.transition.from_stage, transfer.transition.to_stage, transfer.transition.note) == (
        "S9", "S10", NOTE,
    )  # fmt: skip
    page = selectors.candidate_page(candidate=candidate, today=day)
    assert page["deadline"].rule.point == "HD06 3.9b"
    assert dict(page["dates"])["decision_deadline"].day == dt.date(2025, 10, 9)
    # Both subtrees' figures are stale (their ancestors' generations moved).
    after = {key: cache.get(GENERATION.format(key)) for key in before}
    assert all(after[key] != before[key] for key in before)


def test_a_dossier_already_at_the_decision_starts_again_at_the_destination(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S10")  # S10 since 20/08/2025
    with pytest.raises(services.StepRefused) as refused:  # the stage's moves need a reason
        _transfer(alice, candidate, tree.village, dt.date(2025, 9, 3), note="")
    assert [r.code for r in refused.value.reasons] == ["transfer_reason_required"]
    _transfer(alice, candidate, tree.village, dt.date(2025, 9, 3))
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.organisation) == ("S10", tree.village)
    last = candidate.transitions.order_by("-pk").first()
    assert last is not None and (last.from_stage, last.to_stage, last.note) == ("S10", "S10", NOTE)
    assert candidate.next_due_on == dt.date(2025, 10, 15)  # Sep 4-5 = 2 ... Oct 13-15 = 30 WD


def test_a_decision_is_kept_within_30_wd_and_the_ceremony_held_at_the_destination(
    tree, alice, bob, introducers
) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S11")  # decision 15/09/2025, received 18/09
    due = candidate.next_due_on
    transfer = _transfer(alice, candidate, tree.branch_b, dt.date(2025, 10, 27))  # the 30th WD
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.organisation, transfer.stage_after) == ("S11", tree.branch_b, "S11")
    assert candidate.next_due_on == due and candidate.transfer_received_date is None
    services.candidate_step(
        acting_user=bob, candidate=candidate, step_key="ceremony",
        data=services.StepInput(on_date=dt.date(2025, 10, 29)), now=at(dt.date(2025, 10, 29)),
    )  # fmt: skip
    candidate.refresh_from_db()
    assert candidate.stage == "S12" and candidate.member is not None
    assert candidate.member.organisation == tree.branch_b


def test_a_decision_older_than_30_wd_is_annulled_and_decided_again_at_the_destination(
    tree, alice, gina, introducers
) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S11")  # decision 15/09/2025
    transfer = _transfer(alice, candidate, tree.branch_b, dt.date(2025, 10, 28))  # the 31st WD
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.organisation, transfer.stage_after) == ("SZ", tree.branch_b, "SZ")
    assert transfer.transition is not None and transfer.transition.note == NOTE
    # The destination's deciding committee takes the dossier back to its decision (annulment_redecide).
    services.candidate_step(
        acting_user=gina, candidate=candidate, step_key="annulment_redecide",
        data=services.StepInput(on_date=dt.date(2025, 10, 30), note="Nơi đến xét lại"),
        now=at(dt.date(2025, 10, 30)),
    )  # fmt: skip
    candidate.refresh_from_db()
    assert candidate.stage == Stage.S10
    # 30 WD from the transfer (Tue 28/10/2025): Oct 29-31 = 3, ... Tue 09/12/2025 = 30.
    assert candidate.next_due_on == dt.date(2025, 12, 9)


def test_the_picker_lists_every_branch_of_the_province_but_no_people(tree, alice, carol, eve) -> None:  # type: ignore[no-untyped-def]
    names = list(transfer_destinations(user=alice, organisation=tree.branch_a).values_list("name", flat=True))
    assert sorted(names) == sorted([tree.branch_b.name, tree.delegated_branch.name, tree.village.name])
    assert not transfer_destinations(user=carol, organisation=tree.branch_a).exists()
    assert not transfer_destinations(user=eve, organisation=tree.branch_a).exists()


def test_the_old_place_forwards_within_15_wd_and_the_destination_decides_within_30_wd_of_receipt(
    tree, alice, gina, introducers
) -> None:  # type: ignore[no-untyped-def]
    """T11 (HD06 3.9b): the old place's competent committee (G) is told to forward the dossier within
    15 WD; its forwarding, recorded by either committee, is the destination's receipt."""
    from members.services import role_assign as assign

    wendy = UserFactory(username="wendy")
    assign(acting_user=None, user=wendy, organisation=tree.commune, role=Role.COMMITTEE_STAFF)
    candidate = _candidate(tree, alice, introducers, "S9")
    day = dt.date(2025, 9, 1)
    transfer = _transfer(alice, candidate, tree.village, day)
    candidate.refresh_from_db()
    assert (candidate.transferred_on, candidate.transfer_forwarded_date) == (day, None)
    page = selectors.candidate_page(candidate=candidate, today=day)
    forward = dict(page["dates"])["transfer_forward_deadline"]
    assert (forward.day, forward.rule.point) == (dt.date(2025, 9, 23), "HD06 3.9b")  # Sep 2 (National Day) off
    # G, which sent it, is reminded with the day it is due.
    notice = Notification.objects.get(user=gina, key=f"transfer-forward:{transfer.pk}")
    assert "23/09/2025" in notice.text_vi and "Chi bộ Tổ dân phố 1" in notice.text_vi

    received = dt.date(2025, 9, 12)
    for intruder in (alice,):
        with pytest.raises((services.StepRefused, PermissionDenied)):
            services.transfer_forwarded(acting_user=intruder, candidate=candidate, on_date=received, now=at(received))
    with pytest.raises(services.StepRefused) as refused:
        services.transfer_forwarded(acting_user=wendy, candidate=candidate, on_date=day - dt.timedelta(days=1))
    assert [r.code for r in refused.value.reasons] == ["transfer_act_before_move"]
    services.transfer_forwarded(acting_user=wendy, candidate=candidate, on_date=received, now=at(received))
    candidate.refresh_from_db()
    transfer.refresh_from_db()
    assert (transfer.forwarded_on, candidate.transfer_forwarded_date, candidate.transfer_received_date) == (
        received,
        received,
        received,
    )
    assert candidate.next_due_on == dt.date(2025, 10, 24)  # 30 WD from the receipt, not from the move
    with pytest.raises(services.StepRefused) as refused:
        services.transfer_forwarded(acting_user=wendy, candidate=candidate, on_date=received, now=at(received))
    assert [r.code for r in refused.value.reasons] == ["transfer_already_forwarded"]


def test_the_destination_requests_reconsideration_answered_within_60_wd(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    """T13 (HD06 3.9c): the destination's competent committee asks the committee that sent the
    dossier or decision to reconsider; the request is kept with its 60 WD deadline, once per transfer."""
    wendy = UserFactory(username="wendy")
    role_assign(acting_user=None, user=wendy, organisation=tree.commune, role=Role.COMMITTEE_STAFF)
    candidate = _candidate(tree, alice, introducers, "S10")
    with pytest.raises(services.StepRefused) as refused:  # no transfer yet
        services.transfer_reconsideration_request(
            acting_user=None, candidate=candidate, on_date=dt.date(2025, 9, 3), note="Xem xét lại"
        )
    assert [r.code for r in refused.value.reasons] == ["reconsideration_not_applicable"]
    moved = dt.date(2025, 9, 3)
    _transfer(alice, candidate, tree.village, moved)
    candidate.refresh_from_db()
    asked = dt.date(2025, 9, 10)
    village_secretary = UserFactory(username="thu")
    role_assign(acting_user=None, user=village_secretary, organisation=tree.village, role=Role.BRANCH_SECRETARY)
    with pytest.raises(PermissionDenied):  # the old branch no longer edits the candidate
        services.transfer_reconsideration_request(
            acting_user=alice, candidate=candidate, on_date=asked, note="Xem xét lại", now=at(asked)
        )
    with pytest.raises(services.StepRefused) as refused:  # the new branch is not the committee
        services.transfer_reconsideration_request(
            acting_user=village_secretary, candidate=candidate, on_date=asked, note="Xem xét lại", now=at(asked)
        )
    assert [r.code for r in refused.value.reasons] == ["level_not_due"]
    with pytest.raises(services.StepRefused) as refused:
        services.transfer_reconsideration_request(
            acting_user=wendy, candidate=candidate, on_date=asked, note=" ", now=at(asked)
        )
    assert [r.code for r in refused.value.reasons] == ["reconsideration_reason_required"]
    transfer = services.transfer_reconsideration_request(
        acting_user=wendy,
        candidate=candidate,
        on_date=asked,
        note="Lý lịch chưa thẩm tra nơi cư trú mới",
        now=at(asked),
    )
    candidate.refresh_from_db()
    assert (transfer.reconsideration_requested_on, candidate.reconsideration_requested_date) == (asked, asked)
    due = dict(selectors.candidate_page(candidate=candidate, today=asked)["dates"])["reconsideration_deadline"]
    assert (due.day, due.rule.point) == (dt.date(2025, 12, 3), "HD06 3.9c")
    with pytest.raises(services.StepRefused) as refused:
        services.transfer_reconsideration_request(
            acting_user=wendy, candidate=candidate, on_date=asked, note="Lần nữa", now=at(asked)
        )
    assert [r.code for r in refused.value.reasons] == ["reconsideration_already_requested"]


def test_the_sweep_reminds_the_old_place_to_forward_and_escalates_once_overdue(
    tree, alice, gina, paula, introducers
) -> None:  # type: ignore[no-untyped-def]
    """T11 (HD06 3.9b): until the old place's committee (G) forwards the dossier, the sweep reminds
    its staff 7 and 1 days before and on the 15th working day, then weekly with the committee above
    (P) once overdue; forwarding stops the reminders."""
    from admission.reminders import sweep
    from admission.schedule import due_at

    candidate = _candidate(tree, alice, introducers, "S9")
    moved = dt.date(2025, 9, 1)
    transfer = _transfer(alice, candidate, tree.village, moved)
    transfer.refresh_from_db()
    # Due Tue 23/09/2025 (15 WD, 02/09 National Day off); first reminder 7 days before, 07:00.
    assert (transfer.forwarding_committee, transfer.forward_due_on) == (tree.government, dt.date(2025, 9, 23))
    assert (transfer.next_reminder_at, transfer.reminder_sequence) == (due_at(dt.date(2025, 9, 16), at(moved)), 0)

    def forwarding(user) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
        found = Notification.objects.filter(user=user, key__startswith=f"transfer-forward:{transfer.pk}:")
        return sorted(found.values_list("key", "overdue"))

    sweep(now=at(dt.date(2025, 9, 15)))  # nothing due yet
    assert forwarding(gina) == []
    sweep(now=at(dt.date(2025, 9, 16)))
    sweep(now=at(dt.date(2025, 9, 16)))  # twice: still one notification
    assert forwarding(gina) == [(f"transfer-forward:{transfer.pk}:0", False)]
    notice = Notification.objects.get(user=gina, key=f"transfer-forward:{transfer.pk}:0")
    assert notice.text_vi == (
        "Sắp đến hạn chuyển hồ sơ của Đặng Văn Chuyển đến Chi bộ Tổ dân phố 1 (chuyển sinh hoạt): 23/09/2025"
    )
    assert notice.organisation == tree.government and notice.candidate == candidate
    assert forwarding(paula) == []  # the committee above hears of it only once it is overdue
    # A week after the day (30/09), overdue: G and the province's staff.
    sweep(now=at(dt.date(2025, 9, 30)))
    overdue = f"transfer-forward:{transfer.pk}:3"
    assert forwarding(gina)[-1] == (overdue, True) and forwarding(paula) == [(overdue, True)]
    assert Notification.objects.get(user=paula, key=overdue).text_vi.startswith("QUÁ HẠN chuyển hồ sơ của")
    transfer.refresh_from_db()
    assert transfer.next_reminder_at == due_at(dt.date(2025, 10, 7), at(moved))

    received = dt.date(2025, 10, 2)
    services.transfer_forwarded(acting_user=gina, candidate=candidate, on_date=received, now=at(received))
    transfer.refresh_from_db()
    assert (transfer.next_reminder_at, transfer.reminder_sequence) == (None, None)
    sweep(now=at(dt.date(2025, 10, 7)))
    assert len(forwarding(paula)) == 1


def test_a_transfer_that_moved_no_dossier_has_no_forwarding_reminder(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S13")
    transfer = _transfer(alice, candidate, tree.branch_b, dt.date(2025, 11, 10))
    transfer.refresh_from_db()
    assert (transfer.forwarding_committee, transfer.forward_due_on, transfer.next_reminder_at) == (None, None, None)


def test_a_dossier_moving_between_branches_of_one_deciding_committee_needs_no_forwarding(  # type: ignore[no-untyped-def]
    tree, alice, gina, introducers
) -> None:
    """A and B are both decided by G: the dossier is already with the committee that decides at the
    destination, so nobody owes a forwarding (no reminder, nothing on G's list to forward)."""
    candidate = _candidate(tree, alice, introducers, "S9")
    day = dt.date(2025, 9, 1)
    transfer = _transfer(alice, candidate, tree.branch_b, day)
    transfer.refresh_from_db()
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.organisation, candidate.transfer_received_date) == ("S10", tree.branch_b, day)
    assert (transfer.forwarding_committee, transfer.forward_due_on, transfer.next_reminder_at) == (None, None, None)
    assert not selectors.transfers_to_forward(user=gina).exists()
    # To the village (decided by the commune, not G), G owes it.
    other = _candidate(tree, alice, introducers, "S9", name="Đặng Thị Chuyển Xa")
    moved = _transfer(alice, other, tree.village, day)
    moved.refresh_from_db()
    assert moved.forwarding_committee == tree.government
    assert list(selectors.transfers_to_forward(user=gina)) == [moved]
