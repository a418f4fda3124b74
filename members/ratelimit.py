"""Fixed-window counters in the shared cache (Redis in production, the database cache in the
embedded default), so every worker process counts the same attempts."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache


def rate_limit_hit(key: str, *, limit: int, window: int, now: dt.datetime) -> int | None:
    """Count one attempt under `key` in the current window of `window` seconds.

    Returns None while at most `limit` attempts were made in the window, else the seconds until the
    window ends (the caller refuses the attempt and says when to retry). `limit` <= 0: no limit."""
    if limit <= 0:
        return None
    slot = int(now.timestamp()) // window
    slot_key = f"rate:{key}:{slot}"
    cache.add(slot_key, 0, window + 5)
    try:
        count = cache.incr(slot_key)
    except ValueError:  # expired between add and incr
        cache.set(slot_key, 1, window + 5)
        count = 1
    if count > limit:
        return window - int(now.timestamp()) % window
    return None
