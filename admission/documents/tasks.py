"""Thin Celery tasks of the documents feature, routed to their own queue `documents`
(config/celery.py) so that a burst of PDF conversions never waits in front of the reminders."""

from celery import shared_task

from admission.documents import batch
from admission.documents import generate as docgen


@shared_task(acks_late=True)  # allowed: the build claims its batch first, so a redelivery does nothing
def meeting_batch_build(batch_id: int) -> str:
    return batch.meeting_batch_build(batch_id=batch_id)


@shared_task(acks_late=True)  # allowed: the build claims its job first, so a redelivery does nothing
def document_job_build(job_id: int) -> str:
    return docgen.document_job_build(job_id=job_id)
