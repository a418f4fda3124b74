"""Views through the test client: login, scoping, forms, language, throttling, reveal, CSP, query counts."""

import re
from dataclasses import dataclass
from datetime import date

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from members.cccd import cccd_prefix
from members.models import CCCD_MESSAGES, AuditLog, Gender, MemberStatus, Person, User
from tests.conftest import Tree
from tests.factories import MemberFactory

PASSWORD = "test-password-1"
DOB = date(1995, 6, 15)
CCCD_A = cccd_prefix(province_code="019", gender=Gender.MALE, date_of_birth=DOB) + "424242"  # 019095424242
NAME_A = "Nguyễn Văn Đức"
NAME_B = "Phạm Thị Bưởi"


@pytest.fixture(autouse=True)
def _clear_cache():
    """Login throttling counts failures in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class People:
    a: Person  # a member of branch A
    b: Person  # a member of branch B


@pytest.fixture
def people(tree: Tree) -> People:
    a = MemberFactory(
        person__organisation=tree.branch_a,
        person__full_name=NAME_A,
        person__cccd=CCCD_A,
        ceremony_date=date(2015, 3, 20),
        official_date=date(2016, 3, 20),
    ).person
    b = MemberFactory(
        person__organisation=tree.branch_b, person__full_name=NAME_B, person__gender=Gender.FEMALE, person__cccd=None
    ).person
    return People(a=a, b=b)


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


# --- Every URL: anonymous, allowed, outsider -------------------------------------------------


def _urls(tree: Tree, people: People) -> dict[str, str]:
    return {
        "dashboard": reverse("dashboard"),
        "organisation_tree": reverse("organisation_tree"),
        "organisation_detail": reverse("organisation_detail", args=[tree.branch_a.pk]),
        "person_create": reverse("person_create", args=[tree.branch_a.pk]),
        "member_list": reverse("member_list"),
        "person_list": reverse("person_list"),
        "person_detail": reverse("person_detail", args=[people.a.pk]),
        "person_edit": reverse("person_edit", args=[people.a.pk]),
        "person_reveal": reverse("person_reveal", args=[people.a.pk]),
    }


ALL_NAMES = [
    "dashboard",
    "organisation_tree",
    "organisation_detail",
    "person_create",
    "member_list",
    "person_list",
    "person_detail",
    "person_edit",
    "person_reveal",
]
# Pages about one object of branch A, and the pages that list what the user may see.
OBJECT_PAGES = ["organisation_detail", "person_create", "person_detail", "person_edit", "person_reveal"]
LIST_PAGES = ["dashboard", "organisation_tree", "member_list", "person_list"]


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_redirects_anonymous_users_to_the_login_page(tree, people, name, method) -> None:
    url = _urls(tree, people)[name]

    response = getattr(_client(None), method)(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"
    assert NAME_A not in _html(response)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_it_shows_each_page_to_the_branch_secretary(alice, tree, people, name) -> None:
    url = _urls(tree, people)[name]
    client = _client(alice)

    response = client.post(url) if name == "person_reveal" else client.get(url)

    assert response.status_code == 200
    html = _html(response)
    if name in {"organisation_detail", "member_list", "person_list", "person_detail", "person_edit", "person_reveal"}:
        assert NAME_A in html
    assert NAME_B not in html


@pytest.mark.parametrize("persona", ["bob", "oscar"])
@pytest.mark.parametrize("name", OBJECT_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_hides_branch_a_objects_from_outsiders(request, tree, people, persona, name, method) -> None:
    user = request.getfixturevalue(persona)
    url = _urls(tree, people)[name]

    response = getattr(_client(user), method)(url, {"full_name": "Lê Văn Lạ"} if method == "post" else None)

    expected = {405} if (name == "person_reveal" and method == "get") else {403, 404}
    assert response.status_code in expected
    html = _html(response)
    assert NAME_A not in html
    assert tree.branch_a.name not in html
    assert CCCD_A not in html
    assert not AuditLog.objects.filter(action=AuditLog.Action.REVEAL_IDENTIFIER).exists()
    assert Person.objects.count() == 2
    assert Person.objects.get(pk=people.a.pk).full_name == NAME_A


@pytest.mark.parametrize("persona", ["bob", "oscar"])
@pytest.mark.parametrize("name", LIST_PAGES)
def test_it_never_lists_branch_a_to_outsiders(request, tree, people, persona, name) -> None:
    user = request.getfixturevalue(persona)

    response = _client(user).get(_urls(tree, people)[name])

    assert response.status_code == 200
    html = _html(response)
    assert NAME_A not in html
    assert tree.branch_a.name not in html
    if persona == "bob" and name in {"member_list", "person_list"}:
        assert NAME_B in html  # bob does see his own branch: the page is not simply empty


def test_it_shows_committee_staff_both_branches_but_not_the_delegated_one(carol, tree, people) -> None:
    other = MemberFactory(person__organisation=tree.delegated_branch, person__full_name="Võ Văn Ủy").person
    client = _client(carol)

    html = _html(client.get(reverse("member_list")))

    assert NAME_A in html
    assert NAME_B in html
    assert other.full_name not in html
    assert client.get(reverse("person_detail", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("name", ["organisation_detail", "member_list", "person_list", "person_detail"])
def test_it_lets_the_auditor_read(eve, tree, people, name) -> None:
    response = _client(eve).get(_urls(tree, people)[name])

    assert response.status_code == 200
    assert NAME_A in _html(response)


@pytest.mark.parametrize("name", ["person_create", "person_edit"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_changes_by_the_auditor(eve, tree, people, name, method) -> None:
    url = _urls(tree, people)[name]
    data = {"full_name": "Lê Văn Kiểm", "date_of_birth": "15/06/1995", "gender": "M", "ethnicity": "Kinh"}

    response = getattr(_client(eve), method)(url, data if method == "post" else None)

    assert response.status_code == 403
    assert Person.objects.count() == 2
    assert Person.objects.get(pk=people.a.pk).full_name == NAME_A


def test_it_does_not_offer_the_edit_link_to_the_auditor(eve, alice, people) -> None:
    url = reverse("person_detail", args=[people.a.pk])
    edit = reverse("person_edit", args=[people.a.pk])

    assert edit in _html(_client(alice).get(url))
    assert edit not in _html(_client(eve).get(url))


def test_it_refuses_a_person_directly_in_a_committee(carol, tree) -> None:
    # People belong to branches; the committee itself is not one.
    response = _client(carol).get(reverse("person_create", args=[tree.committee.pk]))
    assert response.status_code == 403


# --- Person form ------------------------------------------------------------------------------


def _person_data(**overrides: str) -> dict[str, str]:
    data = {
        "full_name": "Lê Thị Thử",
        "date_of_birth": "15/06/1995",
        "gender": Gender.FEMALE,
        "cccd": cccd_prefix(province_code="001", gender=Gender.FEMALE, date_of_birth=DOB) + "000777",
        "ethnicity": "Kinh",
        "religion": "",
        "phone": "",
        "email": "",
        "hometown": "",
        "residence": "",
        "education_level": "university",
        "occupation": "",
    }
    data.update(overrides)
    return data


def test_it_creates_a_person_and_redirects_to_the_profile(alice, tree, people) -> None:
    response = _client(alice).post(reverse("person_create", args=[tree.branch_a.pk]), _person_data())

    created = Person.objects.get(full_name="Lê Thị Thử")
    assert response.status_code == 302
    assert response["Location"] == reverse("person_detail", args=[created.pk])
    assert (created.organisation, created.date_of_birth) == (tree.branch_a, DOB)


def test_it_shows_the_vietnamese_cccd_error_and_keeps_what_was_typed(alice, tree, people) -> None:
    before = Person.objects.count()

    response = _client(alice).post(reverse("person_create", args=[tree.branch_a.pk]), _person_data(cccd="00119512AB56"))

    assert response.status_code == 200
    html = _html(response)
    assert "Số CCCD chỉ được gồm chữ số." in html
    assert 'value="Lê Thị Thử"' in html
    assert 'value="00119512AB56"' in html
    assert Person.objects.count() == before


def test_it_updates_a_person_from_the_edit_form(alice, people) -> None:
    data = _person_data(full_name="nguyễn  văn đức minh", gender=Gender.MALE, cccd=CCCD_A)

    response = _client(alice).post(reverse("person_edit", args=[people.a.pk]), data)

    assert response.status_code == 302
    assert Person.objects.get(pk=people.a.pk).full_name == "Nguyễn Văn Đức Minh"


def test_it_shows_the_cccd_error_in_english_after_switching_language(alice, tree, people) -> None:
    client = _client(alice)
    switched = client.post(reverse("set_language"), {"language": "en", "next": reverse("member_list")})
    assert switched.status_code == 302
    assert switched["Location"] == reverse("member_list")

    response = client.post(reverse("person_create", args=[tree.branch_a.pk]), _person_data(cccd="00119512AB56"))

    html = _html(response)
    vietnamese = "Số CCCD chỉ được gồm chữ số."
    with translation.override("en"):
        english = str(CCCD_MESSAGES["not_digits"])
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert english != vietnamese, "no English translation of the CCCD error"
    assert english in html
    assert vietnamese not in html


def test_it_remembers_the_chosen_language_on_the_account(alice) -> None:
    _client(alice).post(reverse("set_language"), {"language": "en"})
    alice.refresh_from_db()
    assert alice.preferred_language == "en"


def test_it_keeps_the_language_chosen_on_the_login_page_after_logging_in(alice) -> None:
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert '<html lang="en">' in _html(client.get(reverse("login")))

    assert _login(client, "alice", PASSWORD).status_code == 302

    assert '<html lang="en">' in _html(client.get(reverse("dashboard")))


def test_it_ignores_an_offsite_next_url_when_switching_language(alice) -> None:
    response = _client(alice).post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == reverse("dashboard")


# --- Login throttling -----------------------------------------------------------------------


def _login(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password})


def test_it_logs_in_with_the_right_password_after_fewer_failures_than_the_limit(alice) -> None:
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert _login(client, "alice", "wrong-password").status_code == 200

    response = _login(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(alice.pk)


def test_it_refuses_the_right_password_after_too_many_failures(alice) -> None:
    assert settings.LOGIN_FAILURE_LIMIT == 5
    client = Client()
    for _ in range(5):
        response = _login(client, "alice", "wrong-password")
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in _html(response)

    response = _login(client, "alice", PASSWORD)

    assert response.status_code == 200
    minutes = settings.LOGIN_FAILURE_WINDOW_SECONDS // 60
    assert f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút." in _html(response)
    assert "_auth_user_id" not in client.session
    assert AuditLog.objects.filter(action=AuditLog.Action.LOGIN_FAILED, detail="alice").count() == 5


# --- Identifier: masked by default, revealed with an audit row --------------------------------


def test_it_refuses_a_reveal_by_get(alice, people) -> None:
    response = _client(alice).get(reverse("person_reveal", args=[people.a.pk]))

    assert response.status_code == 405
    assert CCCD_A not in _html(response)
    assert not AuditLog.objects.exists()


def test_it_reveals_the_cccd_on_post_and_audits_it(alice, people) -> None:
    response = _client(alice).post(reverse("person_reveal", args=[people.a.pk]), REMOTE_ADDR="192.0.2.10")

    assert response.status_code == 200
    assert CCCD_A in _html(response)
    row = AuditLog.objects.get(action=AuditLog.Action.REVEAL_IDENTIFIER)
    assert (row.user, row.person, row.ip_address) == (alice, people.a, "192.0.2.10")


def test_it_shows_only_the_masked_cccd_on_the_profile(alice, people) -> None:
    html = _html(_client(alice).get(reverse("person_detail", args=[people.a.pk])))

    assert "•" * 9 + CCCD_A[-3:] in html
    assert CCCD_A not in html
    assert CCCD_A[:9] not in html
    assert not AuditLog.objects.filter(action=AuditLog.Action.REVEAL_IDENTIFIER).exists()


# --- Formats and headers ----------------------------------------------------------------------


def test_it_shows_dates_as_day_month_year(alice, people) -> None:
    profile = _html(_client(alice).get(reverse("person_detail", args=[people.a.pk])))
    listing = _html(_client(alice).get(reverse("member_list")))

    for html in (profile, listing):
        assert "15/06/1995" in html  # date of birth
        assert "20/03/2015" in html  # ceremony
        assert "20/03/2016" in html  # official
        assert "1995-06-15" not in html
        assert "06/15/1995" not in html


def test_it_sends_a_csp_header_whose_nonce_is_on_the_script_tag(alice) -> None:
    client = _client(alice)
    first = client.get(reverse("dashboard"))
    second = client.get(reverse("dashboard"))

    policy = first["Content-Security-Policy"]
    match = re.search(r"script-src [^;]*'nonce-([^']+)'", policy)
    assert match, policy
    nonce = match.group(1)
    assert "'unsafe-inline'" not in policy
    scripts = re.findall(r"<script\b[^>]*>", _html(first))
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    assert nonce not in second["Content-Security-Policy"]  # a new nonce for every response


# --- Query counts -----------------------------------------------------------------------------


def _add_members(tree: Tree, count: int) -> None:
    for n in range(count):
        MemberFactory(
            person__organisation=tree.branch_a,
            status=MemberStatus.OFFICIAL if n % 2 else MemberStatus.PROBATIONARY,
            official_date=date(2016, 3, 20) if n % 2 else None,
        )


def _profile_links(html: str) -> int:
    """Rows of the member table: one link to a profile each."""
    return len(re.findall(r'href="/people/\d+/"', html))


def _queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), _html(response)


@pytest.mark.parametrize("page", ["member_list", "organisation_detail", "committee_detail"])
def test_it_renders_the_page_in_the_same_number_of_queries_for_5_and_30_members(
    alice, carol, tree, page, django_assert_num_queries
) -> None:
    url = {
        "member_list": reverse("member_list"),
        "organisation_detail": reverse("organisation_detail", args=[tree.branch_a.pk]),
        "committee_detail": reverse("organisation_detail", args=[tree.committee.pk]),
    }[page]
    client = _client(carol if page == "committee_detail" else alice)
    _add_members(tree, 5)
    client.get(url)  # warm-up: first-request caches (content types, translations)
    small, html = _queries(client, url)
    assert _profile_links(html) == 5

    _add_members(tree, 25)
    # session, user, scope, then the page's own queries (count + page of members, ...)
    with django_assert_num_queries(small):
        response = client.get(url)

    assert _profile_links(_html(response)) == settings.PAGE_SIZE


def test_it_keeps_the_search_when_paging_through_members(alice, tree) -> None:
    for n in range(settings.PAGE_SIZE + 3):
        MemberFactory(person__organisation=tree.branch_a, person__full_name=f"Nguyễn Văn Tìm{n:02d}")
    MemberFactory(person__organisation=tree.branch_a, person__full_name="Trần Văn Khác")

    response = _client(alice).get(reverse("member_list"), {"q": "nguyen van tim"})

    html = _html(response)
    next_links = re.findall(r'href="\?([^"]*page=2[^"]*)"', html)
    assert next_links, "no link to page 2"
    assert all("q=nguyen" in link for link in next_links), next_links


def test_it_shows_the_second_page_of_a_search(alice, tree) -> None:
    for n in range(settings.PAGE_SIZE + 3):
        MemberFactory(person__organisation=tree.branch_a, person__full_name=f"Nguyễn Văn Tìm{n:02d}")
    MemberFactory(person__organisation=tree.branch_a, person__full_name="Trần Văn Khác")

    html = _html(_client(alice).get(reverse("member_list"), {"q": "nguyen van tim", "page": 2}))

    assert _profile_links(html) == 3
    assert "Trần Văn Khác" not in html


# --- The audit log (every personal-data view is audited, auditors read it) ------------------


def test_it_audits_every_view_of_a_person_and_shows_it_to_the_auditor(alice, eve, bob, oscar, tree, people) -> None:
    from members.models import AuditLog

    _client(alice).get(reverse("person_detail", args=[people.a.pk]))
    entry = AuditLog.objects.get(action=AuditLog.Action.VIEW_PERSON)
    assert (entry.user, entry.person) == (alice, people.a)

    page = _client(eve).get(reverse("audit_log"), {"action": "view_person", "q": "alice"})
    assert page.status_code == 200
    html = _html(page)
    assert NAME_A in html
    assert "alice" in html
    # Branch secretaries and people without a role do not read the audit log.
    for user in (alice, bob, oscar):
        assert _client(user).get(reverse("audit_log")).status_code == 403


def test_it_shows_the_auditor_only_entries_about_people_in_scope(eve, tree, people) -> None:
    from members.models import AuditLog, Organisation, OrganisationKind
    from members.services import audit_record
    from tests.factories import PersonFactory

    other_province = Organisation.objects.create(kind=OrganisationKind.PROVINCE, name="Tỉnh khác", code="X", path="/x/")
    stranger = PersonFactory(organisation=other_province, full_name="Người Tỉnh Khác")
    audit_record(user=None, action=AuditLog.Action.VIEW_PERSON, person=stranger)
    audit_record(user=None, action=AuditLog.Action.LOGIN_FAILED, detail="eve")

    table = _html(_client(eve).get(reverse("audit_log"))).split('id="audit-log"')[1]
    assert "Người Tỉnh Khác" not in table
    assert str(AuditLog.Action.LOGIN_FAILED.label) not in table
