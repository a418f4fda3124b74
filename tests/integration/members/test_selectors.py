"""Selectors: scoping by role, search, Vietnamese order, subtree counts, query counts."""

import unicodedata

import pytest
from django.http import Http404

from members import selectors
from members.models import MemberStatus, Organisation, User
from tests.conftest import Tree
from tests.factories import MemberFactory, OrganisationFactory


@pytest.fixture
def people(tree: Tree) -> dict[str, object]:
    """One member in each branch of the test tree, with names that say where they are."""
    return {
        "a": MemberFactory(person__organisation=tree.branch_a, person__full_name="Lê Văn Ở A").person,
        "b": MemberFactory(person__organisation=tree.branch_b, person__full_name="Lê Văn Ở B").person,
        "db": MemberFactory(person__organisation=tree.delegated_branch, person__full_name="Lê Văn Ở Công Ty").person,
        "v": MemberFactory(person__organisation=tree.village, person__full_name="Lê Văn Ở Thôn").person,
    }


def _fresh(user: User) -> User:
    """The same login without the scope cached on the object (as in a new request)."""
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("alice", {"a"}),
        ("carol", {"a", "b"}),
        ("eve", {"a", "b", "db", "v"}),
        ("oscar", set()),
    ],
)
def test_it_shows_people_and_members_only_within_the_users_scope(request, people, persona, visible) -> None:
    user = request.getfixturevalue(persona)
    expected = {people[key].full_name for key in visible}

    assert {p.full_name for p in selectors.person_list(user=user)} == expected
    assert {m.person.full_name for m in selectors.member_list(user=user)} == expected


@pytest.mark.parametrize(
    ("persona", "codes"),
    [
        ("alice", {"A"}),
        ("carol", {"C", "A", "B"}),
        ("eve", {"P", "G", "C", "A", "B", "D", "DB", "W", "V"}),
        ("oscar", set()),
    ],
)
def test_it_lists_only_the_organisations_of_the_users_subtrees(request, tree, persona, codes) -> None:
    user = request.getfixturevalue(persona)

    assert {o.code for o in selectors.organisation_list(user=user)} == codes


def test_it_does_not_let_committee_staff_see_the_delegated_committees_branch(carol, tree, people) -> None:
    with pytest.raises(Http404):
        selectors.organisation_get(user=carol, pk=tree.delegated_branch.pk)
    with pytest.raises(Http404):
        selectors.person_get(user=carol, pk=people["db"].pk)


def test_it_raises_404_for_a_person_of_another_branch(alice, bob, people) -> None:
    assert selectors.person_get(user=alice, pk=people["a"].pk) == people["a"]
    with pytest.raises(Http404):
        selectors.person_get(user=alice, pk=people["b"].pk)
    with pytest.raises(Http404):
        selectors.person_get(user=bob, pk=people["a"].pk)


def test_it_raises_404_for_everything_when_the_user_has_no_role(oscar, tree, people) -> None:
    with pytest.raises(Http404):
        selectors.person_get(user=oscar, pk=people["a"].pk)
    with pytest.raises(Http404):
        selectors.organisation_get(user=oscar, pk=tree.branch_a.pk)


@pytest.fixture
def namesakes(tree: Tree) -> None:
    for name in [
        "Nguyễn Văn Đức",
        "NGUYỄN VĂN ĐỨC",
        unicodedata.normalize("NFD", "Nguyễn Văn Đức Anh"),
        "Nguyễn Văn Dũng",
        "Nguyễn Thị Đức",
        "Trần Văn Đức",
    ]:
        MemberFactory(person__organisation=tree.branch_a, person__full_name=name)


@pytest.mark.parametrize("typed", ["nguyen van duc", "NGUYEN VAN DUC", "Nguyễn văn ĐỨC", "  nguyen   van duc "])
def test_it_finds_names_without_diacritics_and_ignoring_case(alice, namesakes, typed) -> None:
    found = [p.full_name for p in selectors.person_list(user=alice, search=typed)]

    assert sorted(found) == sorted(["Nguyễn Văn Đức", "Nguyễn Văn Đức", "Nguyễn Văn Đức Anh"])
    assert [m.person.full_name for m in selectors.member_list(user=alice, search=typed)] == found


def test_it_does_not_search_outside_the_scope(bob, namesakes) -> None:
    assert list(selectors.person_list(user=bob, search="nguyen van duc")) == []


def test_it_orders_members_by_given_name_first(alice, tree) -> None:
    for name in ["Nguyễn Văn Bình", "Trần Văn An", "Đặng Văn Ấn", "Lê Thị An"]:
        MemberFactory(person__organisation=tree.branch_a, person__full_name=name)

    ordered = [m.person.full_name for m in selectors.member_list(user=alice)]

    assert ordered == ["Lê Thị An", "Trần Văn An", "Đặng Văn Ấn", "Nguyễn Văn Bình"]
    assert [p.full_name for p in selectors.person_list(user=alice)] == ordered


def test_it_lists_only_active_members_unless_a_status_is_asked(alice, tree) -> None:
    MemberFactory(person__organisation=tree.branch_a, person__full_name="Lê Văn Chính", status=MemberStatus.OFFICIAL)
    MemberFactory(
        person__organisation=tree.branch_a,
        person__full_name="Lê Văn Dự",
        status=MemberStatus.PROBATIONARY,
        official_date=None,
    )
    MemberFactory(person__organisation=tree.branch_a, person__full_name="Lê Văn Xóa", status=MemberStatus.REMOVED)

    assert {m.person.full_name for m in selectors.member_list(user=alice)} == {"Lê Văn Chính", "Lê Văn Dự"}
    assert [m.person.full_name for m in selectors.member_list(user=alice, status=MemberStatus.PROBATIONARY)] == [
        "Lê Văn Dự"
    ]


def _members(organisation: Organisation, official: int, probationary: int, removed: int = 0) -> None:
    for _ in range(official):
        MemberFactory(person__organisation=organisation, status=MemberStatus.OFFICIAL)
    for _ in range(probationary):
        MemberFactory(person__organisation=organisation, status=MemberStatus.PROBATIONARY, official_date=None)
    for _ in range(removed):
        MemberFactory(person__organisation=organisation, status=MemberStatus.REMOVED)


def test_it_counts_official_and_probationary_members_of_each_subtree(carol, eve, tree) -> None:
    _members(tree.branch_a, official=3, probationary=1, removed=2)
    _members(tree.branch_b, official=2, probationary=2)
    _members(tree.delegated_branch, official=1, probationary=0)
    _members(tree.village, official=4, probationary=5)

    def counts(user: User, parent: Organisation | None) -> dict[str, tuple[int, int, int]]:
        rows = selectors.organisation_children_with_counts(user=user, parent=parent)
        return {o.code: (o.official_count, o.probationary_count, o.child_count) for o in rows}

    assert counts(carol, None) == {"C": (5, 3, 2)}
    assert counts(carol, tree.committee) == {"A": (3, 1, 0), "B": (2, 2, 0)}
    assert counts(eve, None) == {"P": (10, 8, 2)}
    assert counts(eve, tree.province) == {"G": (6, 3, 2), "W": (4, 5, 1)}
    assert counts(eve, tree.government) == {"C": (5, 3, 2), "D": (1, 0, 1)}


def test_it_does_not_count_a_sibling_whose_path_shares_a_prefix(eve, tree) -> None:
    # Organisations /…/1/ and /…/10/: the prefix must end at the slash.
    siblings = [OrganisationFactory(kind="branch", name=f"Chi bộ số {n}", parent=tree.committee) for n in range(1, 12)]
    _members(siblings[0], official=1, probationary=0)
    _members(siblings[-1], official=7, probationary=0)

    rows = {
        o.pk: o.official_count for o in selectors.organisation_children_with_counts(user=eve, parent=tree.committee)
    }

    assert rows[siblings[0].pk] == 1
    assert rows[siblings[-1].pk] == 7


@pytest.mark.parametrize("size", [5, 30])
def test_it_reads_the_member_list_in_the_same_number_of_queries_whatever_its_size(
    alice, tree, size, django_assert_num_queries
) -> None:
    for _ in range(size):
        MemberFactory(person__organisation=tree.branch_a)
    user = _fresh(alice)

    # 1. the user's role assignments (scope_for); 2. members joined to person and organisation
    with django_assert_num_queries(2):
        rows = [
            (m.person.full_name, m.person.date_of_birth, m.organisation.name) for m in selectors.member_list(user=user)
        ]

    assert len(rows) == size


@pytest.mark.parametrize("search", ["van o thon", "o thon"])  # the first word's start, a later word's start
def test_the_name_search_is_served_by_the_trigram_index(eve, people, search) -> None:  # type: ignore[no-untyped-def]
    """The search is `LIKE 'key%'` or `LIKE '% key%'` (name_matches): only the pg_trgm GIN index
    (migration 0008) can answer the second without reading every person (a B-tree on search_key
    cannot serve a LIKE '%…%'). With sequential scans priced out, the plan must use that index."""
    from django.db import connection

    from members.models import Person

    queryset = selectors._search(Person.objects.all(), search)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "person_search_key_trgm" in plan, plan
    assert [p.full_name for p in queryset] == ["Lê Văn Ở Thôn"]
    assert [p.full_name for p in selectors.person_list(user=_fresh(eve), search=search)] == ["Lê Văn Ở Thôn"]


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("nguyen van duc", {"Nguyễn Văn Đức"}),
        ("NGUYỄN văn", {"Nguyễn Văn Đức"}),  # words in order
        ("nguyen", {"Nguyễn Văn Đức", "Nguyễn Thị Yến Nhi"}),
        ("van duc", {"Nguyễn Văn Đức"}),  # from any word on
        ("duc", {"Nguyễn Văn Đức"}),
        ("yen", {"Hoàng Thị Yến", "Nguyễn Thị Yến Nhi"}),  # not every Nguyễn
        ("uyen", set()),  # inside a word: no
        ("guyen", set()),
        ("thi yen", {"Hoàng Thị Yến", "Nguyễn Thị Yến Nhi"}),
    ],
)
def test_the_name_search_matches_the_start_of_words(eve, tree, search, found) -> None:  # type: ignore[no-untyped-def]
    from members.models import Person

    for name in ("Nguyễn Văn Đức", "Hoàng Thị Yến", "Nguyễn Thị Yến Nhi"):
        MemberFactory(person__organisation=tree.branch_a, person__full_name=name)

    names = {p.full_name for p in selectors._search(Person.objects.all(), search)}
    listed = {p.full_name for p in selectors.person_list(user=_fresh(eve), search=search)}

    assert names == found
    assert listed == found
