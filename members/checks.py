"""Deployment checks (`manage.py check --deploy`) for what the security features rely on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.", "django.core.cache.backends.dummy.")


@checks.register(checks.Tags.security, deploy=True)
def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Login lock-out and rate limits count in the cache: a per-process cache lets each worker
    count on its own (a lock-out after 5 failures becomes 5 per worker)."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.startswith(PER_PROCESS_CACHES):
        return [
            checks.Warning(
                "The default cache is per process: login lock-out and rate limits are not shared by the workers.",
                hint="Set CACHE_URL=rediscache://host:6379/1 (or leave it unset for the database cache).",
                id="members.W001",
            )
        ]
    return []
