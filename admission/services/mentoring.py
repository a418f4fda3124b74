"""The helper's comments on a probationer (Mẫu 11-KNĐ; HD06 4.3, 3.10), written by the helper.

Only the helper currently assigned to the candidate (an open `Mentorship` with the mentor role, held by
the acting user's person) writes and signs a comment; branch staff read it on the candidate's page. A
signed end-of-probation comment is the recognition dossier's item R3 (HD06 4.3), ticked here.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from admission.domain.reasons import Reason, reason
from admission.models import Candidate, MentorComment, MentorCommentKind, MentorRole, Mentorship
from admission.services.base import StepRefused
from admission.services.transitions import checklist_tick
from members.models import PartyMember, User

# The checklist item a signed end-of-probation comment makes (rules §6.2 R3) and its source label.
R3_SOURCE = "mentor_comment"


def assigned_mentor(user: User, candidate: Candidate) -> PartyMember | None:
    """The party member `user` is, if they currently help `candidate` as its mentor (QĐ294 3.2)."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return None
    mentorship = (
        Mentorship.objects.filter(
            candidate=candidate, member__person_id=person_id, role=MentorRole.MENTOR, ended_on__isnull=True
        )
        .select_related("member")
        .first()
    )
    return mentorship.member if mentorship else None


def _problems(
    candidate: Candidate, kind: str, text: str, sign: bool, signed_on: dt.date | None, today: dt.date
) -> list[Reason]:
    found: list[Reason] = []
    if not text.strip():
        found.append(reason("mentor_comment_empty", "HD06 4.3"))
    if kind == MentorCommentKind.END_OF_PROBATION and candidate.ceremony_date is None:
        found.append(reason("mentor_comment_not_probationer", "HD06 4.3"))
    if sign:
        if signed_on is None:
            found.append(reason("mentor_comment_sign_date", "HD06 4.3"))
        elif signed_on > today:
            found.append(reason("date_in_future", "", day=signed_on))
        elif candidate.ceremony_date is not None and signed_on < candidate.ceremony_date:
            found.append(reason("mentor_comment_before_ceremony", "HD06 4.3", day=candidate.ceremony_date))
    return found


def mentor_comment_write(
    *,
    acting_user: User,
    candidate: Candidate,
    kind: str,
    text: str,
    sign: bool,
    signed_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> MentorComment:
    """Write (or rewrite the unsigned draft of) the acting helper's comment of `kind`; `sign` signs it off.

    Refused (PermissionDenied) to anyone but the candidate's current mentor; a signed comment is
    final. Signing an end-of-probation comment ticks checklist item R3 with the signing day.
    """
    now = now or timezone.now()
    if kind not in MentorCommentKind.values:
        raise StepRefused((reason("mentor_comment_kind", "HD06 4.3"),))
    mentor = assigned_mentor(acting_user, candidate)
    if mentor is None:
        raise PermissionDenied
    problems = _problems(candidate, kind, text, sign, signed_on, timezone.localdate(now))
    if problems:
        raise StepRefused(tuple(problems))
    with transaction.atomic(durable=True):
        comment = (
            MentorComment.objects.select_for_update()
            .filter(candidate=candidate, mentor=mentor, kind=kind, signed=False)
            .first()
        ) or MentorComment(candidate=candidate, mentor=mentor, kind=kind)
        comment.text = text.strip()
        comment.signed = sign
        comment.signed_on = signed_on if sign else None
        comment.written_by = acting_user
        comment.written_at = now
        comment._history_user = acting_user  # type: ignore[attr-defined]
        comment.save()
        if sign and kind == MentorCommentKind.END_OF_PROBATION and signed_on is not None:
            checklist_tick(candidate=candidate, items={"R3": (signed_on, R3_SOURCE)}, acting_user=acting_user, now=now)
    return comment
