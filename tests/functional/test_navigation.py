"""The navigation bar rendered once per combination of what it shows (members.templatetags.navigation):
the same markup as rendering it every time, and never an older state: a role, the admin flag, the
language or the section changed shows on the very next page; the per-request values (CSRF token,
path, unread count, name) are each request's own."""

import re

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from admission.models import Notification
from members.models import Role, RoleAssignment, User
from members.services import role_assign
from members.templatetags import navigation
from tests.conftest import Tree


def _client(user: User, language: str | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _nav(html: str) -> str:
    found = re.search(r'<nav class="navbar.*?</nav>', html, re.S)
    assert found, html[:500]
    return found.group(0)


def _get_nav(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return _nav(response.content.decode())


def _links(nav: str) -> list[str]:
    return re.findall(r'<a class="(?:nav-link|dropdown-item)[^"]*" href="([^"]+)"', nav)


def _active(nav: str) -> list[str]:
    return re.findall(r'<a class="nav-link[^"]* active" href="(/[^"]*)"', nav) + (
        ["more"] if "dropdown-toggle active" in nav else []
    )


PAGES = ["preferences", "dashboard", "admission_overview", "notification_list", "member_list", "audit_log", "api_docs"]


@pytest.mark.parametrize("name", PAGES)
def test_the_cached_bar_is_the_bar_rendered_each_time(tree: Tree, eve: User, alice: User, name: str) -> None:
    """DEBUG renders it every time (templates reloaded), with the same template and values."""
    for user, language in ((eve, "vi"), (alice, "en")):
        client = _client(user, language)
        url = reverse(name)
        if name == "audit_log" and user == alice:
            continue  # not hers
        cached = [_get_nav(client, url) for _ in range(2)]  # the second one from the cache
        assert navigation._CACHE
        with override_settings(DEBUG=True):  # (and the cache emptied when a setting changes)
            rendered = _get_nav(client, url)
        strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
        assert strip.sub("", cached[0]) == strip.sub("", cached[1]) == strip.sub("", rendered)


def test_a_role_or_the_admin_flag_changed_shows_on_the_next_page(tree: Tree, oscar: User) -> None:
    client = _client(oscar)
    url = reverse("preferences")
    audit, admin, stats = reverse("audit_log"), reverse("admin:index"), reverse("statistics_index")
    nav = _get_nav(client, url)
    assert audit not in _links(nav) and admin not in _links(nav) and stats not in _links(nav)

    role_assign(acting_user=None, user=oscar, organisation=tree.province, role=Role.AUDITOR)
    nav = _get_nav(client, url)
    assert audit in _links(nav) and stats in _links(nav) and admin not in _links(nav)

    User.objects.filter(pk=oscar.pk).update(is_staff=True)
    assert admin in _links(_get_nav(client, url))

    RoleAssignment.objects.filter(user=oscar).update(active=False)
    User.objects.filter(pk=oscar.pk).update(is_staff=False)
    nav = _get_nav(client, url)
    assert audit not in _links(nav) and admin not in _links(nav) and stats not in _links(nav)


def test_a_candidate_sees_only_their_case_and_others_their_own_bar(tree: Tree, alice: User, oscar: User) -> None:
    alice_nav = _get_nav(_client(alice), reverse("preferences"))
    RoleAssignment.objects.create(user=oscar, organisation=tree.branch_a, role=Role.CANDIDATE)
    candidate_nav = _get_nav(_client(oscar), reverse("two_factor"))
    assert _links(candidate_nav) == [reverse("self_case"), reverse("two_factor")]
    assert "Thông báo" not in candidate_nav
    assert _get_nav(_client(alice), reverse("preferences")) != candidate_nav
    assert reverse("statistics_index") in _links(alice_nav)


def test_the_active_section_follows_the_page(tree: Tree, eve: User) -> None:
    client = _client(eve)
    assert _active(_get_nav(client, reverse("dashboard"))) == [reverse("dashboard")]
    assert _active(_get_nav(client, reverse("member_list"))) == [reverse("member_list")]
    assert _active(_get_nav(client, reverse("audit_log"))) == ["more"]
    assert _active(_get_nav(client, reverse("admission_board", args=[tree.branch_a.pk]))) == [
        reverse("admission_overview")
    ]


def test_the_language_switched_shows_at_once(tree: Tree, alice: User) -> None:
    client = _client(alice)
    url = reverse("preferences")
    assert "Đăng xuất" in _get_nav(client, url)
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302
    nav = _get_nav(client, url)
    assert "Log out" in nav and "Đăng xuất" not in nav and 'value="vi"' in nav
    client.post(reverse("set_language"), {"language": "vi", "next": url})
    nav = _get_nav(client, url)
    assert "Đăng xuất" in nav and 'value="en"' in nav


def test_each_request_gets_its_own_token_path_count_and_name(tree: Tree, alice: User, bob: User) -> None:
    User.objects.filter(pk=alice.pk).update(first_name="Alice", last_name="<Nguyễn>")
    Notification.objects.create(
        user=bob,
        key="k",
        kind="deadline",
        organisation=tree.branch_b,
        text_vi="k",
        text_en="k",
        created_at="2026-03-02T09:00Z",
    )
    alice_client, bob_client = _client(alice), _client(bob)
    alice_client.handler.enforce_csrf_checks = bob_client.handler.enforce_csrf_checks = True
    url = reverse("preferences") + "?q=\"x'&x=1"
    alice_nav, bob_nav = _get_nav(alice_client, url), _get_nav(bob_client, url)

    assert "&lt;Nguyễn&gt; Alice" in alice_nav or "Alice &lt;Nguyễn&gt;" in alice_nav  # escaped
    assert ">bob</span>" in bob_nav and "Alice" not in bob_nav
    assert 'id="unread-count">1</span>' in bob_nav and "unread-count" not in alice_nav
    assert 'name="next" value="/admission/preferences/?q=%22x&#x27;&amp;x=1"' in alice_nav  # its own, escaped
    tokens = {
        who: set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', nav))
        for who, nav in (("alice", alice_nav), ("bob", bob_nav))
    }
    assert len(tokens["alice"]) == len(tokens["bob"]) == 1 and tokens["alice"] != tokens["bob"]
    # Each token is its session's: the logout form posts with it and passes the CSRF check.
    response = alice_client.post(reverse("logout"), {"csrfmiddlewaretoken": tokens["alice"].pop()})
    assert response.status_code == 302
    assert "_auth_user_id" not in alice_client.session


def test_the_login_page_has_the_bar_without_the_menu(db) -> None:  # type: ignore[no-untyped-def]
    nav = _get_nav(Client(), reverse("login"))
    assert 'id="mainnav"' not in nav and 'name="language" value="en"' in nav
    assert re.search(r'name="csrfmiddlewaretoken" value="[^"]+"', nav)
