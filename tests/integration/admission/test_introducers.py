"""Introducer = helper by default (rules §3 S5; ĐL 4.1; QĐ294 3.1-3.2): the member assigned to help
is entered once and counts as introducer; the branch names a second introducer, or the Youth Union's
resolution applies; the refusal says who counts and what to assign. Candidates follow the reference
timeline from 06/01/2025 (application 15/04/2025, introduction recorded 05/05/2025)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from admission import services
from admission.devdata.demo import at, walk_to
from admission.domain.reasons import format_reason
from admission.models import Candidate
from members.models import PartyMember, User
from tests.conftest import Tree
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
INTRODUCED_ON = dt.date(2025, 5, 5)


def _at_s5(tree: Tree, user: User | None, **person: object) -> Candidate:
    candidate = services.candidate_create(
        acting_user=user, person=PersonFactory(organisation=tree.branch_a, **person), now=at(START)
    )
    return walk_to(candidate, "S5", user=user, introducers=[], start=START)


def _assign(candidate: Candidate, member: PartyMember, user: User | None, role: str = "mentor") -> None:
    services.mentor_assign(
        acting_user=user, candidate=candidate, member=member, together_since=dt.date(2020, 1, 1),
        assigned_on=dt.date(2025, 4, 20), role=role,
    )  # fmt: skip


def _introduce(candidate: Candidate, user: User | None, **entered: object) -> None:
    services.candidate_step(
        acting_user=user,
        candidate=candidate,
        step_key="introduction",
        data=services.StepInput(on_date=INTRODUCED_ON, **entered),  # type: ignore[arg-type]
        now=at(INTRODUCED_ON),
    )


def test_two_members_the_helper_and_a_second_introducer(tree: Tree, alice: User, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _at_s5(tree, alice)
    helper, second = introducers
    _assign(candidate, helper, alice)

    with pytest.raises(services.StepRefused) as refused:
        _introduce(candidate, alice, introduction_mode="TWO_MEMBERS")

    (why,) = refused.value.reasons
    assert why.code == "introducers_missing"
    assert (why.params["actual"], why.params["missing"], why.params["names"]) == (1, 1, ("Lê Văn Giới",))
    assert "Đoàn TNCS Hồ Chí Minh hoặc Công đoàn cơ sở" in format_reason(why)
    _assign(candidate, second, alice, role="introducer")
    _introduce(candidate, alice, introduction_mode="TWO_MEMBERS")

    candidate.refresh_from_db()
    assert candidate.stage == "S6"
    assert [m.member for m in services.introducers(candidate, services.introduction_mode_default(candidate, INTRODUCED_ON))] == [helper, second]  # fmt: skip


def test_the_form_of_introduction_defaults_from_the_person_and_is_recorded(
    tree: Tree, alice: User, introducers
) -> None:  # type: ignore[no-untyped-def]
    candidate = _at_s5(tree, alice, youth_union_member=True, date_of_birth=dt.date(2001, 2, 3))
    _assign(candidate, introducers[0], alice)

    _introduce(candidate, alice, union_resolution_date=dt.date(2025, 4, 28))  # no form chosen

    candidate.refresh_from_db()
    assert (candidate.stage, candidate.introduction_mode) == ("S6", "YOUTH_UNION_PLUS_ONE")


def test_no_one_assigned_says_the_helper_is_the_introducer(tree: Tree, alice: User) -> None:
    candidate = _at_s5(tree, alice)

    with pytest.raises(services.StepRefused) as refused:
        _introduce(candidate, alice)  # two members by default for a person past youth age

    (why,) = refused.value.reasons
    assert format_reason(why).startswith(
        "Cần 2 đảng viên chính thức giới thiệu, hiện có 0. Đảng viên giúp đỡ được chi bộ phân công là người "
        "giới thiệu: phân công thêm 2 đảng viên chính thức của chi bộ"
    )
    assert Candidate.objects.get(pk=candidate.pk).introduction_mode == ""  # nothing written


def test_a_member_assigned_both_ways_counts_once(tree: Tree, alice: User, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _at_s5(tree, alice)
    _assign(candidate, introducers[0], alice)
    _assign(candidate, introducers[0], alice, role="introducer")

    with pytest.raises(services.StepRefused) as refused:
        _introduce(candidate, alice, introduction_mode="TWO_MEMBERS")

    assert refused.value.reasons[0].params["actual"] == 1


def test_the_branch_vote_counts_the_helper_too(tree: Tree, alice: User, introducers) -> None:  # type: ignore[no-untyped-def]
    """The branch's consideration (S8) reads the same introducers: the reference walk assigns one
    helper and one introducer only, and the vote passes."""
    candidate = services.candidate_create(
        acting_user=alice, person=PersonFactory(organisation=tree.branch_a), now=at(START)
    )
    candidate = walk_to(candidate, "S9", user=alice, introducers=introducers, start=START)

    assert sorted(candidate.mentorships.values_list("role", flat=True)) == ["introducer", "mentor"]


def test_a_member_outside_the_users_scope_is_refused(tree: Tree, alice: User) -> None:
    candidate = _at_s5(tree, alice)
    outside = MemberFactory(person=PersonFactory(organisation=tree.branch_b))

    with pytest.raises(PermissionDenied):
        _assign(candidate, outside, alice)
    assert not candidate.mentorships.exists()
