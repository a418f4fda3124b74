"""Branch meetings with per-member attendance, their corrections, and the vote denominators that
follow from them (QĐ294 9.3.2, 9.3.4), on PostgreSQL.

Branch A has twelve official members (the first two introduce the candidate); the candidate
follows the reference timeline of admission.devdata.demo to S8 (branch vote due 05/08/2025).
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import BranchMeeting, Candidate, ListDecision, MeetingAttendance, MeetingCorrection, Vote
from members.models import MemberStatus, PartyMember
from members.selectors import branch_official_members
from tests.conftest import Tree
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db

START = dt.date(2025, 1, 6)
DAY = dt.date(2025, 8, 5)  # the branch vote's day on the timeline
NAMES = [
    "Lê Văn Giới", "Phạm Thị Thiệu", "Nguyễn Văn An", "Trần Thị Bình", "Đỗ Văn Cường", "Hoàng Thị Dung",
    "Vũ Văn Em", "Bùi Thị Giang", "Đặng Văn Hải", "Ngô Thị Hoa", "Dương Văn Khánh", "Lý Thị Lan",
]  # fmt: skip
E = services.AttendanceEntry


@pytest.fixture
def members(tree: Tree) -> list[PartyMember]:
    return [MemberFactory(person=PersonFactory(organisation=tree.branch_a, full_name=name)) for name in NAMES]


@pytest.fixture
def s8(tree: Tree, alice, members) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Văn Ứng Viên")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S8", user=alice, introducers=members[:2], start=START)


def _attendance(members: list[PartyMember], **special: str) -> dict[int, services.AttendanceEntry]:
    """Everybody present except the members named by their index (m0, m1, …) with another status."""
    return {m.pk: E(special.get(f"m{i}", "present")) for i, m in enumerate(members)}


def _meeting(user, tree: Tree, members, day: dt.date = DAY, **special: str) -> BranchMeeting:  # type: ignore[no-untyped-def]
    return services.meeting_record(
        acting_user=user,
        organisation=tree.branch_a,
        held_on=day,
        minutes="Họp thường kỳ",
        add=[],
        keep=[],
        remove={},
        attendance=_attendance(members, **special),
        now=at(day),
    )


def _vote(user, candidate: Candidate, meeting: BranchMeeting | None, yes: int, no: int = 0, **counts: int) -> Vote:  # type: ignore[no-untyped-def]
    return services.candidate_vote(
        acting_user=user,
        candidate=candidate,
        step_key="branch_vote",
        held_on=meeting.held_on if meeting else DAY,
        yes=yes,
        no=no,
        abstain=0,
        form="secret",
        meeting=meeting,
        now=at(DAY),
        **counts,
    )


def _codes(refused: pytest.ExceptionInfo[services.StepRefused]) -> list[str]:
    return [r.code for r in refused.value.reasons]


def test_it_records_one_row_per_official_member_and_derives_the_counts(alice, tree, members) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(alice, tree, members, m2="temporary_transfer", m3="absent", m4="excused")

    meeting.refresh_from_db()
    assert (meeting.official_members, meeting.excluded, meeting.present, meeting.denominator) == (12, 2, 9, 10)
    assert meeting.attendance_recorded
    assert MeetingAttendance.objects.filter(meeting=meeting).count() == 12
    assert meeting.history.count() == 1  # type: ignore[attr-defined]


def test_the_roster_is_the_branch_official_members_on_the_meeting_day(alice, tree, members) -> None:  # type: ignore[no-untyped-def]
    recognised_later = MemberFactory(
        person=PersonFactory(organisation=tree.branch_a, full_name="Mai Văn Sau"), official_date=dt.date(2025, 9, 1)
    )
    probationer = MemberFactory(
        person=PersonFactory(organisation=tree.branch_a, full_name="Tạ Thị Dự Bị"),
        status=MemberStatus.PROBATIONARY,
        official_date=None,
    )
    left_since = MemberFactory(
        person=PersonFactory(organisation=tree.branch_a, full_name="Kiều Văn Đi"),
        status=MemberStatus.LEFT,
        left_date=dt.date(2025, 8, 20),
    )
    MemberFactory(person=PersonFactory(organisation=tree.branch_b, full_name="Chu Văn Khác"))

    roster = set(branch_official_members(user=alice, organisation=tree.branch_a, on=DAY))

    assert roster == {*members, left_since}
    assert recognised_later not in roster and probationer not in roster
    with pytest.raises(services.StepRefused) as refused:
        _meeting(alice, tree, members)  # Kiều Văn Đi left later: he was summoned on 05/08
    assert _codes(refused) == ["attendance_roster_changed"]
    assert refused.value.reasons[0].params["names"] == ("Kiều Văn Đi",)
    assert not BranchMeeting.objects.exists()


def test_a_meeting_of_a_branch_without_members_in_the_tracker_keeps_typed_counts(alice, tree) -> None:  # type: ignore[no-untyped-def]
    meeting = services.meeting_record(
        acting_user=alice, organisation=tree.branch_a, held_on=DAY, minutes="",
        add=[], keep=[], remove={}, official_members=9, present=8, now=at(DAY),
    )  # fmt: skip

    assert (meeting.official_members, meeting.present, meeting.excluded, meeting.attendance_recorded) == (
        9,
        8,
        0,
        False,
    )
    assert not meeting.attendance.exists()


def test_a_branch_vote_at_a_meeting_takes_summoned_and_excluded_from_its_attendance(alice, tree, members, s8) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(alice, tree, members, m2="temporary_transfer", m3="excused")

    vote = _vote(alice, s8, meeting, yes=8, no=2)

    assert (vote.summoned, vote.excluded, vote.denominator, vote.required) == (12, 2, 10, 7)
    assert vote.passed and vote.counts_from_attendance and vote.meeting == meeting
    s8.refresh_from_db()
    assert s8.stage == "S9"


@pytest.mark.parametrize(
    ("counts", "code"),
    [
        ({"summoned": 9, "excluded": 0}, "meeting_counts_differ"),
        ({}, "ballots_exceed_present"),  # 10 present, 11 ballots
        ({"no": 0}, "ballots_short_of_present"),  # 10 present, 9 ballots: a typo, not a failed vote
    ],
)
def test_it_refuses_counts_the_attendance_contradicts(alice, tree, members, s8, counts, code) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(alice, tree, members, m0="absent", m1="absent")

    with pytest.raises(services.StepRefused) as refused:
        _vote(alice, s8, meeting, **{"yes": 9, "no": 2, **counts})

    assert code in _codes(refused)
    assert not Vote.objects.exists()
    assert Candidate.objects.get(pk=s8.pk).stage == "S8"


def test_it_refuses_a_meeting_of_another_day_or_branch(alice, bob, tree, members, s8) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(alice, tree, members)
    elsewhere = services.meeting_record(
        acting_user=bob, organisation=tree.branch_b, held_on=DAY, minutes="", add=[], keep=[], remove={},
        official_members=5, present=5, now=at(DAY),
    )  # fmt: skip

    with pytest.raises(services.StepRefused) as other_day:
        services.candidate_vote(
            acting_user=alice, candidate=s8, step_key="branch_vote", held_on=DAY - dt.timedelta(days=1),
            yes=9, no=0, abstain=0, form="secret", meeting=meeting, now=at(DAY),
        )  # fmt: skip
    with pytest.raises(services.StepRefused) as other_branch:
        _vote(alice, s8, elsewhere, yes=5, summoned=5, excluded=0)

    assert "meeting_date_mismatch" in _codes(other_day)
    assert "meeting_other_branch" in _codes(other_branch)
    assert not Vote.objects.exists()


def test_typed_counts_remain_for_a_meeting_without_attendance_and_without_a_meeting(alice, tree, s8) -> None:  # type: ignore[no-untyped-def]
    old = services.meeting_record(
        acting_user=alice, organisation=tree.branch_a, held_on=DAY, minutes="", add=[], keep=[], remove={},
        official_members=9, present=8, now=at(DAY),
    )  # fmt: skip
    with pytest.raises(services.StepRefused) as missing:
        _vote(alice, s8, old, yes=7)

    vote = _vote(alice, s8, old, yes=7, no=1, summoned=9, excluded=0)

    assert _codes(missing) == ["vote_counts_missing"]
    assert (vote.denominator, vote.counts_from_attendance, vote.meeting) == (9, False, old)


def test_fixing_the_attendance_recounts_the_votes_derived_from_it_and_flags_a_changed_result(
    alice, tree, members, s8
) -> None:  # type: ignore[no-untyped-def]
    """12 summoned, 1 on temporary transfer and 1 excused: N = 10, 7 needed; 7 for: passed. The
    excused member turns out absent without an accepted reason: N = 11, 8 needed. The vote is
    recounted and flagged; its result and the stage it moved stay until it is corrected."""
    meeting = _meeting(alice, tree, members, m2="temporary_transfer", m3="excused", m4="absent")
    vote = _vote(alice, s8, meeting, yes=7, no=2)
    assert (vote.denominator, vote.required, vote.passed) == (10, 7, True)

    correction = services.meeting_update(
        acting_user=alice,
        meeting=meeting,
        attendance={members[3].pk: E("absent", "Lý do vắng không được chi ủy chấp nhận")},
        now=at(DAY + dt.timedelta(days=2)),
    )

    vote.refresh_from_db()
    meeting.refresh_from_db()
    assert (meeting.official_members, meeting.excluded, meeting.present) == (12, 1, 9)
    assert (vote.summoned, vote.excluded, vote.denominator, vote.required) == (12, 1, 11, 8)
    assert vote.passed and vote.needs_correction
    assert Candidate.objects.get(pk=s8.pk).stage == "S9"  # no silent flip
    assert correction is not None
    kinds = [change["kind"] for change in correction.changes]
    assert kinds == ["attendance", "vote"]
    assert correction.changes[1]["denominator_before"] == 10
    assert correction.changes[1]["denominator_after"] == 11
    row = MeetingAttendance.objects.get(meeting=meeting, member=members[3])
    assert (row.status, row.history.count()) == ("absent", 2)  # type: ignore[attr-defined]

    # Put back as it was: the recount agrees with the recorded result again.
    services.meeting_update(acting_user=alice, meeting=meeting, attendance={members[3].pk: E("excused")})
    vote.refresh_from_db()
    assert (vote.denominator, vote.needs_correction) == (10, False)


def test_votes_with_typed_counts_are_not_recounted(alice, tree, members, s8) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(alice, tree, members, m2="excused")
    vote = _vote(alice, s8, None, yes=7, no=2, summoned=9, excluded=0)

    services.meeting_update(acting_user=alice, meeting=meeting, attendance={members[2].pk: E("absent")})

    vote.refresh_from_db()
    assert (vote.summoned, vote.denominator, vote.needs_correction) == (9, 9, False)


def test_a_fix_leaving_fewer_members_present_than_ballots_is_refused(alice, tree, members, s8) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(alice, tree, members, m0="absent", m1="absent", m2="absent")  # 9 present
    _vote(alice, s8, meeting, yes=8, no=1)

    with pytest.raises(services.StepRefused) as refused:
        services.meeting_update(acting_user=alice, meeting=meeting, attendance={members[5].pk: E("excused")})

    assert _codes(refused) == ["attendance_fix_breaks_vote"]
    assert MeetingAttendance.objects.get(meeting=meeting, member=members[5]).status == "present"
    assert not MeetingCorrection.objects.exists()


def test_after_the_next_meeting_a_change_needs_a_reason_kept_with_it(alice, tree, members) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(alice, tree, members)
    first = services.meeting_update(acting_user=alice, meeting=meeting, minutes="Họp thường kỳ tháng 8")
    _meeting(alice, tree, members, day=dt.date(2025, 9, 5))

    with pytest.raises(services.StepRefused) as refused:
        services.meeting_update(acting_user=alice, meeting=meeting, minutes="Sửa lại")
    corrected = services.meeting_update(
        acting_user=alice, meeting=meeting, minutes="Sửa lại", reason_text="Ghi nhầm nội dung"
    )

    assert first is not None and first.reason == ""
    assert _codes(refused) == ["meeting_correction_reason_required"]
    assert corrected is not None and corrected.reason == "Ghi nhầm nội dung"
    latest = meeting.history.order_by("-history_date", "-history_id").first()  # type: ignore[attr-defined]
    assert (latest.minutes, latest.history_change_reason, latest.history_user) == (
        "Sửa lại",
        "Ghi nhầm nội dung",
        alice,
    )


def test_the_committee_above_corrects_only_after_the_next_meeting_and_outsiders_never(  # type: ignore[no-untyped-def]
    alice, bob, carol, tree, members
) -> None:
    meeting = _meeting(alice, tree, members)
    with pytest.raises(services.StepRefused) as early:
        services.meeting_update(acting_user=carol, meeting=meeting, minutes="x", reason_text="y")
    with pytest.raises(PermissionDenied):
        services.meeting_update(acting_user=bob, meeting=meeting, minutes="x", reason_text="y")
    _meeting(alice, tree, members, day=dt.date(2025, 9, 5))

    corrected = services.meeting_update(acting_user=carol, meeting=meeting, minutes="x", reason_text="Kiểm tra")

    assert _codes(early) == ["meeting_edit_not_branch"]
    assert corrected is not None and corrected.by == carol


def test_a_removal_keeps_its_reason_and_unchanged_input_writes_nothing(alice, tree, members) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Quách Văn Rời")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S1", user=alice, introducers=members[:2], start=START)
    meeting = services.meeting_record(
        acting_user=alice, organisation=tree.branch_a, held_on=DAY, minutes="", add=[], keep=[],
        remove={candidate.pk: "Không tham gia sinh hoạt"}, attendance=_attendance(members), now=at(DAY),
    )  # fmt: skip
    decision = ListDecision.objects.get(meeting=meeting)

    with pytest.raises(services.StepRefused) as refused:
        services.meeting_update(acting_user=alice, meeting=meeting, decision_reasons={decision.pk: " "})
    unchanged = services.meeting_update(
        acting_user=alice, meeting=meeting, decision_reasons={decision.pk: "Không tham gia sinh hoạt"},
        attendance={members[0].pk: E("present")},
    )  # fmt: skip
    changed = services.meeting_update(
        acting_user=alice, meeting=meeting, decision_reasons={decision.pk: "Tự xin rút khỏi danh sách"}
    )

    assert _codes(refused) == ["note_required"]
    assert unchanged is None
    assert changed is not None and changed.changes[0]["kind"] == "decision"
    assert ListDecision.objects.get(pk=decision.pk).reason == "Tự xin rút khỏi danh sách"
