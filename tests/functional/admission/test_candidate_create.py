"""New candidate in one flow: the person entered on the same form, duplicates inside the scope
offered instead, one page load after submit, contact details on the candidate page."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at
from admission.models import Candidate
from members.cccd import cccd_prefix
from members.models import Gender, MemberStatus, Person
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db

BORN = dt.date(1999, 4, 3)
CCCD = cccd_prefix(province_code="001", gender=Gender.FEMALE, date_of_birth=BORN) + "123456"


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _new(**extra: str) -> dict[str, str]:
    data = {
        "full_name": "Trần Thị Hoa",
        "date_of_birth": BORN.strftime("%d/%m/%Y"),
        "gender": Gender.FEMALE,
        "cccd": CCCD,
        "phone": "0912 345 678",
        "email": "hoa@example.vn",
        "residence": "Phường Thử",
        "occupation": "Kỹ sư",
    }
    data.update(extra)
    return data


def test_it_creates_the_person_and_the_candidacy_in_one_post(tree, alice) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    url = reverse("candidate_create", args=[tree.branch_a.pk])

    page = client.get(url)
    response = client.post(url, _new())

    assert 'name="full_name"' in page.content.decode()
    candidate = Candidate.objects.get(person__full_name="Trần Thị Hoa")
    assert response.status_code == 302
    assert response["Location"] == reverse("candidate_detail", args=[candidate.pk])
    assert candidate.stage == "S0"
    assert candidate.organisation == tree.branch_a
    assert candidate.person.cccd == CCCD
    detail = client.get(response["Location"]).content.decode()
    assert 'href="tel:0912 345 678"' in detail
    assert 'href="mailto:hoa@example.vn"' in detail


def test_it_keeps_the_input_and_writes_nothing_when_the_person_is_invalid(tree, alice) -> None:  # type: ignore[no-untyped-def]
    url = reverse("candidate_create", args=[tree.branch_a.pk])

    response = _client(alice).post(url, _new(cccd="12345", gender=Gender.FEMALE))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Trần Thị Hoa"' in html
    assert "is-invalid" in html
    assert not Person.objects.filter(full_name="Trần Thị Hoa").exists()
    assert not Candidate.objects.exists()


def test_it_asks_for_the_name_when_nothing_is_entered(tree, alice) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).post(reverse("candidate_create", args=[tree.branch_a.pk]), {})

    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert not Candidate.objects.exists()


def test_it_offers_the_person_with_the_same_name_and_birthday_ignoring_diacritics_and_case(tree, alice) -> None:  # type: ignore[no-untyped-def]
    existing = PersonFactory(organisation=tree.branch_a, full_name="Trần Thị Hoa", date_of_birth=BORN, cccd=None)
    url = reverse("candidate_create", args=[tree.branch_a.pk])
    client = _client(alice)

    offered = client.post(url, _new(full_name="tran thi HOA", cccd=""))

    html = offered.content.decode()
    assert offered.status_code == 200
    assert 'id="duplicates"' in html
    assert f'name="person" value="{existing.pk}"' in html
    assert 'name="confirm_new"' in html
    assert Person.objects.count() == 1
    # Following the one offered: no second person.
    followed = client.post(url, {"person": str(existing.pk)})
    assert followed.status_code == 302
    assert Candidate.objects.get().person == existing
    assert Person.objects.count() == 1


def test_it_enters_a_namesake_after_confirmation(tree, alice) -> None:  # type: ignore[no-untyped-def]
    PersonFactory(organisation=tree.branch_a, full_name="Trần Thị Hoa", date_of_birth=BORN, cccd=None)

    response = _client(alice).post(
        reverse("candidate_create", args=[tree.branch_a.pk]), _new(cccd="", confirm_new="on")
    )

    assert response.status_code == 302
    assert Person.objects.filter(full_name="Trần Thị Hoa").count() == 2
    assert Candidate.objects.count() == 1


def test_it_never_enters_a_second_person_with_the_same_cccd(tree, alice) -> None:  # type: ignore[no-untyped-def]
    existing = PersonFactory(organisation=tree.branch_a, full_name="Trần Thị Hồng", date_of_birth=BORN, cccd=CCCD)
    candidate = services.candidate_create(acting_user=alice, person=existing, now=at(dt.date(2025, 1, 6)))

    response = _client(alice).post(reverse("candidate_create", args=[tree.branch_a.pk]), _new(confirm_new="on"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Số CCCD này đã có trong danh sách" in html
    assert reverse("candidate_detail", args=[candidate.pk]) in html  # already followed: its page
    assert 'name="confirm_new"' not in html
    assert Person.objects.count() == 1


def test_it_marks_a_member_and_does_not_offer_to_follow_them(tree, alice) -> None:  # type: ignore[no-untyped-def]
    member = MemberFactory(
        person=PersonFactory(organisation=tree.branch_a, full_name="Trần Thị Hoa", date_of_birth=BORN, cccd=None),
        status=MemberStatus.OFFICIAL,
    )

    html = _client(alice).post(reverse("candidate_create", args=[tree.branch_a.pk]), _new(cccd="")).content.decode()

    assert "Đã là đảng viên" in html
    assert f'value="{member.person.pk}"' not in html


def test_it_never_shows_a_namesake_outside_the_scope(tree, alice, bob) -> None:  # type: ignore[no-untyped-def]
    """Bob (branch B) enters the same name and birthday as a person of branch A: nothing of A shows."""
    PersonFactory(organisation=tree.branch_a, full_name="Trần Thị Hoa", date_of_birth=BORN, cccd=None)

    response = _client(bob).post(reverse("candidate_create", args=[tree.branch_b.pk]), _new(cccd=""))

    assert response.status_code == 302
    assert "Chi bộ A" not in _client(bob).get(response["Location"]).content.decode()


def test_it_answers_a_cccd_outside_the_scope_neutrally(tree, bob) -> None:  # type: ignore[no-untyped-def]
    PersonFactory(organisation=tree.branch_a, full_name="Trần Thị Hồng", date_of_birth=BORN, cccd=CCCD)

    response = _client(bob).post(reverse("candidate_create", args=[tree.branch_b.pk]), _new())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Trần Thị Hồng" not in html
    assert "Không dùng được số CCCD này" in html
    assert not Candidate.objects.exists()


def test_an_outsider_cannot_create_a_candidate_in_another_branch(tree, bob) -> None:  # type: ignore[no-untyped-def]
    response = _client(bob).post(reverse("candidate_create", args=[tree.branch_a.pk]), _new())

    assert response.status_code in (403, 404)
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field", "expected", "not_expected"),
    [
        # An empty name: the field's own message only, not also "two words" of the model's check.
        ({"full_name": ""}, "full_name", "Trường này là bắt buộc.", "hai từ"),
        # A name far too long has many words: only the length message.
        ({"full_name": "Nguyễn Văn " * 300}, "full_name", "tối đa 120 kí tự", "hai từ"),
        ({"phone": "abc"}, "phone", "Số điện thoại gồm 8 đến 15 chữ số", None),
        ({"phone": "0912"}, "phone", "Số điện thoại gồm 8 đến 15 chữ số", None),
    ],
)
def test_each_wrong_field_gets_one_message_that_fits_it(tree, alice, extra, field, expected, not_expected) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).post(reverse("candidate_create", args=[tree.branch_a.pk]), _new(**extra))

    errors = response.context["new_form"].errors[field]
    assert response.status_code == 200
    assert len(errors) == 1, errors
    assert expected in errors[0]
    assert not_expected is None or not_expected not in errors[0]
    assert not Candidate.objects.exists()
