"""Statistics and plans pages: who sees what, plans edited by those who may, Excel exports that
open with the right headers and numbers, and query counts that do not grow with the data."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from admission.devdata.demo import at
from admission.models import AnnualPlan, Candidate, StageTransition, StatisticsReport
from admission.reporting import statistics as st
from admission.reporting.plans import annual_plan_set
from admission.reporting.query import StatisticsQuery
from admission.reporting.stage_times import stage_times_fill
from members import services as member_services
from members.models import AuditLog, Gender, MemberStatus, Organisation, PartyMember, Person
from members.summaries import organisations_recount
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2026, 11, 20, 9, 0, tzinfo=at(dt.date(2026, 1, 1)).tzinfo)
PERIOD = {"start": "01/01/2026", "end": "31/12/2026", "admitted_by": "ceremony", "baseline": "year_start"}


def _client(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _add(tree, count: int, offset: int = 0) -> None:  # type: ignore[no-untyped-def]
    """`count` old members, `count` admitted in 2026 and `count` candidates with transitions."""
    branches = [tree.branch_a, tree.branch_b]
    people = Person.objects.bulk_create(
        [
            Person(
                organisation=branches[i % 2],
                full_name=f"Người Thử {offset + i}",
                family_name="Người",
                middle_name="Thử",
                given_name=str(offset + i),
                search_key=f"nguoi thu {offset + i}",
                sort_key=f"{offset + i:09d}",
                date_of_birth=dt.date(1980 + i % 25, 1 + i % 12, 1 + i % 28),
                gender=Gender.FEMALE if i % 3 else Gender.MALE,
                ethnicity="Kinh" if i % 4 else "Tày",
            )
            for i in range(3 * count)
        ]
    )
    old, new, candidates = people[:count], people[count : 2 * count], people[2 * count :]
    PartyMember.objects.bulk_create(
        [
            PartyMember(
                person=p,
                organisation_id=p.organisation_id,
                status=MemberStatus.OFFICIAL,
                ceremony_date=dt.date(2010, 1, 1),
                official_date=dt.date(2011, 1, 1),
            )
            for p in old
        ]
        + [
            PartyMember(
                person=p,
                organisation_id=p.organisation_id,
                status=MemberStatus.PROBATIONARY,
                admission_decision_date=dt.date(2026, 3, 1),
                ceremony_date=dt.date(2026, 3, 1 + i % 28),
            )
            for i, p in enumerate(new)
        ]
    )
    # bulk_create bypasses the services, which keep the statistics summary: recount it.
    organisations_recount(organisation_ids=Organisation.objects.values_list("pk", flat=True))
    rows = Candidate.objects.bulk_create(
        [
            Candidate(
                person=p,
                organisation_id=p.organisation_id,
                stage="S10",
                stage_entered_at=at(dt.date(2026, 5, 4)),
                stage_entered_on=dt.date(2026, 5, 4),
                certificate_issue_date=dt.date(2026, 1, 5 + i % 20),
                dossier_start_date=dt.date(2026, 2, 2),
                branch_resolution_date=dt.date(2026, 4, 1 + i % 28),
            )
            for i, p in enumerate(candidates)
        ]
    )
    StageTransition.objects.bulk_create(
        [
            StageTransition(candidate=c, from_stage=a, to_stage=b, at=at(day), on_date=day)
            for c in rows
            for a, b, day in (("S0", "S1", dt.date(2026, 1, 2)), ("S1", "S2", dt.date(2026, 2, 2 + c.pk % 20)))
        ]
    )
    # bulk_create bypasses candidate_transition, which stores the stage visits: recount them.
    stage_times_fill(connection, candidate_ids=[c.pk for c in rows])


@pytest.fixture
def data(tree, carol, gina):  # type: ignore[no-untyped-def]
    _add(tree, 6)
    # The body above sets a plan: G sets C's, C sets its branches'.
    for organisation, admit, user in ((tree.committee, 10, gina), (tree.branch_a, 4, carol), (tree.branch_b, 4, carol)):
        annual_plan_set(
            acting_user=user, organisation=organisation, year=2026, admit=admit, awareness_class=2, new_member_class=2
        )
    return tree


def _urls(tree, report_pk: int) -> list[str]:  # type: ignore[no-untyped-def]
    c = tree.committee.pk
    query = "?" + "&".join(f"{k}={v}" for k, v in PERIOD.items())
    return [
        reverse("statistics_organisation", args=[c]) + query,
        reverse("statistics_people", args=[c]) + query + "&figure=admitted&key=gender:F",
        reverse("statistics_export", args=[c]) + query,
        reverse("statistics_people_export", args=[c]) + query + "&figure=members_end&key=all",
        reverse("statistics_report", args=[report_pk]),
        reverse("plan_list", args=[c]) + "?year=2026",
        reverse("plan_export", args=[c]) + "?year=2026",
    ]


@pytest.fixture
def report(data, carol):  # type: ignore[no-untyped-def]
    query = StatisticsQuery.for_year(2026)
    figures = st.statistics_figures(user=carol, organisation=data.committee, query=query, today=dt.date(2026, 11, 20))
    return st.statistics_report_save(
        acting_user=carol, organisation=data.committee, query=query, figures=figures, now=at(dt.date(2026, 11, 20))
    )


def test_committee_staff_open_every_page(data, carol, report) -> None:  # type: ignore[no-untyped-def]
    client = _client(carol)
    with time_machine.travel(TODAY, tick=False):
        for url in _urls(data, report.pk):
            assert client.get(url).status_code == 200, url
        assert client.get(reverse("statistics_index")).url == reverse(
            "statistics_organisation", args=[data.committee.pk]
        )
        assert client.get(reverse("plan_index")).url == reverse("plan_list", args=[data.committee.pk])


@pytest.mark.parametrize("persona", ["bob", "oscar"])
def test_outsiders_get_404_on_every_statistics_plan_and_export_url(data, report, persona, request) -> None:  # type: ignore[no-untyped-def]
    client = _client(request.getfixturevalue(persona))
    for url in _urls(data, report.pk):
        assert client.get(url).status_code == 404, url
    c = data.committee.pk
    assert client.post(reverse("statistics_report_save", args=[c]), PERIOD).status_code == 404
    assert client.post(reverse("plan_list", args=[c]) + "?year=2026", {}).status_code == 404
    assert StatisticsReport.objects.count() == 1


def test_someone_without_a_role_sees_no_organisation_to_choose(oscar) -> None:  # type: ignore[no-untyped-def]
    response = _client(oscar).get(reverse("statistics_index"))
    assert response.status_code == 200
    assert "Tài khoản chưa được giao tổ chức nào" in response.content.decode()


def test_the_auditor_reads_but_cannot_edit_plans_or_save_reports(data, eve, report) -> None:  # type: ignore[no-untyped-def]
    client = _client(eve)
    with time_machine.travel(TODAY, tick=False):
        for url in _urls(data, report.pk):
            assert client.get(url).status_code == 200, url
        page = client.get(reverse("plan_list", args=[data.committee.pk]) + "?year=2026").content.decode()
        statistics_page = client.get(reverse("statistics_organisation", args=[data.committee.pk])).content.decode()
    assert 'id="plans-save"' not in page and 'name="plan-0-admit"' not in page
    assert 'id="save-report"' not in statistics_page
    c = data.committee.pk
    form = {
        "year": "2026",
        "plan-TOTAL_FORMS": "1",
        "plan-INITIAL_FORMS": "1",
        "plan-0-organisation": str(c),
        "plan-0-admit": "99",
    }
    assert client.post(reverse("plan_list", args=[c]), form).status_code == 403
    assert client.post(reverse("statistics_report_save", args=[c]), PERIOD).status_code == 403
    assert AnnualPlan.objects.get(organisation_id=c, year=2026).admit == 10


def test_committee_staff_set_the_plans_of_their_branches_and_the_body_above_theirs(data, carol, gina) -> None:  # type: ignore[no-untyped-def]
    url = reverse("plan_list", args=[data.committee.pk]) + "?year=2027"
    page = _client(carol).get(url).content.decode()
    assert page.count('name="plan-') >= 2 * 5 + 4  # its two branches (and the management form)
    assert 'name="plan-2-admit"' not in page  # not the committee's own row
    assert 'id="plans-authority"' in page and "do cấp ủy cấp trên giao" in page  # C's own row: read-only
    page = _client(gina).get(url).content.decode()
    assert page.count('name="plan-') >= 3 * 5  # G, above C, sets the committee's and its branches'
    client = _client(gina)
    rows = [data.committee, data.branch_a, data.branch_b]
    form = {
        "year": "2027",
        "plan-TOTAL_FORMS": "3",
        "plan-INITIAL_FORMS": "3",
        "plan-MIN_NUM_FORMS": "0",
        "plan-MAX_NUM_FORMS": "1000",
    }
    for i, (organisation, admit) in enumerate(zip(rows, (12, 7, 5), strict=True)):
        form |= {
            f"plan-{i}-organisation": str(organisation.pk),
            f"plan-{i}-admit": str(admit),
            f"plan-{i}-awareness_class": "3",
            f"plan-{i}-new_member_class": "",
            f"plan-{i}-note": "",
        }
    response = client.post(url, form)
    assert response.status_code == 302
    plans = dict(AnnualPlan.objects.filter(year=2027).values_list("organisation_id", "admit"))
    assert plans == {data.committee.pk: 12, data.branch_a.pk: 7, data.branch_b.pk: 5}
    page = client.get(url).content.decode()
    assert 'id="plan-mismatch"' not in page  # 12 = 7 + 5
    assert "12" in page


def test_an_error_in_a_column_hidden_on_small_screens_is_told_beside_the_name(data, gina) -> None:  # type: ignore[no-untyped-def]
    """A note over 200 characters was refused with no message (only `admit` showed its errors, and the
    note's column is hidden below large screens): the row's name cell now says what is wrong."""
    url = reverse("plan_list", args=[data.committee.pk]) + "?year=2027"
    form = {
        "year": "2027",
        "plan-TOTAL_FORMS": "1",
        "plan-INITIAL_FORMS": "1",
        "plan-MIN_NUM_FORMS": "0",
        "plan-MAX_NUM_FORMS": "1000",
        "plan-0-organisation": str(data.branch_a.pk),
        "plan-0-admit": "7",
        "plan-0-awareness_class": "3",
        "plan-0-new_member_class": "",
        "plan-0-note": "x" * 300,
    }

    response = _client(gina).post(url, form)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="text-danger small plan-field-error"' in page
    assert "tối đa 200 kí tự" in page
    assert not AnnualPlan.objects.filter(year=2027).exists()


def test_the_page_shows_the_figures_with_the_decimal_comma_and_links_to_the_people(data, carol) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(TODAY, tick=False):
        page = _client(carol).get(reverse("statistics_organisation", args=[data.committee.pk]), PERIOD).content.decode()
    # 6 admitted against a plan of 10; 6 members at the start of 2026 (the introducers are not here).
    assert "60,0 %" in page and "100,00 %" in page
    assert re.search(r'id="stat-admitted"><a href="[^"]*figure=admitted[^"]*">6</a>', page)
    # Charts: data in a JSON block, Chart.js and our code as files with the nonce, nothing inline.
    assert '<script id="chart-data" type="application/json">' in page
    assert re.search(r'<script src="/static/vendor/chartjs/chart.umd.min.js" nonce="[^"]+"></script>', page)
    assert re.search(r'<script src="/static/js/statistics_charts.js" nonce="[^"]+"></script>', page)
    assert not re.search(r"<script(?![^>]*(src=|application/json))[^>]*>", page)
    assert "style=" not in page


def test_a_period_ending_before_it_starts_is_refused(data, carol) -> None:  # type: ignore[no-untyped-def]
    response = _client(carol).get(
        reverse("statistics_organisation", args=[data.committee.pk]),
        {**PERIOD, "start": "01/12/2026", "end": "01/01/2026"},
    )
    assert response.status_code == 200
    assert "Ngày kết thúc phải sau ngày bắt đầu." in response.content.decode()


def test_the_people_behind_a_figure_are_listed_in_vietnamese_order(tree, carol) -> None:  # type: ignore[no-untyped-def]
    for name in ("Trần Văn Bình", "Nguyễn Thị An", "Lê Văn Ánh"):
        MemberFactory(
            person=PersonFactory(organisation=tree.branch_a, full_name=name),
            status=MemberStatus.PROBATIONARY,
            admission_decision_date=dt.date(2026, 2, 1),
            ceremony_date=dt.date(2026, 2, 10),
            official_date=None,
        )
    url = reverse("statistics_people", args=[tree.committee.pk])
    page = _client(carol).get(url, {**PERIOD, "figure": "admitted", "key": ""}).content.decode()
    assert page.index("Nguyễn Thị An") < page.index("Lê Văn Ánh") < page.index("Trần Văn Bình")
    assert "10/02/2026" in page
    assert _client(carol).get(url, {**PERIOD, "figure": "nothing", "key": ""}).status_code == 404


def test_the_statistics_export_opens_with_vietnamese_headers_and_the_right_numbers(data, carol) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(TODAY, tick=False):
        response = _client(carol).get(reverse("statistics_export", args=[data.committee.pk]), PERIOD)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:3] == ["Số liệu", "Theo đơn vị", "Cơ cấu kết nạp"]
    summary = book["Số liệu"]
    assert [c.value for c in summary[1]] == ["Chỉ tiêu thống kê", "Giá trị"]
    assert summary["A1"].font.bold and summary.freeze_panes == "A2"
    values = {row[0].value: row[1] for row in summary.iter_rows(min_row=2)}
    assert values["Số kết nạp"].value == 6 and values["Chỉ tiêu kết nạp"].value == 10
    assert values["Tỷ lệ so với chỉ tiêu"].value == pytest.approx(0.6)
    assert values["Tỷ lệ so với chỉ tiêu"].number_format == "0.0%"
    assert values["Tỷ lệ kết nạp so với số đảng viên làm mốc"].number_format == "0.00%"
    assert values["Từ ngày"].value == dt.datetime(2026, 1, 1) and values["Từ ngày"].number_format == "DD/MM/YYYY"
    children = book["Theo đơn vị"]
    assert [c.value for c in children[1]][:5] == [
        "Đơn vị trực thuộc",
        "Cấp",
        "Chỉ tiêu",
        "Đã kết nạp",
        "Tỷ lệ so với chỉ tiêu",
    ]
    assert {row[0].value: (row[2].value, row[3].value) for row in children.iter_rows(min_row=2)} == {
        "Chi bộ A": (4, 3),
        "Chi bộ B": (4, 3),
    }
    assert children.column_dimensions["A"].width == 40
    assert AuditLog.objects.filter(user=carol, action=AuditLog.Action.EXPORT).count() == 1


def test_the_people_export_lists_names_and_dates(data, carol) -> None:  # type: ignore[no-untyped-def]
    response = _client(carol).get(
        reverse("statistics_people_export", args=[data.committee.pk]), {**PERIOD, "figure": "admitted", "key": ""}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["STT", "Họ và tên", "Ngày sinh"] and "Ngày vào Đảng" in headers
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 6 and rows[0][0] == 1
    assert sheet.cell(row=2, column=3).number_format == "DD/MM/YYYY"
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, detail__contains="Danh sách người").exists()


def test_the_plans_export_sets_the_parent_against_its_children(data, carol) -> None:  # type: ignore[no-untyped-def]
    response = _client(carol).get(reverse("plan_export", args=[data.committee.pk]), {"year": "2026"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:5] == [
        "Tổ chức",
        "Năm",
        "Chỉ tiêu kết nạp",
        "Chỉ tiêu áp dụng (tổng hợp cấp dưới)",
        "Đã kết nạp",
    ]
    assert [(r[0], r[2], r[4]) for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        ("Đảng bộ Sở Thử nghiệm", 10, 6),
        ("Chi bộ A", 4, 3),
        ("Chi bộ B", 4, 3),
    ]


def test_saving_a_report_keeps_its_baseline(data, carol) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(TODAY, tick=False):
        response = _client(carol).post(
            reverse("statistics_report_save", args=[data.committee.pk]), {**PERIOD, "baseline": "previous_year_end"}
        )
    saved = StatisticsReport.objects.get()
    assert response.url == reverse("statistics_report", args=[saved.pk])
    assert (saved.baseline, saved.baseline_date, saved.baseline_members) == (
        "previous_year_end",
        dt.date(2025, 12, 31),
        6,
    )
    page = _client(carol).get(response.url).content.decode()
    assert "Báo cáo thống kê đã lưu" in page and "figure=" not in page  # no links: a saved report is frozen


# Queries of the statistics page, whatever the data size (the session comes from the cache:
# SESSION_ENGINE cached_db, config/settings):
#  1 the user with their roles (scope) and unread notifications (the menu) in one statement
#    (admission.backends), 2 the organisation (organisation_get),
#  3 the subtree's organisations, 4 calendar overrides, rule overrides and plans (one UNION ALL),
#  5 members per organisation (baseline, end, trend starts and admissions, admitted, recognised),
#  6 breakdowns, 7 candidates: removals, funnel and the four deadlines, with the life-cycle
#    outcomes (not admitted, annulled, withdrawn, from the transitions; transfers in and out)
#    folded into the same UNION ALL (still one statement),
#  8 time in stage, 9 saved reports.
PAGE_QUERIES = 9
# A root without a parent asks once more whether it holds every organisation (Subtree.holds_everything:
# then the breakdowns and deadlines read whole tables).
ROOT_PAGE_QUERIES = PAGE_QUERIES + 1


@pytest.mark.parametrize(
    ("login", "root", "queries"),
    [("carol", "committee", PAGE_QUERIES), ("eve", "province", ROOT_PAGE_QUERIES)],
    ids=["committee", "province root"],
)
def test_the_statistics_page_costs_the_same_queries_for_small_and_larger_data(
    data, request, django_assert_num_queries, settings, login, root, queries
) -> None:  # type: ignore[no-untyped-def]
    settings.STATISTICS_CACHE_SECONDS = 0  # the computation itself, every time
    client = _client(request.getfixturevalue(login))
    url = reverse("statistics_organisation", args=[getattr(data, root).pk])
    with time_machine.travel(TODAY, tick=False):
        client.get(url, PERIOD)  # warm the session
        with django_assert_num_queries(queries):
            small = client.get(url, PERIOD)
        _add(data, 120, offset=1000)
        with django_assert_num_queries(queries):
            larger = client.get(url, PERIOD)
    assert small.status_code == larger.status_code == 200
    assert 'id="stat-admitted"><a href="/' in larger.content.decode()


def test_the_people_list_and_plans_page_cost_the_same_queries_for_more_data(data, carol) -> None:  # type: ignore[no-untyped-def]
    client = _client(carol)
    people = reverse("statistics_people", args=[data.committee.pk])
    plans = reverse("plan_list", args=[data.committee.pk])
    counts = []
    for extra in (0, 150):
        _add(data, extra, offset=5000)
        with time_machine.travel(TODAY, tick=False):
            with CaptureQueriesContext(connection) as listed:
                assert client.get(people, {**PERIOD, "figure": "admitted", "key": "gender:F"}).status_code == 200
            with CaptureQueriesContext(connection) as planned:
                assert client.get(plans, {"year": "2026"}).status_code == 200
        counts.append((len(listed.captured_queries), len(planned.captured_queries)))
    assert counts[0] == counts[1]


def test_a_report_saved_by_the_system_shows_without_an_author(data, carol, report) -> None:  # type: ignore[no-untyped-def]
    StatisticsReport.objects.filter(pk=report.pk).update(created_by=None)
    page = _client(carol).get(reverse("statistics_report", args=[report.pk])).content.decode()
    assert "bởi —" in page
    listing = _client(carol).get(reverse("statistics_organisation", args=[data.committee.pk]), PERIOD)
    assert listing.status_code == 200 and 'id="reports-table"' in listing.content.decode()


def test_a_report_without_figures_shows_its_period_and_baseline(data, carol) -> None:  # type: ignore[no-untyped-def]
    report = StatisticsReport.objects.create(
        organisation=data.committee,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        baseline_date=dt.date(2025, 1, 1),
        baseline_members=46,
        created_at=at(dt.date(2026, 1, 5)),
    )
    page = _client(carol).get(reverse("statistics_report", args=[report.pk])).content.decode()
    assert 'id="report-summary"' in page and "46 đảng viên" in page and 'id="chart-data"' not in page


# A view served from the cache (admission/statistics_cache.py): the user with roles and unread
# notifications (admission.backends), organisation, saved reports (the session from the cache
# too); none of the figures' statements.
CACHED_PAGE_QUERIES = 3


def test_the_figures_come_from_the_cache_until_something_below_changes(data, carol, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = _client(carol)
    url = reverse("statistics_organisation", args=[data.committee.pk])
    with time_machine.travel(TODAY, tick=False):
        first = client.get(url, PERIOD).content.decode()
        with django_assert_num_queries(CACHED_PAGE_QUERIES):
            again = client.get(url, PERIOD).content.decode()
        assert _admitted(again) == _admitted(first)
        assert "Số liệu tính lúc 09:00 20/11/2026" in again  # local time of TODAY
        member_services.member_create(  # the write path of the ceremony step
            acting_user=None,
            person=PersonFactory(organisation=data.branch_a),
            status=MemberStatus.PROBATIONARY,
            admission_decision_date=dt.date(2026, 9, 15),
            ceremony_date=dt.date(2026, 10, 1),
        )
        after = client.get(url, PERIOD).content.decode()
    assert _admitted(after) == _admitted(first) + 1


def test_recompute_drops_the_cached_figures_and_keeps_the_period(data, carol, settings) -> None:  # type: ignore[no-untyped-def]
    client = _client(carol)
    url = reverse("statistics_organisation", args=[data.committee.pk])
    with time_machine.travel(TODAY, tick=False):
        first = client.get(url, PERIOD).content.decode()
        # A write outside the services (a raw UPDATE): the cache cannot know of it.
        PartyMember.objects.filter(organisation=data.branch_a, ceremony_date__year=2026).update(
            admission_decision_date=dt.date(2025, 5, 1), ceremony_date=dt.date(2025, 6, 1)
        )
        assert _admitted(client.get(url, PERIOD).content.decode()) == _admitted(first)
        response = client.post(reverse("statistics_recompute", args=[data.committee.pk]), PERIOD)
        assert response.status_code == 302
        assert response["Location"].startswith(url + "?start=01%2F01%2F2026&end=31%2F12%2F2026")
        fresh = client.get(response["Location"]).content.decode()
    assert _admitted(fresh) < _admitted(first)


@pytest.mark.parametrize("persona", ["bob", "oscar"])
def test_outsiders_cannot_recompute(data, persona, request) -> None:  # type: ignore[no-untyped-def]
    client = _client(request.getfixturevalue(persona))
    assert client.post(reverse("statistics_recompute", args=[data.committee.pk]), PERIOD).status_code == 404


def _admitted(html: str) -> int:
    return int(re.search(r'id="stat-admitted"><a href="[^"]*">(\d+)<', html).group(1))


def test_the_cached_figures_are_rendered_in_each_users_language(data, carol, gina) -> None:  # type: ignore[no-untyped-def]
    """The HTML of the figures is cached per language: a Vietnamese view first does not give an
    English reader of the same page Vietnamese labels, nor the other way round."""
    gina.preferred_language = "en"
    gina.save()
    url = reverse("statistics_organisation", args=[data.committee.pk])  # Gina's subtree contains it
    with time_machine.travel(TODAY, tick=False):
        vietnamese = _client(carol).get(url, PERIOD).content.decode()
        english = _client(gina).get(url, PERIOD).content.decode()
        vietnamese_again = _client(carol).get(url, PERIOD).content.decode()
    label_vi, label_en = "Công nhận đảng viên chính thức", "Recognition as official member"
    assert label_vi in vietnamese and label_en not in vietnamese
    assert label_en in english and label_vi not in english
    assert label_vi in vietnamese_again
    assert _admitted(english) == _admitted(vietnamese) == _admitted(vietnamese_again)


def test_the_page_shows_the_outcomes_with_links_to_their_people_and_exports_them(tree, alice, eve, introducers) -> None:  # type: ignore[no-untyped-def]
    from admission import services
    from admission.devdata.demo import walk_to

    start = dt.date(2026, 1, 5)
    dropped = services.candidate_create(
        acting_user=alice, person=PersonFactory(organisation=tree.branch_a, full_name="Đỗ Văn Đưa"), now=at(start)
    )
    dropped = walk_to(dropped, "S2", user=alice, introducers=introducers, start=start)
    services.candidate_step(
        acting_user=alice, candidate=dropped, step_key="drop",
        data=services.StepInput(on_date=dt.date(2026, 6, 1), note="Không còn đủ điều kiện"), now=at(dt.date(2026, 6, 1)),
    )  # fmt: skip
    moved = services.candidate_create(
        acting_user=alice, person=PersonFactory(organisation=tree.branch_a, full_name="Ngô Thị Về"), now=at(start)
    )
    moved = walk_to(moved, "S4", user=alice, introducers=introducers, start=start)
    services.candidate_transfer(
        acting_user=alice, candidate=moved, to_branch=tree.village, on_date=dt.date(2026, 6, 2),
        note="Chuyển về nơi cư trú", now=at(dt.date(2026, 6, 2)),
    )  # fmt: skip
    client = _client(eve)
    with time_machine.travel(TODAY, tick=False):
        page = client.get(reverse("statistics_organisation", args=[tree.committee.pk]), PERIOD).content.decode()
        export = client.get(reverse("statistics_export", args=[tree.committee.pk]), PERIOD)
    assert 'id="outcomes"' in page and "Diễn biến trong kỳ" in page
    counts = dict(re.findall(r'id="outcome-(\w+)">.*?data-count="(\d+)"', page, re.S))
    assert counts == {"rejected": "0", "annulled": "0", "withdrawn": "1", "transfers_in": "0", "transfers_out": "1"}
    for figure, name, day in (("withdrawn", "Đỗ Văn Đưa", "01/06/2026"), ("transfers_out", "Ngô Thị Về", "02/06/2026")):
        link = re.search(rf'id="outcome-{figure}">.*?<a href="([^"]+)">1</a>', page, re.S)
        assert link is not None and f"figure={figure}" in link.group(1)
        people = client.get(link.group(1).replace("&amp;", "&")).content.decode()
        assert name in people and day in people
    values = {row[0].value: row[1].value for row in load_workbook(io.BytesIO(export.content))["Số liệu"].iter_rows()}
    assert values["Rút hoặc đưa ra khỏi danh sách"] == 1 and values["Chuyển sinh hoạt đi"] == 1
    assert values["Không kết nạp"] == 0 and values["Chuyển sinh hoạt đến"] == 0
