"""Writes for organisations, people, members and the audit log.

Each top-level service owns one durable transaction (architecture A) and takes
keyword-only arguments, the acting user first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.freshness import organisations_changed
from members.models import (
    ALLOWED_PARENTS,
    AuditLog,
    MemberStatus,
    Organisation,
    PartyMember,
    Person,
    Role,
    RoleAssignment,
    User,
)
from members.selectors import scope_for


def organisation_create(
    *, acting_user: User | None, kind: str, name: str, code: str, parent: Organisation | None = None, **fields: Any
) -> Organisation:
    """Create an organisation and set its materialised path.

    Side effects: one transaction; one INSERT and one UPDATE (the path needs the id).
    """
    if kind not in ALLOWED_PARENTS or (parent.kind if parent else None) not in ALLOWED_PARENTS[kind]:
        raise ValidationError({"parent": _("Tổ chức cấp này không thể trực thuộc tổ chức đã chọn.")})
    if acting_user is not None and parent is not None and not scope_for(acting_user).can_edit(parent):
        raise PermissionDenied
    with transaction.atomic(durable=True):
        return _organisation_insert(kind=kind, name=name, code=code, parent=parent, **fields)


def _organisation_insert(
    *, kind: str, name: str, code: str, parent: Organisation | None, **fields: Any
) -> Organisation:
    organisation = Organisation(kind=kind, name=name, code=code, parent=parent, **fields)
    organisation.full_clean(exclude=["path"])
    organisation.save()
    organisation.path = f"{parent.path if parent else '/'}{organisation.pk}/"
    organisation.depth = parent.depth + 1 if parent else 0
    organisation.save(update_fields=["path", "depth"])
    organisations_changed(paths=[organisation.path])
    return organisation


def _require_edit(acting_user: User | None, organisation: Organisation) -> None:
    if acting_user is not None and not scope_for(acting_user).can_edit(organisation):
        raise PermissionDenied


# The answer when a CCCD belongs to someone the user may not see: it must not tell them that the
# number exists, nor where (existence answers never reveal what lies outside the user's scope).
CCCD_UNAVAILABLE = gettext_lazy(
    "Không dùng được số CCCD này. Kiểm tra lại số; nếu số đúng, hãy liên hệ cơ quan tổ chức của "
    "cấp ủy cấp trên để được hỗ trợ."
)


def cccd_conflict(*, acting_user: User | None, person: Person, ip_address: str | None = None) -> str | None:
    """Why `person.cccd` cannot be stored: another person holds it. Inside the user's scope the
    message names that person; outside it is the neutral CCCD_UNAVAILABLE, and the attempt is
    written to the audit log against the other person (their auditors see the probe)."""
    if not person.cccd:
        return None
    other = Person.objects.filter(cccd=person.cccd).exclude(pk=person.pk).select_related("organisation").first()
    if other is None:
        return None
    if acting_user is None or scope_for(acting_user).can_read(other.organisation):
        return _("Số CCCD này đã có trong danh sách: %(name)s (%(organisation)s).") % {
            "name": other.full_name,
            "organisation": other.organisation.name,
        }
    audit_record(
        user=acting_user,
        action=AuditLog.Action.IDENTIFIER_CONFLICT,
        person=other,
        detail="cccd",
        ip_address=ip_address,
    )
    return str(CCCD_UNAVAILABLE)


def person_validate(*, acting_user: User | None, person: Person) -> None:
    """Raise ValidationError unless an unsaved or changed person may be stored: the model's checks,
    then the CCCD's uniqueness answered by cccd_conflict, never by the model's "already exists".
    Writes nothing (but the audit row of cccd_conflict for a probe outside the scope)."""
    person.full_clean(validate_unique=False)
    conflict = cccd_conflict(acting_user=acting_user, person=person)
    if conflict is not None:
        raise ValidationError({"cccd": conflict})


def _person_save(*, acting_user: User | None, person: Person, paths: list[str]) -> None:
    """Validate and save (person_validate; the database's refusal, when two saves race, gets the
    neutral answer too)."""
    person_validate(acting_user=acting_user, person=person)
    try:
        with transaction.atomic(durable=True):
            person.save()
            organisations_changed(paths=paths)
    except IntegrityError:
        raise ValidationError({"cccd": str(CCCD_UNAVAILABLE)}) from None


def person_create(*, acting_user: User | None, organisation: Organisation, **fields: Any) -> Person:
    """Validate (CCCD structure and uniqueness, dates, name) and insert a person; nothing is
    written on error.

    Side effects: one transaction; one Person row and its history row (an audit row when the CCCD
    belongs to someone outside the user's scope).
    """
    _require_edit(acting_user, organisation)
    person = Person(organisation=organisation, **fields)
    _person_save(acting_user=acting_user, person=person, paths=[organisation.path])
    return person


def person_update(*, acting_user: User | None, person: Person, **fields: Any) -> Person:
    """Change a person's fields after the same validation as creation.

    Side effects: one transaction; the Person row and a history row.
    """
    _require_edit(acting_user, person.organisation)
    before = person.organisation.path
    for name, value in fields.items():
        setattr(person, name, value)
    # A move changes both subtrees.
    _person_save(acting_user=acting_user, person=person, paths=[before, person.organisation.path])
    return person


def member_create(
    *,
    acting_user: User | None,
    person: Person,
    status: str,
    admission_decision_date: date | None = None,
    ceremony_date: date | None = None,
    official_date: date | None = None,
    card_number: str = "",
) -> PartyMember:
    """Record a person's membership in their branch.

    Side effects: one PartyMember row (and its history row). Runs in the caller's
    transaction when there is one: the admission pipeline calls it when a ceremony is held.
    """
    _require_edit(acting_user, person.organisation)
    member = PartyMember(
        person=person,
        organisation=person.organisation,
        status=status,
        admission_decision_date=admission_decision_date,
        ceremony_date=ceremony_date,
        official_date=official_date if status == MemberStatus.OFFICIAL else None,
        card_number=card_number,
    )
    member.full_clean()
    with transaction.atomic():
        member.save()
        organisations_changed(paths=[member.organisation.path])
    return member


def member_make_official(*, acting_user: User | None, member: PartyMember, official_date: date) -> PartyMember:
    """Recognise a probationary member as official as of `official_date` (QĐ294 4.2.2).

    Side effects: the PartyMember row and a history row; runs in the caller's transaction.
    """
    _require_edit(acting_user, member.organisation)
    member.status = MemberStatus.OFFICIAL
    member.official_date = official_date
    with transaction.atomic():
        member.save(update_fields=["status", "official_date"])
        organisations_changed(paths=[member.organisation.path])
    return member


def member_restore_probation(
    *, acting_user: User | None, member: PartyMember, admission_decision_date: date | None, ceremony_date: date | None
) -> PartyMember:
    """A membership ended by an annulled decision starts again from the new decision and ceremony
    (QĐ294 4.4: the dates are fixed anew); runs in the caller's transaction."""
    _require_edit(acting_user, member.organisation)
    member.status = MemberStatus.PROBATIONARY
    member.left_date = None
    member.admission_decision_date = admission_decision_date
    member.ceremony_date = ceremony_date
    with transaction.atomic():
        member.save(update_fields=["status", "left_date", "admission_decision_date", "ceremony_date"])
        organisations_changed(paths=[member.organisation.path])
    return member


def member_remove(*, acting_user: User | None, member: PartyMember, removed_on: date) -> PartyMember:
    """Remove a probationary member's name (xóa tên, HD06 4.6); runs in the caller's transaction."""
    _require_edit(acting_user, member.organisation)
    member.status = MemberStatus.REMOVED
    member.left_date = removed_on
    with transaction.atomic():
        member.save(update_fields=["status", "left_date"])
        organisations_changed(paths=[member.organisation.path])
    return member


def role_assign(
    *, acting_user: User | None, user: User, organisation: Organisation, role: Role | str
) -> RoleAssignment:
    _require_edit(acting_user, organisation)
    with transaction.atomic(durable=True):
        assignment, _created = RoleAssignment.objects.update_or_create(
            user=user, organisation=organisation, role=role, defaults={"active": True}
        )
    return assignment


def audit_record(
    *, user: User | None, action: str, person: Person | None = None, detail: str = "", ip_address: str | None = None
) -> AuditLog:
    """Append one audit row: a single INSERT, no transaction or savepoint of its own.

    Outside a transaction (page views: ATOMIC_REQUESTS is off) the INSERT commits by itself before
    the page is rendered, so the record survives a later error. Inside a caller's transaction (an
    upload, a generated document) it commits or rolls back with the caller's writes, as it did
    with the former savepoint, which only added two statements per view.
    """
    return AuditLog.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        person=person,
        detail=detail[:255],
        ip_address=ip_address,
    )


def person_reveal_identifier(*, acting_user: User, person: Person, ip_address: str | None) -> str:
    """Return the unmasked CCCD and audit the reveal (the caller has already scoped `person`)."""
    audit_record(
        user=acting_user, action=AuditLog.Action.REVEAL_IDENTIFIER, person=person, detail="cccd", ip_address=ip_address
    )
    return person.cccd or ""


def user_set_language(*, user: User, language: str) -> None:
    if language in {"vi", "en"} and user.is_authenticated and user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
