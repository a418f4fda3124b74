"""Test settings: the same as base, with faster hashing and in-memory e-mail.

The database still comes from DATABASE_URL: the test command points it at a
throwaway PostgreSQL cluster.
"""

import os

# Tests never see a real secret; production must set DJANGO_SECRET_KEY itself.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")

from config.settings.base import *  # noqa: E402, F403

# The suite runs on the primary alone (its transactions would hide their rows from a replica); the
# replica test adds the standby of scripts/test itself (TEST_DATABASE_REPLICA_URL).
DATABASES.pop("replica", None)  # noqa: F405
# scripts/test runs the browser walks in a second process beside the rest, on a test database of its own.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["TEST_DATABASE_NAME"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not os.environ.get("TRACKER_TEST_REAL_SMTP"):
    # The worker started by the end-to-end test sends through a real local SMTP server instead.
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
if "CACHE_URL" not in os.environ:
    # Per-process memory: tests clear it between tests and count their queries without it.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions from the cache as in production with Redis (base.py): the test process is the only web
# process (the workers tests start read no sessions), so its memory cache is shared enough.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False  # the browser tests run over http://
# The second factor is switched on by the tests that exercise it (tests/*/test_two_factor.py);
# the other tests log committee staff in with force_login.
TWO_FACTOR_REQUIRED = False
# The schemathesis run sends thousands of requests as one user; the limit itself is tested with
# a small rate (tests/functional/api/test_rate_limit.py).
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "100000/hour", "user": "100000/hour"}}  # noqa: F405

# `TEST_CLOCK_SHIFT_DAYS`: this process (and the subprocesses tests start) run with today moved.
from config.clock_shift import start_from_environment  # noqa: E402

start_from_environment()
