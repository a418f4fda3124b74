"""Thin Celery tasks of the reminders feature: ids in, a service call, nothing else (architecture C)."""

from celery import shared_task
from django.utils import timezone

from admission.reminders import digests, dispatch


@shared_task(expires=240)
def reminders_sweep() -> dict[str, int]:
    """Beat's metronome tick (every 5 minutes): due reminders, today's digests, stale sends."""
    return dispatch.sweep(now=timezone.now())


@shared_task(
    acks_late=True,  # allowed: the send claims its row first, so a redelivery cannot resend
    autoretry_for=(digests.TransientSendError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=digests.MAX_SEND_ATTEMPTS,
)
def digest_send(delivery_id: int) -> str:
    return digests.digest_send(delivery_id=delivery_id)


@shared_task(acks_late=True)  # allowed for the same reason: each send of the chunk claims its row first
def digests_send(delivery_ids: list[int]) -> dict[str, int]:
    return digests.digests_send(delivery_ids=delivery_ids)
