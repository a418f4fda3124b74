"""GET /api/v1/statistics/figures/ gives the statistics page's figures for the page's parameters
(organisation, period, admitted_by, baseline, term start): equal to
`admission.reporting.statistics.statistics_figures` for three organisations and two periods of the
generated dataset; outside the scope 404, bad parameters 400."""

import datetime as dt
import io
import json
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from admission.reporting.presentation import chart_data
from admission.reporting.query import StatisticsQuery
from admission.reporting.statistics import statistics_figures
from members.models import Organisation, OrganisationKind, Role, User
from members.services import role_assign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
# (period, admitted_by, baseline, term_start): the page's parameters, two periods.
QUERIES = (
    (dt.date(2025, 1, 1), dt.date(2025, 12, 31), "ceremony", "year_start", None),
    (dt.date(2024, 7, 1), dt.date(2026, 3, 10), "decision", "term_start", dt.date(2020, 1, 1)),
)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dataset(db) -> None:
    call_command(
        "generate_dataset", "--preset", "tiny", "--today", TODAY.isoformat(), "--seed", "7", stdout=io.StringIO()
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _organisations() -> list[Organisation]:
    """The province, its government's organisation and one grassroots committee."""
    return [
        Organisation.objects.get(kind=OrganisationKind.PROVINCE),
        Organisation.objects.filter(kind=OrganisationKind.PROVINCIAL_GOVERNMENT).order_by("path").first(),
        Organisation.objects.filter(kind=OrganisationKind.GRASSROOTS_COMMITTEE).order_by("path").first(),
    ]  # type: ignore[list-item]


def test_the_api_gives_the_pages_figures(dataset) -> None:  # type: ignore[no-untyped-def]
    province, *others = _organisations()
    user = UserFactory(username="stats.api")
    role_assign(acting_user=None, user=user, organisation=province, role=Role.COMMITTEE_STAFF)
    client = _client(user)
    admitted = []
    for organisation in [province, *others]:
        for start, end, admitted_by, baseline, term_start in QUERIES:
            params = {
                "organisation": organisation.pk,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "admitted_by": admitted_by,
                "baseline": baseline,
            }
            if term_start:
                params["term_start"] = term_start.isoformat()
            response = client.get(reverse("api_statistics_figures"), params)
            assert response.status_code == 200, response.content
            query = StatisticsQuery(
                start=start, end=end, admitted_by=admitted_by, baseline=baseline, term_start=term_start
            )
            expected = statistics_figures(user=user, organisation=organisation, query=query, today=TODAY)
            figures = json.loads(response.content)["figures"]
            assert figures == json.loads(json.dumps(expected)), (organisation.name, start)
            assert figures["organisation"]["id"] == organisation.pk
            assert figures["period"] == {"start": start.isoformat(), "end": end.isoformat()}
            assert figures["admitted_by"] == admitted_by and figures["baseline"]["kind"] == baseline
            admitted.append(figures["totals"]["admitted"])
    assert any(admitted)  # the dataset admits members in these periods: the comparison is not of zeros
    # The page, for the same parameters, draws the same figures.
    start, end, admitted_by, baseline, _term = QUERIES[0]
    page_params = {
        "start": start.strftime("%d/%m/%Y"),
        "end": end.strftime("%d/%m/%Y"),
        "admitted_by": admitted_by,
        "baseline": baseline,
    }
    page = client.get(reverse("statistics_organisation", args=[province.pk]), page_params)
    api_params = {"organisation": province.pk, "start": start.isoformat(), "end": end.isoformat()}
    api = json.loads(client.get(reverse("api_statistics_figures"), {**api_params, "baseline": baseline}).content)
    assert page.context["charts"] == chart_data(api["figures"])


def test_defaults_scope_and_bad_parameters(dataset) -> None:  # type: ignore[no-untyped-def]
    province, government, committee = _organisations()
    user = UserFactory(username="stats.committee")
    role_assign(acting_user=None, user=user, organisation=committee, role=Role.COMMITTEE_STAFF)
    client = _client(user)
    url = reverse("api_statistics_figures")
    body = json.loads(client.get(url, {"organisation": committee.pk}).content)
    assert body["figures"]["period"] == {"start": "2026-01-01", "end": "2026-12-31"}  # this year by default
    assert body["figures"]["admitted_by"] == "ceremony" and body["figures"]["baseline"]["kind"] == "year_start"
    for outside in (province, government):
        assert client.get(url, {"organisation": outside.pk}).status_code == 404
    for bad in (
        {"organisation": committee.pk, "start": "2026-02-01", "end": "2026-01-01"},
        {"organisation": committee.pk, "start": "2000-01-01", "end": "2026-01-01"},
        {"organisation": committee.pk, "admitted_by": "vote"},
        {"organisation": committee.pk, "start": "31/12/2025"},
        {"organisation": committee.pk, "baseline": ""},
        {},
    ):
        assert client.get(url, bad).status_code == 400, bad
    assert Client().get(url, {"organisation": committee.pk}).status_code in (401, 403)
