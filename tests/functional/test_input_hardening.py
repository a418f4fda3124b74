"""Low findings of the second hardening round: birth dates 1900-2100 in pages, invisible and
direction-changing characters refused in names, deeply nested JSON answered with a JSON 400, the
template DOCTYPE check over the whole part, password reset throttled and written in the account's
language, the language cookie Secure in production."""

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from docx import Document

from admission.documents import templates as doctemplates
from members import api_tokens
from members.models import Gender, Person

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _person(**overrides: str) -> dict[str, str]:
    return {
        "full_name": "Lê Thị Thử",
        "date_of_birth": "15/06/1995",
        "gender": Gender.FEMALE,
        "ethnicity": "Kinh",
        "education_level": "university",
        "occupation": "Kế toán viên",
        **overrides,
    }


# --- Birth dates -------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["01/01/0001", "31/12/1800", "31/12/1899"])
def test_the_person_page_refuses_a_birth_date_before_1900(tree, alice, day) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).post(reverse("person_create", args=[tree.branch_a.pk]), _person(date_of_birth=day))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ngày sinh phải trong khoảng năm 1900 đến năm 2100." in html
    assert "Kế toán viên" in html
    assert not Person.objects.exists()


def test_the_first_day_of_1900_is_accepted(tree, alice) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).post(
        reverse("person_create", args=[tree.branch_a.pk]), _person(date_of_birth="01/01/1900")
    )
    assert response.status_code == 302


# --- Names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Nguyễn\u200b Văn An",  # zero-width space
        "Nguyễn Văn\u200d An",  # zero-width joiner
        "\u202eNguyễn Văn An",  # right-to-left override
        "Nguyễn \u2067Văn\u2069 An",  # right-to-left isolate
        "\ufeffNguyễn Văn An",  # byte-order mark
    ],
)
def test_the_person_page_refuses_invisible_and_direction_characters_in_names(tree, alice, name) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).post(reverse("person_create", args=[tree.branch_a.pk]), _person(full_name=name))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Họ và tên chứa ký tự ẩn hoặc ký tự đổi chiều văn bản" in html
    assert not Person.objects.exists()


def test_the_api_refuses_a_name_with_a_right_to_left_override(tree, alice) -> None:  # type: ignore[no-untyped-def]
    client = Client(headers={"Authorization": f"Token {api_tokens.token_rotate(acting_user=alice).key}"})
    body = {
        "organisation": tree.branch_a.pk,
        "full_name": "Nguyễn \u202eVăn An",
        "date_of_birth": "1995-06-15",
        "gender": "F",
    }
    response = client.post("/api/v1/people/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "U+202E" in response.json()["errors"][0]["message"]
    assert not Person.objects.exists()


# --- JSON --------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_deeply_nested_json_is_a_json_400(alice, depth) -> None:  # type: ignore[no-untyped-def]
    client = Client(headers={"Authorization": f"Token {api_tokens.token_rotate(acting_user=alice).key}"})
    body = "[" * depth + "]" * depth
    response = client.post("/api/v1/people/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["errors"][0]["message"].startswith("Dữ liệu JSON lồng nhau quá sâu")


def test_ordinary_nesting_still_parses(tree, alice) -> None:  # type: ignore[no-untyped-def]
    client = Client(headers={"Authorization": f"Token {api_tokens.token_rotate(acting_user=alice).key}"})
    response = client.post("/api/v1/people/", data=json.dumps({"x": [[[[{"y": 1}]]]]}), content_type="application/json")
    assert response.status_code == 400  # a validation answer about the fields, not about nesting
    assert "lồng nhau" not in response.content.decode()


# --- Template DOCTYPE --------------------------------------------------------------------------


def _docx_with_document_xml(transform) -> bytes:  # type: ignore[no-untyped-def]
    document = Document()
    document.add_paragraph("{{ person_name }}")
    source = io.BytesIO()
    document.save(source)
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as copy:
        for entry in original.infolist():
            data = original.read(entry)
            copy.writestr(entry, transform(data) if entry.filename == "word/document.xml" else data)
    return out.getvalue()


def _late_doctype(data: bytes) -> bytes:
    declaration, rest = data.split(b"?>", 1)
    padding = b"<!--" + b"x" * 10_000 + b"-->"
    return declaration + b"?>" + padding + b'<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + rest


@pytest.mark.parametrize(
    "transform",
    [
        _late_doctype,
        lambda data: _late_doctype(data).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),
    ],
    ids=["after-10kb", "utf-16"],
)
def test_a_template_with_a_doctype_anywhere_is_refused(transform) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(doctemplates.TemplateRefused) as refused:
        doctemplates.check_template(_docx_with_document_xml(transform))
    assert "DOCTYPE" in refused.value.message


def test_a_plain_template_passes_the_doctype_check() -> None:
    doctemplates.check_template(_docx_with_document_xml(lambda data: data))


# --- Password reset ----------------------------------------------------------------------------


def test_password_reset_requests_are_throttled_per_address(alice, settings) -> None:  # type: ignore[no-untyped-def]
    alice.email = "alice@example.vn"
    alice.save()
    client = Client(REMOTE_ADDR="192.0.2.44")
    for index in range(settings.PASSWORD_RESET_LIMIT):
        response = client.post(reverse("password_reset"), {"email": f"someone{index}@example.vn"})
        assert response.status_code == 302
    refused = client.post(reverse("password_reset"), {"email": "alice@example.vn"})
    assert refused.status_code == 200
    assert "Bạn đã yêu cầu đặt lại mật khẩu quá nhiều lần" in refused.content.decode()
    assert len(mail.outbox) == 0  # the throttled request for a real account sent nothing


def test_password_reset_requests_are_throttled_per_email_address(alice, settings) -> None:  # type: ignore[no-untyped-def]
    alice.email = "alice@example.vn"
    alice.save()
    for index in range(settings.PASSWORD_RESET_LIMIT):
        Client(REMOTE_ADDR=f"192.0.2.{index + 1}").post(reverse("password_reset"), {"email": "alice@example.vn"})
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT
    refused = Client(REMOTE_ADDR="198.51.100.1").post(reverse("password_reset"), {"email": "ALICE@example.vn"})
    assert refused.status_code == 200
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT


ENGLISH_OF_DJANGO = ("Password reset", "You're receiving", "Please go to", "Your username", "Thanks for using")


def test_the_password_reset_email_is_entirely_vietnamese(alice) -> None:  # type: ignore[no-untyped-def]
    alice.email = "alice@example.vn"
    alice.save()
    Client().post(reverse("password_reset"), {"email": "alice@example.vn"})

    (message,) = mail.outbox
    html = message.alternatives[0][0] if message.alternatives else ""
    assert message.subject == "Đặt lại mật khẩu – Theo dõi phát triển đảng viên"
    for text in (message.body, html):
        assert "Có yêu cầu đặt lại mật khẩu cho tài khoản của bạn" in text
        assert "Tên đăng nhập của bạn: alice" in text
        assert re.search(r"/accounts/reset/[^/]+/[^/]+/", text)
        for english in ENGLISH_OF_DJANGO:
            assert english not in text


def test_the_password_reset_email_is_english_for_an_account_that_chose_english(alice) -> None:  # type: ignore[no-untyped-def]
    alice.email = "alice@example.vn"
    alice.preferred_language = "en"
    alice.save()
    Client().post(reverse("password_reset"), {"email": "alice@example.vn"})  # asked from a Vietnamese page

    (message,) = mail.outbox
    assert message.subject == "Password reset – Member admission tracker"
    assert "A password reset was requested for your account" in message.body
    assert "Kính gửi" not in message.body and "Tên đăng nhập" not in message.body


# --- Language cookie ---------------------------------------------------------------------------


def test_the_language_cookie_is_secure_and_http_only_where_the_session_cookie_is(alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LANGUAGE_COOKIE_SECURE = True
    response = Client().post(reverse("set_language"), {"language": "en", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_production_settings_make_the_language_cookie_secure(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = "from django.conf import settings; print(settings.LANGUAGE_COOKIE_SECURE, settings.SESSION_COOKIE_SECURE)"
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "DJANGO_SECURE_COOKIES"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": "x" * 60,
        "TRACKER_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["True", "True"]
