"""The reminders feature: the sweep that sends what falls due, digests, their tasks and e-mails.

The schedule itself (when a candidate's next reminder is due, the notifications of a transition)
is kept by the pipeline core in `admission.schedule`. This package's public interface is below;
other packages import only these names.
"""

from admission.reminders.digests import (
    MAX_SEND_ATTEMPTS,
    TransientSendError,
    digest_items,
    digest_send,
    digests_dispatch_due,
    notifications_mark_read,
    stale_sends_flag,
)
from admission.reminders.dispatch import branch_review_schedule, reminders_dispatch_due, sweep
from admission.reminders.mentor_reviews import mentor_reviews_dispatch

__all__ = [
    "MAX_SEND_ATTEMPTS",
    "TransientSendError",
    "branch_review_schedule",
    "digest_items",
    "digest_send",
    "digests_dispatch_due",
    "mentor_reviews_dispatch",
    "notifications_mark_read",
    "reminders_dispatch_due",
    "stale_sends_flag",
    "sweep",
]
