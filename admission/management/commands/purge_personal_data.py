"""Anonymise people removed from the list longer ago than PERSONAL_DATA_RETENTION_DAYS (Decree 13/2023)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from admission import privacy


class Command(BaseCommand):
    help = "Anonymise people removed from the list more than the retention period ago (same as the nightly task)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="retention in days (default: the setting)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.PERSONAL_DATA_RETENTION_DAYS
        if days <= 0:
            self.stdout.write("Retention is off (PERSONAL_DATA_RETENTION_DAYS <= 0).")
            return
        count = privacy.personal_data_purge(now=timezone.now(), retention_days=days)
        self.stdout.write(f"Anonymised {count} people removed more than {days} days ago.")
