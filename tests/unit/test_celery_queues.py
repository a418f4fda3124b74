"""Each Celery task goes to its own queue (config/celery.py): the sweep, e-mail and documents each
have workers of their own in production, and a worker started without -Q serves all of them."""

from __future__ import annotations

import pytest
from django.conf import settings

import admission.tasks  # noqa: F401 - registers every task of the project, as the worker's autodiscovery does
from config.celery import QUEUES, app

EXPECTED = {
    "admission.reminders.tasks.reminders_sweep": "sweep",
    "admission.tasks.personal_data_purge": "sweep",
    "admission.reminders.tasks.digest_send": "email",
    "admission.reminders.tasks.digests_send": "email",
    "admission.documents.tasks.meeting_batch_build": "documents",
    "admission.documents.tasks.document_job_build": "documents",
}


def _queue(task_name: str) -> str:
    return str(app.amqp.router.route({}, task_name, (), {})["queue"].name)


@pytest.mark.parametrize(("task_name", "queue"), EXPECTED.items())
def test_each_task_is_routed_to_its_queue(task_name: str, queue: str) -> None:
    assert task_name in app.tasks
    assert _queue(task_name) == queue


def test_every_task_of_the_project_has_a_queue_that_a_worker_serves() -> None:
    ours = {name for name in app.tasks if name.startswith(("admission.", "members.", "config."))}
    assert ours == set(EXPECTED), "a new task needs its route in config.celery.TASK_ROUTES and here"
    # Without -Q a worker consumes the declared queues: all three (scripts/run's single worker).
    assert {queue.name for queue in app.conf.task_queues} == set(QUEUES) == {"sweep", "email", "documents"}
    assert app.conf.task_default_queue in QUEUES


def test_beat_ticks_land_on_the_sweep_queue() -> None:
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert _queue(str(entry["task"])) == "sweep"
