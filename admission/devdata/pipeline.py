"""Walking generated candidates through the stages: timelines, transitions, votes, deadlines."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from typing import Any, cast

from admission import dates as date_rules
from admission import schedule
from admission.devdata.base import Org, ProvinceTree
from admission.devdata.loader import CANDIDATE_DATE_FIELDS, CHUNK_ROWS, NULL, tsv_bool, tsv_opt
from admission.devdata.people import PeopleMixin
from admission.devdata.pools import fast_randint
from admission.devdata.presets import (
    CURRENT_DWELL,
    FIELD_BY_FROM,
    PREVIOUS_DWELL,
    REMOVAL_NOTE,
    REMOVED_FROM,
    STAGE_WEIGHTS,
    S,
)
from admission.domain.periods import add_months
from admission.domain.reminders import next_occurrence
from admission.domain.stages import Stage
from admission.domain.votes import VotingBody, threshold_for, threshold_rule
from admission.models import Candidate, StageTransition, Vote
from admission.workflow import NEXT_STEP, STAGE_DEADLINE, STEP_BY_KEY
from members.models import PartyMember, Person


class _Facts:
    """What `admission.dates` and `admission.schedule` read of a candidate (a stand-in, no ORM)."""

    certificate_issue_date: dt.date | None = None
    dossier_start_date: dt.date | None = None
    branch_resolution_date: dt.date | None = None
    decision_received_date: dt.date | None = None
    ceremony_date: dt.date | None = None
    recognition_branch_date: dt.date | None = None
    transfer_received_date: dt.date | None = None
    deadline_extended = False

    def __init__(self, stage: Stage, dates: dict[str, dt.date]) -> None:
        self.stage_enum = stage
        for name, value in dates.items():
            setattr(self, name, value)


# The recorded dates each stage's deadline and reminder depend on: the triggers of the legal
# dates bounding the step in progress (workflow.STAGE_DEADLINE, dates.LEGAL_DATE_TRIGGER).
DEADLINE_INPUTS: dict[Stage, tuple[str, ...]] = {
    stage: tuple(dict.fromkeys(date_rules.LEGAL_DATE_TRIGGER[name] for name in names))
    for stage, names in STAGE_DEADLINE.items()
}


class CandidatesMixin(PeopleMixin):
    """Candidates of every branch, with their StageTransition history, votes, member and deadline."""

    def _timeline(
        self, rng: random.Random, randint: Callable[[int, int], int], route: tuple[Stage, ...], stage: Stage
    ) -> tuple[list[Stage], list[int]]:
        """The stages visited and the day each was entered, computed backwards from today."""
        if stage == S.SX:
            options = [s for s in REMOVED_FROM if s in route]
            left_from = rng.choices(options, [REMOVED_FROM[s] for s in options])[0]
            path = [*route[: route.index(left_from) + 1], S.SX]
        else:
            path = list(route[: route.index(stage) + 1])
        prev = self._prev
        entered = [0] * len(path)
        low, high = CURRENT_DWELL[path[-1]]
        entered[-1] = prev(self.today_o - randint(low, high))
        k = len(path) - 1
        while k > 0:
            if path[k] == S.S14:
                # Probation review: the ceremony was a little over 12 months earlier, and the
                # member records about a month after the ceremony.
                review = dt.date.fromordinal(entered[k])
                ceremony = prev(add_months(review, -12).toordinal() - randint(0, 12))
                entered[k - 2] = ceremony
                entered[k - 1] = max(prev(ceremony + randint(12, 40)), self._nextwd(ceremony + 1))
                k -= 2
                continue
            low, high = PREVIOUS_DWELL[path[k - 1]]
            entered[k - 1] = prev(entered[k] - randint(low, high))
            k -= 1
        return path, entered

    def _pick_stage(
        self, rng: random.Random, route: tuple[Stage, ...], stages: list[Stage], weights: list[float]
    ) -> Stage:
        stage = rng.choices(stages, weights)[0]
        if stage in route or stage == S.SX:
            return stage
        # A stage this branch's route skips (S8A, S9, S10): the next one on the route.
        order = list(STAGE_WEIGHTS)
        return next(s for s in order[order.index(stage) :] if s in route)

    def _candidates(
        self, tree: ProvinceTree, holding: list[Org], rng: random.Random, pools: dict[str, Any]
    ) -> dict[int, int]:
        """Candidates of every branch; returns how many members per branch they account for."""
        stages, weights = list(STAGE_WEIGHTS), list(STAGE_WEIGHTS.values())
        linked: dict[int, int] = {}
        self._linked_status = {}
        sequence = 0
        work_pool = pools["candidate_work"]
        rand, randint = rng.random, fast_randint(rng)
        heavy = tree.heavy_branch
        for org in [heavy, *(o for o in holding if o is not heavy)] if heavy else holding:
            for _ in range(org.candidates):
                # Small presets still show every stage: the first candidates take them in turn.
                stage = (
                    stages[sequence] if sequence < len(stages) else self._pick_stage(rng, org.route, stages, weights)
                )
                sequence += 1
                if stage not in org.route and stage != S.SX:
                    stage = self._pick_stage(rng, org.route, [stage], [1.0])
                path, entered = self._timeline(rng, randint, org.route, stage)
                start = entered[0]
                born = start - int((18.3 + 17 * rand() ** 1.6) * 365.25)
                female = rand() < 0.5
                youth = (start - born) < 30 * 365 and rand() < 0.75
                work = work_pool[int(rand() * len(work_pool))]
                student = work.endswith(("Sinh viên", "Học sinh"))
                private = work.endswith(("Công nhân", "Kinh doanh")) and rand() < 0.7
                flags = f"{tsv_bool(youth)}\t{tsv_bool(rand() < 0.3)}\t{tsv_bool(student)}\t{tsv_bool(private)}"
                person_id, row = self._person_row(rng, pools, tree, org.id, female, born, work, flags)
                self.persons.append(row)
                member_status = self._candidate_rows(org, person_id, path, entered, youth, born, randint)
                if member_status:
                    linked[org.id] = linked.get(org.id, 0) + 1
                    self._linked_status[member_status] = self._linked_status.get(member_status, 0) + 1
                if len(self.transitions) >= CHUNK_ROWS:
                    self.loader.flush(Person)
                    self.loader.flush(PartyMember)
                    self.loader.flush(Candidate)
                    self.loader.flush(StageTransition)
                    self.loader.flush(Vote)
        return linked

    def _candidate_rows(
        self,
        org: Org,
        person_id: int,
        path: list[Stage],
        entered: list[int],
        youth: bool,
        born: int,
        randint: Callable[[int, int], int],
    ) -> str:
        """The candidate, its transitions and votes, and its member from S12 on; returns the member status."""
        candidate_id = self._next(Candidate)
        values: dict[str, int | None] = {}
        stage = path[-1]
        transition_id: int | None = None
        ceremony_index = path.index(S.S12) if S.S12 in path else None
        for k in range(1, len(path)):
            source, target, day = path[k - 1], path[k], entered[k]
            note, basis = "", ""
            if target == S.SX:
                values["removal_date"] = day
                note = REMOVAL_NOTE
            elif source == S.S13:
                assert ceremony_index is not None  # noqa: S101 - S13 is only reached through S12
                ceremony = entered[ceremony_index]
                values["official_date"] = self._probation_end(ceremony)
                values["new_member_class_date"] = min(self._prev(ceremony + randint(60, 200)), day)
            else:
                values[FIELD_BY_FROM[source]] = day
            if source == S.S15 and target == S.S16:
                # The recognition chain within S16 (workflow.CHAIN) where the tree has its bodies: the
                # sub-committee's appraisal (as S8A for admission) and the grassroots resolution (S9).
                if S.S8A in org.route:
                    values["recognition_appraisal_date"] = day
                if S.S9 in org.route:
                    values["recognition_grassroots_date"] = day
            if source == S.S9 and target == S.S11:
                values["decision_date"] = values["decision_received_date"] = day
            elif source == S.S10:
                latest = entered[k + 1] if k + 1 < len(path) else self.today_o
                values["decision_received_date"] = min(self._nextwd(day + randint(0, 4)), latest)
            elif source == S.S5 and youth and day - born < 30 * 365:
                values["union_resolution_date"] = max(entered[k - 1], self._prev(day - randint(2, 10)))
            vote_id: int | None = None
            if source in (S.S8, S.S9, S.S15):
                vote_id = self._vote(candidate_id, source, org, day, randint)
                basis = f"Vote {vote_id}"
            step_key, recorded = _step_record(source, target, self._d(day))
            transition_id = self._next(StageTransition)
            at = self._at(day)
            # The visit of `source` it ends: none for the first transition (no transition into S0).
            visit = f"{NULL}\t{NULL}"
            if k > 1:
                entered_on = entered[k - 1]
                working = self.package_index[day - self.base] - self.package_index[entered_on - self.base]
                visit = f"{self._d(entered_on)}\t{working}"
            self.transitions.append(
                f"{transition_id}\t{candidate_id}\t{source.value}\t{target.value}\t{at}\t{self._d(day)}\t{NULL}\t"
                f"{note}\t{basis}\t{at}\t{visit}\t{step_key}\t{recorded}\t{tsv_opt(vote_id)}"
            )
        member_id: int | None = None
        member_status = ""
        if ceremony_index is not None:
            member_status = {S.S17: "official", S.SX: "removed"}.get(stage, "probationary")
            member_id = self._next(PartyMember)
            official = values.get("official_date") if member_status == "official" else None
            card = ""
            if official is not None:
                self._card += 1
                card = f"{self._province:02d}{self._card:08d}"
            self.members.append(
                f"{member_id}\t{person_id}\t{org.id}\t{member_status}\t{self._d(values.get('decision_date'))}\t"
                f"{self._d(values.get('ceremony_date'))}\t{self._d(official)}\t{self._d(values.get('removal_date'))}\t"
                f"{card}"
            )
        due_on, reminder_at, reminder_sequence = self._deadline(stage, values)
        mode = ""
        if "introduction_date" in values:
            mode = "YOUTH_UNION_PLUS_ONE" if "union_resolution_date" in values else "TWO_MEMBERS"
        row = [
            str(candidate_id),
            str(person_id),
            str(org.id),
            stage.value,
            self._at(entered[-1]),
            self._d(entered[-1]),
            due_on,
            reminder_at,
            reminder_sequence,
            tsv_opt(transition_id),
            "0",
            f"{candidate_id}/GCN-TTCT" if "certificate_issue_date" in values else "",
            mode,
            f"{candidate_id}-QĐ/ĐU" if "decision_date" in values else "",
            "f",
            "f",
            "f",
            "f",
            "f",
            "f",
            "f",
            tsv_opt(member_id),
            self._at(entered[0]),
        ]
        row.extend(self._d(values.get(name)) for name in CANDIDATE_DATE_FIELDS)
        self.candidates.append("\t".join(row))
        return member_status

    def _vote(self, candidate_id: int, source: Stage, org: Org, day: int, randint: Callable[[int, int], int]) -> int:
        """A passed vote (counts within the denominator, yes at or above the threshold)."""
        if source == S.S9:
            body, purpose, summoned = org.voting_body, "admission", randint(7, 15)
        else:
            body, purpose = VotingBody.BRANCH.name, "recognition" if source == S.S15 else "admission"
            summoned = max(3, min(org.members, 60))
        excluded = 1 if summoned > 5 and randint(0, 9) == 0 else 0
        denominator = summoned - excluded
        voting_body = VotingBody[body]
        required = threshold_for(voting_body).required(denominator)
        yes = randint(required, denominator)
        no = randint(0, denominator - yes)
        vote_id = self._next(Vote)
        self.votes.append(
            f"{vote_id}\t{candidate_id}\t{body}\t{purpose}\t{self._d(day)}\t{summoned}\t{excluded}\t{denominator}\t"
            f"{yes}\t{no}\t0\t{'secret' if randint(0, 3) else 'cards'}\t{required}\tt\t{threshold_rule(voting_body)}\t"
            f"{NULL}\t{self._at(day)}\tf\tf"
        )
        return vote_id

    def _deadline(self, stage: Stage, values: dict[str, int | None]) -> tuple[str, str, str]:
        """(next_due_on, next_reminder_at, reminder_sequence) as the transition service sets them, cached."""
        inputs = DEADLINE_INPUTS.get(stage, ())
        key: tuple[object, ...] = (stage, *(values.get(name) for name in inputs))
        found = self._deadline_cache.get(key)
        if found is not None:
            return found
        facts = _Facts(stage, {name: dt.date.fromordinal(v) for name in inputs if (v := values.get(name)) is not None})
        candidate = cast(Candidate, facts)
        dates = date_rules.candidate_dates(
            candidate,
            calendar=self.calendar,
            rulebook=self.rulebook,
            only=date_rules.stage_deadline_names(stage),
        )
        deadline = date_rules.stage_deadline(stage, dates)
        due = deadline.day.isoformat() if deadline else NULL
        plan = schedule.reminder_plan(candidate, calendar=self.calendar, rulebook=self.rulebook)
        if plan is None:
            found = (due, NULL, NULL)
        else:
            occurrence = next_occurrence(plan.target, plan.leads, today=self.today)
            at = schedule.due_at(occurrence.day, self.now)
            found = (due, at.isoformat(sep=" "), str(occurrence.sequence))
        self._deadline_cache[key] = found
        return found


def _step_record(source: Stage, target: Stage, day: str) -> tuple[str, str]:
    """The step key and the recorded fields ({date field: [null, day]}, JSON) of a generated move, as
    services.candidate_transition keeps them (corrections and undo read them); "" and {} where the
    move is no forward step of the table (a return, a drop)."""
    step = STEP_BY_KEY.get(NEXT_STEP.get(source, ""))
    if step is None or target not in step.targets:
        return "", "{}"
    recorded = {step.date_field: [None, day]} if step.date_field else {}
    return step.key, json.dumps(recorded)
