"""The candidate's own access to their case (self-service): invitation, acceptance, revocation, the
checklist items opened to their uploads, and their biography draft (2-KNĐ).

The candidate's login holds only the candidate role on their branch (members.models.Role.CANDIDATE),
which grants no organisation scope: every existing page and API answers 404 for it, and the
confinement middleware keeps it on its own pages. What it reads is decided by
`admission.candidate_selectors.own_candidacy`, on every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from admission.models import CLOSED_STAGES, BiographyDraft, Candidate, CandidateAccess, DocumentType
from members.models import AuditLog, Role, RoleAssignment, User
from members.selectors import scope_for
from members.services import audit_record

# How long an invitation link can be used (docs/decisions.md, "Candidate self-service").
INVITATION_VALID = dt.timedelta(days=7)


class AccessRefused(Exception):
    """The self-service act cannot be done; `message` says why, in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def token_digest(token: str) -> str:
    """The stored form of an invitation token: its SHA-256 (the token has 256 random bits, so an
    unsalted digest cannot be reversed by search; a copy of the database opens no invitation)."""
    return hashlib.sha256(token.encode()).hexdigest()


def may_manage_access(user: User, candidate: Candidate) -> bool:
    """The branch's secretary or deputy (or an administrator) invites, opens items, revokes, locks."""
    return scope_for(user).acts_for_branch(candidate.organisation)


def _require_manager(user: User, candidate: Candidate) -> None:
    if not may_manage_access(user, candidate):
        raise PermissionDenied


def candidacy_closed(candidate: Candidate) -> bool:
    return candidate.stage in CLOSED_STAGES


def _candidate_username(candidate: Candidate) -> str:
    return f"nguoivaodang.{candidate.pk}"


def candidate_access_invite(
    *, acting_user: User, candidate: Candidate, email: str, now: dt.datetime, ip_address: str | None = None
) -> tuple[CandidateAccess, str]:
    """Invite the candidate to follow their case; return the access row and the one-time token.

    1. The branch's secretary or deputy only; the candidacy must be open; the person must not
       already log in with another role (a member's own account is never turned into this).
    2. One durable transaction: the person's login is created (no usable password, so it cannot
       log in before accepting) or reused; earlier invitations of this candidacy not yet accepted
       are revoked; the new CandidateAccess row (token digest, 7 days) and a SELF_SERVICE audit row.
    The e-mail is sent by the caller after the commit (never inside a transaction).
    """
    _require_manager(acting_user, candidate)
    if candidacy_closed(candidate):
        raise AccessRefused(_("Hồ sơ đã kết thúc, không thể mời người vào Đảng tự theo dõi."))
    person = candidate.person
    account = User.objects.filter(person=person).first()
    if account is not None and (
        account.is_superuser
        or account.is_staff
        or RoleAssignment.objects.filter(user=account).exclude(role=Role.CANDIDATE).exists()
    ):
        raise AccessRefused(_("Người này đã có tài khoản với vai trò khác; không thể cấp quyền tự theo dõi hồ sơ."))
    token = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        if account is None:
            account = User(username=_candidate_username(candidate), email=email, person=person)
            account.set_unusable_password()
            account.save()
        elif account.email != email:
            account.email = email
            account.save(update_fields=["email"])
        CandidateAccess.objects.filter(candidate=candidate, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=acting_user
        )
        access = CandidateAccess.objects.create(
            candidate=candidate,
            user=account,
            email=email,
            token_digest=token_digest(token),
            invited_by=acting_user,
            invited_at=now,
            expires_at=now + INVITATION_VALID,
            open_items=_previous_open_items(candidate),
        )
        audit_record(
            user=acting_user,
            action=AuditLog.Action.SELF_SERVICE,
            person=person,
            detail=f"Mời tự theo dõi hồ sơ #{candidate.pk} (lời mời {access.pk})",
            ip_address=ip_address,
        )
    return access, token


def _previous_open_items(candidate: Candidate) -> list[str]:
    latest = CandidateAccess.objects.filter(candidate=candidate).order_by("-invited_at", "-pk").first()
    return list(latest.open_items) if latest is not None else []


def candidate_access_accept(
    *, access: CandidateAccess, password: str, now: dt.datetime, ip_address: str | None = None
) -> User:
    """Accept an invitation: set the password, give the login the candidate role on its branch.

    1. The invitation must be unused, not revoked, not expired, and the candidacy open.
    2. One durable transaction: the single use is claimed by a conditional UPDATE on
       `accepted_at IS NULL` (two tabs posting the link at once: one wins, the other is refused);
       the password is set and the login activated; the candidate role (active) on the branch; a
       SELF_SERVICE audit row.
    """
    if access.revoked_at is not None or access.accepted_at is not None:
        raise AccessRefused(_("Lời mời này đã được dùng hoặc đã bị thu hồi."))
    if now >= access.expires_at:
        raise AccessRefused(_("Lời mời đã hết hạn; hãy đề nghị bí thư chi bộ gửi lời mời mới."))
    if candidacy_closed(access.candidate):
        raise AccessRefused(_("Hồ sơ đã kết thúc; lời mời không còn hiệu lực."))
    with transaction.atomic(durable=True):
        # The claim: only one request turns this invitation into a login.
        claimed = CandidateAccess.objects.filter(
            pk=access.pk, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(accepted_at=now)
        if claimed != 1:
            raise AccessRefused(_("Lời mời này đã được dùng hoặc đã bị thu hồi."))
        user = access.user
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        RoleAssignment.objects.update_or_create(
            user=user, organisation=access.candidate.organisation, role=Role.CANDIDATE, defaults={"active": True}
        )
        audit_record(
            user=user,
            action=AuditLog.Action.SELF_SERVICE,
            person=access.candidate.person,
            detail=f"Nhận lời mời tự theo dõi hồ sơ #{access.candidate_id} (lời mời {access.pk})",
            ip_address=ip_address,
        )
    access.accepted_at = now
    return user


def candidate_access_revoke(
    *, acting_user: User, access: CandidateAccess, now: dt.datetime, ip_address: str | None = None
) -> None:
    """End the candidate's access now: the row is revoked, the candidate role deactivated and the
    login disabled (its open sessions end with it: Django refuses inactive users' sessions).

    Side effects: one durable transaction with the three updates and a SELF_SERVICE audit row.
    """
    _require_manager(acting_user, access.candidate)
    if access.revoked_at is not None:
        return
    with transaction.atomic(durable=True):
        CandidateAccess.objects.filter(candidate=access.candidate, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=acting_user
        )
        RoleAssignment.objects.filter(user=access.user, role=Role.CANDIDATE).update(active=False)
        User.objects.filter(pk=access.user_id).update(is_active=False)
        audit_record(
            user=acting_user,
            action=AuditLog.Action.SELF_SERVICE,
            person=access.candidate.person,
            detail=f"Thu hồi quyền tự theo dõi hồ sơ #{access.candidate_id}",
            ip_address=ip_address,
        )
    access.revoked_at = now


def candidate_access_open_items(
    *, acting_user: User, access: CandidateAccess, items: list[str], ip_address: str | None = None
) -> None:
    """Set the checklist items the candidate may upload scans to (DocumentType codes)."""
    _require_manager(acting_user, access.candidate)
    chosen = [code for code in DocumentType.values if code in set(items)]
    with transaction.atomic(durable=True):
        CandidateAccess.objects.filter(pk=access.pk).update(open_items=chosen)
        audit_record(
            user=acting_user,
            action=AuditLog.Action.SELF_SERVICE,
            person=access.candidate.person,
            detail=f"Mở cho người vào Đảng tự tải lên: {', '.join(chosen) or '—'} #{access.candidate_id}",
            ip_address=ip_address,
        )
    access.open_items = chosen


def biography_draft_save(
    *, acting_user: User, candidate: Candidate, data: dict[str, Any], now: dt.datetime, ip_address: str | None = None
) -> BiographyDraft:
    """Save the candidate's biography draft (the caller has resolved `candidate` as the user's own
    open candidacy). Refused once the secretary locked it. A new version in its history each time.

    Side effects: one durable transaction with the draft (and its historical row) and a SELF_SERVICE audit row.
    """
    with transaction.atomic(durable=True):
        draft = BiographyDraft.objects.select_for_update().filter(candidate=candidate).first()
        if draft is not None and draft.locked_at is not None:
            raise AccessRefused(_("Bí thư chi bộ đã khóa bản lý lịch để duyệt; không sửa được nữa."))
        if draft is None:
            draft = BiographyDraft(candidate=candidate)
        draft.data = data
        draft.updated_by = acting_user
        draft.updated_at = now
        draft.save()
        audit_record(
            user=acting_user,
            action=AuditLog.Action.SELF_SERVICE,
            person=candidate.person,
            detail=f"Lưu bản nháp lý lịch #{candidate.pk}",
            ip_address=ip_address,
        )
    return draft


def biography_draft_lock(
    *, acting_user: User, candidate: Candidate, lock: bool, now: dt.datetime, ip_address: str | None = None
) -> BiographyDraft:
    """The secretary locks the draft to review and print it (the candidate can no longer edit), or
    unlocks it to let the candidate correct it."""
    _require_manager(acting_user, candidate)
    with transaction.atomic(durable=True):
        draft = BiographyDraft.objects.select_for_update().filter(candidate=candidate).first()
        if draft is None:
            raise AccessRefused(_("Người vào Đảng chưa khai bản nháp lý lịch."))
        draft.locked_at = now if lock else None
        draft.locked_by = acting_user if lock else None
        draft.save(update_fields=["locked_at", "locked_by"])
        audit_record(
            user=acting_user,
            action=AuditLog.Action.SELF_SERVICE,
            person=candidate.person,
            detail=f"{'Khóa' if lock else 'Mở khóa'} bản nháp lý lịch #{candidate.pk}",
            ip_address=ip_address,
        )
    return draft
