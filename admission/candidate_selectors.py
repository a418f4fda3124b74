"""Reads of the candidate's self-service: their own candidacy, and only what concerns them.

A candidate's login has no organisation scope (members.selectors.scope_for); the person it reads
comes from members.selectors.own_person, and the candidacy from the open access row. Nothing here
takes an id from the URL: a candidate cannot name anyone else's case.
Never read here: votes, comments (mentors', committees'), verification replies, the history,
other people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.http import Http404

from admission import dates as date_rules
from admission.domain.stages import STAGE_INFO, Stage
from admission.models import (
    CLOSED_STAGES,
    DOCUMENTS_BEFORE_BRANCH_VOTE,
    DOCUMENTS_BEFORE_RECOGNITION_VOTE,
    BiographyDraft,
    Candidate,
    CandidateAccess,
    DocumentScan,
    DocumentType,
    DossierItem,
    DossierReturn,
    IntroductionModeChoice,
    TrialTask,
)
from admission.rulebook import calendar_for, rulebook_for
from admission.services.candidate_access import token_digest
from members.models import User
from members.selectors import own_person

# The legal dates that are the candidate's own to watch (their certificate, their dossier's
# validity, their probation); the committees' deadlines are not theirs.
OWN_LEGAL_DATES = frozenset({"certificate_valid_until", "dossier_valid_until", "probation_end"})


@dataclass(frozen=True)
class OwnCandidacy:
    """The login's own case, or why it is over (`ended`: the candidacy closed)."""

    access: CandidateAccess
    candidate: Candidate
    ended: bool


def own_candidacy(*, user: User | Any) -> OwnCandidacy:
    """The user's open self-service access and candidacy; 404 when there is none.

    Open: the access was accepted and not revoked, its login holds the candidate role on the
    person's branch (own_person). A closed candidacy (recognised, removed) is returned with
    `ended` so the page says the access is over and shows nothing of the case.
    """
    person = own_person(user=user)
    if person is None:
        raise Http404
    access = (
        CandidateAccess.objects.filter(
            user=user, candidate__person=person, accepted_at__isnull=False, revoked_at__isnull=True
        )
        .select_related("candidate", "candidate__person", "candidate__organisation")
        .order_by("-accepted_at", "-pk")
        .first()
    )
    if access is None:
        raise Http404
    return OwnCandidacy(access, access.candidate, access.candidate.stage in CLOSED_STAGES)


def invitation_get(*, token: str) -> CandidateAccess | None:
    """The invitation the token opens, whatever its state (the caller says why it cannot be used)."""
    if not token or len(token) > 100:
        return None
    return (
        CandidateAccess.objects.filter(token_digest=token_digest(token))
        .select_related("candidate", "candidate__person", "user")
        .first()
    )


@dataclass(frozen=True)
class OwnDeadline:
    name: str
    day: dt.date


@dataclass(frozen=True)
class OwnReturn:
    on: dt.date
    note: str
    items: list[tuple[str, str]]  # (document name, reason)


@dataclass(frozen=True)
class OwnCase:
    """What the candidate sees of their case: the stage in words, the documents still missing,
    their own deadlines and tasks, the returns addressed to them, and their uploads."""

    stage_label: str
    stage_label_en: str
    missing: list[tuple[str, str]]  # (code, name)
    deadlines: list[OwnDeadline]
    tasks: list[TrialTask]
    returns: list[OwnReturn]
    open_items: list[tuple[str, str]]
    scans: list[DocumentScan]
    biography: BiographyDraft | None
    extra: dict[str, Any] = field(default_factory=dict)


def required_documents(candidate: Candidate) -> tuple[str, ...]:
    """The checklist the candidate's phase requires (QĐ294 4.1; HD38 II.1.1a; recognition QĐ294 4.2)."""
    if STAGE_INFO[Stage(candidate.stage)].phase in {"probation", "done"}:
        return DOCUMENTS_BEFORE_RECOGNITION_VOTE
    required: tuple[str, ...] = DOCUMENTS_BEFORE_BRANCH_VOTE
    if candidate.introduction_mode and candidate.introduction_mode != IntroductionModeChoice.TWO_MEMBERS:
        required = (*required, "A5")
    return required


def own_case(*, own: OwnCandidacy, today: dt.date) -> OwnCase:
    """The candidate's view of their case (a handful of queries, none over other people)."""
    candidate = own.candidate
    info = STAGE_INFO[Stage(candidate.stage)]
    names = dict(DocumentType.choices)
    held = set(
        DossierItem.objects.filter(candidate=candidate, status=DossierItem.Status.RECEIVED).values_list(
            "doc_type", flat=True
        )
    )
    missing = [(code, str(names[code])) for code in required_documents(candidate) if code not in held]
    legal = date_rules.candidate_dates(
        candidate,
        calendar=calendar_for(candidate.organisation),
        rulebook=rulebook_for(candidate.organisation),
        only=OWN_LEGAL_DATES,
    )
    deadlines = [
        OwnDeadline(str(date_rules.LEGAL_DATE_NAMES[name]), value.day)
        for name, value in legal.named()
        if value.day >= today
    ]
    tasks = list(TrialTask.objects.filter(candidate=candidate, closed=False).order_by("due_on", "pk"))
    returns = []
    for dossier_return in (
        DossierReturn.objects.filter(candidate=candidate, resubmitted_at__isnull=True)
        .select_related("transition")
        .prefetch_related("items")
    ):
        if not dossier_return.is_open_for(candidate):
            continue
        returns.append(
            OwnReturn(
                dossier_return.at.date(),
                dossier_return.note,
                [(str(names.get(item.doc_type, item.doc_type)), item.reason) for item in dossier_return.items.all()],
            )
        )
    open_items = [(code, str(names[code])) for code in own.access.open_items if code in names]
    scans = list(
        DocumentScan.objects.filter(candidate=candidate, uploaded_by=own.access.user).order_by("-uploaded_at", "-pk")
    )
    biography = BiographyDraft.objects.filter(candidate=candidate).first()
    return OwnCase(info.label_vi, info.label_en, missing, deadlines, tasks, returns, open_items, scans, biography)


def own_scan_get(*, own: OwnCandidacy, pk: int) -> DocumentScan:
    """One of the scans the candidate uploaded themselves (never the secretary's or others')."""
    scan = DocumentScan.objects.filter(Q(pk=pk), candidate=own.candidate, uploaded_by=own.access.user).first()
    if scan is None:
        raise Http404
    return scan


def candidate_accesses(*, candidate: Candidate) -> list[CandidateAccess]:
    """The candidate's invitations and accesses, newest first (the secretary's page)."""
    return list(CandidateAccess.objects.filter(candidate=candidate).select_related("invited_by", "revoked_by", "user"))
