"""Benchmark helpers: timing with a warm-up, percentiles and a Markdown report."""

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

REPORT = Path(__file__).parent / "report.md"


def measure(fn: Callable[[], object], runs: int = 30) -> dict[str, float]:
    """Median and p95 wall time (ms) over `runs` calls after two warm-up calls, and the query count."""
    fn()
    fn()
    times = []
    with CaptureQueriesContext(connection) as queries:
        fn()
    # Read now: every request resets Django's query log (request_started -> reset_queries).
    query_count = len(queries.captured_queries)
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p95_ms": times[max(int(len(times) * 0.95) - 1, 0)],
        "queries": query_count,
    }


@pytest.fixture(scope="session")
def report():  # type: ignore[no-untyped-def]
    """Sections appended by the benchmarks that ran; sections of the others are kept from the last report."""
    lines: list[str] = []
    yield lines
    if not lines:
        return
    sections: dict[str, str] = {}
    if REPORT.exists():
        for chunk in REPORT.read_text(encoding="utf-8").split("\n## ")[1:]:
            sections[chunk.split("\n", 1)[0]] = "## " + chunk.strip()
    for chunk in "\n".join(lines).split("## ")[1:]:
        sections[chunk.split("\n", 1)[0]] = "## " + chunk.strip()
    header = "# Benchmark report\n\nProduced by `scripts/bench` on PostgreSQL (throwaway cluster, fsync off).\n"
    REPORT.write_text(header + "\n" + "\n\n".join(sections.values()) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))  # noqa: T201
