"""Generate a realistic benchmark dataset of party organisations, people, members and candidates.

`manage.py generate_dataset --preset {tiny,province,national}` fills an empty database with:

1. the party tree: the 2025 provinces and their commune/ward committees (`vietnam_provinces`), a
   party-agencies and a People's Committee organisation per province, grassroots committees and
   grassroots branches (about 5 % of the committees delegated to admit, a few with
   sub-committees), branches and village branches; `path` and `depth` computed here;
2. party members (Person + PartyMember) with ordered dates: decision <= ceremony <= official
   (= end of probation, ceremony + 12 months) <= left;
3. candidates spread over S0..S17 and SX along the reference timeline of `admission.devdata.demo`
   (working days of one calendar), with their StageTransition history, the passed votes, the
   probationary/official/removed member the real cascade creates from S12 on, `next_due_on`
   from `admission.dates` and `next_reminder_at` from `admission.schedule` (never in the past);
4. one BranchReview per branch, and benchmark logins per province.

Everything is computed in Python and written with PostgreSQL COPY (chunks of ~100k rows,
streamed from a background thread on the same connection and transaction, so generating and
loading overlap on two cores), or `bulk_create` on other databases (SQLite, tiny preset).
Primary keys are assigned here (from the current maximum) and the sequences moved afterwards.
The whole load is one transaction: a failed run leaves nothing behind. Dates and names are
deterministic for a given seed and `today`; each province has its own random stream, so a
partial run (`--provinces`) produces the same provinces as the full run.

The parts: `presets` (sizes and proportions), `pools` (names and texts), `base` (shared state,
ids, working days), `tree` (1), `people` (2), `pipeline` (3), `loader` (COPY / bulk_create);
this module orchestrates them and writes the logins (4).
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction

from admission.devdata.base import DatabaseNotEmpty, Login, ProvinceTree, Summary
from admission.devdata.loader import (
    CANDIDATE_COLUMNS,
    CHUNK_ROWS,
    MEMBER_COLUMNS,
    ORG_COLUMNS,
    PERSON_COLUMNS,
    TRANSITION_COLUMNS,
    VOTE_COLUMNS,
    WRITTEN_MODELS,
    Loader,
)
from admission.devdata.pipeline import CandidatesMixin
from admission.devdata.pools import clean
from admission.devdata.tree import TreeMixin
from admission.models import Candidate, StageTransition, Vote
from admission.reporting.summaries import candidates_rebuild
from admission.rulebook import calendar_for, rulebook_for
from members.freshness import everything_changed
from members.models import Organisation, PartyMember, Person, Role, RoleAssignment, User
from members.summaries import members_rebuild


class DatasetGenerator(TreeMixin, CandidatesMixin):
    """Fills the database: the tree (TreeMixin), then per province candidates (CandidatesMixin) and
    members (PeopleMixin), then logins; the options are GeneratorBase's."""

    # -- orchestration --

    def run(self) -> Summary:
        started = time.perf_counter()
        existing = (Candidate.objects.count(), PartyMember.objects.count())
        if any(existing) and not self.force:
            raise DatabaseNotEmpty(
                f"The database already holds {existing[0]} candidates and {existing[1]} party members; "
                "generate_dataset fills an empty database. Use --force to add a dataset anyway."
            )
        if any(existing):
            self._existing_cccd = {
                number for number in Person.objects.values_list("cccd", flat=True).iterator() if number is not None
            }
        with transaction.atomic():
            loader = Loader()
            try:
                self._load(loader)
            finally:
                loader.close()
        self._step("commit", started)
        # The member summary of the statistics, recomputed from the rows loaded (COPY and bulk inserts
        # bypass the services that keep it): in one transaction of its own, once the load is committed.
        with transaction.atomic():
            members_rebuild()
            candidates_rebuild()
        self._step("summaries", started)
        everything_changed()  # COPY and bulk inserts: every cached statistics figure is stale
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in WRITTEN_MODELS:
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
                cursor.execute("SELECT pg_database_size(current_database())")
                self.summary.database_bytes = cursor.fetchone()[0]
            self._step("analyze", started)
        self.summary.seconds["total"] = time.perf_counter() - started
        return self.summary

    def _step(self, name: str, started: float) -> None:
        self.summary.seconds[name] = time.perf_counter() - started
        self.log(f"{name} done after {self.summary.seconds[name]:.1f} s")

    def _load(self, loader: Loader) -> None:
        started = time.perf_counter()
        self.ids = {model: self._max_id(model) for model in WRITTEN_MODELS}
        self.persons = loader.register(Person, PERSON_COLUMNS)
        self.members = loader.register(PartyMember, MEMBER_COLUMNS)
        self.candidates = loader.register(Candidate, CANDIDATE_COLUMNS)
        self.transitions = loader.register(StageTransition, TRANSITION_COLUMNS)
        self.votes = loader.register(Vote, VOTE_COLUMNS)
        self.loader = loader
        trees = self._build_trees()
        orgs = loader.register(Organisation, ORG_COLUMNS)
        for tree in trees:
            for org in tree.orgs:
                orgs.append(self._org_row(org))
                if len(orgs) >= CHUNK_ROWS:
                    loader.flush(Organisation)
        loader.flush(Organisation)
        self._branch_reviews(loader, trees)
        loader.drain()
        self._step("tree", started)
        # One calendar and rule book for everyone (national overrides, first province's rules).
        first = Organisation.objects.get(pk=trees[0].root.id)
        self.calendar = calendar_for(first)
        self.rulebook = rulebook_for(first)
        self._prepare_calendar()
        for tree in trees:
            province_started = time.perf_counter()
            rng = random.Random(f"{self.seed}:people:{tree.code}")  # noqa: S311 - test data
            self._people(tree, rng)
            loader.flush_all()
            # Check the deferred foreign keys now, so the pending-trigger queue stays one province long.
            loader.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
            self.log(
                f"  {tree.name}: {tree.members:,} members, {tree.candidates:,} candidates, "
                f"{len(tree.orgs):,} organisations in {time.perf_counter() - province_started:.1f} s"
            )
        loader.drain()
        self._step("people", started)
        for what, seconds in sorted(loader.busy.items(), key=lambda item: -item[1]):
            self.log(f"  database: {what}: {seconds:.1f} s")
        self._logins(trees)
        self._set_sequences()
        self.summary.counts = dict(loader.counts)
        self.summary.counts["members_user"] = len(self.summary.logins)

    def _max_id(self, model: type[models.Model]) -> int:
        return model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0

    def _set_sequences(self) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in self.ids:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) "  # noqa: S608 - model tables
                    f"FROM {table} HAVING MAX(id) IS NOT NULL"
                )

    def _people(self, tree: ProvinceTree, rng: random.Random) -> None:
        pools = self._pools(rng)
        self._province = tree.code
        holding = [o for o in tree.orgs if o.holds_people]
        linked = self._candidates(tree, holding, rng, pools)
        self._plain_members(tree, holding, rng, pools, linked)

    # -- logins --

    def _logins(self, trees: list[ProvinceTree]) -> None:
        """Per province: committee staff of the province, of a commune and of a grassroots committee,
        the secretary of the branch with the most candidates, an auditor (one password hash for all)."""
        password = make_password(self.password)
        tag = self.code_prefix.replace(".", "").lower()
        users: list[User] = []
        roles: list[tuple[int, int, str]] = []
        logins: list[Login] = []
        for tree in trees:
            heavy = tree.heavy_branch
            assert heavy is not None  # noqa: S101 - set by _allocate
            grassroots = next(o for o in heavy.chain() if o.kind == "grassroots_committee")
            commune = max(tree.communes, key=lambda c: sum(o.candidates for o in c.children))
            prefix = f"bench{tag}.p{tree.code:02d}"
            for suffix, role, org in (
                ("tinh", Role.COMMITTEE_STAFF, tree.root),
                ("xa", Role.COMMITTEE_STAFF, commune),
                ("coso", Role.COMMITTEE_STAFF, grassroots),
                ("bithu", Role.BRANCH_SECRETARY, heavy),
                ("kiemtra", Role.AUDITOR, tree.root),
            ):
                username = f"{prefix}.{suffix}"
                users.append(
                    User(
                        username=username,
                        password=password,
                        first_name=clean(str(Role(role).label)),
                        last_name=org.name[:150],
                        email=f"{username}@example.vn",
                        date_joined=self.now,
                    )
                )
                roles.append((len(users) - 1, org.id, role))
                logins.append(Login(username, str(Role(role).label), org.name))
        created = User.objects.bulk_create(users)
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=created[i], organisation_id=org_id, role=role) for i, org_id, role in roles]
        )
        self.summary.logins = logins


def generate(**options: Any) -> Summary:
    """Run the generator (see DatasetGenerator for the options)."""
    return DatasetGenerator(**options).run()
