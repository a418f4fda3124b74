"""The recognition chain (HD38 II.1.1c(6)-(7)): where the tree has a sub-committee it appraises the
branch's recognition resolution (R6), then the grassroots committee resolves (R7, >= 2/3), each in
turn within S16, before the deciding committee decides; a delegated grassroots committee's decision
is its resolution. The decision names the bodies that really proposed. Three failed grassroots
resolutions go to the committees above (S16 -> SY, QĐ294 4.2.3); their ruling dispenses with the
chain. A delegated committee's "no" at its resolution (S9) is a step of its own.

Reference timeline (admission.devdata.demo, START 06/01/2025): ceremony 03/10/2025, probation review
05/10/2026 (S14), recognition vote 25/10/2026 (S16 from then).
"""

import datetime as dt

import pytest

from admission import selectors, services
from admission.devdata.demo import at, walk_to
from admission.documents import context as doccontext
from admission.models import Candidate, Notification
from members.models import MemberStatus, OrganisationKind, PartyMember, Role, User
from tests.conftest import Tree, _persona
from tests.factories import MemberFactory, OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
VOTED = dt.date(2026, 10, 25)  # the branch's recognition resolution of the timeline


def _members(branch) -> list[PartyMember]:  # type: ignore[no-untyped-def]
    return [
        MemberFactory(person=PersonFactory(organisation=branch, full_name=name), status=MemberStatus.OFFICIAL)
        for name in ("Lê Văn Giới", "Phạm Thị Thiệu")
    ]


def _at(branch, stage: str, name: str = "Đỗ Thị Dự Bị") -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=branch, full_name=name, youth_union_member=False)
    candidate = services.candidate_create(acting_user=None, person=person, now=at(START))
    return walk_to(candidate, stage, user=None, introducers=_members(branch), start=START)


def _vote(user: User | None, candidate: Candidate, key: str, day: dt.date, yes: int = 7) -> None:
    services.candidate_vote(
        acting_user=user,
        candidate=candidate,
        step_key=key,
        held_on=day,
        summoned=9,
        excluded=0,
        yes=yes,
        no=9 - yes,
        abstain=0,
        form="secret",
        now=at(day),
    )
    candidate.refresh_from_db()


def _decide(user: User | None, candidate: Candidate, day: dt.date) -> None:
    services.candidate_step(
        acting_user=user,
        candidate=candidate,
        step_key="recognition_decision",
        data=services.StepInput(on_date=day, vote=services.VoteCounts(summoned=5, yes=4, no=1)),
        now=at(day),
    )
    candidate.refresh_from_db()


def _codes(refused: pytest.ExceptionInfo[services.StepRefused]) -> list[str]:
    return [r.code for r in refused.value.reasons]


def _queue(user: User, committee) -> list[int]:  # type: ignore[no-untyped-def]
    return list(selectors.review_queue(user=user, committee=committee).values_list("pk", flat=True))


@pytest.fixture
def sub_committee(tree: Tree):  # type: ignore[no-untyped-def]
    """A sub-committee (đảng ủy bộ phận) of C, with a branch of its own."""
    sub = OrganisationFactory(
        kind=OrganisationKind.SUB_COMMITTEE, name="Đảng ủy bộ phận Khối 1", code="S", parent=tree.committee
    )
    branch = OrganisationFactory(kind=OrganisationKind.BRANCH, name="Chi bộ Phòng 1", code="S1", parent=sub)
    return sub, branch


def test_the_sub_committee_appraises_then_the_grassroots_committee_resolves_then_the_decision(
    tree, sub_committee, carol, gina
) -> None:  # type: ignore[no-untyped-def]
    sub, branch = sub_committee
    sam = _persona("sam", sub, Role.COMMITTEE_STAFF)
    candidate = _at(branch, "S16")
    assert (candidate.stage, candidate.recognition_branch_date) == ("S16", VOTED)

    # R6 is awaited: the dossier is the sub-committee's, in its queue only.
    assert services.due_committee(candidate).id == sub.pk  # type: ignore[union-attr]
    assert _queue(sam, sub) == [candidate.pk]
    assert _queue(carol, tree.committee) == [] and _queue(gina, tree.government) == []
    with pytest.raises(services.StepRefused) as refused:
        _decide(gina, candidate, VOTED + dt.timedelta(days=9))
    assert _codes(refused) == ["recognition_appraisal_missing"]
    with pytest.raises(services.StepRefused) as refused:
        _vote(carol, candidate, "recognition_grassroots_vote", VOTED + dt.timedelta(days=9))
    assert _codes(refused) == ["recognition_appraisal_missing"]
    with pytest.raises(services.StepRefused) as refused:
        _vote(gina, candidate, "recognition_appraisal", VOTED + dt.timedelta(days=7))
    assert _codes(refused) == ["level_not_due"]
    assert not candidate.votes.filter(purpose="recognition").exclude(body="BRANCH").exists()

    _vote(sam, candidate, "recognition_appraisal", VOTED + dt.timedelta(days=7))
    assert (candidate.stage, candidate.recognition_appraisal_date) == ("S16", VOTED + dt.timedelta(days=7))
    # Then it is the grassroots committee's turn, and its staff hear that the dossier reached them.
    assert services.due_committee(candidate).id == tree.committee.pk  # type: ignore[union-attr]
    assert Notification.objects.filter(user=carol, candidate=candidate, key__startswith="arrived:").exists()
    assert (_queue(sam, sub), _queue(carol, tree.committee), _queue(gina, tree.government)) == ([], [candidate.pk], [])
    with pytest.raises(services.StepRefused) as refused:
        _vote(sam, candidate, "recognition_appraisal", VOTED + dt.timedelta(days=8))
    assert _codes(refused) == ["recognition_chain_recorded"]

    _vote(carol, candidate, "recognition_grassroots_vote", VOTED + dt.timedelta(days=14))
    assert candidate.recognition_grassroots_date == VOTED + dt.timedelta(days=14)
    assert services.due_committee(candidate).id == tree.government.pk  # type: ignore[union-attr]
    assert (_queue(carol, tree.committee), _queue(gina, tree.government)) == ([], [candidate.pk])
    with pytest.raises(services.StepRefused) as refused:
        _decide(gina, candidate, VOTED + dt.timedelta(days=13))  # before the resolution it follows
    assert _codes(refused) == ["date_order"]

    _decide(gina, candidate, VOTED + dt.timedelta(days=21))
    assert candidate.stage == "S17"
    # The decision names the bodies that really proposed.
    context = doccontext.document_context(candidate, today=VOTED + dt.timedelta(days=22))
    assert (context["has_recognition_appraisal"], context["has_recognition_grassroots_resolution"]) == (True, True)
    assert (context["appraisal_name"], context["recognition_appraisal_date"]) == (
        "Đảng ủy bộ phận Khối 1",
        "01/11/2026",
    )
    assert (context["grassroots_name"], context["recognition_grassroots_date"]) == (
        "Đảng bộ Sở Thử nghiệm",
        "08/11/2026",
    )
    assert context["recognition_proposer_name"] == "Đảng bộ Sở Thử nghiệm"


def test_a_failed_appraisal_is_kept_and_the_dossier_stays_with_the_sub_committee(tree, sub_committee) -> None:  # type: ignore[no-untyped-def]
    sub, branch = sub_committee
    sam = _persona("sam", sub, Role.COMMITTEE_STAFF)
    candidate = _at(branch, "S16")
    _vote(sam, candidate, "recognition_appraisal", VOTED + dt.timedelta(days=7), yes=4)
    assert candidate.recognition_appraisal_date is None
    assert candidate.votes.filter(body="SUB_COMMITTEE_APPRAISAL", passed=False).count() == 1
    assert services.due_committee(candidate).id == sub.pk  # type: ignore[union-attr]


def test_without_a_sub_committee_the_grassroots_committee_resolves_first(tree, carol, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _at(tree.branch_a, "S16")
    assert services.due_committee(candidate).id == tree.committee.pk  # type: ignore[union-attr]
    with pytest.raises(services.StepRefused) as refused:
        _decide(gina, candidate, VOTED + dt.timedelta(days=9))
    assert _codes(refused) == ["recognition_grassroots_vote_missing"]
    with pytest.raises(services.StepRefused) as refused:
        _vote(carol, candidate, "recognition_appraisal", VOTED + dt.timedelta(days=7))
    assert _codes(refused) == ["step_not_in_tree"]
    _vote(carol, candidate, "recognition_grassroots_vote", VOTED + dt.timedelta(days=7))
    _decide(gina, candidate, VOTED + dt.timedelta(days=9))
    assert candidate.stage == "S17"
    context = doccontext.document_context(candidate)
    assert (context["has_recognition_appraisal"], context["has_recognition_grassroots_resolution"]) == (False, True)


def test_a_delegated_committee_decides_after_the_appraisal_and_its_decision_names_the_sub_committee(tree) -> None:  # type: ignore[no-untyped-def]
    sub = OrganisationFactory(
        kind=OrganisationKind.SUB_COMMITTEE, name="Đảng ủy bộ phận Xưởng", code="DS", parent=tree.delegated
    )
    branch = OrganisationFactory(kind=OrganisationKind.BRANCH, name="Chi bộ Xưởng 1", code="DS1", parent=sub)
    dan = _persona("dan", tree.delegated, Role.COMMITTEE_STAFF)
    sam = _persona("sam", sub, Role.COMMITTEE_STAFF)
    candidate = _at(branch, "S16")
    with pytest.raises(services.StepRefused) as refused:
        _vote(dan, candidate, "recognition_grassroots_vote", VOTED + dt.timedelta(days=7))
    assert _codes(refused) == ["step_not_in_tree"]  # its resolution is the decision itself
    _vote(sam, candidate, "recognition_appraisal", VOTED + dt.timedelta(days=7))
    assert _queue(dan, tree.delegated) == [candidate.pk]
    _decide(dan, candidate, VOTED + dt.timedelta(days=9))
    assert candidate.stage == "S17"
    context = doccontext.document_context(candidate)
    assert (context["has_recognition_appraisal"], context["has_recognition_grassroots_resolution"]) == (True, False)
    assert context["recognition_proposer_name"] == "Đảng ủy bộ phận Xưởng"


def test_a_village_branch_goes_straight_to_the_decision_and_the_decision_names_only_the_branch(tree) -> None:  # type: ignore[no-untyped-def]
    wendy = _persona("wendy", tree.commune, Role.COMMITTEE_STAFF)
    candidate = _at(tree.village, "S16")
    assert services.pending_chain_step(candidate) is None
    assert _queue(wendy, tree.commune) == [candidate.pk]
    _decide(wendy, candidate, VOTED + dt.timedelta(days=9))
    context = doccontext.document_context(candidate)
    assert (context["has_recognition_appraisal"], context["has_recognition_grassroots_resolution"]) == (False, False)
    assert context["recognition_proposer_name"] == "Chi bộ Tổ dân phố 1"


def test_three_failed_grassroots_resolutions_go_up_and_the_superiors_ruling_replaces_the_chain(
    tree, carol, gina, alice
) -> None:  # type: ignore[no-untyped-def]
    candidate = _at(tree.branch_a, "S16")
    for day in (3, 10):
        _vote(carol, candidate, "recognition_grassroots_vote", VOTED + dt.timedelta(days=day), yes=5)
        assert candidate.stage == "S16"
    _vote(carol, candidate, "recognition_grassroots_vote", VOTED + dt.timedelta(days=17), yes=5)
    assert (candidate.stage, candidate.failed_votes) == ("SY", 3)
    transition = candidate.transitions.order_by("-pk").first()
    assert transition is not None and transition.note.startswith("Đảng ủy cơ sở biểu quyết 3 lần không đạt 2/3")
    assert Notification.objects.filter(user=alice, candidate=candidate, key=f"stage:{transition.pk}").exists()
    # The deciding committee rules (it is in its queue, with what is expected).
    assert _queue(gina, tree.government) == [candidate.pk]
    assert selectors.EXPECTED_RULINGS[candidate.stage_enum][0] == "deadlock_recognise"
    ruling = VOTED + dt.timedelta(days=20)
    services.candidate_step(
        acting_user=gina,
        candidate=candidate,
        step_key="deadlock_recognise",
        data=services.StepInput(on_date=ruling, note="Ban Thường vụ kết luận đủ điều kiện"),
        now=at(ruling),
    )
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.deadlock_ruling_date) == ("S16", ruling)
    assert services.pending_chain_step(candidate) is None  # no resolution of C awaited any more
    assert (_queue(carol, tree.committee), _queue(gina, tree.government)) == ([], [candidate.pk])
    _decide(gina, candidate, ruling + dt.timedelta(days=1))
    assert candidate.stage == "S17"


def test_a_new_branch_resolution_after_a_return_needs_the_chain_again(tree, carol, gina, alice) -> None:  # type: ignore[no-untyped-def]
    candidate = _at(tree.branch_a, "S16")
    _vote(carol, candidate, "recognition_grassroots_vote", VOTED + dt.timedelta(days=3))
    services.dossier_return(
        acting_user=gina,
        candidate=candidate,
        note="Thiếu bản tự kiểm điểm",
        documents={},
        now=at(VOTED + dt.timedelta(days=5)),
    )
    candidate.refresh_from_db()
    assert candidate.stage == "S15"
    _vote(alice, candidate, "recognition_vote", VOTED + dt.timedelta(days=6))
    assert candidate.stage == "S16"
    assert services.pending_chain_step(candidate).key == "recognition_grassroots_vote"  # type: ignore[union-attr]


def test_a_delegated_committee_decides_not_to_admit_at_its_resolution(tree, gina) -> None:  # type: ignore[no-untyped-def]
    dan = _persona("dan", tree.delegated, Role.COMMITTEE_STAFF)
    secretary = _persona("sec", tree.delegated_branch, Role.BRANCH_SECRETARY)
    candidate = _at(tree.delegated_branch, "S9", name="Hà Văn Chờ")
    day = candidate.stage_entered_on + dt.timedelta(days=5)

    def refuse(user: User, yes: int = 3, note: str = "Chưa đủ tiêu chuẩn") -> None:
        services.candidate_step(
            acting_user=user,
            candidate=candidate,
            step_key="grassroots_reject",
            data=services.StepInput(on_date=day, note=note, vote=services.VoteCounts(summoned=9, yes=yes, no=9 - yes)),
            now=at(day),
        )

    for intruder in (secretary, gina):
        with pytest.raises(services.StepRefused) as refused:
            refuse(intruder)
        assert _codes(refused) == ["level_not_due"]
    with pytest.raises(services.StepRefused) as refused:
        refuse(dan, yes=6)  # >= 2/3 of all its members is an admission
    assert _codes(refused) == ["vote_threshold_reached"]
    refuse(dan)
    candidate.refresh_from_db()
    assert candidate.stage == "S1"
    assert list(candidate.votes.filter(body="DELEGATED_GRASSROOTS_COMMITTEE").values_list("yes", "passed")) == [
        (3, False)
    ]
    refused_at = candidate.transitions.order_by("-pk").first()
    assert refused_at is not None and (refused_at.from_stage, refused_at.acting_user) == ("S9", dan)
    notice = Notification.objects.get(user=secretary, candidate=candidate, key=f"stage:{refused_at.pk}")
    assert "không kết nạp" in notice.text_vi


def test_the_refusal_at_the_resolution_does_not_apply_where_the_grassroots_committee_only_proposes(
    tree, carol, introducers
) -> None:  # type: ignore[no-untyped-def]
    candidate = _at(tree.branch_a, "S9")
    with pytest.raises(services.StepRefused) as refused:
        services.candidate_step(
            acting_user=carol,
            candidate=candidate,
            step_key="grassroots_reject",
            data=services.StepInput(note="x", vote=services.VoteCounts(summoned=9, yes=3, no=6)),
            now=at(candidate.stage_entered_on + dt.timedelta(days=3)),
        )
    assert _codes(refused) == ["step_not_in_tree"]
