"""Personas and a small party tree shared by the integration, functional and browser tests.

Tree (codes):
    P  province
    └─ G  provincial People's Committee organisation
       ├─ C  grassroots committee (đảng bộ cơ sở)
       │   ├─ A  branch A  (Alice is its secretary)
       │   └─ B  branch B  (Bob is its secretary: the outsider for A)
       └─ D  grassroots committee delegated to admit
           └─ DB branch
    W  commune committee under P
       └─ V  village branch
Staff: Carol is committee staff of C (sees A and B; resolves at S9); Gina is committee staff of
G (decides for A and B at S10/S16); Paula is committee staff of the province P (records the
provincial standing committee's written consents); Eve is auditor of P; Oscar has no role.
"""

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from config.clock_shift import start_from_environment
from members.models import MemberStatus, Organisation, OrganisationKind, PartyMember, Role, User
from members.services import role_assign
from tests.factories import MemberFactory, OrganisationFactory, PersonFactory, UserFactory


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-shift-days",
        type=int,
        default=int(os.environ.get("TEST_CLOCK_SHIFT_DAYS", "0")),
        help="run the whole suite with the clock moved this many days from today (default 0, or "
        "$TEST_CLOCK_SHIFT_DAYS): a test that only passes on some dates then fails. Tests that "
        "freeze their own clock (time_machine.travel) still see the date they chose.",
    )


def pytest_configure(config: pytest.Config) -> None:
    days = config.getoption("--clock-shift-days")
    if days:
        os.environ["TEST_CLOCK_SHIFT_DAYS"] = str(days)  # inherited by the processes tests start
        start_from_environment()


def pytest_report_header(config: pytest.Config) -> str | None:
    days = config.getoption("--clock-shift-days")
    return f"clock shifted by {days} days: today is {dt.datetime.now(dt.UTC):%d/%m/%Y}" if days else None


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language (Vietnamese): a request of an English user activates
    English in the test client's thread, which would otherwise leak into the next test's messages."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with an empty cache (statistics figures, rate-limit counters): the
    local-memory cache outlives the database rollback between tests."""
    from django.core.cache import cache

    cache.clear()


@dataclass
class Tree:
    province: Organisation
    government: Organisation
    committee: Organisation
    branch_a: Organisation
    branch_b: Organisation
    delegated: Organisation
    delegated_branch: Organisation
    commune: Organisation
    village: Organisation


@pytest.fixture
def tree(db) -> Tree:
    province = OrganisationFactory(kind=OrganisationKind.PROVINCE, name="Đảng bộ tỉnh Thử nghiệm", code="P")
    government = OrganisationFactory(
        kind=OrganisationKind.PROVINCIAL_GOVERNMENT, name="Đảng bộ UBND tỉnh", code="G", parent=province
    )
    committee = OrganisationFactory(
        kind=OrganisationKind.GRASSROOTS_COMMITTEE, name="Đảng bộ Sở Thử nghiệm", code="C", parent=government
    )
    branch_a = OrganisationFactory(kind=OrganisationKind.BRANCH, name="Chi bộ A", code="A", parent=committee)
    branch_b = OrganisationFactory(kind=OrganisationKind.BRANCH, name="Chi bộ B", code="B", parent=committee)
    delegated = OrganisationFactory(
        kind=OrganisationKind.GRASSROOTS_COMMITTEE,
        name="Đảng bộ Công ty",
        code="D",
        parent=government,
        delegated_to_admit=True,
    )
    delegated_branch = OrganisationFactory(
        kind=OrganisationKind.BRANCH, name="Chi bộ Công ty", code="DB", parent=delegated
    )
    commune = OrganisationFactory(kind=OrganisationKind.COMMUNE, name="Đảng bộ phường Thử", code="W", parent=province)
    village = OrganisationFactory(
        kind=OrganisationKind.VILLAGE_BRANCH, name="Chi bộ Tổ dân phố 1", code="V", parent=commune
    )
    return Tree(province, government, committee, branch_a, branch_b, delegated, delegated_branch, commune, village)


def _persona(username: str, organisation: Organisation | None, role: Role | None) -> User:
    user = UserFactory(username=username)
    if organisation is not None and role is not None:
        role_assign(acting_user=None, user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def alice(tree: Tree) -> User:
    """Secretary of branch A."""
    return _persona("alice", tree.branch_a, Role.BRANCH_SECRETARY)


@pytest.fixture
def bob(tree: Tree) -> User:
    """Secretary of branch B: an outsider for everything in branch A."""
    return _persona("bob", tree.branch_b, Role.BRANCH_SECRETARY)


@pytest.fixture
def carol(tree: Tree) -> User:
    """Committee staff of the grassroots committee C (branches A and B)."""
    return _persona("carol", tree.committee, Role.COMMITTEE_STAFF)


@pytest.fixture
def gina(tree: Tree) -> User:
    """Committee staff of the provincial People's Committee organisation G: decides for A and B."""
    return _persona("gina", tree.government, Role.COMMITTEE_STAFF)


@pytest.fixture
def paula(tree: Tree) -> User:
    """Committee staff of the province P: records the provincial standing committee's consents."""
    return _persona("paula", tree.province, Role.COMMITTEE_STAFF)


@pytest.fixture
def eve(tree: Tree) -> User:
    """Auditor of the whole province: reads everything, changes nothing."""
    return _persona("eve", tree.province, Role.AUDITOR)


@pytest.fixture
def oscar(db) -> User:
    """A login without any role."""
    return _persona("oscar", None, None)


@pytest.fixture
def introducers(tree: Tree) -> list[PartyMember]:
    """Two official members of branch A (admitted long ago)."""
    return [
        MemberFactory(person=PersonFactory(organisation=tree.branch_a, full_name=name), status=MemberStatus.OFFICIAL)
        for name in ("Lê Văn Giới", "Phạm Thị Thiệu")
    ]


@pytest.fixture
def branch_deputy(tree: Tree) -> User:
    """Deputy secretary of branch A: records the branch's steps as Alice does."""
    return _persona("dung", tree.branch_a, Role.BRANCH_DEPUTY)


@pytest.fixture
def provincial_staff(tree: Tree) -> User:
    """Committee staff of the province P (the office of its standing committee)."""
    return _persona("phuong", tree.province, Role.COMMITTEE_STAFF)


@pytest.fixture
def mentor(tree: Tree) -> User:
    """An official member of branch A with a login and the mentor role: she reads only the candidates
    she is assigned to (services.mentor_assign with `mentor.person.membership`), and changes nothing."""
    person = PersonFactory(organisation=tree.branch_a, full_name="Vũ Thị Giúp Đỡ")
    MemberFactory(person=person, status=MemberStatus.OFFICIAL)
    user = _persona("mai", tree.branch_a, Role.MENTOR)
    user.person = person
    user.save(update_fields=["person"])
    return user
