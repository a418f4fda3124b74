"""TOTP second factor for committee staff and administrators (issue 7)."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.models import AuditLog

pytestmark = pytest.mark.django_db
PASSWORD = "test-password-1"


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
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
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
    assert ok["Location"] == queue
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


def test_branch_secretaries_and_auditors_log_in_with_a_password_only(alice, eve) -> None:  # type: ignore[no-untyped-def]
    for username in ("alice", "eve"):
        assert _logged_in(username).get(reverse("dashboard")).status_code == 200


def test_the_second_factor_page_does_not_follow_a_foreign_next(carol) -> None:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.create(user=carol, name="TOTP", confirmed=True)
    client = _logged_in("carol")
    response = client.post(reverse("two_factor"), {"token": _code(device), "next": "https://example.org/"})
    assert response["Location"] == reverse("dashboard")


def test_an_anonymous_visitor_is_sent_to_the_login_page(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("two_factor"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
