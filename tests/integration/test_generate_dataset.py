"""generate_dataset: the tiny preset gives a consistent tree, members and candidates."""

import datetime as dt
import io
import unicodedata
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from admission import dates as date_rules
from admission import reminders, schedule, services
from admission.domain.periods import add_months
from admission.domain.reminders import next_occurrence
from admission.domain.stages import Stage, can_transition
from admission.models import Candidate, StageTransition, Vote
from admission.rulebook import calendar_for, rulebook_for
from admission.workflow import STEPS
from members import names
from members import services as member_services
from members.cccd import cccd_errors, cccd_prefix
from members.models import ALLOWED_PARENTS, BRANCH_KINDS, MemberStatus, Organisation, PartyMember, Person, User
from members.selectors import organisation_authority

TODAY = dt.date(2026, 3, 10)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime.combine(TODAY, dt.time(schedule.REMINDER_HOUR), tzinfo=TZ)
# The pipeline's dates in the order they happen.
ORDERED_DATES = (
    "sympathiser_date",
    "class_proposed_date",
    "certificate_issue_date",
    "dossier_start_date",
    "application_date",
    "introduction_date",
    "verification_completed_date",
    "comments_completed_date",
    "branch_resolution_date",
    "appraisal_date",
    "grassroots_resolution_date",
    "decision_date",
    "decision_received_date",
    "ceremony_date",
    "records_completed_date",
    "official_date",
    "recognition_dossier_date",
    "recognition_branch_date",
    "recognition_decision_date",
)


def _new_member(organisation: Organisation) -> PartyMember:
    """A member recorded through the services (serial 000000 is not among the tiny preset's)."""
    born = dt.date(1990, 5, 1)
    person = member_services.person_create(
        acting_user=None,
        organisation=organisation,
        full_name="Lê Văn Mới",
        date_of_birth=born,
        gender="M",
        cccd=cccd_prefix(province_code="001", gender="M", date_of_birth=born) + "000000",
    )
    return member_services.member_create(
        acting_user=None,
        person=person,
        status=MemberStatus.OFFICIAL,
        admission_decision_date=dt.date(2015, 1, 5),
        ceremony_date=dt.date(2015, 2, 3),
        official_date=dt.date(2016, 2, 3),
    )


def _generate(*extra: str) -> str:
    out = io.StringIO()
    call_command(
        "generate_dataset", "--preset", "tiny", "--today", TODAY.isoformat(), "--seed", "7", *extra, stdout=out
    )
    return out.getvalue()


@pytest.fixture
def dataset(db) -> str:
    return _generate()


def _step_date_field(source: str, target: str) -> str | None:
    """The candidate field the workflow step from `source` to `target` records (workflow.STEPS)."""
    steps = [s for s in STEPS if Stage(source) in s.from_stages and s.kind != "back" and s.target is not None]
    step = next(s for s in steps if (s.key == "remove") == (target == Stage.SX))
    return step.date_field


def test_it_builds_a_tree_where_every_branch_has_a_deciding_committee(dataset) -> None:
    organisations = {o.pk: o for o in Organisation.objects.all()}
    kinds = Counter(o.kind for o in organisations.values())

    assert set(kinds) == set(ALLOWED_PARENTS)  # every level, sub-committees included
    assert any(o.delegated_to_admit for o in organisations.values())
    for org in organisations.values():
        parent = organisations.get(org.parent_id) if org.parent_id else None
        assert (parent.kind if parent else None) in ALLOWED_PARENTS[org.kind]
        assert org.path == f"{parent.path if parent else '/'}{org.pk}/"
        assert org.depth == (parent.depth + 1 if parent else 0)
        if org.kind in BRANCH_KINDS:
            authority = organisation_authority(organisation=org)
            assert authority.decider.id in org.ancestor_ids()
    assert "bench.p19.bithu" in dataset


def test_it_gives_every_candidate_a_history_that_ends_at_its_stage(dataset) -> None:
    candidates = list(Candidate.objects.select_related("organisation", "member"))
    transitions: dict[int, list[StageTransition]] = {}
    for transition in StageTransition.objects.order_by("at", "pk"):
        transitions.setdefault(transition.candidate_id, []).append(transition)
    calendar = calendar_for(candidates[0].organisation)
    rulebook = rulebook_for(candidates[0].organisation)

    assert {c.stage for c in candidates} >= {s.value for s in Stage if s not in (Stage.SY, Stage.SZ)}
    for candidate in candidates:
        history = transitions.get(candidate.pk, [])
        stages = [Stage.S0.value] + [t.to_stage for t in history]
        assert stages[-1] == candidate.stage
        assert all(t.from_stage == stages[i] for i, t in enumerate(history))
        assert all(can_transition(Stage(t.from_stage), Stage(t.to_stage)) for t in history)
        days = [t.on_date for t in history]
        assert days == sorted(days) and len(set(days)) == len(days) and all(d <= TODAY for d in days)
        assert all(t.at.astimezone(TZ).date() == t.on_date for t in history)
        if history:
            assert candidate.stage_transition_id == history[-1].pk
            assert candidate.stage_entered_on == history[-1].on_date
        for t in history:
            field = _step_date_field(t.from_stage, t.to_stage)
            if field:
                assert getattr(candidate, field) == t.on_date, (candidate.stage, field)
        recorded = [getattr(candidate, name) for name in ORDERED_DATES if getattr(candidate, name)]
        assert recorded == sorted(recorded)
        # The deadline and the next reminder as the transition service computes them.
        stage = candidate.stage_enum
        deadline = date_rules.stage_deadline(
            stage,
            date_rules.candidate_dates(
                candidate, calendar=calendar, rulebook=rulebook, only=date_rules.stage_deadline_names(stage)
            ),
        )
        assert candidate.next_due_on == (deadline.day if deadline else None)
        plan = schedule.reminder_plan(candidate, calendar=calendar, rulebook=rulebook)
        if plan is None:
            assert candidate.next_reminder_at is None
        else:
            occurrence = next_occurrence(plan.target, plan.leads, today=TODAY)
            reminder_at = candidate.next_reminder_at
            assert candidate.reminder_sequence == occurrence.sequence
            assert reminder_at is not None and reminder_at >= NOW
            assert reminder_at.astimezone(TZ).date() == occurrence.day
        # From the ceremony on, the candidate is a member, as the real cascade makes them.
        if candidate.ceremony_date:
            member = candidate.member
            assert member is not None and member.person_id == candidate.person_id
            assert member.ceremony_date == candidate.ceremony_date
            assert member.admission_decision_date == candidate.decision_date
            expected = {Stage.S17: MemberStatus.OFFICIAL, Stage.SX: MemberStatus.REMOVED}
            assert member.status == expected.get(stage, MemberStatus.PROBATIONARY)
            if stage == Stage.S17:
                assert member.official_date == candidate.official_date == add_months(member.ceremony_date, 12)
        else:
            assert candidate.member_id is None
    for vote in Vote.objects.all():
        assert vote.required <= vote.yes <= vote.denominator and vote.yes + vote.no + vote.abstain <= vote.denominator
        assert vote.passed and vote.denominator == vote.summoned - vote.excluded


def test_it_gives_members_ordered_dates(dataset) -> None:
    members = list(PartyMember.objects.select_related("person"))
    statuses = Counter(m.status for m in members)

    assert statuses[MemberStatus.OFFICIAL] > 0.7 * len(members)
    assert statuses[MemberStatus.PROBATIONARY] and statuses[MemberStatus.REMOVED] and statuses[MemberStatus.LEFT]
    for m in members:
        decision, ceremony, official, left = m.admission_decision_date, m.ceremony_date, m.official_date, m.left_date
        assert decision is not None and ceremony is not None
        assert decision <= ceremony <= TODAY
        assert m.organisation_id == m.person.organisation_id
        assert add_months(m.person.date_of_birth, 18 * 12) <= decision
        if official is not None:
            assert official == add_months(ceremony, 12) <= TODAY
        if m.status == MemberStatus.OFFICIAL:
            assert official is not None and left is None
        elif m.status == MemberStatus.PROBATIONARY:
            assert official is None and left is None
        else:
            assert left is not None and ceremony < left <= TODAY
            assert official is None or official < left


def test_it_gives_people_valid_unique_identifiers_and_derived_names(dataset) -> None:
    people = list(Person.objects.all())

    assert len({p.cccd for p in people}) == len(people)
    for p in people:
        assert p.cccd is not None
        assert cccd_errors(p.cccd, gender=p.gender, date_of_birth=p.date_of_birth) == []
        assert p.full_name == unicodedata.normalize("NFC", p.full_name) == names.normalize_name(p.full_name)
        assert (p.family_name, p.middle_name, p.given_name) == names.split_name(p.full_name)
        assert p.search_key == names.search_key(p.full_name)
        assert p.sort_key == names.sort_key(p.family_name, p.middle_name, p.given_name)
    open_candidacies = Counter(
        Candidate.objects.exclude(stage__in=[Stage.S17, Stage.SX]).values_list("person_id", flat=True)
    )
    assert max(open_candidacies.values()) == 1
    assert not Candidate.objects.filter(person__membership__isnull=False, member__isnull=True).exists()


def test_it_leaves_the_sequences_after_the_rows_it_wrote(dataset) -> None:
    highest_organisation = Organisation.objects.order_by("-pk").values_list("pk", flat=True)[0]
    highest_member = PartyMember.objects.order_by("-pk").values_list("pk", flat=True)[0]

    committee = Organisation.objects.filter(kind="grassroots_committee").first()
    organisation = member_services.organisation_create(
        acting_user=None, kind="branch", name="Chi bộ mới", code="NEW-1", parent=committee
    )
    member = _new_member(organisation)

    assert organisation.pk > highest_organisation
    assert member.pk > highest_member


def test_its_reminders_are_picked_up_by_the_real_sweep(dataset) -> None:
    due = Candidate.objects.filter(next_reminder_at__lte=NOW + dt.timedelta(days=7)).count()

    result = reminders.sweep(now=NOW + dt.timedelta(days=7))

    assert due > 0
    assert result["reminders"] >= due


def test_it_creates_benchmark_logins_with_roles(dataset) -> None:
    users = {u.username: u for u in User.objects.prefetch_related("roles")}

    assert set(users) == {f"bench.p19.{s}" for s in ("tinh", "xa", "coso", "bithu", "kiemtra")}
    assert all(u.check_password("bench-2026!") for u in users.values())
    secretary_branch = users["bench.p19.bithu"].roles.get().organisation
    assert Candidate.objects.filter(organisation=secretary_branch).count() >= 20


@pytest.mark.parametrize(
    ("stage", "act"),
    [
        (
            "S8A",
            lambda c: services.candidate_step(
                acting_user=None, candidate=c, step_key="appraisal", data=services.StepInput(on_date=TODAY), now=NOW
            ),
        ),
        (
            "S9",
            lambda c: services.candidate_vote(
                acting_user=None,
                candidate=c,
                step_key="grassroots_vote",
                held_on=TODAY,
                summoned=9,
                excluded=0,
                yes=8,
                no=1,
                abstain=0,
                form="secret",
                now=NOW,
            ),
        ),
        (
            "S10",
            lambda c: services.candidate_step(
                acting_user=None,
                candidate=c,
                step_key="decision",
                data=services.StepInput(on_date=TODAY, decision_received_date=TODAY),
                now=NOW,
            ),
        ),
        (
            "S11",
            lambda c: services.candidate_step(
                acting_user=None, candidate=c, step_key="ceremony", data=services.StepInput(on_date=TODAY), now=NOW
            ),
        ),
        (
            "S12",
            lambda c: services.candidate_step(
                acting_user=None, candidate=c, step_key="records", data=services.StepInput(on_date=TODAY), now=NOW
            ),
        ),
        (
            "S16",
            lambda c: services.candidate_step(
                acting_user=None,
                candidate=c,
                step_key="recognition_decision",
                data=services.StepInput(on_date=TODAY),
                now=NOW,
            ),
        ),
    ],
)
def test_its_candidates_move_on_through_the_real_services(dataset, stage, act) -> None:
    candidate = Candidate.objects.filter(stage=stage).first()
    assert candidate is not None

    act(candidate)

    candidate.refresh_from_db()
    last = candidate.transitions.order_by("-at", "-pk").first()
    assert candidate.stage != stage
    assert last is not None and last.from_stage == stage


def test_it_refuses_a_database_that_already_has_members_unless_forced(db) -> None:
    _new_member(member_services.organisation_create(acting_user=None, kind="province", name="Tỉnh cũ", code="OLD"))

    with pytest.raises(CommandError, match="--force"):
        _generate()
    assert Candidate.objects.count() == 0

    _generate("--force")

    assert Candidate.objects.count() == 120
    assert Organisation.objects.filter(code="T19").exists()


def test_it_adds_a_second_dataset_with_force_under_fresh_codes(dataset) -> None:
    _generate("--force", "--seed", "8")

    assert Organisation.objects.filter(code="R1.T19").exists()
    assert User.objects.filter(username="benchr1.p19.bithu").exists()
    assert Person.objects.values("cccd").distinct().count() == Person.objects.count()


def test_it_loads_with_copy_on_postgresql(dataset) -> None:
    assert connection.vendor == "postgresql"
    assert "database: COPY members_person" in dataset  # the worker's timing of each COPY
