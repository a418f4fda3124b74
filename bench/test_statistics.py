"""Benchmark of the statistics page of a province of 150,000 members and 20,000 candidates.

Target: < 500 ms on PostgreSQL, a query count independent of the data size. The population is
bulk-inserted (a benchmark, not a rule test): ~2,000 branches under 40 communes and 10
grassroots committees, members admitted from 1975 on (5 % of them gone), and 20,000 candidates
started over the last five years, each with its StageTransition rows up to the stage its
(random) pace reaches by today. BENCH_STATS_MEMBERS / BENCH_STATS_CANDIDATES change the size.
"""

import datetime as dt
import os
import random
import time
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from admission.domain.periods import add_months
from admission.domain.stages import Stage
from admission.models import AnnualPlan, Candidate, StageTransition
from admission.reporting.stage_times import stage_times_fill
from bench.conftest import measure
from members import services as member_services
from members.models import (
    EducationLevel,
    Gender,
    MemberStatus,
    Organisation,
    OrganisationKind,
    PartyMember,
    Person,
    Role,
    User,
)

# transaction=True: no test transaction around the data, so it can be vacuumed like a production
# table (autovacuum): the visibility map lets the covering index be read without the table.
pytestmark = pytest.mark.django_db(transaction=True)
MEMBERS = int(os.environ.get("BENCH_STATS_MEMBERS", "150000"))
CANDIDATES = int(os.environ.get("BENCH_STATS_CANDIDATES", "20000"))
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BATCH = 5000
ETHNICITIES = ["Kinh"] * 7 + ["Tày", "Nùng", "Dao", "H'Mông"]
RELIGIONS = [""] * 9 + ["Phật giáo", "Công giáo"]
EDUCATION = [EducationLevel.UPPER_SECONDARY] * 3 + [EducationLevel.UNIVERSITY] * 2 + [EducationLevel.LOWER_SECONDARY]

# (stage left, days spent in it: low, high, the date field the step records)
PACE: list[tuple[Stage, int, int, str | None]] = [
    (Stage.S0, 5, 60, "sympathiser_date"),
    (Stage.S1, 10, 90, "class_proposed_date"),
    (Stage.S2, 20, 60, "certificate_issue_date"),
    (Stage.S3, 5, 30, "dossier_start_date"),
    (Stage.S4, 7, 30, "application_date"),
    (Stage.S5, 10, 40, "introduction_date"),
    (Stage.S6, 20, 90, "verification_completed_date"),
    (Stage.S7, 10, 40, "comments_completed_date"),
    (Stage.S8, 5, 40, "branch_resolution_date"),
    (Stage.S9, 10, 30, "grassroots_resolution_date"),
    (Stage.S10, 10, 70, "decision_date"),
    (Stage.S11, 5, 45, "ceremony_date"),
    (Stage.S12, 10, 40, "records_completed_date"),
    (Stage.S13, 0, 0, None),  # to the end of probation (12 months after the ceremony)
    (Stage.S14, 5, 15, "recognition_dossier_date"),
    (Stage.S15, 10, 30, "recognition_branch_date"),
    (Stage.S16, 10, 50, "recognition_decision_date"),
]
NEXT = {
    Stage.S0: Stage.S1,
    Stage.S1: Stage.S2,
    Stage.S2: Stage.S3,
    Stage.S3: Stage.S4,
    Stage.S4: Stage.S5,
    Stage.S5: Stage.S6,
    Stage.S6: Stage.S7,
    Stage.S7: Stage.S8,
    Stage.S8: Stage.S9,
    Stage.S9: Stage.S10,
    Stage.S10: Stage.S11,
    Stage.S11: Stage.S12,
    Stage.S12: Stage.S13,
    Stage.S13: Stage.S14,
    Stage.S14: Stage.S15,
    Stage.S15: Stage.S16,
    Stage.S16: Stage.S17,
}


def _org(kind: str, name: str, code: str, parent: Organisation | None) -> Organisation:
    return member_services._organisation_insert(kind=kind, name=name, code=code, parent=parent)


def _tree() -> tuple[Organisation, list[Organisation], list[Organisation]]:
    """Province -> 40 communes (40 village branches each) and 10 grassroots committees
    (3 sub-committees of 4 branches, and 8 branches each): 1,840 branches."""
    province = _org(OrganisationKind.PROVINCE, "Đảng bộ tỉnh Thử tải", "SP", None)
    communes, branches = [], []
    for c in range(40):
        commune = _org(OrganisationKind.COMMUNE, f"Đảng bộ xã {c:02d}", f"SC{c}", province)
        communes.append(commune)
        branches += [
            _org(OrganisationKind.VILLAGE_BRANCH, f"Chi bộ thôn {c}-{v}", f"SV{c}-{v}", commune) for v in range(40)
        ]
    for g in range(10):
        committee = _org(OrganisationKind.GRASSROOTS_COMMITTEE, f"Đảng bộ cơ quan {g}", f"SG{g}", province)
        for s in range(3):
            sub = _org(OrganisationKind.SUB_COMMITTEE, f"Đảng bộ bộ phận {g}-{s}", f"SS{g}-{s}", committee)
            branches += [_org(OrganisationKind.BRANCH, f"Chi bộ {g}-{s}-{b}", f"SB{g}-{s}-{b}", sub) for b in range(4)]
        branches += [_org(OrganisationKind.BRANCH, f"Chi bộ {g}-{b}", f"SD{g}-{b}", committee) for b in range(8)]
    return province, communes, branches


def _person(number: int, branch: Organisation, rng: random.Random) -> Person:
    female = rng.random() < 0.4
    return Person(
        organisation=branch,
        full_name=f"Người Thử {number}",
        family_name="Người",
        middle_name="Thử",
        given_name=str(number),
        search_key=f"nguoi thu {number}",
        sort_key=f"{number:09d}",
        date_of_birth=dt.date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)),
        gender=Gender.FEMALE if female else Gender.MALE,
        ethnicity=rng.choice(ETHNICITIES),
        religion=rng.choice(RELIGIONS),
        education_level=rng.choice(EDUCATION),
        youth_union_member=rng.random() < 0.4,
        is_student=rng.random() < 0.05,
        private_enterprise_worker=rng.random() < 0.1,
    )


def _candidates(branches: list[Organisation], count: int, today: dt.date, rng: random.Random) -> int:
    """Candidates walked along a random pace up to today; returns how many became members."""
    admitted = 0
    for offset in range(0, count, BATCH):
        size = min(BATCH, count - offset)
        people = Person.objects.bulk_create(
            [_person(MEMBERS + offset + i, rng.choice(branches), rng) for i in range(size)], batch_size=BATCH
        )
        candidates, walks = [], []
        for person in people:
            day = today - dt.timedelta(days=rng.randint(0, 5 * 365))
            fields: dict[str, object] = {}
            steps: list[tuple[Stage, Stage, dt.date]] = []
            stage = Stage.S0
            for left, low, high, field in PACE:
                if left != stage:
                    continue  # S9 when the branch went straight to the decision (S8 -> S10)
                if left == Stage.S13:
                    ceremony: dt.date = fields["ceremony_date"]  # type: ignore[assignment]
                    fields["official_date"] = add_months(ceremony, 12)
                    nxt = add_months(ceremony, 12) + dt.timedelta(days=2)
                else:
                    nxt = day + dt.timedelta(days=rng.randint(low, high))
                if nxt > today:
                    break
                target = NEXT[left]
                if left == Stage.S8 and rng.random() < 0.5:
                    target = Stage.S10  # grassroots and village branches go straight to the decision
                if field:
                    fields[field] = nxt
                if field == "decision_date":
                    fields["decision_received_date"] = nxt + dt.timedelta(days=3)
                steps.append((stage, target, nxt))
                stage, day = target, nxt
            if stage in (Stage.S13, Stage.S14) and rng.random() < 0.03:
                removal = day + dt.timedelta(days=rng.randint(5, 60))
                if removal <= today:
                    steps.append((stage, Stage.SX, removal))
                    fields["removal_date"] = removal
                    stage, day = Stage.SX, removal
            candidates.append(
                Candidate(
                    person=person,
                    organisation_id=person.organisation_id,
                    stage=stage.value,
                    stage_entered_at=dt.datetime.combine(day, dt.time(10), tzinfo=TZ),
                    stage_entered_on=day,
                    **fields,
                )
            )
            walks.append(steps)
        Candidate.objects.bulk_create(candidates, batch_size=BATCH)
        transitions, members = [], []
        for candidate, steps in zip(candidates, walks, strict=True):
            transitions += [
                StageTransition(
                    candidate=candidate,
                    from_stage=a.value,
                    to_stage=b.value,
                    at=dt.datetime.combine(on, dt.time(10), tzinfo=TZ),
                    on_date=on,
                )
                for a, b, on in steps
            ]
            if candidate.ceremony_date:
                status = {
                    Stage.S17.value: MemberStatus.OFFICIAL,
                    Stage.SX.value: MemberStatus.REMOVED,
                }.get(candidate.stage, MemberStatus.PROBATIONARY)
                members.append(
                    PartyMember(
                        person_id=candidate.person_id,
                        organisation_id=candidate.organisation_id,
                        status=status,
                        admission_decision_date=candidate.decision_date,
                        ceremony_date=candidate.ceremony_date,
                        official_date=candidate.official_date if status == MemberStatus.OFFICIAL else None,
                        left_date=candidate.removal_date,
                    )
                )
        created_transitions = StageTransition.objects.bulk_create(transitions, batch_size=BATCH)
        # bulk_create bypasses candidate_transition, which stores the stage visits: recount them.
        stage_times_fill(connection, candidate_ids=sorted({t.candidate_id for t in created_transitions}))
        created = PartyMember.objects.bulk_create(members, batch_size=BATCH)
        by_person = {m.person_id: m.pk for m in created}
        Candidate.objects.bulk_update(
            [_linked(c, by_person[c.person_id]) for c in candidates if c.person_id in by_person],
            ["member"],
            batch_size=BATCH,
        )
        admitted += len(created)
    return admitted


def _linked(candidate: Candidate, member_id: int) -> Candidate:
    candidate.member_id = member_id
    return candidate


def _old_members(branches: list[Organisation], count: int, rng: random.Random) -> None:
    """Members admitted 1975-2020; 5 % of them left or were removed since 2021."""
    for offset in range(0, count, BATCH):
        size = min(BATCH, count - offset)
        people = Person.objects.bulk_create(
            [_person(offset + i, rng.choice(branches), rng) for i in range(size)], batch_size=BATCH
        )
        members = []
        for person in people:
            ceremony = dt.date(rng.randint(1975, 2020), rng.randint(1, 12), rng.randint(1, 28))
            gone = rng.random() < 0.05
            members.append(
                PartyMember(
                    person=person,
                    organisation_id=person.organisation_id,
                    status=rng.choice([MemberStatus.LEFT, MemberStatus.REMOVED]) if gone else MemberStatus.OFFICIAL,
                    admission_decision_date=ceremony - dt.timedelta(days=20),
                    ceremony_date=ceremony,
                    official_date=add_months(ceremony, 12),
                    left_date=dt.date(rng.randint(2021, 2025), rng.randint(1, 12), rng.randint(1, 28))
                    if gone
                    else None,
                )
            )
        PartyMember.objects.bulk_create(members, batch_size=BATCH)


def _plans(province: Organisation, communes: list[Organisation], branches: list[Organisation], today: dt.date) -> None:
    committees = list(Organisation.objects.filter(kind=OrganisationKind.GRASSROOTS_COMMITTEE))
    rows = []
    for year in range(today.year - 5, today.year + 1):
        rows.append(AnnualPlan(organisation=province, year=year, admit=4200))
        rows += [AnnualPlan(organisation=o, year=year, admit=80) for o in communes]
        rows += [AnnualPlan(organisation=o, year=year, admit=100) for o in committees]
        rows += [AnnualPlan(organisation=o, year=year, admit=2) for o in branches]
    AnnualPlan.objects.bulk_create(rows, batch_size=BATCH)


def test_statistics_page_of_a_province(report, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STATISTICS_CACHE_SECONDS = 0  # measure the computation, not the figures cache
    rng = random.Random(2026)
    today = timezone.localdate()
    started = time.perf_counter()
    province, communes, branches = _tree()
    _plans(province, communes, branches, today)
    admitted = _candidates(branches, CANDIDATES, today, rng)
    _old_members(branches, MEMBERS - admitted, rng)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    generated = time.perf_counter() - started
    user = User.objects.create_user(username="stats-staff", password="x" * 12)
    member_services.role_assign(acting_user=None, user=user, organisation=province, role=Role.COMMITTEE_STAFF)
    client = Client()
    client.force_login(user)
    year = today.year - 1
    period = f"start=01/01/{year}&end=31/12/{year}&admitted_by=ceremony&baseline=year_start"
    commune = communes[0]
    pages = [
        ("province, by ceremony", f"/admission/organisations/{province.pk}/statistics/?{period}"),
        (
            "province, by decision",
            f"/admission/organisations/{province.pk}/statistics/?{period.replace('ceremony', 'decision')}",
        ),
        ("one commune (40 branches)", f"/admission/organisations/{commune.pk}/statistics/?{period}"),
        (
            "people behind a figure (first page)",
            f"/admission/organisations/{province.pk}/statistics/people/?{period}&figure=admitted&key=gender:F",
        ),
        ("plans of the province's children", f"/admission/organisations/{province.pk}/plans/?year={year}"),
    ]
    results = []
    for label, url in pages:
        assert client.get(url).status_code == 200, url
        results.append((label, measure(partial(client.get, url), runs=15)))
    report.append("## Statistics page\n")
    report.append(
        f"{PartyMember.objects.count():,} members, {Candidate.objects.count():,} candidates, "
        f"{StageTransition.objects.count():,} stage transitions, {len(branches):,} branches; "
        f"generated in {generated:.0f} s. Year {year}.\n"
    )
    report.append("| page | queries | median ms | p95 ms |\n| --- | --- | --- | --- |")
    for label, result in results:
        report.append(f"| {label} | {result['queries']} | {result['median_ms']:.1f} | {result['p95_ms']:.1f} |")
    report.append(
        "\nTarget: < 500 ms for the province page, query count independent of the data size "
        "(tests/functional/admission/test_statistics_views.py asserts it).\n"
    )
    assert results[0][1]["median_ms"] < 500
