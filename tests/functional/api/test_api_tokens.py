"""API tokens: made only after the second factor, expire, stop working when the password or the roles
change or when the user comes to need the second factor, show their last use, and may be read-only."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from members import api_tokens
from members.models import ApiToken, Role, RoleAssignment
from members.services import role_assign

pytestmark = pytest.mark.django_db
API = "/api/v1"
CREATED_AT = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def _api(key: str) -> Client:
    return Client(headers={"Authorization": f"Token {key}"})


def _verified_browser(user) -> Client:  # type: ignore[no-untyped-def]
    """A browser session that passed the second factor (as members.twofactor leaves it)."""
    device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=True)
    browser = Client()
    browser.force_login(user)
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return browser


def _csrf(browser: Client) -> str:
    browser.get(f"{API}/docs/")
    return browser.cookies["csrftoken"].value


def test_a_token_is_created_only_from_a_session_that_passed_the_second_factor(alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWO_FACTOR_REQUIRED = True
    password_only = Client(enforce_csrf_checks=False)
    password_only.force_login(alice)  # a branch secretary: pages with a password alone

    assert password_only.get(reverse("dashboard")).status_code == 200
    refused = password_only.post(f"{API}/token/")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "second_factor_required"
    page = password_only.post(f"{API}/docs/", {"action": "create"})
    assert page.status_code == 302 and page["Location"].startswith(reverse("two_factor"))
    assert not ApiToken.objects.exists()
    with pytest.raises(api_tokens.SecondFactorRequired):
        api_tokens.token_rotate(acting_user=alice)

    made = _verified_browser(alice).post(f"{API}/token/")
    assert made.status_code == 201
    assert ApiToken.objects.get(user=alice).second_factor is True
    assert _api(made.json()["token"]).get(f"{API}/candidates/").status_code == 200


def test_a_token_made_without_the_second_factor_stops_when_the_user_needs_it(carol, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWO_FACTOR_REQUIRED = False
    key = api_tokens.token_rotate(acting_user=carol).key
    assert _api(key).get(f"{API}/candidates/").status_code == 200

    settings.TWO_FACTOR_REQUIRED = True  # committee staff: the second factor is now required

    response = _api(key).get(f"{API}/candidates/")
    assert response.status_code == 401
    assert "hai lớp" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("days", "status"), [(89, 200), (90, 401), (120, 401)])
def test_a_token_expires_after_the_configured_lifetime(alice, settings, days, status) -> None:  # type: ignore[no-untyped-def]
    assert settings.API_TOKEN_LIFETIME_DAYS == 90
    with time_machine.travel(CREATED_AT, tick=False) as clock:
        key = api_tokens.token_rotate(acting_user=alice).key
        clock.move_to(CREATED_AT + dt.timedelta(days=days))
        response = _api(key).get(f"{API}/candidates/")
    assert response.status_code == status
    if status == 401:
        assert "hết hạn" in response.json()["errors"][0]["message"]


def test_the_lifetime_is_a_setting(alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.API_TOKEN_LIFETIME_DAYS = 7
    with time_machine.travel(CREATED_AT, tick=False) as clock:
        key = api_tokens.token_rotate(acting_user=alice).key
        clock.move_to(CREATED_AT + dt.timedelta(days=7))
        assert _api(key).get(f"{API}/candidates/").status_code == 401


def test_a_password_change_revokes_the_token(alice) -> None:  # type: ignore[no-untyped-def]
    key = api_tokens.token_rotate(acting_user=alice).key
    browser = Client()
    browser.force_login(alice)
    changed = browser.post(
        reverse("password_change"),
        {"old_password": "test-password-1", "new_password1": "Mật-khẩu-mới-2026", "new_password2": "Mật-khẩu-mới-2026"},
    )
    assert changed.status_code == 302

    response = _api(key).get(f"{API}/candidates/")
    assert response.status_code == 401
    assert "thu hồi" in response.json()["errors"][0]["message"]


def test_a_password_reset_revokes_the_token(alice) -> None:  # type: ignore[no-untyped-def]
    key = api_tokens.token_rotate(acting_user=alice).key
    alice.set_password("Mật-khẩu-đặt-lại-2026")  # what the reset form's save() does
    alice.save()
    assert _api(key).get(f"{API}/candidates/").status_code == 401


def test_losing_a_role_revokes_the_token(alice, tree) -> None:  # type: ignore[no-untyped-def]
    key = api_tokens.token_rotate(acting_user=alice).key
    RoleAssignment.objects.filter(user=alice).update(active=False)
    assert _api(key).get(f"{API}/candidates/").status_code == 401


def test_a_new_role_also_needs_a_new_token(alice, tree) -> None:  # type: ignore[no-untyped-def]
    key = api_tokens.token_rotate(acting_user=alice).key
    role_assign(acting_user=None, user=alice, organisation=tree.committee, role=Role.COMMITTEE_STAFF)
    assert _api(key).get(f"{API}/candidates/").status_code == 401


def test_a_read_only_token_reads_but_never_writes(alice, tree) -> None:  # type: ignore[no-untyped-def]
    browser = Client()
    browser.force_login(alice)
    issued = browser.post(f"{API}/token/", {"read_only": "true"}).json()
    assert issued["read_only"] is True
    client = _api(issued["token"])

    assert client.get(f"{API}/candidates/").status_code == 200
    write = client.post(
        f"{API}/candidates/",
        data=json.dumps({"organisation": tree.branch_a.pk}),
        content_type="application/json",
    )
    assert write.status_code == 403
    assert "chỉ đọc" in write.json()["errors"][0]["message"]
    # A full token of the same user may write (here: validation answers, not a refusal).
    full = _api(api_tokens.token_rotate(acting_user=alice).key).post(
        f"{API}/candidates/", data=json.dumps({"organisation": tree.branch_a.pk}), content_type="application/json"
    )
    assert full.status_code == 400


def test_the_docs_page_shows_expiry_last_use_and_read_only(alice) -> None:  # type: ignore[no-untyped-def]
    browser = Client()
    browser.force_login(alice)
    with time_machine.travel(CREATED_AT, tick=False) as clock:
        page = browser.post(f"{API}/docs/", {"action": "create", "read_only": "1"})
        key = re.search(r'id="new-token">([0-9a-f]{40})<', page.content.decode()).group(1)  # type: ignore[union-attr]
        assert "Chưa dùng" in page.content.decode()
        clock.move_to(CREATED_AT + dt.timedelta(hours=3))
        assert _api(key).get(f"{API}/candidates/").status_code == 200
        html = browser.get(f"{API}/docs/").content.decode()
    token = ApiToken.objects.get(user=alice)
    assert token.read_only and token.last_used_at == CREATED_AT + dt.timedelta(hours=3)
    state = html[html.index('id="token-state"') :]
    assert "02/03/2026" in state  # created (local time, dd/mm/yyyy)
    assert "31/05/2026" in state  # expires 90 days later
    assert "02/03/2026 18:00" in state  # last used (Asia/Ho_Chi_Minh)
    assert "Chỉ đọc" in state and "Đang dùng được" in state


def test_the_last_use_is_written_at_most_once_a_minute(alice) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(CREATED_AT, tick=False) as clock:
        key = api_tokens.token_rotate(acting_user=alice).key
        client = _api(key)
        client.get(f"{API}/candidates/")
        first = ApiToken.objects.get(user=alice).last_used_at
        clock.move_to(CREATED_AT + dt.timedelta(seconds=30))
        client.get(f"{API}/candidates/")
        assert ApiToken.objects.get(user=alice).last_used_at == first
        clock.move_to(CREATED_AT + dt.timedelta(seconds=61))
        client.get(f"{API}/candidates/")
        assert ApiToken.objects.get(user=alice).last_used_at == CREATED_AT + dt.timedelta(seconds=61)
