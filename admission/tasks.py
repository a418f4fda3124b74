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


@shared_task(expires=3600)
def personal_data_purge() -> int:
    """Nightly: anonymise people removed from the list longer ago than the retention setting."""
    from django.conf import settings

    from admission import services

    if settings.PERSONAL_DATA_RETENTION_DAYS <= 0:
        return 0
    return services.personal_data_purge(now=timezone.now(), retention_days=settings.PERSONAL_DATA_RETENTION_DAYS)
