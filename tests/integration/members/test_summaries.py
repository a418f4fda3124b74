"""The member summary of the statistics (members.summaries): kept by the services in their
transactions, equal to a rebuild from the register after a seeded random sequence of steps,
corrections, undos, transfers and removals, and read back as the register's own counts."""

import datetime as dt
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, StageTransition
from admission.reporting.query import AdmittedBy, StatisticsQuery
from admission.reporting.statistics import _member_groups, _recognised_q, _with_recognised_on, member_on_q
from admission.reporting.subtree import Subtree
from members import services as member_services
from members.models import MemberCount, MemberStatus, PartyMember
from members.summaries import COLUMNS, members_rebuild
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
TARGETS = ["S5", "S11", "S12", "S13", "S14", "S15", "S16", "S17"]
REFUSED = (services.StepRefused, ValidationError, PermissionDenied)


def _rows() -> dict[tuple[int, bool, int, dt.date], tuple[int, ...]]:
    """Every summary row that counts something (a recount may leave rows of zeros behind)."""
    return {
        (org, own, level, bucket): tuple(values)
        for org, own, level, bucket, *values in MemberCount.objects.values_list(
            "organisation_id", "own", "level", "bucket", *COLUMNS
        )
        if any(values)
    }


def _random_acts(tree, alice, carol, introducers, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    candidates = []
    for number in range(7):
        branch = rng.choice([tree.branch_a, tree.branch_b])
        person = PersonFactory(organisation=branch, full_name=f"Người Thứ {number}", date_of_birth=dt.date(1995, 1, 1))
        start = START + dt.timedelta(days=rng.randrange(0, 40))
        candidate = services.candidate_create(acting_user=None, person=person, now=at(start))
        candidates.append(walk_to(candidate, rng.choice(TARGETS), user=None, introducers=introducers, start=start))
    for _ in range(14):
        candidate = Candidate.objects.get(pk=rng.choice(candidates).pk)
        act = rng.choice(["undo", "correct", "transfer", "remove", "undo"])
        try:
            if act == "undo":
                services.step_undo(acting_user=None, candidate=candidate, reason_text="Ghi nhầm")
            elif act == "correct":
                done = StageTransition.objects.filter(candidate=candidate, step_key__in=["ceremony", "decision"])
                transition = done.order_by("?").first()
                if transition is not None:
                    services.step_correct(
                        acting_user=carol,
                        transition=transition,
                        reason_text="Sửa ngày",
                        on_date=transition.on_date - dt.timedelta(days=rng.randrange(1, 5)),
                    )
            elif act == "transfer":
                other = tree.branch_b if candidate.organisation_id == tree.branch_a.pk else tree.branch_a
                services.candidate_transfer(
                    acting_user=None,
                    candidate=candidate,
                    to_branch=other,
                    on_date=candidate.stage_entered_on + dt.timedelta(days=1),
                    note="Chuyển công tác",
                    now=at(candidate.stage_entered_on + dt.timedelta(days=2)),
                )
            elif candidate.member_id is not None:
                member = PartyMember.objects.get(pk=candidate.member_id)
                if member.status == MemberStatus.PROBATIONARY:
                    member_services.member_remove(
                        acting_user=None, member=member, removed_on=member.ceremony_date + dt.timedelta(days=40)
                    )
        except REFUSED:
            continue


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_it_equals_a_rebuild_after_random_acts_and_corrections(tree, alice, carol, introducers, seed) -> None:  # type: ignore[no-untyped-def]
    _random_acts(tree, alice, carol, introducers, seed)
    incremental = _rows()
    assert incremental, "the acts recorded members"
    members_rebuild()  # set-based on PostgreSQL
    assert _rows() == incremental
    members_rebuild(set_based=False)  # the Python twin (SQLite)
    assert _rows() == incremental


def test_the_rebuild_command_recomputes_rows_written_around_the_services(tree, introducers) -> None:  # type: ignore[no-untyped-def]
    kept = _rows()
    MemberCount.objects.filter(own=False).delete()  # as if the summary were lost
    call_command("rebuild_statistics", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    assert _rows() == kept


@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize("admitted_by", list(AdmittedBy))
def test_the_page_counts_from_the_summary_equal_the_register(
    tree, alice, carol, introducers, seed, admitted_by
) -> None:  # type: ignore[no-untyped-def]
    _random_acts(tree, alice, carol, introducers, seed)
    for year in (2025, 2026):
        query = StatisticsQuery(start=dt.date(year, 3, 1), end=dt.date(year, 11, 30), admitted_by=admitted_by)
        for root in (tree.province, tree.committee, tree.branch_a):
            subtree = Subtree.load(root)
            groups = _member_groups(subtree, query)
            for child in [None, *subtree.child_ids]:
                if child is None:
                    members = PartyMember.objects.filter(organisation=root)
                else:
                    members = PartyMember.objects.filter(organisation__path__startswith=subtree.rows[child].path)
                found = groups.get(child, {})
                field = query.admitted_field
                expected = {
                    "base_official": members.filter(member_on_q(query.baseline_day, "official")).count(),
                    "base_probationary": members.filter(member_on_q(query.baseline_day, "probationary")).count(),
                    "end_official": members.filter(member_on_q(query.end, "official")).count(),
                    "end_probationary": members.filter(member_on_q(query.end, "probationary")).count(),
                    "admitted": members.filter(**{f"{field}__range": (query.start, query.end)}).count(),
                    "recognised": _with_recognised_on(members, query).filter(_recognised_q(query)).count(),
                    **{
                        f"start_{y}": members.filter(member_on_q(dt.date(y, 1, 1), "all")).count()
                        for y in query.trend_years
                    },
                }
                assert {key: found.get(key, 0) for key in expected} == expected, (root.name, child)
