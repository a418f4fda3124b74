"""One function per e-mail kind; templates in templates/emails/<kind>-{subject,body}.{txt,html}."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from admission.models import Notification
from members.models import User


def digest_message(
    *, user: User, items: list[Notification], day: dt.date, since: dt.datetime | None = None
) -> EmailMultiAlternatives:
    """The daily digest: overdue first, then grouped by branch, in the user's language.

    Each item carries the day it was raised and its due date, and is marked new when it was
    raised after `since` (the previous digest's sending), else still open: a reminder from months
    ago that was never e-mailed (digests switched on late) is not presented as news. Without a
    previous digest, "new" means raised since the day before.
    """
    language = user.preferred_language if user.preferred_language in {"vi", "en"} else "vi"
    if since is None:
        since = dt.datetime.combine(day - dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())
    for item in items:
        item.is_new = item.created_at >= since  # type: ignore[attr-defined]
        item.raised_on = timezone.localdate(item.created_at)  # type: ignore[attr-defined]
    ordered = sorted(items, key=lambda n: (not n.overdue, n.organisation.path, n.due_on or day, n.pk))
    overdue = [n for n in ordered if n.overdue]
    others = [n for n in ordered if not n.overdue]
    groups = [(org, list(group)) for org, group in groupby(others, key=lambda n: n.organisation)]
    context = {
        "user": user,
        "day": day,
        "overdue": overdue,
        "groups": groups,
        "base_url": settings.TRACKER_BASE_URL.rstrip("/"),
        "language": language,
    }
    with translation.override(language):
        subject = render_to_string("emails/digest-subject.txt", context).strip()
        text = render_to_string("emails/digest-body.txt", context)
        html = render_to_string("emails/digest-body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    return message
