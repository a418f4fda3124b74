"""Monthly branch-review reminders of the sweep: one per branch and month, never twice, in batches."""

import datetime as dt
import time

import pytest
from django.db import connection

from admission import schedule, services
from admission.devdata.demo import at, walk_to
from admission.models import BranchReview, Candidate, Notification, TrialTask
from admission.reminders import dispatch as reminders
from members import services as member_services
from members.models import Organisation, Role
from tests.concurrency import failures, run_together
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 10, 1)
# Meeting day 5 (the default): the review reminder falls two days before, on the 3rd at 07:00.
FIRST_DUE = dt.date(2025, 10, 3)


def _seven(day: dt.date) -> dt.datetime:
    return at(day).replace(hour=schedule.REMINDER_HOUR)


def _reviews() -> dict[int, tuple[dt.datetime | None, int]]:
    return {
        o: (due, seq)
        for o, due, seq in BranchReview.objects.values_list("organisation_id", "next_reminder_at", "sequence")
    }


def _review_notes() -> list[tuple[int, str, int]]:
    return sorted(
        Notification.objects.filter(kind=Notification.Kind.MONTHLY_REVIEW).values_list(
            "user_id", "key", "organisation_id"
        )
    )


def test_the_first_sweep_gives_every_branch_its_next_review_reminder(tree) -> None:  # type: ignore[no-untyped-def]
    Organisation.objects.filter(pk=tree.village.pk).update(meeting_day=20)
    reminders.reminders_dispatch_due(now=at(TODAY))
    assert _reviews() == {
        tree.branch_a.pk: (_seven(FIRST_DUE), 0),
        tree.branch_b.pk: (_seven(FIRST_DUE), 0),
        tree.delegated_branch.pk: (_seven(FIRST_DUE), 0),
        tree.village.pk: (_seven(dt.date(2025, 10, 18)), 0),
    }
    assert _review_notes() == []  # none due yet


def test_a_due_review_tells_the_secretary_once_and_moves_to_next_month(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    reminders.reminders_dispatch_due(now=at(TODAY))
    listed = []
    for name in ("Cao Văn Một", "Cao Văn Hai"):
        candidate = services.candidate_create(
            acting_user=alice, person=PersonFactory(organisation=tree.branch_a, full_name=name), now=at(TODAY)
        )
        listed.append(walk_to(candidate, "S1", user=alice, introducers=introducers, start=TODAY))
    TrialTask.objects.create(candidate=listed[0], description="due soon", due_on=FIRST_DUE + dt.timedelta(days=7))
    TrialTask.objects.create(candidate=listed[0], description="later", due_on=FIRST_DUE + dt.timedelta(days=8))
    TrialTask.objects.create(candidate=listed[1], description="done", due_on=FIRST_DUE, done_on=FIRST_DUE)
    stages = set(Candidate.objects.filter(pk__in=[c.pk for c in listed]).values_list("stage", flat=True))
    assert stages <= {"S1", "S2"}

    now = at(FIRST_DUE)
    handled = reminders.reminders_dispatch_due(now=now)
    assert handled >= 4  # the four branches' reviews (and nothing else is due)
    note = Notification.objects.get(kind=Notification.Kind.MONTHLY_REVIEW, user=alice)
    assert note.key == f"review:{tree.branch_a.pk}:0"
    assert note.organisation_id == tree.branch_a.pk
    assert note.due_on == dt.date(2025, 10, 5)
    assert note.text_vi == (
        "Sinh hoạt chi bộ Chi bộ A ngày 05/10/2025: xét 2 người trong danh sách cảm tình Đảng, 1 nhiệm vụ đến hạn"
    )
    assert note.text_en == "Branch meeting of Chi bộ A on 05/10/2025: review 2 sympathisers, 1 tasks due"
    assert note.created_at == now
    next_month = _seven(dt.date(2025, 11, 3))
    assert set(_reviews().values()) == {(next_month, 1)}

    notes = _review_notes()
    reminders.reminders_dispatch_due(now=now)  # a second beat at the same time
    reminders.reminders_dispatch_due(now=now + dt.timedelta(days=20))  # nothing due before 03/11
    assert _review_notes() == notes
    assert set(_reviews().values()) == {(next_month, 1)}

    reminders.reminders_dispatch_due(now=at(dt.date(2025, 11, 3)))
    assert [key for _u, key, _o in _review_notes()] == [f"review:{tree.branch_a.pk}:0", f"review:{tree.branch_a.pk}:1"]
    assert set(_reviews().values()) == {(_seven(dt.date(2025, 12, 3)), 2)}


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_many_due_reviews_are_handled_in_batches_each_once(tree, alice, bob, monkeypatch, vendor: str) -> None:  # type: ignore[no-untyped-def]
    """Small batches, every review due at different times (a month without beat): each is
    handled once, whatever the batch boundaries; `other` takes the bulk_update path (SQLite)."""
    reminders.reminders_dispatch_due(now=at(TODAY))
    branches = [tree.branch_a, tree.branch_b, tree.delegated_branch, tree.village]
    # Some share a due time (ties broken by id across a batch boundary), one is later, one is not due.
    due = [_seven(dt.date(2025, 9, 3)), _seven(dt.date(2025, 9, 3)), _seven(dt.date(2025, 9, 10)), at(TODAY)]
    for branch, when in zip(branches, due, strict=True):
        BranchReview.objects.filter(organisation=branch).update(next_reminder_at=when, sequence=3)
    extra = member_services._organisation_insert(kind="branch", name="Chi bộ C", code="CC", parent=tree.committee)
    BranchReview.objects.create(organisation=extra, next_reminder_at=_seven(dt.date(2025, 10, 20)), sequence=0)
    if vendor != "postgresql":
        monkeypatch.setattr(connection, "vendor", vendor)

    handled = reminders.reminders_dispatch_due(now=at(TODAY) + dt.timedelta(minutes=1), batch_size=1)
    assert handled == 4
    assert _review_notes() == [
        (alice.pk, f"review:{tree.branch_a.pk}:3", tree.branch_a.pk),
        (bob.pk, f"review:{tree.branch_b.pk}:3", tree.branch_b.pk),
    ]
    after = _reviews()
    assert {after[b.pk] for b in branches} == {(_seven(FIRST_DUE), 4)}
    assert after[extra.pk] == (_seven(dt.date(2025, 10, 20)), 0)


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_rows_update_writes_each_rows_values_nulls_included(tree, alice, monkeypatch, vendor: str) -> None:  # type: ignore[no-untyped-def]
    """The sweep's one-statement UPDATE (VALUES typed by the model's columns, so a first row of
    NULLs is still a timestamptz); `other` is the bulk_update path of SQLite."""
    made = [
        services.candidate_create(acting_user=alice, person=PersonFactory(organisation=tree.branch_a), now=at(TODAY))
        for _i in range(3)
    ]
    Candidate.objects.filter(pk__in=[made[0].pk, made[2].pk]).update(next_reminder_at=at(TODAY), reminder_sequence=2)
    if vendor != "postgresql":
        monkeypatch.setattr(connection, "vendor", vendor)
    reminders._rows_update(
        Candidate,
        ("next_reminder_at", "reminder_sequence"),
        [(made[0].pk, None, None), (made[1].pk, _seven(FIRST_DUE), 4)],
    )
    reminders._rows_update(Candidate, ("next_reminder_at",), [])  # nothing to do: no statement
    found = dict(
        (pk, (due, seq))
        for pk, due, seq in Candidate.objects.filter(pk__in=[c.pk for c in made]).values_list(
            "pk", "next_reminder_at", "reminder_sequence"
        )
    )
    assert found == {made[0].pk: (None, None), made[1].pk: (_seven(FIRST_DUE), 4), made[2].pk: (at(TODAY), 2)}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_tell_each_branch_once_and_move_it_on_once(tree, alice, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Double beat over the branch reviews: each sweep claims rows the other does not hold (SKIP
    LOCKED) and reads on from its own last row (keyset), so every review is handled by exactly
    one of them."""
    branches = [tree.branch_a] + [
        member_services._organisation_insert(kind="branch", name=f"Chi bộ {i}", code=f"CX{i}", parent=tree.committee)
        for i in range(9)
    ]
    for branch in branches[1:]:
        member_services.role_assign(acting_user=None, user=alice, organisation=branch, role=Role.BRANCH_SECRETARY)
    reminders.reminders_dispatch_due(now=at(TODAY))
    BranchReview.objects.filter(organisation__in=branches).update(next_reminder_at=_seven(dt.date(2025, 9, 3)))
    update = reminders._rows_update

    def slow_update(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        time.sleep(0.05)  # hold the batch's row locks while the other sweep runs
        update(*args, **kwargs)

    monkeypatch.setattr(reminders, "_rows_update", slow_update)

    def dispatch(wait):  # type: ignore[no-untyped-def]
        wait()
        return reminders.reminders_dispatch_due(now=at(TODAY), batch_size=2)

    handled = run_together(dispatch)
    assert not failures(handled), handled
    assert sum(handled) == len(branches)
    keys = [key for _user, key, _org in _review_notes()]
    assert sorted(keys) == sorted(f"review:{b.pk}:0" for b in branches)
    assert {_reviews()[b.pk] for b in branches} == {(_seven(FIRST_DUE), 1)}
