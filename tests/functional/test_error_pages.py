"""The 404 and 403 pages speak the user's language in the site's layout (Django's default pages are
English: "Not Found", "403 Forbidden")."""

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def _client(user, language: str | None = None) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_a_missing_page_says_so_in_vietnamese_then_in_english(alice) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Không tìm thấy trang" in body and "Not Found" not in body and "Về trang đầu" in body
    english = _client(alice, "en").get("/no-such-page/").content.decode()
    assert "Page not found" in english and "Không tìm thấy trang" not in english


def test_a_refused_page_says_so_in_the_users_language(alice) -> None:  # type: ignore[no-untyped-def]
    # A branch secretary has no list of dossiers to forward (a committee's page): 403.
    response = _client(alice).get("/admission/transfers/to-forward/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Không có quyền" in body and "Forbidden" not in body
    assert "Not allowed" in _client(alice, "en").get("/admission/transfers/to-forward/").content.decode()
