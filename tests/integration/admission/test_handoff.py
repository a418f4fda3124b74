"""Hand-off of new official members on the generated province dataset (generate_dataset, tiny
preset): the Excel export, the page and the API give one row per member recognised in the period
within the organisation's subtree (row count = members recognised), every required field filled;
outsiders get 404."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from admission.documents.handoff import COLUMNS
from admission.domain.stages import Stage
from admission.models import Candidate
from members.models import Organisation, OrganisationKind, Role, User
from members.services import role_assign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 10)
PERIODS = ((dt.date(2025, 1, 1), dt.date(2025, 12, 31)), (dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
REQUIRED = (
    "full_name",
    "cccd",
    "ethnicity",
    "gender",
    "date_of_birth",
    "ceremony_date",
    "official_date",
    "recognition_decision_date",
    "admission_decision_date",
    "branch",
)


@pytest.fixture
def dataset(db) -> None:
    call_command(
        "generate_dataset", "--preset", "tiny", "--today", TODAY.isoformat(), "--seed", "7", stdout=io.StringIO()
    )


def _expected(organisation: Organisation, start: dt.date, end: dt.date) -> int:
    return Candidate.objects.filter(
        organisation__path__startswith=organisation.path,
        stage=Stage.S17,
        recognition_decision_date__range=(start, end),
    ).count()


def _staff_of(organisation: Organisation) -> User:
    user = UserFactory(username=f"handoff.{organisation.pk}")
    role_assign(acting_user=None, user=user, organisation=organisation, role=Role.COMMITTEE_STAFF)
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _committees() -> list[Organisation]:
    """The province and two (disjoint) grassroots committees with members recognised in the first period."""
    province = Organisation.objects.get(kind=OrganisationKind.PROVINCE)
    start, end = PERIODS[0]
    committees = [
        o
        for o in Organisation.objects.filter(kind=OrganisationKind.GRASSROOTS_COMMITTEE).order_by("path")
        if _expected(o, start, end) > 0
    ]
    return [province, committees[0], committees[1]]


def test_the_excel_has_one_complete_row_per_member_recognised(dataset) -> None:  # type: ignore[no-untyped-def]
    totals = 0
    for organisation in _committees():
        client = _client(_staff_of(organisation))
        for start, end in PERIODS:
            response = client.get(
                reverse("handoff_export", args=[organisation.pk]),
                {"start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")},
            )
            assert response.status_code == 200
            sheet = load_workbook(io.BytesIO(response.content)).active
            rows = list(sheet.iter_rows(values_only=True))
            assert list(rows[0]) == [str(label) for _key, label in COLUMNS]
            expected = _expected(organisation, start, end)
            assert len(rows) - 1 == expected, (organisation.name, start)
            totals += expected
            keys = [key for key, _label in COLUMNS]
            for row in rows[1:]:
                values = dict(zip(keys, row, strict=True))
                assert all(values[key] not in (None, "") for key in REQUIRED), values
                assert start <= values["recognition_decision_date"].date() <= end
                assert values["official_date"] >= values["ceremony_date"]
    assert totals > 0  # the dataset does recognise members in these periods


def test_the_api_gives_the_same_rows_as_the_excel(dataset) -> None:  # type: ignore[no-untyped-def]
    organisation = _committees()[1]
    client = _client(_staff_of(organisation))
    start, end = PERIODS[0]
    response = client.get(
        reverse("api_handoff"), {"organisation": organisation.pk, "start": start.isoformat(), "end": end.isoformat()}
    )
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    assert body["count"] == len(body["results"]) == _expected(organisation, start, end) > 0
    assert [c["key"] for c in body["columns"]] == [key for key, _label in COLUMNS]
    page = client.get(
        reverse("handoff_page", args=[organisation.pk]),
        {"start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")},
    ).content.decode()
    assert all(row["full_name"] in page for row in body["results"])


def test_outsiders_get_nothing(dataset) -> None:  # type: ignore[no-untyped-def]
    _province, first, last = _committees()
    assert not last.path.startswith(first.path) and not first.path.startswith(last.path)
    outsider = _client(_staff_of(first))
    start, end = PERIODS[0]
    params = {"start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")}
    assert outsider.get(reverse("handoff_export", args=[last.pk]), params).status_code == 404
    assert outsider.get(reverse("handoff_page", args=[last.pk]), params).status_code == 404
    api = outsider.get(reverse("api_handoff"), {"organisation": last.pk, "start": "2025-01-01", "end": "2025-12-31"})
    assert api.status_code == 404
    anonymous = Client().get(reverse("handoff_export", args=[last.pk]), params)
    assert anonymous.status_code == 302
    assert Client().get(reverse("api_handoff"), {"organisation": last.pk}).status_code in (401, 403)


def test_a_bad_period_is_refused_with_a_message(dataset) -> None:  # type: ignore[no-untyped-def]
    organisation = _committees()[1]
    client = _client(_staff_of(organisation))
    response = client.get(reverse("handoff_page", args=[organisation.pk]), {"start": "31/12/2025", "end": "01/01/2025"})
    assert response.status_code == 200 and "Ngày cuối không được trước ngày đầu." in response.content.decode()
    response = client.get(reverse("handoff_export", args=[organisation.pk]), {"start": "x", "end": ""})
    assert response.status_code == 400
    api = client.get(reverse("api_handoff"), {"organisation": organisation.pk, "start": "2025-13-01", "end": "x"})
    assert api.status_code == 400
