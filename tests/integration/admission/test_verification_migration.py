"""Migration 0011 on data entered before it: duplicate open requests (the testers' "adding the
request again") are cancelled, keeping the oldest, and the open ones are left for the sweep."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import PersonFactory

BEFORE = [("admission", "0010_candidate_transfer")]
AFTER = [("admission", "0011_verification_replies")]


@pytest.mark.django_db(transaction=True)
def test_it_cancels_duplicates_already_entered_and_keeps_the_oldest(tree) -> None:  # type: ignore[no-untyped-def]
    try:
        person = PersonFactory(organisation=tree.branch_a)
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        candidate = old.get_model("admission", "Candidate").objects.create(
            person_id=person.pk,
            organisation_id=tree.branch_a.pk,
            stage="S6",
            stage_entered_at=dt.datetime(2025, 5, 5, tzinfo=dt.UTC),
            stage_entered_on=dt.date(2025, 5, 5),
        )
        requests = old.get_model("admission", "VerificationRequest").objects
        rows = {"candidate_id": candidate.pk, "addressee": "UBND", "sent_on": dt.date(2025, 5, 6)}
        first = requests.create(subject="Bố đẻ", received_on=dt.date(2025, 5, 8), **rows)
        second = requests.create(subject="BỐ  ĐẺ", received_on=dt.date(2025, 5, 9), **rows)
        answered = requests.create(
            subject="Bố đẻ", received_on=dt.date(2025, 5, 8), replied_on=dt.date(2025, 6, 1), **rows
        )
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps.get_model("admission", "VerificationRequest").objects
        kept, cancelled, done = new.get(pk=first.pk), new.get(pk=second.pk), new.get(pk=answered.pk)
        assert (kept.cancelled_on, kept.subject_key) == (None, "bố đẻ")
        assert kept.next_reminder_at is not None and kept.reminder_sequence is None  # for the sweep to schedule
        assert cancelled.cancelled_on is not None and "Trùng lặp" in cancelled.cancel_reason
        assert cancelled.next_reminder_at is None
        assert (done.cancelled_on, done.next_reminder_at) == (None, None)
    finally:
        # Back to the latest schema: the transactional tests after this one share the database.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
