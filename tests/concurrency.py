"""Run the same work in two threads at once, each with its own database connection (as two
requests or two Celery processes would), for the tests of races: concurrent steps, double beats."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_together(work: Callable[[Callable[[], None]], Any], threads: int = 2) -> list[Any]:
    """Start `threads` threads running `work(wait)`; `wait()` holds each one until all have reached it
    (so that, say, both read a row before either writes). Returns each thread's result, or the
    exception it raised, in the order they finished; each thread closes its own connection."""
    barrier = threading.Barrier(threads, timeout=20)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def wait() -> None:
        barrier.wait()

    def run() -> None:
        try:
            result = work(wait)
        except BaseException as error:  # noqa: BLE001 - the test asserts on it
            result = error
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=60)
    assert len(outcomes) == threads, f"a thread did not finish: {outcomes}"
    return outcomes


def failures(outcomes: list[Any]) -> list[BaseException]:
    return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
