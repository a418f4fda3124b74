"""One function per e-mail kind; templates in templates/emails/<kind>-{subject,body}.{txt,html}."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from admission.models import Notification
from members.models import User


def digest_message(*, user: User, items: list[Notification], day: dt.date) -> EmailMultiAlternatives:
    """The daily digest: overdue first, then grouped by branch, in the user's language."""
    language = user.preferred_language if user.preferred_language in {"vi", "en"} else "vi"
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
