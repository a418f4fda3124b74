"""The second factor is required of every role that reads personal data beyond one branch."""

import pytest
from django.test import Client
from django.urls import reverse

from members.models import Role, User
from members.services import role_assign
from members.twofactor import requires_second_factor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def required(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWO_FACTOR_REQUIRED = True


def _user(name: str, *roles: tuple) -> User:  # type: ignore[type-arg]
    user = UserFactory(username=name)
    for organisation, role in roles:
        role_assign(acting_user=None, user=user, organisation=organisation, role=role)
    return User.objects.get(pk=user.pk)  # no cached scope


def test_roles_wider_than_one_branch_need_the_second_factor(tree) -> None:  # type: ignore[no-untyped-def]
    cases = {
        "province auditor": ((tree.province, Role.AUDITOR),),
        "committee auditor": ((tree.committee, Role.AUDITOR),),
        "committee staff": ((tree.committee, Role.COMMITTEE_STAFF),),
        "committee leader": ((tree.government, Role.COMMITTEE_LEADER),),
        "administrator": ((tree.province, Role.ADMINISTRATOR),),
        "secretary of two branches": ((tree.branch_a, Role.BRANCH_SECRETARY), (tree.branch_b, Role.BRANCH_DEPUTY)),
        "secretary of a branch and auditor of another": (
            (tree.branch_a, Role.BRANCH_SECRETARY),
            (tree.branch_b, Role.AUDITOR),
        ),
    }
    for index, (label, roles) in enumerate(cases.items()):
        assert requires_second_factor(_user(f"wide{index}", *roles)), label


def test_one_branch_and_mentoring_need_a_password_only(tree) -> None:  # type: ignore[no-untyped-def]
    cases = {
        "secretary": ((tree.branch_a, Role.BRANCH_SECRETARY),),
        "secretary and deputy of the same branch": (
            (tree.branch_a, Role.BRANCH_SECRETARY),
            (tree.branch_a, Role.BRANCH_DEPUTY),
        ),
        "branch auditor": ((tree.branch_a, Role.AUDITOR),),
        "mentor": ((tree.branch_a, Role.MENTOR),),
        "village secretary who mentors in another branch": (
            (tree.village, Role.BRANCH_SECRETARY),
            (tree.branch_a, Role.MENTOR),
        ),
        "no role": (),
    }
    for index, (label, roles) in enumerate(cases.items()):
        assert not requires_second_factor(_user(f"narrow{index}", *roles)), label


def test_the_province_auditor_cannot_read_or_reveal_with_a_password_only(tree, eve) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import PersonFactory

    person = PersonFactory(organisation=tree.branch_a, cccd="001190000001")
    client = Client()
    client.force_login(eve)

    for response in (
        client.get(reverse("person_detail", args=[person.pk])),
        client.post(reverse("person_reveal", args=[person.pk])),
        client.get(reverse("dashboard")),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two_factor"))


def test_a_branch_secretary_keeps_using_the_pages_with_a_password(tree, alice) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(alice)
    assert client.get(reverse("dashboard")).status_code == 200
