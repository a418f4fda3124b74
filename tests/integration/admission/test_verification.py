"""Background verification (HD06 3.4; rules §3 S6, §4 T3): a request saved before its reply
arrived is answered, corrected or cancelled later, never duplicated, and the verification step
names what is still open; the reply deadline reminds the branch, then the grassroots committee.

Reference timeline (admission.devdata.demo, START Mon 06/01/2025): introduction 05/05/2025 (S6
from then), verification step 20/06/2025. The letter is sent Tue 06/05 and received Thu 08/05/2025.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from admission import reminders, services
from admission.devdata.demo import at, walk_to
from admission.domain.deadlines import verification_reply_deadline
from admission.domain.reasons import format_reason
from admission.models import Candidate, DocumentScan, Notification, VerificationRequest
from admission.rulebook import calendar_for
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
SENT, RECEIVED = dt.date(2025, 5, 6), dt.date(2025, 5, 8)
STEP_DAY = dt.date(2025, 6, 20)
NOW = at(STEP_DAY)


@pytest.fixture
def s6(tree, alice, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Văn Thẩm")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S6", user=alice, introducers=introducers, start=START)


def _request(candidate: Candidate, user, subject: str = "Bố đẻ: Hoàng Văn Cha", **kwargs) -> VerificationRequest:  # type: ignore[no-untyped-def]
    return services.verification_record(
        acting_user=user,
        candidate=candidate,
        subject=subject,
        addressee=kwargs.pop("addressee", "Đảng ủy xã Thử"),
        sent_on=kwargs.pop("sent_on", SENT),
        received_on=kwargs.pop("received_on", RECEIVED),
        now=kwargs.pop("now", at(RECEIVED)),
        **kwargs,
    )


def _reply(request: VerificationRequest, user, **kwargs) -> VerificationRequest:  # type: ignore[no-untyped-def]
    values = {"replied_on": dt.date(2025, 6, 10), "outcome": "clear", "reply_number": "123-CV/ĐU", "now": NOW}
    return services.verification_reply_record(acting_user=user, request=request, **{**values, **kwargs})


def _complete(candidate: Candidate, user):  # type: ignore[no-untyped-def]
    return services.candidate_step(
        acting_user=user,
        candidate=Candidate.objects.get(pk=candidate.pk),
        step_key="verification",
        data=services.StepInput(on_date=STEP_DAY),
        now=NOW,
    )


def _codes(refused: pytest.ExceptionInfo[services.StepRefused]) -> list[str]:
    return [r.code for r in refused.value.reasons]


def _due(received: dt.date, tree, abroad: bool = False) -> dt.date:  # type: ignore[no-untyped-def]
    return verification_reply_deadline(
        request_received_date=received, abroad=abroad, calendar=calendar_for(tree.branch_a)
    ).day


# --- The step and its blocking reason ------------------------------------------------------------


def test_the_secretary_answers_a_request_after_the_fact_and_then_completes_the_step(s6, alice, tree) -> None:  # type: ignore[no-untyped-def]
    request = _request(s6, alice)
    with pytest.raises(services.StepRefused) as refused:
        _complete(s6, alice)
    (blocking,) = refused.value.reasons
    assert blocking.code == "verification_open"
    (named,) = blocking.params["requests"]  # type: ignore[misc]
    assert named["id"] == request.pk and named["due"] == _due(RECEIVED, tree)
    text = format_reason(blocking, "vi")
    assert "Bố đẻ: Hoàng Văn Cha – Đảng ủy xã Thử (gửi ngày 06/05/2025, hạn trả lời" in text
    assert _due(RECEIVED, tree).strftime("%d/%m/%Y") in text
    assert Candidate.objects.get(pk=s6.pk).stage == "S6"

    _reply(request, alice)
    transition = _complete(s6, alice)
    assert transition.to_stage == "S7"
    request.refresh_from_db()
    assert (request.state, request.outcome, request.reply_number, request.replied_by) == (
        "answered",
        "clear",
        "123-CV/ĐU",
        alice,
    )


def test_the_refusal_names_only_the_requests_still_open(s6, alice) -> None:  # type: ignore[no-untyped-def]
    answered = _request(s6, alice, "Bố đẻ")
    cancelled = _request(s6, alice, "Mẹ đẻ")
    still_open = _request(s6, alice, "Vợ", addressee="Công an phường Z", abroad=True)
    _reply(answered, alice)
    services.verification_cancel(acting_user=alice, request=cancelled, reason_text="Đã là đảng viên", now=NOW)
    with pytest.raises(services.StepRefused) as refused:
        _complete(s6, alice)
    (blocking,) = refused.value.reasons
    assert [r["id"] for r in blocking.params["requests"]] == [still_open.pk]  # type: ignore[attr-defined]
    assert blocking.params["n"] == 1
    services.verification_cancel(acting_user=alice, request=still_open, reason_text="Gửi nhầm nơi nhận", now=NOW)
    assert _complete(s6, alice).to_stage == "S7"  # every request answered or cancelled


# --- Who -----------------------------------------------------------------------------------------


def test_the_grassroots_committee_staff_record_replies_too(s6, alice, carol) -> None:  # type: ignore[no-untyped-def]
    request = _request(s6, carol)
    assert _reply(request, carol).state == "answered"
    assert services.may_verify(carol, s6) and services.may_verify(alice, s6)


@pytest.mark.parametrize("persona", ["bob", "eve", "mentor"])
def test_outsiders_and_readers_are_refused_and_nothing_is_written(s6, alice, persona, request) -> None:  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(persona)
    if persona == "mentor":
        services.mentor_assign(
            acting_user=alice,
            candidate=s6,
            member=user.person.membership,
            together_since=dt.date(2020, 1, 1),
            assigned_on=dt.date(2025, 5, 6),
        )
    open_request = _request(s6, alice)
    before = list(VerificationRequest.history.values_list("history_id", flat=True))  # type: ignore[attr-defined]
    with pytest.raises(PermissionDenied):
        _request(s6, user, "Mẹ đẻ")
    with pytest.raises(PermissionDenied):
        _reply(open_request, user)
    with pytest.raises(PermissionDenied):
        services.verification_cancel(acting_user=user, request=open_request, reason_text="x", now=NOW)
    assert not services.may_verify(user, s6)
    assert list(VerificationRequest.history.values_list("history_id", flat=True)) == before  # type: ignore[attr-defined]
    open_request.refresh_from_db()
    assert open_request.is_open


def test_a_committee_above_the_grassroots_one_reads_but_does_not_record(s6, alice, gina) -> None:  # type: ignore[no-untyped-def]
    open_request = _request(s6, alice)
    with pytest.raises(services.StepRefused) as refused:
        _reply(open_request, gina)
    assert _codes(refused) == ["verification_body"]
    assert "Đảng bộ Sở Thử nghiệm" in format_reason(refused.value.reasons[0], "vi")
    open_request.refresh_from_db()
    assert open_request.is_open


# --- Dates and required fields ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        ({"replied_on": dt.date(2025, 5, 7)}, ["date_order"]),  # before the letter was received
        ({"replied_on": dt.date(2025, 6, 21)}, ["date_in_future"]),
        ({"reply_number": "  "}, ["verification_reply_number_required"]),
        ({"outcome": ""}, ["verification_outcome_required"]),
        ({"outcome": "issues"}, ["verification_findings_required"]),  # no area, no text
        ({"outcome": "issues", "issue_political": True}, ["verification_findings_required"]),
    ],
)
def test_the_reply_is_checked(s6, alice, changes, codes) -> None:  # type: ignore[no-untyped-def]
    request = _request(s6, alice)
    with pytest.raises(services.StepRefused) as refused:
        _reply(request, alice, **changes)
    assert _codes(refused) == codes
    request.refresh_from_db()
    assert request.is_open and request.history.count() == 1


def test_a_reply_on_the_day_of_receipt_with_issues_named_is_recorded(s6, alice) -> None:  # type: ignore[no-untyped-def]
    request = _reply(
        _request(s6, alice),
        alice,
        replied_on=RECEIVED,
        outcome="issues",
        issue_compliance=True,
        findings="Chưa chấp hành nghĩa vụ quân sự đúng hạn",
    )
    assert (request.issue_compliance, request.issue_political) == (True, False)


def test_the_request_dates_are_checked(s6, alice) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.StepRefused) as refused:
        _request(s6, alice, sent_on=dt.date(2025, 5, 9), now=NOW)
    assert _codes(refused) == ["date_order"]
    with pytest.raises(services.StepRefused) as refused:
        _request(s6, alice, received_on=dt.date(2025, 5, 9), now=at(dt.date(2025, 5, 8)))
    assert _codes(refused) == ["date_in_future"]


def test_a_scan_of_another_candidate_is_refused(s6, alice, tree) -> None:  # type: ignore[no-untyped-def]
    other = services.candidate_create(acting_user=alice, person=PersonFactory(organisation=tree.branch_a))
    scan = DocumentScan.objects.create(
        candidate=other, doc_type="A3", file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="a.pdf"),
        content_type="application/pdf", size=15, sha256="0" * 64, original_name="a.pdf", uploaded_at=NOW,
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        _reply(_request(s6, alice), alice, scan=scan)


# --- No duplicates; cancellation and correction keep the history -----------------------------


def test_the_same_subject_cannot_be_added_twice_while_open(s6, alice) -> None:  # type: ignore[no-untyped-def]
    first = _request(s6, alice, "Bố đẻ: Hoàng Văn Cha")
    with pytest.raises(services.StepRefused) as refused:
        _request(s6, alice, "  BỐ ĐẺ:   hoàng văn cha ")
    (why,) = refused.value.reasons
    assert why.code == "verification_already_open" and why.params["id"] == first.pk
    assert "Đảng ủy xã Thử" in format_reason(why, "vi") and "06/05/2025" in format_reason(why, "vi")
    assert VerificationRequest.objects.filter(candidate=s6).count() == 1
    services.verification_cancel(acting_user=alice, request=first, reason_text="Nhập sai nơi nhận", now=NOW)
    again = _request(s6, alice, "Bố đẻ: Hoàng Văn Cha", addressee="Đảng ủy xã Đúng")
    assert again.is_open and VerificationRequest.objects.filter(candidate=s6).count() == 2


def test_the_database_refuses_a_second_open_request_too(s6, alice) -> None:  # type: ignore[no-untyped-def]
    from django.db import IntegrityError, transaction

    _request(s6, alice, "Bố đẻ")
    with pytest.raises(IntegrityError), transaction.atomic():
        VerificationRequest.objects.create(
            candidate=s6, subject="BỐ ĐẺ", addressee="x", sent_on=SENT, received_on=RECEIVED
        )


def test_a_cancellation_needs_a_reason_and_keeps_the_request(s6, alice) -> None:  # type: ignore[no-untyped-def]
    request = _request(s6, alice)
    with pytest.raises(services.StepRefused) as refused:
        services.verification_cancel(acting_user=alice, request=request, reason_text="  ", now=NOW)
    assert _codes(refused) == ["verification_reason_required"]
    services.verification_cancel(acting_user=alice, request=request, reason_text="Người thân đã là đảng viên", now=NOW)
    request.refresh_from_db()
    assert (request.state, request.cancelled_on, request.cancelled_by) == ("cancelled", STEP_DAY, alice)
    assert request.next_reminder_at is None
    latest = request.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (alice, "Người thân đã là đảng viên")
    with pytest.raises(services.StepRefused) as refused:
        _reply(request, alice)
    assert _codes(refused) == ["verification_not_open"]
    assert "(đã hủy)" in format_reason(refused.value.reasons[0], "vi")


def test_a_correction_needs_a_reason_and_the_original_reply_stays_in_the_history(s6, alice) -> None:  # type: ignore[no-untyped-def]
    request = _request(s6, alice)
    with pytest.raises(services.StepRefused) as refused:
        services.verification_reply_correct(
            acting_user=alice, request=request, reason_text="x", replied_on=dt.date(2025, 6, 10),
            outcome="clear", reply_number="1", now=NOW,
        )  # fmt: skip
    assert _codes(refused) == ["verification_not_answered"]
    _reply(request, alice)
    values = {"replied_on": dt.date(2025, 6, 11), "outcome": "clear", "reply_number": "124-CV/ĐU", "now": NOW}
    with pytest.raises(services.StepRefused) as refused:
        services.verification_reply_correct(acting_user=alice, request=request, reason_text="", **values)
    assert _codes(refused) == ["verification_reason_required"]
    services.verification_reply_correct(
        acting_user=alice, request=request, reason_text="Nhập nhầm số văn bản", **values
    )
    request.refresh_from_db()
    assert (request.reply_number, request.replied_on) == ("124-CV/ĐU", dt.date(2025, 6, 11))
    versions = list(request.history.order_by("history_date", "history_id"))
    assert [v.reply_number for v in versions] == ["", "123-CV/ĐU", "124-CV/ĐU"]
    assert versions[-1].history_change_reason == "Nhập nhầm số văn bản"
    with pytest.raises(services.StepRefused) as refused:
        services.verification_cancel(acting_user=alice, request=request, reason_text="x", now=NOW)
    assert "(đã có trả lời)" in format_reason(refused.value.reasons[0], "vi")


# --- The reply deadline reminds ---------------------------------------------------------------------


def test_the_reply_deadline_reminds_the_branch_once_however_often_the_sweep_runs(s6, alice, carol, tree) -> None:  # type: ignore[no-untyped-def]
    request = _request(s6, alice)
    due = _due(RECEIVED, tree)
    assert (request.next_reminder_at, request.reminder_sequence) == (
        at(due - dt.timedelta(days=7)).replace(hour=7),
        0,
    )
    now = at(due - dt.timedelta(days=7))
    reminders.reminders_dispatch_due(now=now)
    reminders.reminders_dispatch_due(now=now)  # a second sweep
    notes = Notification.objects.filter(kind=Notification.Kind.VERIFICATION)
    assert list(notes.values_list("user__username", flat=True)) == ["alice"]
    note = notes.get()
    assert not note.overdue and note.candidate_id == s6.pk
    assert due.strftime("%d/%m/%Y") in note.text_vi and "Bố đẻ: Hoàng Văn Cha" in note.text_vi
    request.refresh_from_db()
    assert (request.next_reminder_at, request.reminder_sequence) == (at(due + dt.timedelta(days=1)).replace(hour=7), 1)


def test_an_overdue_reply_escalates_to_the_grassroots_committee_staff_weekly(s6, alice, carol, gina, tree) -> None:  # type: ignore[no-untyped-def]
    request = _request(s6, alice)
    due = _due(RECEIVED, tree)
    reminders.reminders_dispatch_due(now=at(due - dt.timedelta(days=7)))
    assert not Notification.objects.filter(user=carol, kind=Notification.Kind.VERIFICATION).exists()
    for _twice in range(2):
        reminders.reminders_dispatch_due(now=at(due + dt.timedelta(days=1)))
    overdue = Notification.objects.filter(kind=Notification.Kind.VERIFICATION, overdue=True)
    assert sorted(overdue.values_list("user__username", flat=True)) == ["alice", "carol"]  # not gina, above
    assert overdue.first().text_vi.startswith("QUÁ HẠN")  # type: ignore[union-attr]
    reminders.reminders_dispatch_due(now=at(due + dt.timedelta(days=8)))
    assert overdue.count() == 4  # a week later, again
    _reply(Candidate.objects.get(pk=s6.pk).verifications.get(), alice, now=at(due + dt.timedelta(days=9)))
    request.refresh_from_db()
    assert request.next_reminder_at is None
    reminders.reminders_dispatch_due(now=at(due + dt.timedelta(days=15)))
    assert overdue.count() == 4  # answered: no more


def test_a_reminder_is_not_e_mailed_once_the_reply_is_recorded(s6, alice, tree) -> None:  # type: ignore[no-untyped-def]
    alice.email = "alice@example.invalid"
    alice.save()
    request = _request(s6, alice)
    now = at(_due(RECEIVED, tree) - dt.timedelta(days=7))
    reminders.reminders_dispatch_due(now=now)
    assert [n.kind for n in reminders.digest_items(user=alice)] == ["verification"]
    _reply(request, alice, replied_on=now.date(), now=now)
    assert reminders.digest_items(user=alice) == []


def test_a_request_of_a_removed_candidate_stops_reminding(s6, alice, tree) -> None:  # type: ignore[no-untyped-def]
    request = _request(s6, alice)
    Candidate.objects.filter(pk=s6.pk).update(stage="SX")
    reminders.reminders_dispatch_due(now=at(_due(RECEIVED, tree)))
    request.refresh_from_db()
    assert request.next_reminder_at is None
    assert not Notification.objects.filter(kind=Notification.Kind.VERIFICATION).exists()


def test_a_request_left_for_the_sweep_to_schedule_is_scheduled_without_a_blast(s6, alice, tree) -> None:  # type: ignore[no-untyped-def]
    request = _request(s6, alice)
    due = _due(RECEIVED, tree)
    now = at(due + dt.timedelta(days=3))  # as the migration leaves an old open request: due now, no sequence
    VerificationRequest.objects.filter(pk=request.pk).update(next_reminder_at=now, reminder_sequence=None)
    reminders.reminders_dispatch_due(now=now)
    assert not Notification.objects.filter(kind=Notification.Kind.VERIFICATION).exists()
    request.refresh_from_db()
    assert (request.next_reminder_at, request.reminder_sequence) == (at(due + dt.timedelta(days=8)).replace(hour=7), 2)
    VerificationRequest.objects.filter(pk=request.pk).update(next_reminder_at=now, reminder_sequence=None)
    reminders.reminders_dispatch_due(now=at(due + dt.timedelta(days=8)))  # an occurrence falls today: sent
    assert Notification.objects.filter(kind=Notification.Kind.VERIFICATION, overdue=True).exists()


def test_the_verification_sweep_issues_the_same_queries_for_1_and_for_20_due(tree, alice, bob) -> None:  # type: ignore[no-untyped-def]
    def make(n: int) -> None:
        for i in range(n):
            branch = tree.branch_a if i % 2 else tree.branch_b
            candidate = services.candidate_create(
                acting_user=None, person=PersonFactory(organisation=branch), now=at(START)
            )
            request = _request(candidate, None, f"Bố đẻ {i}")
            VerificationRequest.objects.filter(pk=request.pk).update(next_reminder_at=at(START), reminder_sequence=0)

    def sweep_queries(n: int) -> int:
        make(n)
        with CaptureQueriesContext(connection) as ctx:
            reminders.reminders_dispatch_due(now=at(dt.date(2025, 7, 1)))
        assert not VerificationRequest.objects.filter(next_reminder_at__lte=at(dt.date(2025, 7, 1))).exists()
        return len(ctx.captured_queries)

    reminders.reminders_dispatch_due(now=at(dt.date(2025, 7, 1)))  # the branches' review reminders first
    assert sweep_queries(1) == sweep_queries(20)
    assert Notification.objects.filter(kind=Notification.Kind.VERIFICATION, user=bob).exists()
