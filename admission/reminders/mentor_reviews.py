"""Reminders of the helper's periodic comment (rules §0 and §8), where an organisation turned a
cadence on (ReminderSettings.mentor_review_cadence; off by default).

Part of the sweep (dispatch.sweep): each helper of a probationer of such an organisation is told on
the first day of each period and again a week before its end, unless they signed a comment within
the period. The notification's unique key `mentor_review:<mentorship>:<period>:<n>` makes every
run idempotent, like the other reminders; nothing is stored on the rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from admission.domain.mentor_reviews import reminder_sequence, review_owed, review_period
from admission.domain.stages import STAGE_INFO
from admission.models import MentorComment, MentorRole, Mentorship, Notification, ReminderSettings
from admission.reminders.dispatch import _notifications_insert
from admission.schedule import mentor_review_cadences

PROBATION_STAGES = [stage.value for stage, info in STAGE_INFO.items() if info.phase == "probation"]


def mentor_reviews_dispatch(*, now: dt.datetime) -> int:
    """Write today's periodic-review reminders; return how many were due (before de-duplication).

    1. Off everywhere (the default): one query, nothing else.
    2. The open helper assignments (role mentor, with a login) of probationers under the
       organisations that turned a cadence on, with their organisation (one query).
    3. The signed comments of those helpers within the periods (one query); the reminders of the
       day already written are skipped by the unique key (ON CONFLICT DO NOTHING).
    Side effects: one durable transaction with the notification rows.
    """
    roots = list(
        ReminderSettings.objects.exclude(mentor_review_cadence="").values_list("organisation__path", flat=True)
    )
    if not roots:
        return 0
    today = timezone.localdate(now)
    under = Q()
    for path in roots:
        under |= Q(candidate__organisation__path__startswith=path)
    assignments = list(
        Mentorship.objects.filter(
            under,
            role=MentorRole.MENTOR,
            ended_on__isnull=True,
            candidate__stage__in=PROBATION_STAGES,
            member__person__account__isnull=False,
        ).select_related("candidate__person", "candidate__organisation", "member__person__account")
    )
    cadences = mentor_review_cadences({m.candidate.organisation for m in assignments})
    periods = {m.pk: review_period(cadences.get(m.candidate.organisation_id, ""), today) for m in assignments}
    assignments = [m for m in assignments if periods[m.pk] is not None]
    if not assignments:
        return 0
    signed: dict[tuple[int, int], list[dt.date]] = {}
    for candidate_id, member_id, day in MentorComment.objects.filter(
        candidate_id__in={m.candidate_id for m in assignments}, signed=True, signed_on__isnull=False
    ).values_list("candidate_id", "mentor_id", "signed_on"):
        signed.setdefault((candidate_id, member_id), []).append(day)  # type: ignore[arg-type]
    rows: list[tuple[Any, ...]] = []
    for mentorship in assignments:
        period = periods[mentorship.pk]
        candidate = mentorship.candidate
        sequence = reminder_sequence(period, today) if period is not None else None
        if (
            period is None
            or sequence is None
            or not review_owed(
                period,
                ceremony=candidate.ceremony_date,
                signed_on=signed.get((candidate.pk, mentorship.member_id), []),
            )
        ):
            continue
        name = candidate.person.full_name
        when = period.end.strftime("%d/%m/%Y")
        rows.append(
            (
                mentorship.member.person.account.pk,
                f"mentor_review:{mentorship.pk}:{period.key}:{sequence}",
                Notification.Kind.MENTOR_REVIEW.value,
                candidate.organisation_id,
                candidate.pk,
                candidate.stage_transition_id,
                period.end,
                False,
                f"Nhận xét định kỳ {period.label_vi} về {name} (hạn {when})"[:300],
                f"Periodic comment for {period.label_en} on {name} (due {when})"[:300],
                now,
            )
        )
    with transaction.atomic(durable=True):
        _notifications_insert(rows)
    return len(rows)
