"""E-mail digests (architecture C.3): at most one a user and day, sent at most once.

`digests_dispatch_due(now)` creates the day's DigestDelivery rows and enqueues their sends after
commit; `digest_send(delivery_id)` claims one, re-checks the world and sends outside any transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from admission.models import CandidateTransfer, DigestDelivery, Notification, VerificationRequest
from admission.reminders.emails import digest_message
from members.models import User
from members.selectors import scope_for

logger = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 5
# The send tasks, enqueued by name: the tasks module imports this one, not the reverse.
DIGEST_SEND_TASK = "admission.reminders.tasks.digest_send"
DIGESTS_SEND_TASK = "admission.reminders.tasks.digests_send"
# Deliveries per message of DIGESTS_SEND_TASK: a day on which every branch was told has 280,000
# digests, which as one message each took minutes to publish.
DIGESTS_PER_TASK = 100


class TransientSendError(Exception):
    """The SMTP server said no (or could not be reached): nothing was accepted, retry later."""


def digests_dispatch_due(*, now: dt.datetime) -> int:
    """Create today's digest for every user whose digest hour has come and who has something new.

    At most one DigestDelivery per user and day (unique). Every delivery still pending today is
    (re-)enqueued after commit: if the broker was down at the last sweep, it goes out now, and
    a duplicate in the queue is harmless (the send claims the row first). Returns how many of
    today's deliveries are pending.
    """
    today = timezone.localdate(now)
    hour = timezone.localtime(now).hour
    with transaction.atomic(durable=True):
        waiting = (
            User.objects.filter(is_active=True, email_digest=True, digest_hour__lte=hour)
            .exclude(email="")
            # A semi-join on the index of what may be e-mailed, not a join with every waiting
            # notification made distinct again. Today's existing deliveries are skipped by the
            # unique (user, day) (ON CONFLICT DO NOTHING): an anti-join read the table being
            # written, row by row, when its statistics said it was empty.
            .filter(Exists(Notification.objects.filter(user=OuterRef("pk"), digest__isnull=True, read_at__isnull=True)))
            .values_list("pk", flat=True)
        )
        if connection.vendor == "postgresql":
            # One INSERT … SELECT: a sweep that told every branch creates 280,000 deliveries, which
            # as model instances (bulk_create) took memory in proportion and most of its time.
            sql, params = waiting.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {DigestDelivery._meta.db_table} (user_id, day, status, attempts, created_at, error) "  # noqa: S608 - names from the model
                    f"SELECT w.user_id, %s, %s, 0, %s, '' FROM ({sql}) AS w(user_id) ON CONFLICT DO NOTHING",
                    [today, DigestDelivery.Status.PENDING.value, now, *params],
                )
        else:
            DigestDelivery.objects.bulk_create(
                [DigestDelivery(user_id=user_id, day=today, created_at=now) for user_id in waiting],
                ignore_conflicts=True,
            )
        pending = DigestDelivery.objects.filter(day=today, status=DigestDelivery.Status.PENDING).count()
        if pending:
            transaction.on_commit(lambda: _enqueue_pending(today), robust=True)
    return pending


# Deliveries read per keyset step of _enqueue_pending: the sweep holds at most this many ids,
# however many digests the day has (280,000 when every branch was told).
ENQUEUE_CHUNK = 5000


def _enqueue_pending(day: dt.date) -> None:
    """Enqueue the day's pending deliveries in id order, ENQUEUE_CHUNK ids at a time (keyset on
    the (status, day, id) index): memory stays flat whatever their number. Rows claimed meanwhile
    by a worker are no longer pending and are not read again; a broker error stops the walk (the
    rest stay pending for the next beat)."""
    after = 0
    while True:
        ids = list(
            DigestDelivery.objects.filter(status=DigestDelivery.Status.PENDING, day=day, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:ENQUEUE_CHUNK]
        )
        if not ids:
            return
        _enqueue(ids)
        if len(ids) < ENQUEUE_CHUNK:
            return
        after = ids[-1]


def _enqueue(delivery_ids: list[int]) -> None:
    """One message per DIGESTS_PER_TASK deliveries (digests_send), through one producer. The
    message's argsrepr (shown by monitoring) is a count, not Celery's repr of every id."""
    with current_app.producer_or_acquire() as producer:
        for start in range(0, len(delivery_ids), DIGESTS_PER_TASK):
            chunk = delivery_ids[start : start + DIGESTS_PER_TASK]
            current_app.send_task(
                DIGESTS_SEND_TASK, args=(chunk,), producer=producer, argsrepr=f"({len(chunk)} deliveries,)"
            )


def digests_send(*, delivery_ids: list[int]) -> dict[str, int]:
    """digest_send for each delivery of a chunk (the DIGESTS_SEND_TASK message). A send the server
    refused for now (TransientSendError: the row is pending again) goes on as its own
    DIGEST_SEND_TASK, which retries with backoff; the others are unaffected. A chunk delivered
    twice sends nothing twice: every send claims its row first."""
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        try:
            outcome = str(digest_send(delivery_id=delivery_id))
        except TransientSendError:
            current_app.send_task(DIGEST_SEND_TASK, args=(delivery_id,), countdown=60)
            outcome = "retry"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def digest_items(*, user: User, candidates_in_stage: bool = True) -> list[Notification]:
    """The notifications a digest may contain: not e-mailed, unread, still true and still in scope.

    An item about a stage visit that has ended (the candidate moved on between sweep and send)
    is left out; so is anything the user can no longer see (their role changed).
    """
    scope = scope_for(user)
    items = list(
        Notification.objects.filter(user=user, digest__isnull=True, read_at__isnull=True)
        .select_related("candidate", "organisation")
        .order_by("-overdue", "organisation__path", "due_on", "pk")
    )
    still_open = _open_obligations(items)
    return [n for n in items if scope.can_read(n.organisation) and _still_true(n, still_open)]


def _still_true(n: Notification, still_open: set[tuple[str, int]]) -> bool:
    obligation = _obligation(n.key)
    if obligation is not None:
        return obligation in still_open
    return (
        n.candidate is None
        or n.kind == Notification.Kind.STAGE_CHANGE
        # a reminder about a candidate who has since moved to another branch is not sent
        or (n.candidate.stage_transition_id == n.transition_id and n.candidate.organisation_id == n.organisation_id)
    )


# Reminders of an obligation with a row of its own (key "<prefix>:<row id>:<sequence>"): sent while
# the row is still open, whatever became of the candidate's stage meanwhile — a verification reply
# (T3), the old place's forwarding of a transferred dossier (T11, to a committee that no longer reads
# the candidate).
OPEN_OBLIGATIONS: dict[str, Callable[[set[int]], QuerySet[Any]]] = {
    "verification": lambda ids: VerificationRequest.objects.filter(
        pk__in=ids, replied_on__isnull=True, cancelled_on__isnull=True
    ),
    "transfer-forward": lambda ids: CandidateTransfer.objects.filter(pk__in=ids, forwarded_on__isnull=True),
}


def _obligation(key: str) -> tuple[str, int] | None:
    parts = key.split(":")
    if len(parts) == 3 and parts[0] in OPEN_OBLIGATIONS and parts[1].isdigit():
        return parts[0], int(parts[1])
    return None


def _open_obligations(items: list[Notification]) -> set[tuple[str, int]]:
    """Of the obligations the items remind about, those still open (one query per kind present)."""
    wanted: defaultdict[str, set[int]] = defaultdict(set)
    for n in items:
        found = _obligation(n.key)
        if found is not None:
            wanted[found[0]].add(found[1])
    return {
        (prefix, pk)
        for prefix, ids in wanted.items()
        for pk in OPEN_OBLIGATIONS[prefix](ids).values_list("pk", flat=True)
    }


def digest_send(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Send one digest at most once. Returns the final status.

    1. Claim: pending -> sending by a conditional UPDATE; anyone else (a duplicate task, a
       redelivery after a crash) finds no pending row and stops.
    2. Re-check the world (digest_items); nothing left -> skipped.
    3. Send outside any transaction.
    4. Sent -> mark the row and its notifications. Refused or unreachable (known not accepted)
       -> back to pending for a retry, failed after MAX_SEND_ATTEMPTS. Anything else (the
       server may have accepted it) -> unknown: flagged for staff, never re-sent automatically.
    """
    now = now or timezone.now()
    claimed = DigestDelivery.objects.filter(pk=delivery_id, status=DigestDelivery.Status.PENDING).update(
        status=DigestDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return "not-claimed"
    delivery = DigestDelivery.objects.select_related("user").get(pk=delivery_id)
    items = digest_items(user=delivery.user)
    if not items:
        DigestDelivery.objects.filter(pk=delivery_id).update(status=DigestDelivery.Status.SKIPPED)
        return DigestDelivery.Status.SKIPPED
    previous = (
        DigestDelivery.objects.filter(user=delivery.user, status=DigestDelivery.Status.SENT, sent_at__isnull=False)
        .exclude(pk=delivery_id)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    message = digest_message(user=delivery.user, items=items, day=delivery.day, since=previous)
    try:
        message.send()  # outside any transaction: never hold a DB transaction across SMTP
    except (
        smtplib.SMTPRecipientsRefused,
        smtplib.SMTPSenderRefused,
        smtplib.SMTPDataError,
        smtplib.SMTPConnectError,
        ConnectionRefusedError,
    ) as error:
        final = (
            DigestDelivery.Status.FAILED if delivery.attempts >= MAX_SEND_ATTEMPTS else DigestDelivery.Status.PENDING
        )
        DigestDelivery.objects.filter(pk=delivery_id).update(status=final, error=str(error)[:300])
        if final == DigestDelivery.Status.PENDING:
            raise TransientSendError(str(error)) from error
        return final
    except Exception as error:
        logger.exception("digest %s: outcome unknown", delivery_id)
        DigestDelivery.objects.filter(pk=delivery_id).update(
            status=DigestDelivery.Status.UNKNOWN, error=str(error)[:300]
        )
        return DigestDelivery.Status.UNKNOWN
    with transaction.atomic():
        DigestDelivery.objects.filter(pk=delivery_id).update(
            status=DigestDelivery.Status.SENT, sent_at=timezone.now(), error=""
        )
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(digest_id=delivery_id)
    return DigestDelivery.Status.SENT


def stale_sends_flag(*, now: dt.datetime, older_than: dt.timedelta = dt.timedelta(minutes=15)) -> int:
    """Rows stuck in `sending` (the worker died mid-send) become `unknown` for staff to check."""
    return DigestDelivery.objects.filter(status=DigestDelivery.Status.SENDING, claimed_at__lt=now - older_than).update(
        status=DigestDelivery.Status.UNKNOWN, error="worker stopped during the send"
    )


def notifications_mark_read(*, user: User, ids: list[int] | None, now: dt.datetime) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=now)
