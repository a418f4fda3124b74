"""The Celery app. Tasks are thin: they load ids and call services."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(*args: object, **kwargs: object) -> None:
    """Let Django's LOGGING (stdout) configure the worker too (cookiecutter-django)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
