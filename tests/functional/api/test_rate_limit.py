"""API rate limits per token/user: past the limit, 429 with Retry-After.

Anonymous callers get 401 before any counting on every endpoint but the public schema. DRF reads
the rates into the throttle classes when they are first imported, so the test sets them there.
"""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from members import api_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def test_a_token_is_limited_per_user(alice, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "100/minute"})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_tokens.token_rotate(acting_user=alice).key}")

    statuses = [client.get("/api/v1/candidates/").status_code for _ in range(4)]
    refused = client.get("/api/v1/candidates/")

    assert statuses == [200, 200, 200, 429]
    wait = int(refused["Retry-After"])
    assert wait > 0
    assert refused.json()["errors"] == [
        {
            "code": "throttled",
            "rule": "",
            "message": f"Quá nhiều yêu cầu. Vui lòng thử lại sau {wait} giây.",
            "params": {"retry_after": wait},
        }
    ]


def test_the_public_schema_is_limited_per_address(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "100/minute", "anon": "2/minute"})
    client = APIClient()
    statuses = [client.get("/api/v1/openapi.json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
