from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from admission.stage_times import stage_times_fill
from admission.statistics_cache import statistics_touch_all


class Command(BaseCommand):
    help = (
        "Recount the stage visit stored on every stage transition (day entered, working days by the "
        "`holidays` package calendar). Run it after upgrading the `holidays` package."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic(durable=True):
            updated = stage_times_fill(connection)
            statistics_touch_all()  # the time in stage of every page may have changed
        self.stdout.write(f"stage transitions recounted: {updated}")
