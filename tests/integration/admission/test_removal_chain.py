"""Removal from the probationary list (xóa tên, HD06 4.6; QĐ294 8.2, 4.2.3): the branch's resolution
proposing it and the grassroots committee's are votes recorded within the stage; the deciding
committee's decision, with its own vote, moves the candidate to SX and opens the 30-working-day
complaint window. Each act is recorded by its own body only.

Reference timeline (admission.devdata.demo, START 06/01/2025): ceremony 03/10/2025, probation
(S13) from 30/10/2025, recognition vote (S15 -> S16) 20/10/2026.
"""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from admission import services
from admission.dates import candidate_dates
from admission.devdata.demo import at, remove_through_chain, walk_to
from admission.models import Candidate, Notification, Vote
from admission.rulebook import calendar_for, rulebook_for
from admission.workflow import STEP_BY_KEY
from members.models import MemberStatus, Role
from members.services import role_assign
from tests.factories import MemberFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
DAY = dt.date(2026, 1, 15)  # Thu, in probation


def _probationer(tree, alice, introducers, stage: str = "S13", name: str = "Lý Văn Xóa") -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=name, date_of_birth=dt.date(1997, 2, 3))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, stage, user=alice, introducers=introducers, start=START)  # committees: the system


def _vote(user, candidate: Candidate, key: str, yes: int, summoned: int = 9, day: dt.date = DAY) -> Vote:  # type: ignore[no-untyped-def]
    return services.candidate_vote(
        acting_user=user,
        candidate=candidate,
        step_key=key,
        held_on=day,
        summoned=summoned,
        excluded=0,
        yes=yes,
        no=summoned - yes,
        abstain=0,
        form="secret",
        now=at(day),
    )


def _remove(user, candidate: Candidate, yes: int | None = 4, day: dt.date = DAY) -> None:  # type: ignore[no-untyped-def]
    vote = services.VoteCounts(summoned=5, yes=yes, no=5 - yes) if yes is not None else None
    services.candidate_step(
        acting_user=user,
        candidate=candidate,
        step_key="remove",
        data=services.StepInput(on_date=day, note="Vi phạm tư cách đảng viên dự bị", basis="12-QĐ/ĐU", vote=vote),
        now=at(day),
    )


def _codes(refused: pytest.ExceptionInfo[services.StepRefused]) -> list[str]:
    return [r.code for r in refused.value.reasons]


def test_each_body_records_its_own_act_of_the_chain(tree, alice, carol, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _probationer(tree, alice, introducers)
    # Nothing proposed: the decision names what is missing.
    with pytest.raises(services.StepRefused) as refused:
        _remove(gina, candidate)
    assert _codes(refused) == ["removal_branch_vote_missing"]
    assert refused.value.reasons[0].rule == "HD06 4.6"

    # 1. The branch proposes (>= 2/3 of official members); the candidate stays in probation.
    vote = _vote(alice, candidate, "removal_branch_vote", yes=6)
    candidate.refresh_from_db()
    assert (vote.passed, vote.required, vote.body, vote.purpose) == (True, 6, "BRANCH", "removal")
    assert (candidate.stage, candidate.failed_votes) == ("S13", 0)

    # 2. Only the grassroots committee's staff record its resolution.
    for intruder in (alice, gina):
        with pytest.raises(services.StepRefused) as refused:
            _vote(intruder, candidate, "removal_grassroots_vote", yes=8)
        assert _codes(refused) == ["level_not_due"]
    with pytest.raises(services.StepRefused) as refused:
        _remove(gina, candidate)
    assert _codes(refused) == ["removal_grassroots_vote_missing"]
    assert _vote(carol, candidate, "removal_grassroots_vote", yes=6).passed  # 6 of 9 = 2/3
    candidate.refresh_from_db()
    assert candidate.stage == "S13"

    # 3. Only the deciding committee's staff record the decision; its own vote needs > 1/2.
    for intruder in (alice, carol):
        with pytest.raises(services.StepRefused) as refused:
            _remove(intruder, candidate)
        assert _codes(refused) == ["level_not_due"]
    with pytest.raises(services.StepRefused) as refused:
        _remove(gina, candidate, yes=2)
    assert _codes(refused) == ["vote_threshold_not_reached", "committee_vote_not_recorded"]
    candidate.refresh_from_db()
    assert candidate.stage == "S13"
    _remove(gina, candidate, yes=3)

    candidate.refresh_from_db()
    assert (candidate.stage, candidate.removal_date) == ("SX", DAY)
    assert candidate.member is not None
    candidate.member.refresh_from_db()
    assert candidate.member.status == MemberStatus.REMOVED
    assert list(candidate.votes.filter(purpose="removal").values_list("body", "purpose", "yes", "passed")) == [
        ("BRANCH", "removal", 6, True),
        ("GRASSROOTS_COMMITTEE", "removal", 6, True),
        # the refused decision (2 of 5) was not stored: a refused entry never is
        ("STANDING_COMMITTEE", "removal", 3, True),
    ]
    transition = candidate.transitions.order_by("-pk").first()
    assert transition is not None
    assert (transition.from_stage, transition.to_stage, transition.acting_user, transition.basis) == (
        "S13",
        "SX",
        gina,
        "12-QĐ/ĐU",
    )
    # The branch's secretary is told of the decision.
    assert Notification.objects.filter(user=alice, candidate=candidate, kind="stage_change").exists()


def test_the_decision_opens_the_complaint_window_shown_on_the_page(tree, alice, carol, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _probationer(tree, alice, introducers)
    removed = remove_through_chain(candidate, day=DAY, branch_user=alice, grassroots_user=carol, committee_user=gina)
    dates = candidate_dates(
        removed, calendar=calendar_for(removed.organisation), rulebook=rulebook_for(removed.organisation)
    )
    # Thu 15/01/2026: Jan 16 = 1; Jan 19-Feb 13 = 21; Tết 16-20/02 off; Feb 23-27 = 26; Mar 2-5 = 30.
    assert dates.complaint_deadline is not None
    assert (dates.complaint_deadline.day, dates.complaint_deadline.rule.point) == (dt.date(2026, 3, 5), "QĐ294 8.2")
    client = Client()
    client.force_login(alice)
    html = client.get(reverse("candidate_detail", args=[removed.pk])).content.decode()
    assert "Hạn khiếu nại quyết định xóa tên" in html
    assert "05/03/2026" in html


def test_proposals_of_an_earlier_stage_do_not_carry_over(tree, alice, carol, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _probationer(tree, alice, introducers)
    _vote(alice, candidate, "removal_branch_vote", yes=7)
    _vote(carol, candidate, "removal_grassroots_vote", yes=7)
    walk_to(candidate, "S14", user=alice, introducers=introducers, start=START)  # probation review 05/10/2026
    later = dt.date(2026, 10, 6)
    with pytest.raises(services.StepRefused) as refused:
        _remove(gina, candidate, day=later)
    assert _codes(refused) == ["removal_branch_vote_missing"]


def test_three_failed_branch_votes_to_recognise_or_to_remove_escalate(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _probationer(tree, alice, introducers, stage="S15")
    day = candidate.stage_entered_on + dt.timedelta(days=3)
    assert not _vote(alice, candidate, "recognition_vote", yes=5, day=day).passed
    assert not _vote(alice, candidate, "removal_branch_vote", yes=5, day=day).passed
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.failed_votes) == ("S15", 2)
    assert not _vote(alice, candidate, "removal_branch_vote", yes=4, day=day).passed
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.failed_votes) == ("SY", 3)  # QĐ294 4.2.3


def test_a_failed_grassroots_resolution_stops_the_proposal_and_is_not_counted_with_the_branchs_votes(
    tree, alice, carol, gina, introducers
) -> None:  # type: ignore[no-untyped-def]
    candidate = _probationer(tree, alice, introducers, stage="S15")
    day = candidate.stage_entered_on + dt.timedelta(days=3)
    _vote(alice, candidate, "removal_branch_vote", yes=6, day=day)
    assert not _vote(carol, candidate, "removal_grassroots_vote", yes=5, day=day).passed
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.failed_votes) == ("S15", 0)
    with pytest.raises(services.StepRefused) as refused:
        _remove(gina, candidate, day=day)
    assert _codes(refused) == ["removal_grassroots_vote_missing"]


def test_three_failed_grassroots_resolutions_at_the_consideration_escalate(tree, alice, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    """QĐ294 4.2.3: any lower body failing three times to reach 2/3 on recognition or removal at the
    end of probation reports up; each body counts its own failures."""
    candidate = _probationer(tree, alice, introducers, stage="S15")
    day = candidate.stage_entered_on + dt.timedelta(days=3)
    assert not _vote(alice, candidate, "removal_branch_vote", yes=5, day=day).passed  # the branch: 1
    _vote(alice, candidate, "removal_branch_vote", yes=6, day=day)
    for attempt in (1, 2):
        assert not _vote(
            carol, candidate, "removal_grassroots_vote", yes=5, day=day + dt.timedelta(days=attempt)
        ).passed
        candidate.refresh_from_db()
        assert (candidate.stage, candidate.failed_votes) == ("S15", 1)  # the branch's count, unchanged
    _vote(carol, candidate, "removal_grassroots_vote", yes=5, day=day + dt.timedelta(days=3))
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.failed_votes) == ("SY", 3)
    transition = candidate.transitions.order_by("-pk").first()
    assert transition is not None and transition.note.startswith("Đảng ủy cơ sở biểu quyết 3 lần không đạt 2/3")


def test_failed_proposals_during_probation_are_kept_but_do_not_escalate(tree, alice, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    """Before the consideration at the end of probation (S13, S14) QĐ294 4.2.3 does not apply:
    failed removal proposals of either body are kept and the probation goes on."""
    candidate = _probationer(tree, alice, introducers, stage="S13")
    for attempt in range(3):
        _vote(alice, candidate, "removal_branch_vote", yes=6, day=DAY + dt.timedelta(days=attempt))
        assert not _vote(
            carol, candidate, "removal_grassroots_vote", yes=5, day=DAY + dt.timedelta(days=attempt)
        ).passed
    for _attempt in range(3):
        assert not _vote(alice, candidate, "removal_branch_vote", yes=5, day=DAY + dt.timedelta(days=5)).passed
    candidate.refresh_from_db()
    assert candidate.stage == "S13"
    assert candidate.votes.filter(purpose="removal", passed=False).count() == 6


def test_the_deciding_committee_may_refuse_recognition_by_removing_at_s16(tree, alice, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _probationer(tree, alice, introducers, stage="S16")
    day = candidate.stage_entered_on + dt.timedelta(days=5)
    with pytest.raises(services.StepRefused) as refused:
        _remove(alice, candidate, day=day)
    assert _codes(refused) == ["level_not_due"]
    _remove(gina, candidate, day=day)  # the dossier is with it: no proposal needed
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.removal_date) == ("SX", day)


def test_a_branch_with_no_grassroots_committee_goes_from_its_resolution_to_the_decision(tree) -> None:  # type: ignore[no-untyped-def]
    village = tree.village
    secretary = UserFactory(username="thu")
    role_assign(acting_user=None, user=secretary, organisation=village, role=Role.BRANCH_SECRETARY)
    staff = UserFactory(username="phuong")
    role_assign(acting_user=None, user=staff, organisation=tree.commune, role=Role.COMMITTEE_STAFF)
    members = [
        MemberFactory(person=PersonFactory(organisation=village, full_name=name), status=MemberStatus.OFFICIAL)
        for name in ("Đỗ Văn Một", "Đỗ Thị Hai")
    ]
    person = PersonFactory(organisation=village, full_name="Đỗ Văn Dự Bị", date_of_birth=dt.date(1996, 5, 5))
    candidate = services.candidate_create(acting_user=secretary, person=person, now=at(START))
    walk_to(candidate, "S13", user=secretary, introducers=members, start=START)
    step = STEP_BY_KEY["removal_grassroots_vote"]
    assert not services.step_applies(step, candidate)
    assert not services.may_record(staff, candidate, step)
    with pytest.raises(services.StepRefused) as refused:
        _vote(staff, candidate, "removal_grassroots_vote", yes=7)
    assert _codes(refused) == ["step_not_in_tree"]

    _vote(secretary, candidate, "removal_branch_vote", yes=7)
    with pytest.raises(services.StepRefused) as refused:
        _remove(secretary, candidate)
    assert _codes(refused) == ["level_not_due"]
    _remove(staff, candidate)
    candidate.refresh_from_db()
    assert candidate.stage == "SX"
