"""An optional PostgreSQL read replica (`DATABASE_REPLICA_URL`), used only where a view opts in.

Without the variable there is no "replica" database, `reading_from_replica()` does nothing and the
router answers None everywhere: Django's own routing, unchanged.

With it:
- every write goes to the primary ("default"), always;
- a read goes to the replica only inside `reading_from_replica()` (the `replica_reads` decorator of
  the statistics pages and exports, `ReplicaListMixin` of the API's list endpoints), never inside a
  transaction (a service that reads what it is writing), and never for the sessions or the
  database cache (the login and the sticky marks below must be current);
- **the acting user reads their own writes** (GitLab's "sticky" load balancing): after every request
  that may have written (not GET/HEAD/OPTIONS) by a signed-in user, `ReplicaStickyMiddleware` keeps
  the primary's WAL position in the cache for `DATABASE_REPLICA_STICKY_SECONDS`; an opted-in read of
  that user uses the replica only once the replica has replayed up to that position, else the
  primary. Other users may see a write up to the replication lag late (usually well under a second).
- A replica that cannot be reached is skipped: the request reads from the primary.

docs/decisions.md "Read replica" says why it is opt-in per view and sticky by WAL position.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
# Never read from the replica: sessions (a login just written) and the database cache (the sticky marks).
PRIMARY_ONLY_APPS = frozenset({"sessions", "django_cache"})
STICKY_KEY = "replica:written-lsn:{}"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

logger = logging.getLogger(__name__)
_reading: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    """Reads inside `reading_from_replica()` to the replica; every other query to the primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if not _reading.get():
            return DEFAULT_DB_ALIAS if replica_configured() else None
        if model._meta.app_label in PRIMARY_ONLY_APPS or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        # Also for a row read from the replica (whose _state.db would otherwise be chosen).
        return DEFAULT_DB_ALIAS if replica_configured() else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        pair = {obj1._state.db, obj2._state.db}
        return True if pair <= {DEFAULT_DB_ALIAS, REPLICA} else None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


def read_connection() -> BaseDatabaseWrapper:
    """The connection for raw SQL that only reads (the ORM is routed by `ReplicaRouter`; a raw
    `django.db.connection.cursor()` always uses the primary): the replica inside `reading_from_replica()`."""
    if _reading.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return connections[REPLICA]
    return connections[DEFAULT_DB_ALIAS]


# The end of the last WAL record on the primary. The insert position, because with synchronous_commit
# off the commit record may not be written out yet; less the page header it has already skipped when
# that record ended exactly at a page (24 bytes) or segment (40 bytes) boundary: a standby's replay
# position stops at the boundary and would never reach the insert position while the primary is idle.
RECORD_END_SQL = """
    WITH p AS (
        SELECT {lsn} AS lsn,
               current_setting('wal_block_size')::numeric AS page,
               (SELECT setting::numeric FROM pg_settings WHERE name = 'wal_segment_size') AS segment
    )
    SELECT (lsn - CASE WHEN (lsn - '0/0'::pg_lsn) %% segment = 40 THEN 40
                       WHEN (lsn - '0/0'::pg_lsn) %% page = 24 THEN 24
                       ELSE 0 END)::text
    FROM p
"""


def primary_position(alias: str = DEFAULT_DB_ALIAS) -> str:
    """Where the primary's WAL ends now (RECORD_END_SQL): once a standby has replayed up to it, it
    has every write committed so far."""
    with connections[alias].cursor() as cursor:
        cursor.execute(RECORD_END_SQL.format(lsn="pg_current_wal_insert_lsn()"), [])
        return str(cursor.fetchone()[0])


def writes_remember(*, user_id: int) -> None:
    """After a request of `user_id` that may have written: their next reads wait for the replica to replay it."""
    if not replica_configured():
        return
    try:
        position = primary_position()
    except DatabaseError:  # the request's own error is what matters; its later reads use the primary
        logger.warning("replica: the primary's WAL position could not be read", exc_info=True)
        return
    cache.set(STICKY_KEY.format(user_id), position, timeout=settings.DATABASE_REPLICA_STICKY_SECONDS)


def replica_fresh_for(*, user_id: int | None) -> bool:
    """May this user's reads use the replica now (it has replayed their last write, and answers)?"""
    position = cache.get(STICKY_KEY.format(user_id)) if user_id is not None else None
    try:
        with connections[REPLICA].cursor() as cursor:
            if position is None:
                cursor.execute("SELECT 1")
                return True
            # Not in recovery: the "replica" is the primary itself (a development setting).
            cursor.execute("SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn", [position])
            return bool(cursor.fetchone()[0])
    except DatabaseError:
        logger.warning("replica: unreachable, reading from the primary", exc_info=True)
        connections[REPLICA].close()
        return False


@contextmanager
def reading_from_replica(*, user: Any = None) -> Iterator[bool]:
    """Within the block, reads go to the replica (yields True), unless there is none, `user` has a write
    it has not replayed yet, or it does not answer (yields False: the primary, as without it)."""
    if not replica_configured() or _reading.get():
        yield _reading.get()
        return
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    if not replica_fresh_for(user_id=user_id):
        yield False
        return
    token = _reading.set(True)
    try:
        yield True
    finally:
        _reading.reset(token)


def replica_reads[View: Callable[..., HttpResponse]](view: View) -> View:
    """A read-only view's queries from the replica (statistics pages, exports): `@replica_reads` below
    `@login_required`, so that the user is known (read from the primary) before."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with reading_from_replica(user=getattr(request, "user", None)):
            return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


class ReplicaStickyMiddleware:
    """Remembers the primary's WAL position after a signed-in user's request that may have written."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and replica_configured():
            # An API token's user too: DRF sets it on this request when it authenticates.
            user = getattr(request, "user", None)
            if getattr(user, "is_authenticated", False):
                writes_remember(user_id=user.pk)  # type: ignore[union-attr]
        return response
