"""Thin Celery tasks: ids in, a service call, nothing else (architecture C)."""

from celery import shared_task
from django.utils import timezone

from admission import reminders


@shared_task(expires=240)
def reminders_sweep() -> dict[str, int]:
    """Beat's metronome tick (every 5 minutes): due reminders, today's digests, stale sends."""
    return reminders.sweep(now=timezone.now())


@shared_task(
    acks_late=True,  # allowed: the send claims its row first, so a redelivery cannot resend
    autoretry_for=(reminders.TransientSendError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=reminders.MAX_SEND_ATTEMPTS,
)
def digest_send(delivery_id: int) -> str:
    return reminders.digest_send(delivery_id=delivery_id)
