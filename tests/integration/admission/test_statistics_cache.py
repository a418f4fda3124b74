"""The statistics figures cache (admission/reporting/cache.py): a write anywhere below an
organisation, through the services or the Django admin, makes its cached figures stale, and only
its own and its ancestors' (members.freshness, called by each writer)."""

import datetime as dt
import itertools

import pytest
from django.core.cache import cache
from django.db import transaction

from admission import services
from admission.devdata.demo import at
from admission.domain.stages import Stage
from admission.models import CalendarOverride
from admission.reporting.cache import figures_cached
from admission.reporting.plans import annual_plan_set
from members import services as member_services
from members.models import MemberStatus, Organisation
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _empty_cache(settings) -> None:  # type: ignore[no-untyped-def]
    settings.STATISTICS_CACHE_SECONDS = 600
    cache.clear()


class Counter:
    """A `compute` that says how many times it ran: each run returns a new number."""

    def __init__(self) -> None:
        self.calls = itertools.count(1)
        self.last = 0

    def __call__(self) -> dict[str, int]:
        self.last = next(self.calls)
        return {"run": self.last}


def _figures(organisation: Organisation, counter: Counter, **params: str) -> int:
    return figures_cached(organisation=organisation, params=params, today=TODAY, compute=counter).figures["run"]


def _views(tree: Tree) -> dict[str, tuple[Organisation, Counter]]:
    """Each organisation's page, viewed once (so that its figures are cached)."""
    cache.clear()
    views = {
        name: (getattr(tree, name), Counter()) for name in ("province", "committee", "branch_a", "branch_b", "commune")
    }
    for organisation, counter in views.values():
        assert _figures(organisation, counter) == 1
    return views


def _recomputed(views: dict[str, tuple[Organisation, Counter]]) -> set[str]:
    """Which pages compute their figures again at the next view."""
    return {name for name, (organisation, counter) in views.items() if _figures(organisation, counter) != 1}


def test_the_figures_are_computed_once_per_organisation_query_and_day(tree) -> None:  # type: ignore[no-untyped-def]
    counter = Counter()
    assert _figures(tree.province, counter, year="2026") == 1
    assert _figures(tree.province, counter, year="2026") == 1
    assert _figures(tree.province, counter, year="2025") == 2  # another query
    assert _figures(tree.commune, counter, year="2026") == 3  # another organisation
    tomorrow = figures_cached(
        organisation=tree.province, params={"year": "2026"}, today=TODAY + dt.timedelta(days=1), compute=counter
    )
    assert tomorrow.figures["run"] == 4  # another day


def test_a_new_member_of_branch_a_makes_only_its_ancestors_figures_stale(tree) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a)
    views = _views(tree)
    member_services.member_create(acting_user=None, person=person, status=MemberStatus.OFFICIAL)
    assert _recomputed(views) == {"province", "committee", "branch_a"}


def test_a_person_moved_between_subtrees_makes_both_stale(tree) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_b)
    views = _views(tree)
    member_services.person_update(acting_user=None, person=person, organisation=tree.village)
    assert _recomputed(views) == {"province", "committee", "branch_b", "commune"}


def test_a_person_moved_in_the_admin_makes_both_stale(tree, admin_client) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a)
    views = _views(tree)
    page = admin_client.get(f"/admin/members/person/{person.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(organisation=tree.branch_b.pk, date_of_birth=person.date_of_birth.strftime("%d/%m/%Y"))
    response = admin_client.post(f"/admin/members/person/{person.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    person.refresh_from_db()
    assert person.organisation == tree.branch_b
    assert _recomputed(views) == {"province", "committee", "branch_a", "branch_b"}


def test_a_stage_change_makes_the_branch_and_its_ancestors_stale(tree, alice) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a)
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(dt.date(2026, 3, 2)))
    views = _views(tree)
    with transaction.atomic():
        services.candidate_transition(
            acting_user=alice,
            candidate=candidate,
            expected_stage=Stage.S0,
            to_stage=Stage.S1,
            on_date=dt.date(2026, 3, 3),
            now=at(dt.date(2026, 3, 3)),
        )
    assert _recomputed(views) == {"province", "committee", "branch_a"}


def test_a_plan_or_a_calendar_change_is_seen(tree, admin_client) -> None:  # type: ignore[no-untyped-def]
    views = _views(tree)
    annual_plan_set(
        acting_user=None, organisation=tree.commune, year=2026, admit=5, awareness_class=0, new_member_class=0
    )
    assert _recomputed(views) == {"province", "commune"}
    views = _views(tree)
    response = admin_client.post(  # nationwide: no organisation
        "/admin/admission/calendaroverride/add/", {"day": "04/05/2026", "is_working_day": "", "note": "Nghỉ bù"}
    )
    assert response.status_code == 302
    assert CalendarOverride.objects.filter(day=dt.date(2026, 5, 4), is_working_day=False).exists()
    assert _recomputed(views) == set(views)


def test_a_zero_lifetime_turns_the_cache_off(tree, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STATISTICS_CACHE_SECONDS = 0
    counter = Counter()
    assert [_figures(tree.province, counter) for _ in range(3)] == [1, 2, 3]
