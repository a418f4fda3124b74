"""TOTP second factor for committee staff and administrators."""

import datetime as dt
import re
from urllib.parse import quote

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.models import AuditLog

pytestmark = pytest.mark.django_db
PASSWORD = "test-password-1"
# The TOTP codes of a set-up depend on the clock: frozen, so that a code cannot roll over mid-test.
SET_UP_AT = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def required(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWO_FACTOR_REQUIRED = True


def _logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_committee_staff_set_up_the_authenticator_then_reach_their_pages(carol, tree) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(SET_UP_AT, tick=False) as clock:
        _set_up_and_verify(carol, tree, clock)


def _set_up_and_verify(carol, tree, clock) -> None:  # type: ignore[no-untyped-def]
    client = _logged_in("carol")
    queue = reverse("committee_queue", args=[tree.committee.pk])

    response = client.get(queue)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor"))

    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'id="totp-qr"' in html
    assert 'id="totp-secret"' in html
    qr = client.get(reverse("two_factor_qr"))
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content

    wrong = client.post(reverse("two_factor"), {"token": "000000", "next": queue})
    assert "Mã không đúng" in wrong.content.decode()
    assert AuditLog.objects.filter(action=AuditLog.Action.LOGIN_FAILED, detail="totp", user=carol).count() == 1
    assert client.get(queue).status_code == 302

    device = TOTPDevice.objects.get(user=carol)
    assert device.confirmed is False
    right_away = client.post(reverse("two_factor"), {"token": _code(device), "next": queue})
    assert right_away.status_code == 200  # throttled: a failure makes the next try wait (django-otp)
    clock.shift(dt.timedelta(seconds=10))
    ok = client.post(reverse("two_factor"), {"token": _code(device), "next": queue})
    assert ok.status_code == 302
    assert ok["Location"] == f"{reverse('two_factor_recovery')}?next={quote(queue, safe='')}"
    codes_page = client.get(ok["Location"]).content.decode()
    assert len(_codes(codes_page)) == 10  # the recovery codes, shown once
    assert f'href="{queue}" id="recovery-continue"' in codes_page
    assert client.get(queue).status_code == 200
    device.refresh_from_db()
    assert device.confirmed is True
    # Once confirmed, the key and the QR code are never shown again.
    assert client.get(reverse("two_factor_qr")).status_code in {302, 404}


def test_a_new_login_must_verify_again_with_the_confirmed_device(carol, tree) -> None:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.create(user=carol, name="TOTP", confirmed=True)
    client = _logged_in("carol")

    page = client.get(reverse("two_factor")).content.decode()
    assert 'id="totp-secret"' not in page  # no key shown for an existing device
    client.post(reverse("two_factor"), {"token": _code(device)})
    assert client.get(reverse("dashboard")).status_code == 200


def test_branch_secretaries_log_in_with_a_password_only_and_the_province_auditor_does_not(alice, eve) -> None:  # type: ignore[no-untyped-def]
    assert _logged_in("alice").get(reverse("dashboard")).status_code == 200
    # The auditor reads the whole province's personal data: the second factor too.
    assert _logged_in("eve").get(reverse("dashboard"))["Location"].startswith(reverse("two_factor"))


def test_the_second_factor_page_does_not_follow_a_foreign_next(carol) -> None:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.create(user=carol, name="TOTP", confirmed=True)
    client = _logged_in("carol")
    response = client.post(reverse("two_factor"), {"token": _code(device), "next": "https://example.org/"})
    assert response["Location"] == reverse("dashboard")


def test_an_anonymous_visitor_is_sent_to_the_login_page(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("two_factor"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _codes(html: str) -> list[str]:
    return re.findall(r"<li>([a-z2-7]{4}-[a-z2-7]{4})</li>", html)


def test_setting_up_hands_out_ten_recovery_codes_once(carol) -> None:  # type: ignore[no-untyped-def]
    # Every request runs under the one frozen clock: the session it opens would have expired
    # (SESSION_COOKIE_AGE) by the time a request made on the real clock arrived.
    with time_machine.travel(SET_UP_AT, tick=False):
        client = _logged_in("carol")
        client.get(reverse("two_factor"))
        device = TOTPDevice.objects.get(user=carol)
        response = client.post(reverse("two_factor"), {"token": _code(device)}, follow=True)
        codes = _codes(response.content.decode())
        assert len(codes) == 10
        assert len(set(codes)) == 10
        assert AuditLog.objects.filter(user=carol, action=AuditLog.Action.RECOVERY_CODES_ISSUED).count() == 1
        # Shown once: the next visit only says how many are left.
        again = client.get(reverse("two_factor_recovery")).content.decode()
    assert _codes(again) == []
    assert 'id="recovery-left"' in again
    assert "10" in again


def test_a_recovery_code_replaces_the_authenticator_once(carol) -> None:  # type: ignore[no-untyped-def]
    from members import twofactor

    TOTPDevice.objects.create(user=carol, name="TOTP", confirmed=True)
    first, second, *_rest = twofactor.recovery_codes_issue(user=carol)
    client = _logged_in("carol")
    # Typed as shown (with the hyphen, in capitals): accepted, and used up.
    ok = client.post(reverse("two_factor"), {"token": f"{first[:4]}-{first[4:]}".upper()})
    assert ok["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    assert AuditLog.objects.filter(user=carol, action=AuditLog.Action.RECOVERY_CODE_USED).count() == 1
    assert twofactor.recovery_codes_left(carol) == 9

    reused = _logged_in("carol")
    refused = reused.post(reverse("two_factor"), {"token": first})
    assert refused.status_code == 200
    assert "mã khôi phục chưa dùng" in refused.content.decode()
    assert reused.get(reverse("dashboard")).status_code == 302
    assert AuditLog.objects.filter(user=carol, action=AuditLog.Action.LOGIN_FAILED, detail="recovery").count() == 1
    assert StaticToken.objects.filter(device__user=carol, token=second).exists()


def test_a_new_set_of_recovery_codes_voids_the_old_one(carol) -> None:  # type: ignore[no-untyped-def]
    from members import twofactor

    device = TOTPDevice.objects.create(user=carol, name="TOTP", confirmed=True)
    old = twofactor.recovery_codes_issue(user=carol)
    client = _logged_in("carol")
    client.post(reverse("two_factor"), {"token": _code(device)})
    new = _codes(client.post(reverse("two_factor_recovery")).content.decode())
    assert len(new) == 10
    assert not {code.replace("-", "") for code in new} & set(old)
    assert twofactor.recovery_codes_left(carol) == 10
    assert not StaticToken.objects.filter(token__in=old).exists()


def test_the_recovery_page_needs_a_verified_session_with_an_authenticator(alice, carol) -> None:  # type: ignore[no-untyped-def]
    assert _logged_in("alice").get(reverse("two_factor_recovery")).status_code == 404  # no authenticator
    TOTPDevice.objects.create(user=carol, name="TOTP", confirmed=True)
    unverified = _logged_in("carol")
    assert unverified.get(reverse("two_factor_recovery")).status_code == 404
    assert unverified.post(reverse("two_factor_recovery")).status_code == 404
    assert not StaticToken.objects.filter(device__user=carol).exists()
