"""API rate limits per token/user (issue 7): past the limit, 429 with Retry-After.

Anonymous callers get 401 before any counting on every endpoint but the public schema."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def _rates(user: str, anon: str):  # type: ignore[no-untyped-def]
    from django.conf import settings

    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user}}
    )


def test_a_token_is_limited_per_user(alice) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    with _rates(user="3/minute", anon="100/minute"):
        statuses = [client.get("/api/v1/candidates/").status_code for _ in range(4)]
        refused = client.get("/api/v1/candidates/")
    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["errors"][0]["code"] == "throttled"
