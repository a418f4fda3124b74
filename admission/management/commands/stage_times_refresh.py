from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from admission.reporting.stage_times import stage_times_fill
from admission.reporting.summaries import candidates_rebuild
from members.freshness import everything_changed


class Command(BaseCommand):
    help = (
        "Recount the stage visit stored on every stage transition (day entered, working days by the "
        "`holidays` package calendar). Run it after upgrading the `holidays` package."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic(durable=True):
            updated = stage_times_fill(connection)
            candidates_rebuild()  # the summary keeps the visits' working days
            everything_changed()  # the time in stage of every page may have changed
        self.stdout.write(f"stage transitions recounted: {updated}")
