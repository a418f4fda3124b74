"""One login for everything: /admin/login/ is the application's throttled, audited login, and the
admin answers only sessions that passed the second factor when it is required."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.models import AuditLog, Role
from members.services import role_assign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "test-password-1"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def administrator(tree):  # type: ignore[no-untyped-def]
    user = UserFactory(username="quantri", is_staff=True, is_superuser=True)
    role_assign(acting_user=None, user=user, organisation=tree.province, role=Role.ADMINISTRATOR)
    return user


def test_twenty_wrong_passwords_on_the_admin_login_lock_the_right_one_out(administrator, settings) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for _ in range(20):
        response = client.post(ADMIN_LOGIN, {"username": "quantri", "password": "wrong-password"})
        assert response.status_code == 200

    response = client.post(ADMIN_LOGIN, {"username": "quantri", "password": PASSWORD})

    assert response.status_code == 200
    assert "Đăng nhập sai quá nhiều lần" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditLog.objects.filter(action=AuditLog.Action.LOGIN_FAILED, detail="quantri").count() >= 5
    # The address is locked on the application's login page too: one counter for both.
    other = Client()
    again = other.post(reverse("login"), {"username": "quantri", "password": PASSWORD})
    assert "Đăng nhập sai quá nhiều lần" in again.content.decode()


def test_the_admin_login_is_the_applications_login_page(administrator, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWO_FACTOR_REQUIRED = False
    client = Client()
    page = client.get(ADMIN_LOGIN, {"next": "/admin/"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Quên mật khẩu?" in html  # the application's template, not the admin's
    assert 'name="next" value="/admin/"' in html

    response = client.post(ADMIN_LOGIN, {"username": "quantri", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_anonymous_visit_of_the_admin_goes_to_the_login(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/admin/members/person/")
    assert response.status_code == 302
    assert response["Location"].startswith(ADMIN_LOGIN)


def test_a_session_without_the_second_factor_cannot_use_the_admin(administrator, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWO_FACTOR_REQUIRED = True
    client = Client()
    client.force_login(administrator)  # a password login only

    for url in (reverse("admin:index"), "/admin/members/person/", ADMIN_LOGIN):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two_factor")), url


def test_a_staff_user_without_any_role_needs_the_second_factor_for_the_admin(db, settings) -> None:  # type: ignore[no-untyped-def]
    """The middleware asks roles for the second factor; the admin asks it of everyone who uses it."""
    settings.TWO_FACTOR_REQUIRED = True
    staff = UserFactory(username="nhanvien", is_staff=True, is_superuser=False)
    client = Client()
    client.force_login(staff)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    login = client.get(response["Location"])
    assert login["Location"].startswith(reverse("two_factor"))


def test_a_verified_administrator_uses_the_admin(administrator, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWO_FACTOR_REQUIRED = True
    client = Client()
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC), tick=False):
        response = client.post(ADMIN_LOGIN, {"username": "quantri", "password": PASSWORD})
        assert response.status_code == 302
        device = TOTPDevice.objects.create(user=administrator, name="TOTP", confirmed=True)
        code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
        assert client.post(reverse("two_factor"), {"token": code}).status_code == 302

        assert client.get(reverse("admin:index")).status_code == 200


def test_a_logged_in_user_who_is_not_staff_is_refused(tree, alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWO_FACTOR_REQUIRED = False
    client = Client()
    client.force_login(alice)
    assert client.get(ADMIN_LOGIN).status_code == 403
