"""The session login's backend: the user, their roles (members.backends) and their unread notifications
(the navigation bar's badge, admission.context_processors) in one query per request."""

from typing import Any

from admission.selectors import unread_count_of_outer_user
from members.backends import ScopedUserBackend

UNREAD_ATTR = "unread_notifications_read_with_login"


class AccountBackend(ScopedUserBackend):
    def request_annotations(self) -> dict[str, Any]:
        return {UNREAD_ATTR: unread_count_of_outer_user()}
