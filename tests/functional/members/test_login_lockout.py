"""Login lock-out per account and per address, with separate thresholds, in the shared cache."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from members.models import AuditLog
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "test-password-1"
ROOT = Path(__file__).resolve().parents[3]


def _login(username: str, password: str, address: str = "192.0.2.1", **extra: str):  # type: ignore[no-untyped-def]
    client = Client(REMOTE_ADDR=address, **extra)
    return client, client.post(reverse("login"), {"username": username, "password": password})


def _locked(response) -> bool:  # type: ignore[no-untyped-def]
    return "Đăng nhập sai quá nhiều lần" in response.content.decode()


def test_failures_against_one_account_do_not_lock_out_the_others_behind_the_same_address(alice, bob) -> None:  # type: ignore[no-untyped-def]
    for _ in range(25):
        _login("alice", "wrong-password")

    _client, alice_again = _login("alice", PASSWORD)
    client, bob_in = _login("bob", PASSWORD)

    assert _locked(alice_again)
    assert bob_in.status_code == 302 and client.session.get("_auth_user_id") == str(bob.pk)


def test_a_locked_account_stays_locked_from_another_address(alice, settings) -> None:  # type: ignore[no-untyped-def]
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login("alice", "wrong-password", address="192.0.2.1")
    _client, response = _login("alice", PASSWORD, address="198.51.100.7")
    assert _locked(response)


def test_an_address_trying_many_accounts_is_locked_out_at_its_own_threshold(tree, alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 12
    for index in range(12):
        UserFactory(username=f"nguoi{index}")
        _login(f"nguoi{index}", "wrong-password", address="203.0.113.9")  # one failure per account

    _client, from_there = _login("alice", PASSWORD, address="203.0.113.9")
    client, from_elsewhere = _login("alice", PASSWORD, address="192.0.2.1")

    assert _locked(from_there)
    assert from_elsewhere.status_code == 302 and client.session.get("_auth_user_id") == str(alice.pk)
    assert AuditLog.objects.filter(action=AuditLog.Action.LOGIN_FAILED, ip_address="203.0.113.9").count() == 12


def test_behind_the_proxy_the_address_is_the_one_the_proxy_added(alice, bob, settings) -> None:  # type: ignore[no-untyped-def]
    settings.BEHIND_PROXY = True
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 3
    proxy = "10.0.0.1"
    for index in range(3):
        UserFactory(username=f"khach{index}")
        _login(f"khach{index}", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50")

    _c, attacker = _login("bob", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.50")
    client, colleague = _login("bob", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.51")

    assert _locked(attacker)  # a forged first entry does not help: the proxy's entry counts
    assert colleague.status_code == 302
    assert AuditLog.objects.filter(action=AuditLog.Action.LOGIN_FAILED, ip_address="203.0.113.50").count() == 3


def test_the_counters_live_in_the_database_cache_shared_by_all_processes(alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tracker_cache_test",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
    call_command("createcachetable", verbosity=0)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login("alice", "wrong-password")

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM tracker_cache_test")
        keys = {row[0] for row in cursor.fetchall()}
    assert any("login-fail:user:alice" in key for key in keys)
    assert any("login-fail:ip:192.0.2.1" in key for key in keys)
    _client, response = _login("alice", PASSWORD)
    assert _locked(response)


def test_without_cache_url_the_settings_choose_the_database_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "DATABASE_URL"}}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "TRACKER_VAR_DIR": str(tmp_path)}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "django.core.cache.backends.db.DatabaseCache"
    env["CACHE_URL"] = "rediscache://127.0.0.1:6379/1"
    redis = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert redis.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


def test_the_deploy_check_warns_about_a_per_process_cache(settings) -> None:  # type: ignore[no-untyped-def]
    from members.checks import shared_cache_check

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [m.id for m in shared_cache_check()] == ["members.W001"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    assert shared_cache_check() == []
