"""Benchmark of the pipeline board of a branch with 300 candidates.

Target: bounded query count (independent of the number of candidates) and < 200 ms.
Candidates are bulk-inserted with consistent dates for each stage (a benchmark, not a rule test).
"""

import datetime as dt
import random

import pytest
from django.test import Client
from django.utils import timezone

from admission.domain.stages import PIPELINE, Stage
from admission.models import Candidate, DossierItem
from bench.conftest import measure
from members import services as member_services
from members.models import Gender, Organisation, OrganisationKind, Person, Role, User

pytestmark = pytest.mark.django_db


def _tree() -> Organisation:
    province = member_services._organisation_insert(kind=OrganisationKind.PROVINCE, name="Tỉnh", code="BP", parent=None)
    gov = member_services._organisation_insert(
        kind=OrganisationKind.PROVINCIAL_GOVERNMENT, name="UBND", code="BG", parent=province
    )
    committee = member_services._organisation_insert(
        kind=OrganisationKind.GRASSROOTS_COMMITTEE, name="Sở", code="BC", parent=gov
    )
    return member_services._organisation_insert(
        kind=OrganisationKind.BRANCH, name="Chi bộ lớn", code="BB", parent=committee
    )


def _candidates(branch: Organisation, count: int, rng: random.Random) -> None:
    today = timezone.localdate()
    people = Person.objects.bulk_create(
        [
            Person(
                organisation=branch,
                full_name=f"Nguyễn Văn Người {i}",
                family_name="Nguyễn",
                middle_name="Văn Người",
                given_name=str(i),
                search_key=f"nguyen van nguoi {i}",
                sort_key=f"{i:08d}",
                date_of_birth=dt.date(1995, 1, 1),
                gender=Gender.MALE,
            )
            for i in range(count)
        ]
    )
    stages = [s for s in PIPELINE if s != Stage.S17]
    rows = []
    for person in people:
        stage = rng.choice(stages)
        start = today - dt.timedelta(days=rng.randint(30, 700))
        rows.append(
            Candidate(
                person=person,
                organisation=branch,
                stage=stage.value,
                stage_entered_at=timezone.now(),
                stage_entered_on=today - dt.timedelta(days=rng.randint(1, 60)),
                certificate_issue_date=start + dt.timedelta(days=60),
                dossier_start_date=start + dt.timedelta(days=80),
                branch_resolution_date=start + dt.timedelta(days=200),
                decision_received_date=start + dt.timedelta(days=250) if stage >= Stage.S11 else None,
                ceremony_date=start + dt.timedelta(days=270) if stage >= Stage.S12 else None,
                next_due_on=today + dt.timedelta(days=rng.randint(-20, 60)),
            )
        )
    created = Candidate.objects.bulk_create(rows)
    DossierItem.objects.bulk_create(
        [
            DossierItem(candidate=c, doc_type=d, issued_on=today)
            for c in created
            if c.stage == "S8"
            for d in ("A1", "A2", "A3")
        ]
    )


def _secretary(branch: Organisation) -> Client:
    user = User.objects.create_user(username="bench-secretary", password="x" * 12)
    member_services.role_assign(acting_user=None, user=user, organisation=branch, role=Role.BRANCH_SECRETARY)
    client = Client()
    client.force_login(user)
    return client


def test_board_with_300_candidates(report) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    branch = _tree()
    client = _secretary(branch)
    url = f"/admission/branches/{branch.pk}/board/"
    _candidates(branch, 10, rng)
    small = measure(lambda: client.get(url), runs=10)
    _candidates(branch, 290, rng)
    assert Candidate.objects.filter(organisation=branch).count() == 300
    big = measure(lambda: client.get(url), runs=30)
    report.append("## Pipeline board\n")
    report.append("| candidates | queries | median ms | p95 ms |\n| --- | --- | --- | --- |")
    report.append(f"| 10 | {small['queries']} | {small['median_ms']:.1f} | {small['p95_ms']:.1f} |")
    report.append(f"| 300 | {big['queries']} | {big['median_ms']:.1f} | {big['p95_ms']:.1f} |")
    report.append("\nTarget: same query count whatever the size; < 200 ms for 300 candidates.\n")
    assert big["queries"] == small["queries"]
