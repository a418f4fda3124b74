"""Thin Celery tasks: ids in, a service call, nothing else (architecture C).

Celery's autodiscovery imports this module; the reminders feature keeps its own tasks in
`admission.reminders.tasks` and the documents `admission.documents.tasks`, imported here so that the worker registers them.
"""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from admission import privacy
from admission.documents.tasks import meeting_batch_build
from admission.reminders.tasks import digest_send, digests_send, reminders_sweep

__all__ = ["digest_send", "digests_send", "meeting_batch_build", "personal_data_purge", "reminders_sweep"]


@shared_task(expires=3600)
def personal_data_purge() -> int:
    """Nightly: anonymise people removed from the list longer ago than the retention setting."""
    if settings.PERSONAL_DATA_RETENTION_DAYS <= 0:
        return 0
    return privacy.personal_data_purge(now=timezone.now(), retention_days=settings.PERSONAL_DATA_RETENTION_DAYS)
