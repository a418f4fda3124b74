"""Fill an empty database with a realistic generated dataset (admission.devdata.generator; docs/dataset.md)."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from admission.devdata.base import DatabaseNotEmpty
from admission.devdata.generator import DatasetGenerator
from admission.devdata.presets import PRESETS


class Command(BaseCommand):
    help = "Generate organisations, members and candidates (presets: tiny, province, national) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--preset", required=True, choices=sorted(PRESETS))
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--today", type=dt.date.fromisoformat, help="the day the data is 'as of' (YYYY-MM-DD)")
        parser.add_argument("--password", default="bench-2026!", help="password of the benchmark logins")
        parser.add_argument(
            "--provinces",
            type=lambda value: [int(code) for code in value.split(",") if code.strip()],
            help="comma-separated 2025 province codes (e.g. 1,79): only those, at their national size",
        )
        parser.add_argument("--force", action="store_true", help="add a dataset even if the database is not empty")

    def handle(self, *args: Any, **options: Any) -> None:
        generator = DatasetGenerator(
            preset=options["preset"],
            seed=options["seed"],
            today=options["today"],
            password=options["password"],
            provinces=options["provinces"],
            force=options["force"],
            log=lambda message: self.stdout.write(message),
        )
        try:
            summary = generator.run()
        except (DatabaseNotEmpty, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write("rows written:")
        for table, count in sorted(summary.counts.items()):
            self.stdout.write(f"  {table:<28} {count:>12,}")
        self.stdout.write(f"time: {summary.seconds['total']:.1f} s")
        if summary.database_bytes is not None:
            self.stdout.write(f"database size: {summary.database_bytes / 2**20:,.0f} MiB")
        self.stdout.write(f"benchmark logins (password {summary.password!r}):")
        for login in summary.logins:
            self.stdout.write(f"  {login.username:<22} {login.role} – {login.organisation}")
