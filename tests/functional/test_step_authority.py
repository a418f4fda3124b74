"""Who records each step, generated from the step table (admission.workflow.STEPS).

For every step x every stage it starts from x every persona x {page, api}, exactly the body that
records the step at that stage (`step.recorded_by or TURN[stage]`, its personas in BODY_PERSONAS)
gets past the authority checks; every other persona is refused, with nothing written (the
candidate's stage, its transitions and its votes unchanged):

- page (POST `/admission/candidates/<pk>/steps/<key>/`): refused is 403, 404, or the form shown again
  with the `level_not_due` or `branch_turn` message;
- API (POST `/api/v1/candidates/<pk>/steps/<key>/`, token): refused is 403, 404, or 400 `level_not_due`
  or `branch_turn`.

Everyone sends the same data, which the rules accept (`_entry`: the reference timeline's dates,
counted from the day the candidate entered its stage), so the recorder's post is also checked to
record the step and move the candidate where the step leads.

One candidate per stage is walked once for the module through the real services
(admission.devdata.demo.walk_to, the system recording, the clock frozen on TODAY); each case runs in
a savepoint rolled back after it, with the personas of tests/conftest.py built in it.

Not covered, with the reason (their cases are generated, and skipped):
- S8A: branch A has no sub-committee in the tree of tests/conftest.py (its branch vote leads to S9),
  so no branch-A dossier waits for an appraisal; `appraisal`, which starts only there, never runs.
SY and SZ are reached through the services: three failed recognition votes (QĐ294 4.2.3), and the
annulment of the admission decision (QĐ294 4.4).

The staff of the committees above the branch (carol, gina, the provincial staff) may read and edit
the branch's data but not record its acts: refused with `branch_turn` (this test found it).
"""

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import time_machine
from django.test import Client, TestCase
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.domain.periods import add_months
from admission.domain.reasons import REASON_CODES
from admission.domain.stages import Stage
from admission.models import Candidate, StageTransition, Vote
from admission.services.steps import documents_missing, step_target
from admission.workflow import STEPS, TURN, Body, Step, steps_for
from members import api_tokens
from members.models import PartyMember, User
from tests import conftest
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

START = dt.date(2025, 1, 6)  # the S0 day of the reference timeline
TODAY = dt.date(2027, 1, 15)  # after every day of the walks (the last: recognition decision 10/11/2026)
DAY = dt.timedelta(days=1)
NOTE = "Ghi nhận để kiểm tra thẩm quyền"

# Stages no branch-A candidate reaches through the services, with the reason: their cases are skipped.
UNREACHABLE: dict[Stage, str] = {
    Stage.S8A: "branch A has no sub-committee (tests/conftest.py): its branch vote leads to S9, so no "
    "branch-A dossier waits for an appraisal",
}
# Steps the tree of branch A does not have, with the reason: their cases are skipped (each is
# covered with a tree that has it: tests/integration/admission/test_recognition_chain.py).
NOT_IN_TREE: dict[str, str] = {
    "recognition_appraisal": "branch A has no sub-committee to appraise its recognition resolution",
    "grassroots_reject": "the grassroots committee C above branch A is not delegated to decide",
}
# The steps that start only from such stages, or are not in the tree, so never run here (checked
# by the last test).
NEVER_RUN = frozenset({"appraisal", *NOT_IN_TREE})

# Who each body is among the personas. There is no sub-committee in this tree: nobody records for it.
BODY_PERSONAS: dict[Body, frozenset[str]] = {
    Body.BRANCH: frozenset({"alice", "deputy"}),
    Body.SUB_COMMITTEE: frozenset(),
    Body.GRASSROOTS_COMMITTEE: frozenset({"carol"}),
    Body.DECIDING_COMMITTEE: frozenset({"gina"}),
    Body.PROVINCIAL_STANDING: frozenset({"provincial"}),
}
# Case id -> fixture (tests/conftest.py).
PERSONAS: dict[str, str] = {
    "alice": "alice",  # secretary of branch A
    "deputy": "branch_deputy",  # deputy secretary of branch A
    "bob": "bob",  # secretary of branch B
    "carol": "carol",  # staff of the grassroots committee C
    "gina": "gina",  # staff of G, which decides for A
    "provincial": "provincial_staff",  # staff of the province P
    "eve": "eve",  # auditor of P
    "mentor": "mentor",  # mentor of the candidate
    "oscar": "oscar",  # no role
}
CHANNELS = ("page", "api")


@dataclass(frozen=True)
class Case:
    step: Step
    stage: Stage
    persona: str
    channel: str

    @property
    def recorder(self) -> Body:
        """The body that records the step at this stage."""
        return self.step.recorded_by or TURN[self.stage]

    @property
    def records(self) -> bool:
        return self.persona in BODY_PERSONAS[self.recorder]

    @property
    def id(self) -> str:
        return f"{self.step.key}-{self.stage}-{self.persona}-{self.channel}"


def _stage_order(stage: Stage) -> int:
    return list(Stage).index(stage)


def _cases() -> list[Case]:
    return [
        Case(step, stage, persona, channel)
        for step in STEPS
        for stage in sorted(step.from_stages, key=_stage_order)
        for persona in PERSONAS
        for channel in CHANNELS
    ]


def _param(case: Case) -> Any:
    marks: list[Any] = []
    if case.stage in UNREACHABLE:
        marks.append(pytest.mark.skip(reason=f"{case.stage}: {UNREACHABLE[case.stage]}"))
    elif case.step.key in NOT_IN_TREE:
        marks.append(pytest.mark.skip(reason=f"{case.step.key}: {NOT_IN_TREE[case.step.key]}"))
    return pytest.param(case, id=case.id, marks=marks)


CASES = _cases()
BUILT_STAGES = sorted({case.stage for case in CASES} - set(UNREACHABLE), key=_stage_order)


# --- One candidate per stage, walked once for the module ------------------------------------------


@pytest.fixture(scope="module")
def _today() -> Iterator[None]:
    with time_machine.travel(at(TODAY), tick=False):
        yield


@pytest.fixture(scope="module")
def tree(django_db_setup: None, django_db_blocker: Any, _today: None) -> Iterator[Tree]:
    """The tree of tests/conftest.py (its fixture's own body), built once for the module in a
    transaction rolled back at the end. Each case runs in a savepoint inside it (pytest-django's
    `db`), with the personas of tests/conftest.py, which are built per case in this tree."""
    with django_db_blocker.unblock():
        atomics = TestCase._enter_atomics()  # a test case's blocks: the services' durable blocks run inside
        try:
            yield conftest.tree.__wrapped__(None)  # type: ignore[attr-defined]
        finally:
            TestCase._rollback_atomics(atomics)


def _assign_introducers(candidate: Candidate, introducers: Sequence[PartyMember]) -> None:
    """The introduction needs its two introducers, assigned by the branch shortly before."""
    for member in introducers:
        services.mentor_assign(
            acting_user=None,
            candidate=candidate,
            member=member,
            together_since=START - dt.timedelta(days=735),
            assigned_on=candidate.stage_entered_on + 5 * DAY,
            role="introducer",
        )


# What the timeline does just before the step, other than holding the documents it requires.
BEFORE_STEP: dict[str, Callable[[Candidate, Sequence[PartyMember]], None]] = {"introduction": _assign_introducers}


def _to_deadlock(candidate: Candidate) -> None:
    """S15 -> SY: the branch fails the recognition vote until the superior must conclude (QĐ294 4.2.3)."""
    day = candidate.stage_entered_on
    for _attempt in range(10):
        if candidate.stage != Stage.S15:
            return
        day += DAY
        services.candidate_vote(
            acting_user=None,
            candidate=candidate,
            step_key="recognition_vote",
            held_on=day,
            summoned=9,
            excluded=0,
            yes=1,
            no=8,
            abstain=0,
            form="secret",
            now=at(day),
        )
        candidate.refresh_from_db()


def _to_annulment(candidate: Candidate) -> None:
    """S11 -> SZ: the deciding committee annuls the admission decision (QĐ294 4.4)."""
    day = candidate.stage_entered_on + DAY
    services.candidate_step(
        acting_user=None,
        candidate=candidate,
        step_key="annul",
        data=services.StepInput(on_date=day, note="Sai thẩm quyền ký quyết định"),
        now=at(day),
    )


# Stages off the reference timeline: (the stage walked to, then the services that lead there).
OFF_TIMELINE: dict[Stage, tuple[Stage, Callable[[Candidate], None]]] = {
    Stage.SY: (Stage.S15, _to_deadlock),
    Stage.SZ: (Stage.S11, _to_annulment),
}


def _build(stage: Stage, tree: Tree, introducers: Sequence[PartyMember]) -> Candidate:
    person = PersonFactory(organisation=tree.branch_a, youth_union_member=False)
    candidate = services.candidate_create(acting_user=None, person=person, now=at(START))
    via, finish = OFF_TIMELINE.get(stage, (stage, None))
    try:
        walk_to(candidate, via, user=None, introducers=introducers, start=START)
    except KeyError as missed:  # the walk went past the end of the timeline
        raise AssertionError(f"{via} is not on branch A's walk: declare it in UNREACHABLE with the reason") from missed
    if finish is not None:
        finish(candidate)
    candidate.refresh_from_db()
    assert candidate.stage == stage, f"built {candidate.stage}, wanted {stage}"
    for step in steps_for(stage):
        if step.key in BEFORE_STEP:
            BEFORE_STEP[step.key](candidate, introducers)
        if step.kind != "vote":  # the branch vote checks its own documents, held since S7
            for doc in documents_missing(candidate, step.requires):
                services.document_record(
                    acting_user=None, candidate=candidate, doc_type=doc, issued_on=candidate.stage_entered_on + DAY
                )
    return candidate


@pytest.fixture(scope="module")
def dossiers(tree: Tree) -> dict[Stage, int]:
    """A branch-A candidate at each stage some step starts from (UNREACHABLE aside): its id."""
    introducers = conftest.introducers.__wrapped__(tree)  # type: ignore[attr-defined]
    return {stage: _build(stage, tree, introducers).pk for stage in BUILT_STAGES}


# --- What is sent ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A step's data: its day, its extra fields (workflow `extra_fields`), the vote's counts."""

    on_date: dt.date
    fields: dict[str, Any] = field(default_factory=dict)
    vote: dict[str, int] | None = None


VOTE = {"summoned": 9, "excluded": 0, "yes": 7, "no": 2, "abstain": 0}


def _ceremony(c: Candidate) -> Entry:
    assert c.decision_received_date is not None
    return Entry(c.decision_received_date + 15 * DAY)


def _probation_review(c: Candidate) -> Entry:
    assert c.ceremony_date is not None
    return Entry(add_months(c.ceremony_date, 12) + 2 * DAY, {"new_member_class_date": c.ceremony_date + 150 * DAY})


def _decision(c: Candidate) -> Entry:
    day = c.stage_entered_on + DAY
    return Entry(day, {"decision_number": "12-QĐ/ĐU", "decision_received_date": day})


# Where the day after entering the stage is not what the rules accept, or the step has fields to fill
# (the reference timeline of admission.devdata.demo).
STEP_DATA: dict[str, Callable[[Candidate], Entry]] = {
    "certificate": lambda c: Entry(c.stage_entered_on + DAY, {"certificate_number": "GCN-2025"}),
    "introduction": lambda c: Entry(c.stage_entered_on + 20 * DAY, {"introduction_mode": "TWO_MEMBERS"}),
    "decision": _decision,
    "ceremony": _ceremony,
    "probation_review": _probation_review,
}


def _proposals_before(candidate: Candidate, step: Step, day: dt.date) -> None:
    """The removal chain's earlier resolutions (HD06 4.6), recorded by the system, so that its later
    acts can really succeed for their recorder: the branch's before the grassroots committee's, both
    before the decision."""
    earlier = {
        "removal_grassroots_vote": ("removal_branch_vote",),
        "remove": ("removal_branch_vote", "removal_grassroots_vote"),
    }
    if step.key == "recognition_decision":
        # The recognition chain below the decider, as far as the tree has it (HD38 II.1.1c(6)-(7)).
        while (pending := services.pending_chain_step(candidate)) is not None:
            _system_vote(candidate, pending.key, day)
            candidate.refresh_from_db()
        return
    if candidate.stage_enum not in {Stage.S13, Stage.S14, Stage.S15}:
        return
    for key in earlier.get(step.key, ()):
        _system_vote(candidate, key, day)


def _system_vote(candidate: Candidate, key: str, day: dt.date) -> None:
    services.candidate_vote(
        acting_user=None,
        candidate=candidate,
        step_key=key,
        held_on=day,
        summoned=9,
        excluded=0,
        yes=7,
        no=2,
        abstain=0,
        form="secret",
        now=at(TODAY),
    )


def _entry(candidate: Candidate, step: Step) -> Entry:
    make = STEP_DATA.get(step.key)
    entry = make(candidate) if make else Entry(candidate.stage_entered_on + DAY)
    return replace(entry, vote=VOTE) if step.kind == "vote" else entry


def _page_data(step: Step, entry: Entry) -> dict[str, str]:
    def show(value: Any) -> str:
        return value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else str(value)

    if step.kind == "vote":
        assert entry.vote is not None
        return {
            "held_on": show(entry.on_date),
            "form": "secret",
            "note": NOTE,
            **{k: str(v) for k, v in entry.vote.items()},
        }
    return {"on_date": show(entry.on_date), "basis": "", "note": NOTE, **{k: show(v) for k, v in entry.fields.items()}}


def _api_data(entry: Entry) -> dict[str, Any]:
    def show(value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    data: dict[str, Any] = {
        "on_date": show(entry.on_date),
        "note": NOTE,
        **{k: show(v) for k, v in entry.fields.items()},
    }
    if entry.vote is not None:
        data["vote"] = {**entry.vote, "form": "secret"}
    return data


# --- What comes back ---------------------------------------------------------------------------------

# The authority refusals: a committee's step by another body, a branch's step by a committee above it.
AUTHORITY_CODES = ("level_not_due", "branch_turn")
LEVEL_NOT_DUE = [
    re.compile(".+".join(re.escape(part) for part in re.split(r"\{committee\}|\{branch\}", template)))
    for code in AUTHORITY_CODES
    for template in REASON_CODES[code]
]


@dataclass(frozen=True)
class Answer:
    status: int
    refused_by_authority: bool
    recorded: bool
    detail: str


def _post_page(user: User, candidate: Candidate, step: Step, entry: Entry) -> Answer:
    client = Client()
    client.force_login(user)
    response = client.post(reverse("candidate_step", args=[candidate.pk, step.key]), _page_data(step, entry))
    errors: list[str] = []
    if response.status_code == 200:
        form = response.context["form"]
        errors = [str(e) for e in form.non_field_errors()] + [f"{k}: {v}" for k, v in form.errors.items()]
    level_not_due = any(p.search(e) for p in LEVEL_NOT_DUE for e in errors)
    return Answer(
        response.status_code,
        response.status_code in (403, 404) or level_not_due,
        response.status_code == 302,
        "; ".join(errors) or response.content[:300].decode(errors="replace"),
    )


def _post_api(user: User, candidate: Candidate, step: Step, entry: Entry) -> Answer:
    token = api_tokens.token_rotate(acting_user=user).key
    response = Client(headers={"Authorization": f"Token {token}"}).post(
        f"/api/v1/candidates/{candidate.pk}/steps/{step.key}/",
        data=json.dumps(_api_data(entry)),
        content_type="application/json",
    )
    body = response.json()
    codes = [error["code"] for error in body.get("errors", [])]
    return Answer(
        response.status_code,
        response.status_code in (403, 404) or (response.status_code == 400 and bool(set(AUTHORITY_CODES) & set(codes))),
        response.status_code == 200 and (bool(body.get("moved")) or (step.target is None and bool(body.get("vote")))),
        json.dumps(body.get("errors", body.get("moved")), ensure_ascii=False)[:500],
    )


def _written(candidate: Candidate) -> tuple[str, int, int]:
    """What a step writes: the stage, the transitions, the votes."""
    stage = Candidate.objects.values_list("stage", flat=True).get(pk=candidate.pk)
    transitions = StageTransition.objects.filter(candidate=candidate).count()
    return stage, transitions, Vote.objects.filter(candidate=candidate).count()


# --- The cases ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_only_the_recording_body_gets_past_the_authority_checks(
    case: Case, dossiers: dict[Stage, int], request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(PERSONAS[case.persona])
    candidate = Candidate.objects.select_related("organisation").get(pk=dossiers[case.stage])
    if case.persona == "mentor":
        services.mentor_assign(
            acting_user=None,
            candidate=candidate,
            member=user.person.membership,  # type: ignore[union-attr]
            together_since=START - dt.timedelta(days=800),
            assigned_on=START,
        )
    entry = _entry(candidate, case.step)
    _proposals_before(candidate, case.step, entry.on_date)
    stays = case.step.target is None  # a vote within the stage (a proposal to remove)
    target = candidate.stage_enum if stays else step_target(case.step, candidate)
    before = _written(candidate)

    answer = (_post_page if case.channel == "page" else _post_api)(user, candidate, case.step, entry)

    after = _written(candidate)
    if not case.records:
        assert answer.refused_by_authority, f"{case.persona} is not {case.recorder}: {answer}"
        assert after == before
        return
    assert not answer.refused_by_authority, f"{case.persona} is {case.recorder}: {answer}"
    assert answer.recorded, answer
    votes = before[2] + (1 if case.step.kind == "vote" else 0)
    assert after == (target, before[1] + (0 if stays else 1), votes)


def test_every_step_of_the_table_has_its_cases() -> None:
    """A new step, stage or body is covered, or declared out of reach, without editing the cases."""
    assert {(c.step.key, c.stage) for c in CASES} == {(s.key, stage) for s in STEPS for stage in s.from_stages}
    assert {c.persona for c in CASES} == set(PERSONAS)
    assert set(BODY_PERSONAS) == set(Body)
    run = {c.step.key for c in CASES if c.stage not in UNREACHABLE and c.step.key not in NOT_IN_TREE}
    skipped = sorted({(c.step.key, c.stage.value) for c in CASES if c.stage in UNREACHABLE})
    assert {s.key for s in STEPS} - run == NEVER_RUN, f"skipped (step, stage): {skipped}"
