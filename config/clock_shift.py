"""Run the tests with "today" moved (tests only: imported by the test settings and tests/conftest.py).

`TEST_CLOCK_SHIFT_DAYS=N` (or `pytest --clock-shift-days=N`, which sets it) moves this process's
clock N days from the real one, still ticking, and so does every process started from the tests
with the test settings (a `manage.py` command, a Celery worker): they inherit the variable. A test
that passes only on some dates then fails. The database's own clock is not moved; the code never
reads it (architecture D: `now` comes from Python).
"""

import datetime as dt
import os

_started = False


def start_from_environment() -> int:
    """Start the shifted clock once per process; returns the shift in days (0: the real clock)."""
    global _started
    days = int(os.environ.get("TEST_CLOCK_SHIFT_DAYS") or 0)
    if days and not _started:
        import time_machine  # a test dependency (requirements-dev.txt)

        time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=days), tick=True).start()
        _started = True
    return days
