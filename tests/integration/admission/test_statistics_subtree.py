"""The subtree of the statistics kept between pages (admission.reporting.subtree.LoadedSubtrees):
read again as soon as the root's data generation moves, which every writer of an organisation
makes it do (the service that creates one, the admin's change and delete). Transactional: the
subtree is never kept inside a transaction, which the other tests run in."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from admission.reporting import statistics as st
from admission.reporting.plans import annual_plan_set
from admission.reporting.query import StatisticsQuery
from admission.reporting.subtree import _LOADED, Subtree
from members import services as member_services
from members.models import Organisation, OrganisationKind

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = dt.date(2025, 12, 1)


@pytest.fixture(autouse=True)
def _empty() -> None:
    cache.clear()
    _LOADED.clear()


def _figures(tree, eve) -> dict:  # type: ignore[no-untyped-def]
    return st.statistics_figures(
        user=eve, organisation=tree.province, query=StatisticsQuery.for_year(2025), today=TODAY
    )


def _queries_of_load(root: Organisation) -> int:
    with CaptureQueriesContext(connection) as captured:
        Subtree.load(root)
    return len(captured.captured_queries)


def test_it_reads_the_subtree_once_while_nothing_is_written(tree) -> None:  # type: ignore[no-untyped-def]
    first = Subtree.load(tree.province)
    assert _queries_of_load(tree.province) == 0
    assert Subtree.load(tree.province).loaded is first.loaded
    assert _queries_of_load(tree.commune) == 1  # another root: its own subtree
    annual_plan_set(
        acting_user=None, organisation=tree.village, year=2025, admit=2, awareness_class=0, new_member_class=0
    )
    assert _queries_of_load(tree.province) == 1  # a write below: read again
    assert _queries_of_load(tree.province) == 0


def test_it_reads_again_when_the_generation_is_lost(tree) -> None:  # type: ignore[no-untyped-def]
    Subtree.load(tree.province)
    Organisation.objects.filter(pk=tree.commune.pk).update(name="Đảng bộ phường Đổi tên")  # no writer's call
    cache.clear()  # the generation evicted: a new one is set, never the one read before
    assert Subtree.load(tree.province).rows[tree.commune.pk].name == "Đảng bộ phường Đổi tên"


def test_it_never_keeps_a_subtree_read_inside_a_transaction(tree) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        assert _queries_of_load(tree.province) == 1
        assert _queries_of_load(tree.province) == 1


def test_a_new_organisation_is_counted_at_once(tree, eve) -> None:  # type: ignore[no-untyped-def]
    before = _figures(tree, eve)
    member_services.organisation_create(
        acting_user=None, kind=OrganisationKind.VILLAGE_BRANCH, name="Chi bộ Tổ dân phố 2", code="V2",
        parent=tree.commune,
    )  # fmt: skip
    after = _figures(tree, eve)
    assert after["structure"]["village_branch"] == before["structure"]["village_branch"] + 1
    member_services.organisation_create(
        acting_user=None, kind=OrganisationKind.COMMUNE, name="Đảng bộ xã Mới", code="W2", parent=tree.province
    )
    names = [child["name"] for child in _figures(tree, eve)["children"]]
    assert "Đảng bộ xã Mới" in names


def test_a_renamed_or_closed_organisation_shows_at_once(tree, eve, admin_client) -> None:  # type: ignore[no-untyped-def]
    assert "Đảng bộ phường Thử" in [child["name"] for child in _figures(tree, eve)["children"]]
    url = f"/admin/members/organisation/{tree.commune.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["name"] = "Đảng bộ phường Đổi tên"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert [c["name"] for c in _figures(tree, eve)["children"] if c["id"] == tree.commune.pk] == [
        "Đảng bộ phường Đổi tên"
    ]
    assert _figures(tree, eve)["structure"]["village_branch"] == 1
    url = f"/admin/members/organisation/{tree.village.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["valid_to"] = "30/06/2025"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert _figures(tree, eve)["structure"]["village_branch"] == 0  # closed before the end of 2025
