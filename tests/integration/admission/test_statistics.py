"""Plans and statistics on PostgreSQL: members on past days, results against plans and baselines,
breakdowns, the awareness-class funnel, time in stage, deadlines, plans and saved reports.

Candidates are walked through the real services (admission.devdata.demo.walk_to): with START 06/01/2025
the certificate is dated 20/03/2025, the branch resolution 05/08/2025, the decision 15/09/2025
(received 18/09), the ceremony 03/10/2025; probation ends 03/10/2026, recognition 10/11/2026.
"""

import datetime as dt
from itertools import count

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from admission import services
from admission.devdata.demo import at, remove_through_chain, walk_to
from admission.domain.statistics import MemberDates, member_status_on
from admission.models import AnnualPlan, Candidate, StatisticsReport
from admission.reporting import statistics as st
from admission.reporting.people import statistics_people
from admission.reporting.plans import annual_plan_set, plan_table
from admission.reporting.query import StatisticsQuery, _pct_base
from admission.reporting.subtree import Subtree
from admission.rulebook import calendar_for
from members.models import Gender, MemberStatus, Organisation, OrganisationKind, PartyMember, Person
from members.services import member_remove
from members.summaries import organisations_recount
from tests.factories import MemberFactory, OrganisationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
LATER_START = dt.date(2025, 3, 3)
D = dt.date
_numbers = count()


def _query(year: int, **options: object) -> StatisticsQuery:
    return StatisticsQuery.for_year(year, **options)  # type: ignore[arg-type]


def _bulk_members(branch, total: int, *, ceremony: D, status: str = MemberStatus.OFFICIAL) -> None:  # type: ignore[no-untyped-def]
    """Many members at once (the rules read only their dates)."""
    people = Person.objects.bulk_create(
        [
            Person(
                organisation=branch,
                full_name=f"Người Số {n}",
                family_name="Người",
                middle_name="Số",
                given_name=str(n),
                search_key=f"nguoi so {n}",
                sort_key=f"{n:09d}",
                date_of_birth=D(1990, 1, 1),
                gender=Gender.MALE,
            )
            for n in (next(_numbers) for _ in range(total))
        ]
    )
    official = status == MemberStatus.OFFICIAL
    PartyMember.objects.bulk_create(
        [
            PartyMember(
                person=p,
                organisation=branch,
                status=status,
                admission_decision_date=ceremony - dt.timedelta(days=15),
                ceremony_date=ceremony,
                official_date=D(ceremony.year + 1, ceremony.month, ceremony.day) if official else None,
            )
            for p in people
        ]
    )
    # bulk_create bypasses the services, which keep the statistics summary: recount it.
    organisations_recount(organisation_ids=Organisation.objects.values_list("pk", flat=True))


def _member(branch, name: str, **fields: object) -> PartyMember:  # type: ignore[no-untyped-def]
    person_fields = {k: fields.pop(k) for k in list(fields) if k in {f.name for f in Person._meta.fields}}
    return MemberFactory(person=PersonFactory(organisation=branch, full_name=name, **person_fields), **fields)


def _walk(tree, alice, introducers, target: str, name: str, start: D = START):  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=name, date_of_birth=D(1998, 5, 4))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(start))
    return walk_to(candidate, target, user=alice, introducers=introducers, start=start)


# --- Members on a day ------------------------------------------------------------------------


def test_it_counts_members_on_past_days_from_their_dates(tree) -> None:  # type: ignore[no-untyped-def]
    # Admitted (ceremony) 10/03/2024, official 10/03/2025, removed 01/02/2026; today it is "removed".
    member = _member(
        tree.branch_a,
        "Vũ Thị Hạnh",
        status=MemberStatus.PROBATIONARY,
        admission_decision_date=D(2024, 2, 20),
        ceremony_date=D(2024, 3, 10),
        official_date=None,
    )
    member.official_date, member.status = D(2025, 3, 10), MemberStatus.OFFICIAL
    member.save()
    member_remove(acting_user=None, member=member, removed_on=D(2026, 2, 1))
    _member(tree.branch_b, "Lê Văn Cũ")  # official since 2016
    _member(
        tree.branch_b,
        "Đỗ Văn Chuyển",
        status=MemberStatus.LEFT,
        left_date=D(2025, 6, 30),
    )
    days = [D(2024, 1, 1), D(2024, 3, 10), D(2025, 3, 9), D(2025, 3, 10), D(2025, 6, 30), D(2026, 1, 31), D(2026, 2, 1)]
    counts = st.member_counts_on(organisation=tree.committee, days=days)
    assert [(counts[d]["official"], counts[d]["probationary"]) for d in days] == [
        (2, 0),  # 01/01/2024: the two old members
        (2, 1),  # 10/03/2024: admitted on the ceremony day
        (2, 1),
        (3, 0),  # 10/03/2025: official at the end of probation
        (2, 0),  # 30/06/2025: Đỗ Văn Chuyển left that day
        (2, 0),
        (1, 0),  # 01/02/2026: removed that day
    ]
    assert st.member_counts_on(organisation=tree.branch_a, days=[D(2025, 6, 1)])[D(2025, 6, 1)]["total"] == 1


MEMBER_CASES = [
    MemberDates("official", D(2015, 3, 20), D(2016, 3, 20)),
    MemberDates("probationary", D(2025, 10, 3)),
    MemberDates("removed", D(2024, 3, 10), D(2025, 3, 10), D(2026, 2, 1)),
    MemberDates("left", D(2015, 3, 20), D(2016, 3, 20)),  # left, date unknown
    MemberDates("removed", D(2025, 3, 20)),
    MemberDates("official"),  # imported without dates
    MemberDates("official", D(2010, 5, 1)),
    MemberDates("probationary"),
    MemberDates("official", D(2020, 5, 1), D(2019, 5, 1)),
]
CASE_DAYS = [
    D(2010, 4, 30),
    D(2016, 3, 19),
    D(2016, 3, 20),
    D(2024, 3, 10),
    D(2025, 10, 2),
    D(2025, 10, 3),
    D(2026, 2, 1),
]


def test_its_sql_agrees_with_the_pure_rule_on_every_case(tree) -> None:  # type: ignore[no-untyped-def]
    rows = []
    for index, case in enumerate(MEMBER_CASES):
        member = _member(
            tree.branch_a,
            f"Trường Hợp Số{index}",
            status=case.status,
            admission_decision_date=None,
            ceremony_date=case.ceremony_date,
            official_date=case.official_date,
            left_date=case.left_date,
        )
        rows.append((member, case))
    for member, case in rows:
        for day in CASE_DAYS:
            expected = member_status_on(case, day)
            found = {
                state
                for state in ("official", "probationary")
                if PartyMember.objects.filter(pk=member.pk).filter(st.member_on_q(day, state)).exists()
            }
            assert found == ({expected} if expected else set()), (case, day)
            in_all = PartyMember.objects.filter(pk=member.pk).filter(st.member_on_q(day, "all")).exists()
            assert in_all == (expected is not None), (case, day)


# --- Results against the plan and the baseline -----------------------------------------------


@pytest.fixture
def year_2026(tree, carol, gina):  # type: ignore[no-untyped-def]
    """Committee C: 5,260 members at the start of 2026, 162 admitted in 2026 (100 in A, 62 in B);
    its own plan 158 (set by G above it), its branches' plans 100 and 60 (set by C)."""
    _bulk_members(tree.branch_a, 3000, ceremony=D(2015, 5, 5))
    _bulk_members(tree.branch_b, 2260, ceremony=D(2016, 6, 6))
    _bulk_members(tree.branch_a, 100, ceremony=D(2026, 4, 2), status=MemberStatus.PROBATIONARY)
    _bulk_members(tree.branch_b, 62, ceremony=D(2026, 9, 2), status=MemberStatus.PROBATIONARY)
    for organisation, admit, user in (
        (tree.committee, 158, gina),
        (tree.branch_a, 100, carol),
        (tree.branch_b, 60, carol),
    ):
        annual_plan_set(
            acting_user=user, organisation=organisation, year=2026, admit=admit, awareness_class=0, new_member_class=0
        )
    return tree


def test_it_reports_102_5_percent_of_the_plan_and_3_08_percent_of_the_members(year_2026, carol) -> None:  # type: ignore[no-untyped-def]
    figures = st.statistics_figures(
        user=carol, organisation=year_2026.committee, query=_query(2026), today=D(2026, 12, 31)
    )
    totals, baseline = figures["totals"], figures["baseline"]
    assert (totals["admitted"], totals["plan"], totals["plan_percent"]) == (162, 158, "102.5")
    assert (baseline["date"], baseline["members"], totals["baseline_percent"]) == ("2026-01-01", 5260, "3.08")
    # The parent's own plan (158) against the sum of its children's (100 + 60).
    assert (totals["plan_own"], totals["plan_children"]) == (158, 160)
    children = {c["name"]: c for c in figures["children"]}
    assert (children["Chi bộ A"]["admitted"], children["Chi bộ A"]["plan_percent"]) == (100, "100.0")
    assert (children["Chi bộ B"]["admitted"], children["Chi bộ B"]["plan_percent"]) == (62, "103.3")
    assert children["Chi bộ A"]["baseline_members"] == 3000
    assert figures["members_end"] == {"date": "2026-12-31", "official": 5260, "probationary": 162, "total": 5422}


def test_it_reads_the_plan_from_the_children_when_the_parent_has_none(year_2026, carol, gina) -> None:  # type: ignore[no-untyped-def]
    AnnualPlan.objects.filter(organisation=year_2026.committee).delete()
    figures = st.statistics_figures(
        user=carol, organisation=year_2026.committee, query=_query(2026), today=D(2026, 12, 31)
    )
    totals = figures["totals"]
    assert (totals["plan"], totals["plan_own"], totals["plan_percent"]) == (160, None, "101.3")
    # One level up, the government organisation has no plan either: the sum below it counts.
    above = st.statistics_figures(
        user=gina, organisation=year_2026.government, query=_query(2026), today=D(2026, 12, 31)
    )
    assert above["totals"]["plan"] == 160
    assert {c["name"]: c["plan"] for c in above["children"]} == {"Đảng bộ Sở Thử nghiệm": 160, "Đảng bộ Công ty": None}


@pytest.mark.parametrize(
    ("baseline", "term_start", "day", "members"),
    [
        ("year_start", None, "2026-01-01", 5260),
        ("previous_year_end", None, "2025-12-31", 5260),
        ("term_start", None, "2025-01-01", 5260),
        ("term_start", D(2014, 1, 1), "2014-01-01", 0),  # before everyone's ceremony
        ("term_start", D(2016, 1, 1), "2016-01-01", 3000),
    ],
)
def test_it_compares_with_the_baseline_chosen(year_2026, carol, baseline, term_start, day, members) -> None:  # type: ignore[no-untyped-def]
    query = _query(2026, baseline=baseline, term_start=term_start)
    figures = st.statistics_figures(user=carol, organisation=year_2026.committee, query=query, today=D(2026, 12, 31))
    assert (figures["baseline"]["date"], figures["baseline"]["members"]) == (day, members)
    assert figures["totals"]["baseline_percent"] == (None if members == 0 else _pct_base(162, members))


def test_it_counts_admissions_by_ceremony_or_by_decision_date(tree, carol) -> None:  # type: ignore[no-untyped-def]
    _member(
        tree.branch_a,
        "Phan Văn Giao",
        status=MemberStatus.PROBATIONARY,
        admission_decision_date=D(2025, 12, 20),
        ceremony_date=D(2026, 1, 10),
        official_date=None,
    )

    def admitted(year: int, by: str) -> int:
        query = _query(year, admitted_by=by)
        return st.statistics_figures(user=carol, organisation=tree.committee, query=query, today=D(2026, 6, 1))[
            "totals"
        ]["admitted"]

    assert (admitted(2025, "ceremony"), admitted(2026, "ceremony")) == (0, 1)
    assert (admitted(2025, "decision"), admitted(2026, "decision")) == (1, 0)


def test_it_refuses_an_organisation_outside_the_scope(tree, bob) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Http404):
        st.statistics_figures(user=bob, organisation=tree.committee, query=_query(2026), today=D(2026, 6, 1))
    with pytest.raises(Http404):
        plan_table(user=bob, organisation=tree.branch_a, year=2026)


# --- Breakdowns --------------------------------------------------------------------------------


@pytest.fixture
def admissions_2025(tree):  # type: ignore[no-untyped-def]
    """Five members admitted in 2025 with different backgrounds (ages at the 15/06/2025 ceremony)."""
    ceremony = {
        "status": MemberStatus.PROBATIONARY,
        "admission_decision_date": D(2025, 6, 1),
        "ceremony_date": D(2025, 6, 15),
        "official_date": None,
    }
    people = [
        ("Nguyễn Thị Ba Mươi", {"date_of_birth": D(1995, 6, 15), "gender": Gender.FEMALE, "youth_union_member": True}),
        ("Trần Văn Ba Mốt", {"date_of_birth": D(1994, 6, 15), "ethnicity": "Tày", "is_student": True}),
        (
            "Lê Thị Hai Chín",
            {
                "date_of_birth": D(1995, 6, 16),
                "gender": Gender.FEMALE,
                "religion": "Phật giáo",
                "education_level": "university",
            },
        ),
        ("Hà Văn Sáu Mốt", {"date_of_birth": D(1964, 6, 1), "ethnicity": "Tày", "private_enterprise_worker": True}),
        ("Ma Văn Mười Tám", {"date_of_birth": D(2007, 6, 15), "ethnicity": "Dao", "youth_union_member": True}),
    ]
    for name, person in people:
        _member(tree.branch_a if "Văn" in name else tree.branch_b, name, **person, **ceremony, cccd=None)
    return tree


def test_it_breaks_the_admissions_down(admissions_2025, carol) -> None:  # type: ignore[no-untyped-def]
    figures = st.statistics_figures(
        user=carol, organisation=admissions_2025.committee, query=_query(2025), today=D(2025, 12, 31)
    )
    b = {name: {row["key"]: row["count"] for row in rows} for name, rows in figures["breakdowns"].items()}
    assert b["gender"] == {"M": 3, "F": 2}
    assert b["ethnicity"] == {"Tày": 2, "Kinh": 2, "Dao": 1}
    assert b["religion"] == {"": 4, "Phật giáo": 1}
    assert b["education"] == {"upper_secondary": 4, "university": 1}
    # 30 on the ceremony day is still 18-30; 31 is 31-40; one day short of 30 is 29; 61 is over 60.
    assert b["age"] == {"under_18": 0, "18_30": 3, "31_40": 1, "41_50": 0, "51_60": 0, "over_60": 1}
    assert b["groups"] == {
        "female": 2,
        "ethnic_minority": 3,
        "religious": 1,
        "youth_union": 2,
        "student": 1,
        "private_enterprise": 1,
    }


def test_a_province_alone_is_read_whole_and_beside_another_only_its_own(  # type: ignore[no-untyped-def]
    admissions_2025, eve, alice, introducers
) -> None:
    """The breakdowns and deadlines read whole tables while the province holds every organisation
    (`Subtree.holds_everything`); once another province exists they filter on the tree again, and
    that province's admissions and waiting dossiers never count in this one's figures."""
    tree = admissions_2025
    _walk(tree, alice, introducers, "S9", "Bùi Thị Chờ")  # branch resolution 05/08/2025, no decision

    def figures() -> dict[str, object]:
        found = st.statistics_figures(user=eve, organisation=tree.province, query=_query(2025), today=D(2025, 12, 1))
        return {"breakdowns": found["breakdowns"], "deadlines": found["deadlines"]}

    assert Subtree.load(tree.province).holds_everything()
    alone = figures()
    assert {row["key"]: row["count"] for row in alone["breakdowns"]["gender"]} == {"M": 3, "F": 2}  # type: ignore[index]
    decisions = next(row for row in alone["deadlines"] if row["key"] == "decision")  # type: ignore[attr-defined]
    assert decisions["overdue"] == 1

    other = OrganisationFactory(kind=OrganisationKind.PROVINCE, name="Đảng bộ tỉnh Bên cạnh", code="Q")
    other_branch = OrganisationFactory(kind=OrganisationKind.BRANCH, name="Chi bộ Bên cạnh", code="QB", parent=other)
    _member(
        other_branch,
        "Đào Thị Bên Cạnh",
        gender=Gender.FEMALE,
        status=MemberStatus.PROBATIONARY,
        admission_decision_date=D(2025, 5, 2),
        ceremony_date=D(2025, 5, 20),
        official_date=None,
        cccd=None,
    )
    waiting = PersonFactory(organisation=other_branch, full_name="Đào Văn Chờ Bên Cạnh")
    Candidate.objects.create(
        person=waiting,
        organisation=other_branch,
        stage="S9",
        stage_entered_on=D(2025, 8, 5),
        stage_entered_at=at(D(2025, 8, 5)),
        branch_resolution_date=D(2025, 8, 5),
    )

    assert not Subtree.load(tree.province).holds_everything()
    assert Subtree.load(other).holds_everything() is False
    assert figures() == alone
    # The other province's own figures do count them (the filter is on its tree, not off).
    theirs = st.statistics_figures(
        user=UserFactory(is_superuser=True), organisation=other, query=_query(2025), today=D(2025, 12, 1)
    )
    assert {row["key"]: row["count"] for row in theirs["breakdowns"]["gender"]} == {"F": 1}
    assert next(row for row in theirs["deadlines"] if row["key"] == "decision")["overdue"] == 1


@pytest.mark.parametrize(
    ("key", "names"),
    [
        ("gender:F", ["Nguyễn Thị Ba Mươi", "Lê Thị Hai Chín"]),
        ("age:18_30", ["Nguyễn Thị Ba Mươi", "Lê Thị Hai Chín", "Ma Văn Mười Tám"]),
        ("age:over_60", ["Hà Văn Sáu Mốt"]),
        ("group:ethnic_minority", ["Trần Văn Ba Mốt", "Hà Văn Sáu Mốt", "Ma Văn Mười Tám"]),
        ("religion:", ["Nguyễn Thị Ba Mươi", "Trần Văn Ba Mốt", "Hà Văn Sáu Mốt", "Ma Văn Mười Tám"]),
        ("year:2025", None),
    ],
)
def test_it_lists_the_people_behind_each_breakdown(admissions_2025, carol, key, names) -> None:  # type: ignore[no-untyped-def]
    people = statistics_people(
        user=carol,
        organisation=admissions_2025.committee,
        query=_query(2025),
        figure="admitted",
        key=key,
        today=D(2025, 12, 31),
    )
    found = [row.person.full_name for row in people.rows]
    if names is None:
        assert len(found) == 5
    else:
        assert sorted(found) == sorted(names)
    # Vietnamese name order: by given name, then middle name, then family name.
    assert [p.person.sort_key for p in people.rows] == sorted(p.person.sort_key for p in people.rows)


def test_it_scopes_the_people_lists(admissions_2025, bob) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Http404):
        statistics_people(
            user=bob,
            organisation=admissions_2025.branch_a,
            query=_query(2025),
            figure="admitted",
            key="",
            today=D(2025, 12, 31),
        )
    own = statistics_people(
        user=bob,
        organisation=admissions_2025.branch_b,
        query=_query(2025),
        figure="admitted",
        key="",
        today=D(2025, 12, 31),
    )
    assert {row.organisation_id for row in own.rows} == {admissions_2025.branch_b.pk}


@pytest.mark.parametrize("key", ["age:90_99", "group:nobody", "child:999999", "year:abc", "nonsense"])
def test_it_refuses_unknown_keys(admissions_2025, carol, key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Http404):
        statistics_people(
            user=carol,
            organisation=admissions_2025.committee,
            query=_query(2025),
            figure="admitted",
            key=key,
            today=D(2025, 12, 31),
        )


# --- The pipeline: funnel, time in stage, deadlines, recognition, removal --------------------


@pytest.fixture
def pipeline(tree, alice, introducers):  # type: ignore[no-untyped-def]
    return {
        "admitted": _walk(tree, alice, introducers, "S12", "Hoàng Văn Kết"),  # ceremony 03/10/2025
        "voted": _walk(tree, alice, introducers, "S9", "Bùi Thị Chờ"),  # branch resolution 05/08/2025
        "dossier": _walk(tree, alice, introducers, "S5", "Ngô Văn Lập", start=LATER_START),  # certificate 15/05/2025
    }


def test_it_follows_the_awareness_class_cohort(tree, carol, pipeline) -> None:  # type: ignore[no-untyped-def]
    figures = st.statistics_figures(user=carol, organisation=tree.committee, query=_query(2025), today=D(2025, 12, 1))
    funnel = figures["funnel"]
    assert [(s["key"], s["count"], s["percent"]) for s in funnel["steps"]] == [
        ("certificate", 3, "100.0"),
        ("dossier", 3, "100.0"),
        ("branch_vote", 2, "66.7"),
        ("admitted", 1, "33.3"),
    ]
    assert funnel["median_months"] == 6.0  # certificate 20/03/2025 -> ceremony 03/10/2025
    assert (
        st.statistics_figures(user=carol, organisation=tree.committee, query=_query(2024), today=D(2025, 12, 1))[
            "funnel"
        ]["steps"][0]["count"]
        == 0
    )


def test_it_measures_the_working_days_spent_in_each_stage(tree, carol, pipeline) -> None:  # type: ignore[no-untyped-def]
    figures = st.statistics_figures(user=carol, organisation=tree.committee, query=_query(2025), today=D(2025, 12, 1))
    stages = {row["stage"]: row for row in figures["time_in_stage"]}
    calendar = calendar_for(tree.branch_a)
    # S1 from 10/01 to 05/02/2025: 13 working days (Tết: 27-31/01 off); from 07/03 to 02/04: 18.
    assert calendar.working_days_between(D(2025, 1, 10), D(2025, 2, 5)) == 13
    assert (stages["S1"]["count"], stages["S1"]["median"], stages["S1"]["p90"]) == (3, 13.0, pytest.approx(17.0))
    # S8 (waiting for the branch vote) from 10/07 to 05/08/2025, for the two that got that far.
    s8 = calendar.working_days_between(D(2025, 7, 10), D(2025, 8, 5))
    assert (stages["S8"]["count"], stages["S8"]["median"]) == (2, float(s8))
    assert stages["S9"]["count"] == 1  # only the admitted one has left S9
    assert "S0" not in stages  # the first stay in S0 has no transition into it
    people = statistics_people(
        user=carol, organisation=tree.committee, query=_query(2025), figure="stage", key="S8", today=D(2025, 12, 1)
    )
    assert sorted(row.person.full_name for row in people.rows) == ["Bùi Thị Chờ", "Hoàng Văn Kết"]


def test_it_counts_deadlines_met_late_overdue_and_open(tree, carol, alice, introducers, pipeline) -> None:  # type: ignore[no-untyped-def]
    late = _walk(tree, alice, introducers, "S10", "Đinh Văn Trễ")
    # The decision comes on 20/10/2025, after the 45-working-day limit of 09/10/2025 (QĐ294 4.3.1).
    services.candidate_step(
        acting_user=None,
        candidate=late,
        step_key="decision",
        data=services.StepInput(
            on_date=D(2025, 10, 20), decision_number="QĐ-T", decision_received_date=D(2025, 10, 21)
        ),
        now=at(D(2025, 10, 22)),
    )

    def table(today: D) -> dict[str, tuple[int, int, int, int]]:
        figures = st.statistics_figures(user=carol, organisation=tree.committee, query=_query(2025), today=today)
        return {row["key"]: (row["met"], row["late"], row["overdue"], row["open"]) for row in figures["deadlines"]}

    # Decisions: on time (15/09), late (20/10), and "Bùi Thị Chờ" still waiting after 09/10/2025.
    # Ceremonies: on time (03/10, limit 30/10); "Đinh Văn Trễ" received it 21/10, limit 02/12/2025.
    assert table(D(2025, 12, 1))["decision"] == (1, 1, 1, 0)
    assert table(D(2025, 12, 1))["ceremony"] == (1, 0, 0, 1)
    assert table(D(2025, 12, 3))["ceremony"] == (1, 0, 1, 0)
    assert table(D(2025, 10, 1))["decision"] == (1, 1, 0, 1)  # 09/10 not reached yet on 01/10
    people = statistics_people(
        user=carol,
        organisation=tree.committee,
        query=_query(2025),
        figure="deadline",
        key="decision:late",
        today=D(2025, 12, 1),
    )
    assert [row.person.full_name for row in people.rows] == ["Đinh Văn Trễ"]
    assert people.rows[0].figure_date == D(2025, 10, 20)


def test_a_transferred_dossiers_decision_is_counted_against_the_30_days_from_its_receipt(
    tree, carol, alice, introducers
) -> None:  # type: ignore[no-untyped-def]
    """HD06 3.9b: after a transfer the destination decides within 30 WD of receiving the dossier,
    which replaces the 45 WD of the branch resolution (dates.SUPERSEDES) in the deadline table too."""
    from admission.domain import deadlines

    moved = _walk(tree, alice, introducers, "S10", "Lưu Văn Chuyển")  # branch resolution 05/08/2025
    received = D(2025, 8, 22)
    services.candidate_transfer(
        acting_user=alice,
        candidate=moved,
        to_branch=tree.branch_b,
        on_date=received,
        note="Chuyển công tác",
        now=at(received),
    )
    calendar = calendar_for(tree.branch_b)
    limit = deadlines.transfer_decision_deadline(received_date=received, calendar=calendar).day
    decided = limit + dt.timedelta(days=1)
    while not calendar.is_working_day(decided):
        decided += dt.timedelta(days=1)
    assert decided < D(2025, 10, 9)  # within the 45 WD of the branch resolution: met, were they counted
    moved.refresh_from_db()
    services.candidate_step(
        acting_user=None,
        candidate=moved,
        step_key="decision",
        data=services.StepInput(on_date=decided, decision_number="QĐ-C", decision_received_date=decided),
        now=at(decided),
    )
    figures = st.statistics_figures(user=carol, organisation=tree.committee, query=_query(2025), today=D(2025, 12, 1))
    decision = next(row for row in figures["deadlines"] if row["key"] == "decision")
    assert (decision["met"], decision["late"], decision["overdue"], decision["open"]) == (0, 1, 0, 0)
    people = statistics_people(
        user=carol,
        organisation=tree.committee,
        query=_query(2025),
        figure="deadline",
        key="decision:late",
        today=D(2025, 12, 1),
    )
    assert [row.person.full_name for row in people.rows] == ["Lưu Văn Chuyển"]


def test_it_counts_recognition_by_official_date_or_by_decision(tree, carol, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    _walk(tree, alice, introducers, "S17", "Phạm Văn Chính")  # official 03/10/2026, decided 10/11/2026

    def recognised(start: D, end: D, by: str) -> int:
        query = StatisticsQuery(start=start, end=end, admitted_by=by)
        return st.statistics_figures(user=carol, organisation=tree.committee, query=query, today=D(2026, 12, 1))[
            "totals"
        ]["recognised"]

    october, november = (D(2026, 10, 1), D(2026, 10, 31)), (D(2026, 11, 1), D(2026, 11, 30))
    assert (recognised(*october, "ceremony"), recognised(*november, "ceremony")) == (1, 0)
    assert (recognised(*october, "decision"), recognised(*november, "decision")) == (0, 1)
    counts = st.member_counts_on(organisation=tree.branch_a, days=[D(2026, 10, 2), D(2026, 10, 3)])
    # The two introducers are official since 2016; the new member on the day probation ends.
    assert [counts[d]["official"] for d in (D(2026, 10, 2), D(2026, 10, 3))] == [2, 3]


def test_it_counts_removals_from_the_probationary_list(tree, carol, gina, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walk(tree, alice, introducers, "S13", "Lý Văn Xóa")
    # The chain (HD06 4.6): the branch proposes, the grassroots committee resolves, the deciding committee decides.
    removed = remove_through_chain(
        candidate, day=D(2026, 1, 15), branch_user=alice, grassroots_user=carol, committee_user=gina
    )
    assert (removed.stage, removed.removal_date) == ("SX", D(2026, 1, 15))
    assert list(removed.votes.filter(purpose="removal").values_list("body", "purpose", "passed")) == [
        ("BRANCH", "removal", True),
        ("GRASSROOTS_COMMITTEE", "removal", True),
        ("STANDING_COMMITTEE", "removal", True),
    ]
    figures = st.statistics_figures(user=carol, organisation=tree.committee, query=_query(2026), today=D(2026, 6, 1))
    assert figures["totals"]["removed"] == 1
    assert {c["name"]: c["removed"] for c in figures["children"]} == {"Chi bộ A": 1, "Chi bộ B": 0}
    counts = st.member_counts_on(organisation=tree.branch_a, days=[D(2026, 1, 14), D(2026, 1, 15)])
    assert [counts[d]["probationary"] for d in (D(2026, 1, 14), D(2026, 1, 15))] == [1, 0]
    # Still one of the admissions of 2025: it was admitted then.
    assert (
        st.statistics_figures(user=carol, organisation=tree.committee, query=_query(2025), today=D(2026, 6, 1))[
            "totals"
        ]["admitted"]
        == 1
    )


# --- Structure -------------------------------------------------------------------------------


def test_it_counts_the_organisations_as_in_the_public_reports(tree, eve) -> None:  # type: ignore[no-untyped-def]
    OrganisationFactory(
        kind=OrganisationKind.VILLAGE_BRANCH, name="Chi bộ đã sáp nhập", parent=tree.commune, valid_to=D(2025, 6, 30)
    )
    figures = st.statistics_figures(user=eve, organisation=tree.province, query=_query(2025), today=D(2025, 12, 1))
    assert {k: v for k, v in figures["structure"].items() if k != "date"} == {
        "commune": 1,
        "grassroots_committee": 2,
        "grassroots_branch": 0,
        "sub_committee": 0,
        "branch": 3,
        "village_branch": 1,  # the merged one ended on 30/06/2025
    }


# --- Plans -----------------------------------------------------------------------------------


def test_it_sets_plans_in_the_edit_scope_only(tree, alice, bob, carol, gina, eve) -> None:  # type: ignore[no-untyped-def]
    # The body above sets a plan: not the branch itself, any committee above it.
    with pytest.raises(services.StepRefused) as refused:
        annual_plan_set(
            acting_user=alice, organisation=tree.branch_a, year=2026, admit=2, awareness_class=3, new_member_class=2
        )
    assert [r.code for r in refused.value.reasons] == ["plan_set_by_body_above"]
    plan = annual_plan_set(
        acting_user=gina, organisation=tree.branch_a, year=2026, admit=2, awareness_class=3, new_member_class=2
    )
    again = annual_plan_set(
        acting_user=carol,
        organisation=tree.branch_a,
        year=2026,
        admit=3,
        awareness_class=4,
        new_member_class=3,
        note=" x ",
    )
    assert again.pk == plan.pk and (again.admit, again.note, again.updated_by) == (3, "x", carol)
    assert again.history.count() == 2  # type: ignore[attr-defined]
    for user, organisation in ((alice, tree.committee), (bob, tree.branch_a), (eve, tree.branch_a)):
        with pytest.raises(PermissionDenied):
            annual_plan_set(
                acting_user=user, organisation=organisation, year=2026, admit=1, awareness_class=0, new_member_class=0
            )
    with pytest.raises(ValidationError):
        annual_plan_set(
            acting_user=carol, organisation=tree.branch_a, year=2026, admit=-1, awareness_class=0, new_member_class=0
        )
    with pytest.raises(ValidationError):
        annual_plan_set(
            acting_user=carol, organisation=tree.branch_a, year=1999, admit=1, awareness_class=0, new_member_class=0
        )
    assert AnnualPlan.objects.count() == 1


def test_it_lists_the_childrens_plans_against_the_parents(year_2026, carol) -> None:  # type: ignore[no-untyped-def]
    table = plan_table(user=carol, organisation=year_2026.committee, year=2026)
    assert (table["parent"]["plan"].admit, table["children_sum"], table["children_admitted"]) == (158, 160, 162)
    rows = {
        row["name"]: (row["plan"].admit, row["effective"], row["admitted"], row["plan_percent"])
        for row in table["children"]
    }
    assert rows == {"Chi bộ A": (100, 100, 100, "100.0"), "Chi bộ B": (60, 60, 62, "103.3")}
    assert table["parent"]["plan_percent"] == "102.5"


# --- Saved reports -----------------------------------------------------------------------------


def test_it_saves_a_report_with_its_baseline(year_2026, carol, eve) -> None:  # type: ignore[no-untyped-def]
    query = _query(2026, baseline="previous_year_end")
    figures = st.statistics_figures(user=carol, organisation=year_2026.committee, query=query, today=D(2026, 12, 31))
    report = st.statistics_report_save(
        acting_user=carol, organisation=year_2026.committee, query=query, figures=figures, now=at(D(2027, 1, 5))
    )
    report = StatisticsReport.objects.get(pk=report.pk)
    assert (report.baseline, report.baseline_date, report.baseline_members) == (
        "previous_year_end",
        D(2025, 12, 31),
        5260,
    )
    assert (report.period_start, report.period_end, report.admitted_by) == (D(2026, 1, 1), D(2026, 12, 31), "ceremony")
    assert report.figures == figures  # JSON round trip: what was computed is what is kept
    assert st.statistics_report_get(user=eve, pk=report.pk) == report
    with pytest.raises(PermissionDenied):
        st.statistics_report_save(
            acting_user=eve, organisation=year_2026.committee, query=query, figures=figures, now=at(D(2027, 1, 5))
        )


def test_it_hides_saved_reports_outside_the_scope(year_2026, carol, bob) -> None:  # type: ignore[no-untyped-def]
    query = _query(2026)
    figures = st.statistics_figures(user=carol, organisation=year_2026.committee, query=query, today=D(2026, 12, 31))
    report = st.statistics_report_save(
        acting_user=carol, organisation=year_2026.committee, query=query, figures=figures, now=at(D(2027, 1, 5))
    )
    with pytest.raises(Http404):
        st.statistics_report_get(user=bob, pk=report.pk)
    assert st.statistics_report_list(user=carol, organisation=year_2026.committee) == [report]
