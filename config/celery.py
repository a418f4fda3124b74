"""The Celery app. Tasks are thin: they load ids and call services."""

import os

from celery import Celery
from celery.signals import setup_logging
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

# One queue per kind of work, each served by its own workers in production (README "Reminders",
# docs/operations.md), so that none waits behind another:
# - sweep: beat's reminders sweep every five minutes and the nightly purge (bulk database work);
# - email: the digests' SMTP sends (network waits, retried with backoff);
# - documents: PDF conversion (LibreOffice, seconds per document).
# A worker started without -Q consumes all of them (scripts/run: one worker for everything).
QUEUES = ("sweep", "email", "documents")
TASK_ROUTES = {
    "admission.reminders.tasks.reminders_sweep": {"queue": "sweep"},
    "admission.tasks.personal_data_purge": {"queue": "sweep"},
    "admission.reminders.tasks.digest_send": {"queue": "email"},
    "admission.reminders.tasks.digests_send": {"queue": "email"},  # the day's sends, 100 to a message
    "admission.documents.tasks.*": {"queue": "documents"},
}

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_routes = TASK_ROUTES
# Anything unrouted (none today) goes to the sweep's workers rather than to a queue nobody serves.
app.conf.task_default_queue = "sweep"
app.conf.task_queues = [Queue(name, routing_key=name) for name in QUEUES]
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(*args: object, **kwargs: object) -> None:
    """Let Django's LOGGING (stdout) configure the worker too (cookiecutter-django)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
