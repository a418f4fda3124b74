from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from admission.reporting.summaries import candidates_rebuild
from members.freshness import everything_changed
from members.summaries import members_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the statistics summaries (members official and probationary, admitted and "
        "recognised, per organisation, year, month and day; the candidacies' stage visits, removals "
        "and awareness-class cohort per organisation, year and month) from the registers. The services "
        "keep them as they write; run it after writing the database another way."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic(durable=True):
            rows = members_rebuild()
            candidate_rows = candidates_rebuild()
            everything_changed()  # cached figures were computed from the old summaries
        self.stdout.write(f"statistics summary rows: {rows} (members), {candidate_rows} (candidacies)")
