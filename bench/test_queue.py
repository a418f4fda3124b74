"""Benchmark of a committee queue with 3,000 waiting dossiers (first page; queries constant)."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from admission.models import Candidate
from bench.conftest import measure
from members import services as member_services
from members.models import Gender, OrganisationKind, Person, Role, User

pytestmark = pytest.mark.django_db


def _dossiers(commune, branches, count: int, offset: int) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    people = Person.objects.bulk_create(
        [
            Person(
                organisation=branches[i % len(branches)],
                full_name=f"Người {offset + i}",
                family_name="Người",
                given_name=str(offset + i),
                search_key=f"nguoi {offset + i}",
                sort_key=f"{offset + i:09d}",
                date_of_birth=dt.date(1995, 1, 1),
                gender=Gender.MALE,
            )
            for i in range(count)
        ]
    )
    Candidate.objects.bulk_create(
        [
            Candidate(
                person=p,
                organisation_id=p.organisation_id,
                stage="S10",
                stage_entered_at=timezone.now(),
                stage_entered_on=today - dt.timedelta(days=i % 90),
                branch_resolution_date=today - dt.timedelta(days=i % 90),
                next_due_on=today + dt.timedelta(days=45 - i % 90),
            )
            for i, p in enumerate(people)
        ]
    )


def test_committee_queue_with_3000_dossiers(report) -> None:  # type: ignore[no-untyped-def]
    province = member_services._organisation_insert(kind=OrganisationKind.PROVINCE, name="Tỉnh", code="QP", parent=None)
    commune = member_services._organisation_insert(
        kind=OrganisationKind.COMMUNE, name="Phường", code="QC", parent=province
    )
    branches = [
        member_services._organisation_insert(
            kind=OrganisationKind.VILLAGE_BRANCH, name=f"Tổ {i}", code=f"QT{i}", parent=commune
        )
        for i in range(60)
    ]
    user = User.objects.create_user(username="queue-staff", password="x" * 12)
    member_services.role_assign(acting_user=None, user=user, organisation=commune, role=Role.COMMITTEE_STAFF)
    client = Client()
    client.force_login(user)
    url = f"/admission/committees/{commune.pk}/queue/"
    _dossiers(commune, branches, 30, 0)
    small = measure(lambda: client.get(url), runs=10)
    _dossiers(commune, branches, 2970, 30)
    big = measure(lambda: client.get(url), runs=30)
    report.append("## Committee review queue\n")
    report.append("| waiting dossiers | queries | median ms | p95 ms |\n| --- | --- | --- | --- |")
    report.append(f"| 30 | {small['queries']} | {small['median_ms']:.1f} | {small['p95_ms']:.1f} |")
    report.append(f"| 3000 | {big['queries']} | {big['median_ms']:.1f} | {big['p95_ms']:.1f} |")
    report.append(
        "\nFirst page (50 rows), overdue first. Target: < 200 ms, query count independent of the queue length.\n"
    )
    assert big["queries"] == small["queries"]
