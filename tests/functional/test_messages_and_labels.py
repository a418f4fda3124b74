"""What a user reads after a mistake or a change: messages in the language they work in, without
Django's stock wording defects, notes of a bounded length, and people named by their name."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.forms import NOTE_MAX_LENGTH
from admission.models import StageTransition
from members.models import Gender, Person

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _page(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.content.decode())


@pytest.fixture
def candidate(tree, alice, introducers):  # type: ignore[no-untyped-def]
    """A sympathiser (S1): the next step is the proposal to attend the awareness class."""
    person = Person.objects.create(
        organisation=tree.branch_a, full_name="Lương Thanh Ấn", date_of_birth=dt.date(1996, 2, 12), gender=Gender.MALE
    )
    created = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(created, "S1", user=alice, introducers=introducers, start=START)


def test_the_confirmation_of_a_language_change_is_in_the_language_chosen(alice) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    data = {"email": "alice@example.invalid", "email_digest": "on", "digest_hour": "7"}

    to_english = client.post(reverse("preferences"), {**data, "preferred_language": "en"}, follow=True)
    back = client.post(reverse("preferences"), {**data, "preferred_language": "vi"}, follow=True)

    assert "Saved." in _page(to_english) and "Đã lưu." not in _page(to_english)
    assert "Đã lưu." in _page(back) and "Saved." not in _page(back)


def test_django_stock_messages_read_as_vietnamese_without_a_stray_space(alice) -> None:  # type: ignore[no-untyped-def]
    data = {"email": "alice@example.invalid", "digest_hour": "25", "preferred_language": "vi"}

    page = _page(_client(alice).post(reverse("preferences"), data))

    assert "Giá trị phải nhỏ hơn hoặc bằng 23." in page
    assert "bằng với 23 ." not in page


def test_a_null_character_is_refused_in_vietnamese_and_the_step_not_recorded(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    url = reverse("candidate_step", args=[candidate.pk, "propose_class"])
    recorded = StageTransition.objects.filter(candidate=candidate).count()

    page = _page(_client(alice).post(url, {"on_date": "01/06/2025", "basis": "NQ\x0001", "note": ""}))

    assert "Văn bản có ký tự rỗng (NUL) không hợp lệ" in page
    assert "Null characters are not allowed." not in page
    assert StageTransition.objects.filter(candidate=candidate).count() == recorded


def test_an_invalid_date_says_the_format_expected(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    url = reverse("candidate_step", args=[candidate.pk, "propose_class"])

    page = _page(_client(alice).post(url, {"on_date": "31/02/2025", "basis": "", "note": ""}))

    assert "Nhập một ngày hợp lệ, dạng ngày/tháng/năm (ví dụ 05/03/2026)." in page


def test_a_step_note_is_bounded_and_what_was_typed_stays(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    url = reverse("candidate_step", args=[candidate.pk, "propose_class"])
    client = _client(alice)
    recorded = StageTransition.objects.filter(candidate=candidate).count()

    form = _page(client.get(url))
    too_long = _page(client.post(url, {"on_date": "01/06/2025", "basis": "NQ 01", "note": "x" * (NOTE_MAX_LENGTH + 1)}))

    assert f'maxlength="{NOTE_MAX_LENGTH}"' in form
    assert f"Giá trị này chỉ có tối đa {NOTE_MAX_LENGTH} kí tự" in too_long
    assert 'value="NQ 01"' in too_long
    assert StageTransition.objects.filter(candidate=candidate).count() == recorded


def test_the_timeline_names_who_recorded_a_step_not_their_login(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    alice.first_name, alice.last_name = "Alice", "Nguyễn"
    alice.save(update_fields=["first_name", "last_name"])
    url = reverse("candidate_step", args=[candidate.pk, "propose_class"])
    _client(alice).post(url, {"on_date": "01/06/2025", "basis": "NQ 01", "note": ""})

    page = _page(_client(alice).get(reverse("candidate_detail", args=[candidate.pk])))
    timeline = page[page.index('id="transition-') :]
    timeline = timeline[: timeline.index("</li>")]

    assert StageTransition.objects.filter(candidate=candidate).exists()
    assert alice.get_full_name() in timeline
    assert alice.username not in timeline


def test_a_permission_dated_before_the_certificate_step_gets_one_message_naming_it(alice, introducers, tree) -> None:  # type: ignore[no-untyped-def]
    person = Person.objects.create(
        organisation=tree.branch_a, full_name="Đỗ Thị Yến", date_of_birth=dt.date(1996, 2, 12), gender=Gender.FEMALE
    )
    created = services.candidate_create(acting_user=alice, person=person, now=at(START))
    candidate = walk_to(created, "S3", user=alice, introducers=introducers, start=START)
    recorded = StageTransition.objects.filter(candidate=candidate).count()
    url = reverse("candidate_step", args=[candidate.pk, "permit_dossier"])

    page = _page(_client(alice).post(url, {"on_date": "01/01/2020", "basis": "", "note": ""}))

    assert page.count("Thứ tự ngày sai") == 1
    assert "ngày chi bộ xét kết nạp" not in page
    assert StageTransition.objects.filter(candidate=candidate).count() == recorded
