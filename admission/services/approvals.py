"""The acts on a candidate that are not steps, each recorded by the body that owns it
(docs/decisions.md, "Authority"):

- the written consents of the provincial standing committee (over 60, the literacy exception,
  readmission; rules E3, E6, E10): only the committee staff or leaders of the province (the root
  of the candidate's path) or an administrator, with the document's date and number
  (`consent_record`, `consent_withdraw`);
- the extension of the decision deadline by 15 working days (QĐ294 4.3.1): only the deciding
  committee's staff, with a reason;
- the political-standard issue (E7; QĐ294 3.3, HD06 3.7c): anyone who edits the candidate raises
  it, only the grassroots committee's staff or a committee above it in the chain clear it, with
  the conclusion;
- the facts about the person (difficult area, readmission): the branch (anyone who edits it).

`candidate_update_flags` takes the flags of the last three; a consent flag only follows a consent.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from admission.domain.reasons import Reason, reason
from admission.models import CONSENT_FLAG, Candidate, ConsentKind, ProvincialConsent
from admission.services.base import StepRefused, committee_of, require_edit
from admission.services.transitions import refresh_due
from admission.workflow import Body
from members.models import Organisation, User
from members.selectors import scope_for

CONSENT_RULE = "QĐ294 1.1.2, 3.5.1; HD06 1.1-1.2"
EXTENSION_RULE = "QĐ294 4.3.1"
POLITICAL_RULE = "QĐ294 3.3; HD06 3.7c"

BRANCH_FLAGS = ("area_exception", "readmission")
CONSENT_FLAGS = tuple(CONSENT_FLAG.values())
CANDIDATE_FLAGS = (
    "area_exception",
    "literacy_exception_approved",
    "over_60_approved",
    "readmission",
    "readmission_approved",
    "political_issue_unresolved",
    "deadline_extended",
)
HISTORY_REASON_LENGTH = 100  # simple-history's history_change_reason


def _province(candidate: Candidate) -> Organisation:
    return Organisation.objects.only("pk", "name", "path").get(pk=candidate.organisation.ancestor_ids()[0])


def may_record_consent(user: User | None, candidate: Candidate) -> bool:
    """Committee staff or leader of the province (the root of the candidate's path), or an administrator."""
    return user is None or scope_for(user).acts_for_committee(candidate.organisation.ancestor_ids()[0])


def may_extend_deadline(user: User | None, candidate: Candidate) -> bool:
    """Staff or leader of the deciding committee (or an administrator)."""
    if user is None:
        return True
    committee = committee_of(Body.DECIDING_COMMITTEE, candidate)
    return committee is not None and scope_for(user).acts_for_committee(committee.id)


def may_clear_political_issue(user: User | None, candidate: Candidate) -> bool:
    """Staff or leader of the grassroots committee or of a committee above it in the chain (the
    deciding committee, the province), or an administrator."""
    if user is None:
        return True
    committee = committee_of(Body.GRASSROOTS_COMMITTEE, candidate)
    chain = candidate.organisation.ancestor_ids()
    above = chain[: chain.index(committee.id) + 1] if committee is not None and committee.id in chain else []
    return scope_for(user).acts_for_committee_in(above)


def _not_provincial(candidate: Candidate) -> Reason:
    return reason("consent_not_provincial", CONSENT_RULE, province=_province(candidate).name)


def _deciding_name(candidate: Candidate) -> str:
    committee = committee_of(Body.DECIDING_COMMITTEE, candidate)
    return committee.name if committee is not None else ""


def _grassroots_name(candidate: Candidate) -> str:
    committee = committee_of(Body.GRASSROOTS_COMMITTEE, candidate)
    return committee.name if committee is not None else ""


def _save_flags(candidate: Candidate, acting_user: User | None, fields: list[str], why: str) -> None:
    """Inside the caller's transaction: the candidate row, its history row (user and reason), the deadline."""
    candidate._history_user = acting_user  # type: ignore[attr-defined]
    candidate._change_reason = why[:HISTORY_REASON_LENGTH]  # type: ignore[attr-defined]
    candidate.save(update_fields=fields)
    refresh_due(candidate)


def candidate_update_flags(
    *, acting_user: User | None, candidate: Candidate, note: str = "", **flags: bool
) -> Candidate:
    """Set the flags the eligibility rules and the deadlines read, each by the body that owns it.

    Only the flags whose value changes are checked: the branch's facts (area exception,
    readmission) need edit rights; raising the political issue too, clearing it the grassroots
    committee or above and a conclusion (`note`); the deadline extension the deciding committee
    and a reason (`note`). A consent flag is never set here (`consent_record`). All refusals are
    raised together before anything is written. Side effects: one transaction; the candidate
    row and a history row with the note; the step deadline is recomputed.
    """
    require_edit(acting_user, candidate)
    unknown = set(flags) - set(CANDIDATE_FLAGS)
    if unknown:
        raise ValueError(f"not a candidate flag: {sorted(unknown)}")
    changed = {name: bool(value) for name, value in flags.items() if getattr(candidate, name) != bool(value)}
    note = note.strip()
    problems: list[Reason] = []
    for name, value in changed.items():
        if name in CONSENT_FLAGS:
            found = (
                reason("consent_needs_document", CONSENT_RULE)
                if may_record_consent(acting_user, candidate)
                else _not_provincial(candidate)
            )
        elif name == "deadline_extended":
            if not may_extend_deadline(acting_user, candidate):
                found = reason("extension_not_deciding_committee", EXTENSION_RULE, committee=_deciding_name(candidate))
            elif not note:
                found = reason("extension_reason_required", EXTENSION_RULE)
            else:
                continue
        elif name == "political_issue_unresolved" and not value:
            if not may_clear_political_issue(acting_user, candidate):
                found = reason(
                    "political_issue_clear_not_committee", POLITICAL_RULE, committee=_grassroots_name(candidate)
                )
            elif not note:
                found = reason("political_issue_conclusion_required", POLITICAL_RULE)
            else:
                continue
        else:
            continue
        if found not in problems:
            problems.append(found)
    if problems:
        raise StepRefused(tuple(problems))
    if not changed:
        return candidate
    for name, value in changed.items():
        setattr(candidate, name, value)
    with transaction.atomic(durable=True):
        _save_flags(candidate, acting_user, list(changed), note or ", ".join(sorted(changed)))
    return candidate


def consent_record(
    *,
    acting_user: User | None,
    candidate: Candidate,
    kind: str,
    granted_on: dt.date,
    document_number: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> ProvincialConsent:
    """Record the provincial standing committee's written consent of `kind` (E3, E6, E10).

    Refused unless the user is the province's committee staff or leader (or an administrator),
    the date is not in the future, the document number is given and no consent of that kind is
    in force. Side effects: one transaction; the consent row, the candidate's flag
    (CONSENT_FLAG) with its history row.
    """
    if kind not in ConsentKind.values:
        raise ValueError(f"not a consent kind: {kind}")
    require_edit(acting_user, candidate)
    if not may_record_consent(acting_user, candidate):
        raise StepRefused((_not_provincial(candidate),))
    now = now or timezone.now()
    problems: list[Reason] = []
    if granted_on > timezone.localdate(now):
        problems.append(reason("date_in_future", CONSENT_RULE, day=granted_on))
    number = document_number.strip()
    if not number:
        problems.append(reason("consent_document_number_required", CONSENT_RULE))
    in_force = _in_force(candidate, kind)
    if in_force is not None:
        problems.append(_already(in_force))
    if problems:
        raise StepRefused(tuple(problems))
    flag = CONSENT_FLAG[kind]
    try:
        with transaction.atomic(durable=True):
            consent = ProvincialConsent.objects.create(
                candidate=candidate,
                kind=kind,
                granted_on=granted_on,
                document_number=number,
                note=note.strip()[:255],
                recorded_by=acting_user,
                recorded_at=now,
            )
            setattr(candidate, flag, True)
            _save_flags(candidate, acting_user, [flag], f"{number} {granted_on:%d/%m/%Y}")
    except IntegrityError:  # someone recorded the same kind meanwhile (consent_one_in_force)
        setattr(candidate, flag, False)
        other = _in_force(candidate, kind)
        if other is None:
            raise
        raise StepRefused((_already(other),)) from None
    return consent


def consent_withdraw(
    *,
    acting_user: User | None,
    candidate: Candidate,
    kind: str,
    withdrawal_reason: str,
    now: dt.datetime | None = None,
) -> ProvincialConsent:
    """Withdraw the consent of `kind` in force, with the reason: the row is kept (who, when, why)
    and the candidate's flag is cleared. The same authority as `consent_record`."""
    if kind not in ConsentKind.values:
        raise ValueError(f"not a consent kind: {kind}")
    require_edit(acting_user, candidate)
    if not may_record_consent(acting_user, candidate):
        raise StepRefused((_not_provincial(candidate),))
    now = now or timezone.now()
    why = withdrawal_reason.strip()
    problems: list[Reason] = []
    if not why:
        problems.append(reason("consent_withdrawal_reason_required", CONSENT_RULE))
    consent = _in_force(candidate, kind)
    if consent is None:
        problems.append(reason("consent_not_in_force", CONSENT_RULE, kind=str(ConsentKind(kind).label)))
    if problems or consent is None:
        raise StepRefused(tuple(problems))
    flag = CONSENT_FLAG[kind]
    with transaction.atomic(durable=True):
        updated = ProvincialConsent.objects.filter(pk=consent.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_by=acting_user, withdrawal_reason=why[:255]
        )
        if not updated:  # withdrawn meanwhile
            raise StepRefused((reason("consent_not_in_force", CONSENT_RULE, kind=str(ConsentKind(kind).label)),))
        setattr(candidate, flag, False)
        _save_flags(candidate, acting_user, [flag], why)
    consent.refresh_from_db()
    return consent


def _in_force(candidate: Candidate, kind: str) -> ProvincialConsent | None:
    return ProvincialConsent.objects.filter(candidate=candidate, kind=kind, withdrawn_at__isnull=True).first()


def _already(consent: ProvincialConsent) -> Reason:
    return reason("consent_in_force", CONSENT_RULE, number=consent.document_number, day=consent.granted_on)
