from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from admission import reminders


class Command(BaseCommand):
    help = "Run the reminder sweep now (the same service beat triggers every five minutes)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = reminders.sweep(now=timezone.now())
        self.stdout.write(
            f"reminders handled: {result['reminders']}, digests pending: {result['digests']}, stale sends flagged: {result['stale']}"
        )
