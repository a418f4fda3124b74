"""TOTP second factor (RFC 6238, django-otp) for every user whose roles read personal data beyond
one branch: committee staff, committee leaders, administrators, and any role (an auditor, a
secretary) held on a committee or on more than one branch. A secretary, deputy or auditor of one
branch and a mentor log in with a password.

A password login of such a user is only half a login: `TwoFactorRequiredMiddleware` sends
them to the second-factor page until the session is verified. The first time, the page
creates an unconfirmed device and shows its QR code and key; the first valid code confirms it.
API tokens are a separate credential, created from a verified session.

Recovery: when the device is confirmed the user is given ten one-time recovery codes
(django-otp's static device), shown once; each code stands in for a TOTP code once, and its use is
audited. A verified user may replace the whole set at any time (the old codes stop working).
Without codes, an administrator deletes the user's devices in the Django admin and the user sets
up a new authenticator at the next login.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.auth import client_ip
from members.models import COMMITTEE_ROLES, AuditLog, Role, User
from members.selectors import scope_for
from members.services import audit_record

SECOND_FACTOR_ROLES = frozenset({*COMMITTEE_ROLES, Role.ADMINISTRATOR})
RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "recovery"


def requires_second_factor(user: User) -> bool:
    if not getattr(settings, "TWO_FACTOR_REQUIRED", True) or not user.is_authenticated:
        return False
    scope = scope_for(user)
    return (
        user.is_superuser
        or scope.beyond_one_branch
        or any(role in SECOND_FACTOR_ROLES for role, _org, _name in scope.roles)
    )


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user: User) -> TOTPDevice:
    """The device being set up (unconfirmed), created on first use."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The key in base32 groups of four, for typing into an authenticator app."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def recovery_codes_issue(*, user: User, ip_address: str | None = None) -> list[str]:
    """A new set of one-time recovery codes for `user`, replacing any earlier set (audited).

    Only the codes' plain text is returned: show it once, it is not kept anywhere else readable
    from the interface."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
        audit_record(user=user, action=AuditLog.Action.RECOVERY_CODES_ISSUED, ip_address=ip_address)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE_NAME).count()


def second_factor_verify(*, request: HttpRequest, token: str) -> bool:
    """Check `token` against the user's device (the pending one during setup), or, once a device
    is confirmed, against their recovery codes (letters and digits, used up on use); on success
    the session is verified and a pending device becomes confirmed. Failures and recovery-code
    logins are audited, and django-otp throttles repeated failures per device."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - the views require a login
    token = "".join(token.split()).replace("-", "").lower()
    device = confirmed_device(user)
    if device is not None and token and not token.isdigit():
        recovery = StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True).first()
        if recovery is not None and recovery.verify_token(token):
            audit_record(user=user, action=AuditLog.Action.RECOVERY_CODE_USED, ip_address=client_ip(request))
            otp_login(request, recovery)
            return True
        audit_record(user=user, action=AuditLog.Action.LOGIN_FAILED, detail="recovery", ip_address=client_ip(request))
        return False
    device = device or pending_device(user)
    if not token.isdigit() or not device.verify_token(token):
        audit_record(user=user, action=AuditLog.Action.LOGIN_FAILED, detail="totp", ip_address=client_ip(request))
        return False
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return True
