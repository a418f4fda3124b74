"""The signed-in user read with their roles and unread notifications in one statement
(admission.backends, members.backends): what every page costs before its own queries, and that
nothing of it is stale after a write (a role granted or withdrawn, a notification read or added)."""

import datetime as dt
import re
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.contrib.sessions.backends.base import SessionBase
from django.test import Client, RequestFactory
from django.urls import reverse

from admission.backends import UNREAD_ATTR, AccountBackend
from admission.context_processors import notifications
from admission.models import Notification
from members.models import Organisation, Role, RoleAssignment, User
from members.selectors import Scope, scope_for
from members.services import role_assign
from tests.conftest import Tree
from tests.factories import UserFactory

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
PASSWORD = "dung-mat-khau-2026"  # noqa: S105 - a test account's


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _notify(user: User, organisation: Organisation, key: str) -> Notification:
    return Notification.objects.create(
        user=user, key=key, kind="deadline", organisation=organisation, text_vi=key, text_en=key, created_at=NOW
    )


def _badge(html: str) -> str | None:
    found = re.search(r'<span class="badge[^"]*" id="unread-count">(\d+)</span>', html)
    return found.group(1) if found else None


def _fresh_scope(user: User) -> Scope:
    return scope_for(User.objects.get(pk=user.pk))  # a new object: its roles read by scope_for's own query


# --- The backend ---------------------------------------------------------------------------------


def test_the_user_comes_with_roles_and_unread_count_in_one_query(
    tree: Tree, carol: User, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    role_assign(acting_user=None, user=carol, organisation=tree.branch_a, role=Role.AUDITOR)
    RoleAssignment.objects.create(user=carol, organisation=tree.commune, role=Role.COMMITTEE_STAFF, active=False)
    _notify(carol, tree.committee, "a")
    Notification.objects.filter(pk=_notify(carol, tree.committee, "b").pk).update(read_at=NOW)
    _notify(carol, tree.committee, "c")

    with django_assert_num_queries(1):
        user = AccountBackend().get_user(carol.pk)
        scope = scope_for(user)

    assert user == carol and user.username == "carol" and user.check_password("test-password-1")
    assert getattr(user, UNREAD_ATTR) == 2
    assert scope == _fresh_scope(carol)
    assert {role for role, _org, _name in scope.roles} == {Role.COMMITTEE_STAFF, Role.AUDITOR}  # not the inactive one
    assert scope.read_paths == (tree.committee.path,)  # branch A lies inside the committee's subtree


def test_a_user_without_roles_has_an_empty_scope_without_a_query(oscar: User, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(1):
        user = AccountBackend().get_user(oscar.pk)
        scope = scope_for(user)
    assert scope.is_empty and scope.roles == () and getattr(user, UNREAD_ATTR) == 0


def test_an_unknown_or_inactive_user_is_no_user(tree: Tree, alice: User) -> None:
    assert AccountBackend().get_user(alice.pk + 1000) is None
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert AccountBackend().get_user(alice.pk) is None


def test_a_wrong_password_is_checked_once_and_refused(db) -> None:  # type: ignore[no-untyped-def]
    UserFactory(username="dung", password=PASSWORD)
    with mock.patch.object(User, "check_password", autospec=True, side_effect=User.check_password) as checked:
        assert authenticate(username="dung", password="sai-mat-khau") is None  # noqa: S106
    assert checked.call_count == 1  # not again by the ModelBackend kept for older sessions
    user = authenticate(username="dung", password=PASSWORD)
    assert user is not None and user.backend == "admission.backends.AccountBackend"


def test_a_session_signed_in_through_the_model_backend_still_works(tree: Tree, alice: User) -> None:
    client = Client()
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    session: SessionBase = client.session
    assert session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"
    response = client.get(reverse("preferences"))
    assert response.status_code == 200
    assert "Thống kê" in response.content.decode()  # her scope, read by scope_for's own query
    assert client.get(reverse("admission_board", args=[tree.branch_a.pk])).status_code == 200


# --- Nothing stale after a write ------------------------------------------------------------------


def test_a_role_granted_or_withdrawn_shows_on_the_next_page(tree: Tree, oscar: User) -> None:
    client = _client(oscar)
    url = reverse("preferences")
    assert "Thống kê" not in client.get(url).content.decode()  # no role: no organisation pages

    role_assign(acting_user=None, user=oscar, organisation=tree.branch_a, role=Role.BRANCH_SECRETARY)
    html = client.get(url).content.decode()
    assert "Thống kê" in html and "Chỉ tiêu năm" in html
    assert client.get(reverse("admission_board", args=[tree.branch_a.pk])).status_code == 200

    RoleAssignment.objects.filter(user=oscar).update(active=False)
    assert "Thống kê" not in client.get(url).content.decode()
    assert client.get(reverse("admission_board", args=[tree.branch_a.pk])).status_code == 404


def test_a_read_or_new_notification_shows_on_the_next_page(tree: Tree, alice: User) -> None:
    client = _client(alice)
    url = reverse("preferences")
    assert _badge(client.get(url).content.decode()) is None

    first = _notify(alice, tree.branch_a, "first")
    _notify(alice, tree.branch_a, "second")
    assert _badge(client.get(url).content.decode()) == "2"

    marked = client.post(reverse("notification_list"), {"ids": [str(first.pk)]})
    assert marked.status_code == 302
    assert _badge(client.get(url).content.decode()) == "1"

    client.post(reverse("notification_list"))  # all
    assert _badge(client.get(url).content.decode()) is None
    _notify(alice, tree.branch_a, "third")
    assert _badge(client.get(url).content.decode()) == "1"


@pytest.mark.parametrize(("method", "expected"), [("get", 7), ("post", 1)])
def test_a_page_rendered_after_a_write_counts_the_notifications_again(
    tree: Tree, alice: User, method: str, expected: int
) -> None:
    """The count read with the login is used on pages that only read; a POST that renders a page
    (a rejected form, say) may have written notifications since: it counts them again."""
    _notify(alice, tree.branch_a, "one")
    user = AccountBackend().get_user(alice.pk)
    setattr(user, UNREAD_ATTR, 7)  # as if read before a write in the same request
    request = getattr(RequestFactory(), method)("/")
    request.user = user
    assert notifications(request)["unread_notifications"] == expected
