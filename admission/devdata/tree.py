"""The generated party tree: provinces, communes, grassroots organisations and branches, in memory."""

from __future__ import annotations

import random
from dataclasses import astuple
from typing import Any

from vietnam_provinces import Province, Ward

from admission import schedule
from admission.devdata.base import DatabaseNotEmpty, GeneratorBase, Org, ProvinceTree
from admission.devdata.loader import CHUNK_ROWS, NULL, REVIEW_COLUMNS, Loader, tsv_bool, tsv_opt
from admission.devdata.pools import (
    AGENCY_BRANCHES,
    AGENCY_COMMITTEES,
    BUSINESSES,
    DEPARTMENTS,
    GOVERNMENT_CENTRES,
    SUB_COMMITTEE_UNITS,
    UNITS,
    VILLAGE_NAMES,
    clean,
)
from admission.devdata.presets import (
    COMMITTEE_SHARE,
    DEFAULT_PROVINCE,
    DELEGATED_SHARE,
    GRASSROOTS_UNDER,
    PROVINCE_BOOST,
    STAGE_WEIGHTS,
    SUB_COMMITTEE_SHARE,
    UPPER_POWERS_SHARE,
    VILLAGE_BRANCH_SHARE,
    S,
    Sizes,
)
from admission.domain.stages import next_after_branch_resolution, next_after_grassroots_resolution
from admission.domain.votes import VotingBody
from admission.models import BranchReview
from members.authority import DecidingBody, OrgNode, admission_authority
from members.models import Organisation


class TreeMixin(GeneratorBase):
    """Builds each province's tree (ids, paths, routes, sizes) and writes its organisations' rows."""

    def _provinces(self) -> list[tuple[Province, list[Ward], Sizes]]:
        chosen = list(Province.iter_all())
        if self.province_codes:
            by_code = {int(p.code): p for p in chosen}
            missing = [c for c in self.province_codes if c not in by_code]
            if missing:
                raise ValueError(f"unknown province codes: {missing}")
            chosen = [by_code[c] for c in self.province_codes]
        elif self.preset.provinces == 1:
            chosen = [Province.from_code(DEFAULT_PROVINCE)]  # type: ignore[arg-type]
        p = self.preset
        totals = Sizes(p.members, p.candidates, p.grassroots, p.branches)
        sizes = {int(c.code): totals for c in chosen}
        if p.provinces != 1:
            # Each province's share by weight, rounded cumulatively so the national totals are exact
            # (and a partial run gives each province the size it has in the full run).
            weights = [
                (int(c.code), len(list(Ward.iter_by_province(c.code))) * PROVINCE_BOOST.get(int(c.code), 1.0))
                for c in Province.iter_all()
            ]
            whole = sum(w for _code, w in weights)
            cumulative, given = 0.0, Sizes(0, 0, 0, 0)
            for code, weight in weights:
                cumulative += weight / whole
                reached = Sizes(*(round(cumulative * t) for t in astuple(totals)))
                sizes[code] = Sizes(*(r - g for r, g in zip(astuple(reached), astuple(given), strict=True)))
                given = reached
        found = []
        for province in chosen[: p.provinces] if p.provinces else chosen:
            wards = sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code))
            if p.communes_per_province:
                wards = wards[: p.communes_per_province]
            found.append((province, wards, sizes[int(province.code)]))
        return found

    def _code_prefix(self, codes: list[str]) -> str:
        """Organisation codes are unique: with --force on a database that has them, prefix a run tag."""
        for n in range(100):
            prefix = f"R{n}." if n else ""
            if not Organisation.objects.filter(code__in=[prefix + c for c in codes]).exists():
                return prefix
        raise DatabaseNotEmpty("could not find free organisation codes")

    def _build_trees(self) -> list[ProvinceTree]:
        provinces = self._provinces()
        self.code_prefix = self._code_prefix([f"T{int(p.code):02d}" for p, _w, _s in provinces])
        self.home_pools = {
            int(p.code): [clean(f"{w.name}, {p.name}") for w in Ward.iter_by_province(p.code)]
            for p in Province.iter_all()
        }
        trees = []
        for province, wards, sizes in provinces:
            rng = random.Random(f"{self.seed}:tree:{int(province.code)}")  # noqa: S311 - test data
            trees.append(self._build_province(province, wards, sizes, rng))
        return trees

    def _new_org(self, kind: str, name: str, code: str, parent: Org | None, **extra: Any) -> Org:
        org_id = self._next(Organisation)
        org = Org(
            id=org_id,
            kind=kind,
            name=clean(name),
            code=code,
            parent=parent,
            path=f"{parent.path if parent else '/'}{org_id}/",
            depth=parent.depth + 1 if parent else 0,
            **extra,
        )
        if parent is not None:
            parent.children.append(org)
        self._orgs.append(org)
        return org

    def _build_province(self, province: Province, wards: list[Ward], sizes: Sizes, rng: random.Random) -> ProvinceTree:
        self._orgs: list[Org] = []
        code = int(province.code)
        grassroots_total = max(3, sizes.grassroots)
        branch_total = max(6, sizes.branches)
        is_city = province.name.startswith("Thành phố")
        short = province.name.removeprefix("Thành phố ") if is_city else province.name
        level = "thành phố" if is_city else "tỉnh"
        pcode = f"{self.code_prefix}T{code:02d}"
        root = self._new_org("province", f"Đảng bộ {level} {short}", pcode, None, province_code=code)
        agencies = self._new_org(
            "agencies", f"Đảng bộ các cơ quan Đảng {level} {short}", f"{pcode}-CQ", root, province_code=code
        )
        government = self._new_org(
            "government", f"Đảng bộ Ủy ban nhân dân {level} {short}", f"{pcode}-UB", root, province_code=code
        )
        communes = []
        for ward in wards:
            kind_word, _sep, place = ward.name.partition(" ")
            if ward.division_type.value == "đặc khu":
                kind_word, place = "đặc khu", ward.name.removeprefix("Đặc khu ")
            communes.append(
                self._new_org(
                    "commune",
                    f"Đảng bộ {kind_word.lower()} {place}",
                    f"{pcode}-X{int(ward.code):05d}",
                    root,
                    province_code=code,
                    ward_code=int(ward.code),
                )
            )
        # Grassroots organisations: how many under each parent kind, then their kind and name.
        under_agencies = max(1, round(grassroots_total * GRASSROOTS_UNDER["agencies"]))
        under_government = max(2, round(grassroots_total * GRASSROOTS_UNDER["government"]))
        under_communes = max(1, grassroots_total - under_agencies - under_government)
        counters: dict[str, int] = {}
        name_counts: dict[str, int] = {}

        def unique(name: str, parent: Org) -> str:
            key = f"{parent.id}:{name}"
            name_counts[key] = name_counts.get(key, 0) + 1
            return name if name_counts[key] == 1 else f"{name} số {name_counts[key]}"

        def child_code(parent: Org, letter: str, width: int) -> str:
            counters[parent.code + letter] = counters.get(parent.code + letter, 0) + 1
            return f"{parent.code}-{letter}{counters[parent.code + letter]:0{width}d}"

        committees: list[Org] = []
        grassroots: list[Org] = []
        shuffled_communes = communes[:]
        rng.shuffle(shuffled_communes)
        for index in range(under_government + under_agencies + under_communes):
            if index < under_government:
                parent, where = government, "government"
            elif index < under_government + under_agencies:
                parent, where = agencies, "agencies"
            else:
                parent, where = shuffled_communes[index % len(shuffled_communes)], "commune"
            # The first two under the People's Committee are committees (one gets sub-committees,
            # one is delegated) so that every province has every route; the first under a commune
            # is a grassroots branch (a route straight to the commune's decision).
            forced_committee = index < 2
            is_committee = forced_committee or (
                index != under_government + under_agencies and rng.random() < COMMITTEE_SHARE[where]
            )
            name = self._grassroots_name(rng, where, parent, is_committee)
            org = self._new_org(
                "grassroots_committee" if is_committee else "grassroots_branch",
                unique(name, parent),
                child_code(parent, "C", 4),
                parent,
                ward_code=parent.ward_code,
                meeting_day=self._meeting_day(rng),
            )
            grassroots.append(org)
            if is_committee:
                committees.append(org)
        with_subs = {committees[0].id}
        committees[1].delegated = True
        for org in committees[2:]:
            roll = rng.random()
            if roll < DELEGATED_SHARE:
                org.delegated = True
            elif roll < DELEGATED_SHARE + UPPER_POWERS_SHARE and org.parent is government:
                org.upper_powers = True
            elif roll < DELEGATED_SHARE + UPPER_POWERS_SHARE + SUB_COMMITTEE_SHARE:
                with_subs.add(org.id)
        # Branches: village branches under communes, branches under committees (>= 2 each).
        village_total = max(len(communes), round(branch_total * VILLAGE_BRANCH_SHARE))
        committee_branch_total = max(2 * len(committees) + 2, branch_total - village_total)
        weights = [rng.lognormvariate(0, 0.6) for _ in committees]
        spare, whole = committee_branch_total - 2 * len(committees) - 2, sum(weights)
        per_committee, cumulative, given = [], 0.0, 0
        for weight in weights:
            cumulative += spare * weight / whole
            per_committee.append(2 + round(cumulative) - given)
            given = round(cumulative)
        per_committee[0] += 2  # the committee with sub-committees has room for them
        for committee, count in zip(committees, per_committee, strict=True):
            parents = [committee]
            if committee.id in with_subs:
                subs = max(1, min(4, count // 3))
                parents = [
                    self._new_org(
                        "sub_committee",
                        unique(f"Đảng bộ bộ phận {rng.choice(SUB_COMMITTEE_UNITS)}", committee),
                        child_code(committee, "B", 2),
                        committee,
                        meeting_day=committee.meeting_day,
                    )
                    for _ in range(subs)
                ]
                if count > 6:
                    parents.append(committee)  # some branches stay directly under the committee
            for n in range(count):
                parent = parents[n % len(parents)]
                self._new_org(
                    "branch",
                    unique(f"Chi bộ {rng.choice(UNITS)}", parent),
                    child_code(parent, "CB", 3),
                    parent,
                    meeting_day=self._meeting_day(rng),
                )
        for n in range(village_total):
            commune = communes[n % len(communes)]
            if commune.name.startswith("Đảng bộ xã"):
                name = f"Chi bộ thôn {rng.choice(VILLAGE_NAMES)}"
            else:
                name = f"Chi bộ Tổ dân phố {counters.get(commune.code + 'T', 0) + 1}"
            self._new_org(
                "village_branch",
                unique(name, commune),
                child_code(commune, "T", 3),
                commune,
                ward_code=commune.ward_code,
                meeting_day=self._meeting_day(rng),
            )
        holding = [o for o in self._orgs if o.holds_people]
        for org in holding:
            self._route(org)
        tree = ProvinceTree(
            code=code,
            name=root.name,
            root=root,
            communes=communes,
            orgs=self._orgs,
            members=max(len(holding) * 3, sizes.members),
            candidates=max(len(STAGE_WEIGHTS), sizes.candidates),
            home_pool=self.home_pools[code],
        )
        self._allocate(tree, holding, rng)
        return tree

    def _meeting_day(self, rng: random.Random) -> int:
        return 5 if rng.random() < 0.6 else rng.randint(1, 28)

    def _grassroots_name(self, rng: random.Random, where: str, parent: Org, committee: bool) -> str:
        if where == "agencies":
            return f"Đảng bộ {rng.choice(AGENCY_COMMITTEES)}" if committee else f"Chi bộ {rng.choice(AGENCY_BRANCHES)}"
        if where == "government":
            pick = rng.random()
            if committee:
                if pick < 0.4:
                    return f"Đảng bộ Sở {rng.choice(DEPARTMENTS)}"
                if pick < 0.6:
                    return "Đảng bộ Bệnh viện Đa khoa"
                if pick < 0.75:
                    return "Đảng bộ Trường Cao đẳng Kỹ thuật"
                return f"Đảng bộ Công ty {rng.choice(BUSINESSES)}"
            if pick < 0.5:
                return f"Chi bộ Trung tâm {rng.choice(GOVERNMENT_CENTRES)}"
            return f"Chi bộ Ban Quản lý dự án {rng.choice(['Giao thông', 'Dân dụng', 'Nông nghiệp'])}"
        place = parent.name
        for prefix in ("Đảng bộ xã ", "Đảng bộ phường ", "Đảng bộ đặc khu "):
            place = place.removeprefix(prefix)
        pick = rng.random()
        if committee:
            if pick < 0.3:
                return f"Đảng bộ Quân sự {place}"
            if pick < 0.6:
                return f"Đảng bộ Công an {place}"
            return f"Đảng bộ Công ty {rng.choice(BUSINESSES)} {place}"
        if pick < 0.3:
            return f"Chi bộ Trường Tiểu học {place}"
        if pick < 0.5:
            return f"Chi bộ Trường Mầm non {place}"
        if pick < 0.65:
            return f"Chi bộ Trường Trung học cơ sở {place}"
        if pick < 0.8:
            return f"Chi bộ Trạm Y tế {place}"
        return f"Chi bộ Hợp tác xã {place}"

    def _route(self, org: Org) -> None:
        """The stages after S8 for a candidate of this branch, from members.authority (as services.steps.route_after_branch_resolution)."""
        chain = [OrgNode(o.id, o.kind, o.name, o.delegated, o.upper_powers) for o in org.chain()]
        authority = admission_authority(chain)
        decides_itself = authority.body == DecidingBody.GRASSROOTS_COMMITTEE
        after_branch = next_after_branch_resolution(
            has_sub_committee=authority.appraisal_by is not None,
            has_grassroots_committee=authority.grassroots_resolution_by is not None or decides_itself,
            grassroots_decides_itself=decides_itself,
        )
        route = [S.S0, S.S1, S.S2, S.S3, S.S4, S.S5, S.S6, S.S7, S.S8]
        if after_branch == S.S8A:
            route.append(S.S8A)
        if after_branch in (S.S8A, S.S9):
            route.append(S.S9)
            if next_after_grassroots_resolution(grassroots_decides_itself=decides_itself) == S.S10:
                route.append(S.S10)
        else:
            route.append(S.S10)
        route += [S.S11, S.S12, S.S13, S.S14, S.S15, S.S16, S.S17]
        org.route = tuple(route)
        body = VotingBody.DELEGATED_GRASSROOTS_COMMITTEE if decides_itself else VotingBody.GRASSROOTS_COMMITTEE
        org.voting_body = body.name

    def _allocate(self, tree: ProvinceTree, holding: list[Org], rng: random.Random) -> None:
        """Members and candidates per branch: skewed sizes, one branch with many candidates."""
        member_weights = [rng.lognormvariate(0, 0.5) * (0.8 if o.kind == "grassroots_branch" else 1.0) for o in holding]
        self._spread(tree.members, member_weights, holding, "members", minimum=3)
        # The benchmark branch: the first branch under a sub-committee (the longest route).
        heavy = next(o for o in holding if o.parent is not None and o.parent.kind == "sub_committee")
        heavy_share = max(len(STAGE_WEIGHTS), min(300, tree.candidates // 10))
        candidate_weights = [o.members * rng.lognormvariate(0, 0.7) for o in holding]
        self._spread(tree.candidates - heavy_share, candidate_weights, holding, "candidates", minimum=0)
        heavy.candidates += heavy_share
        tree.heavy_branch = heavy

    @staticmethod
    def _spread(total: int, weights: list[float], orgs: list[Org], attribute: str, minimum: int) -> None:
        spare = total - minimum * len(orgs)
        scale = spare / sum(weights)
        cumulative, given = 0.0, 0
        for org, weight in zip(orgs, weights, strict=True):
            cumulative += weight * scale
            share = round(cumulative) - given
            given += share
            setattr(org, attribute, minimum + share)

    def _org_row(self, org: Org) -> str:
        return "\t".join(
            (
                str(org.id),
                org.kind,
                org.name,
                org.code,
                tsv_opt(org.parent.id if org.parent else None),
                org.path,
                str(org.depth),
                tsv_bool(org.delegated),
                tsv_bool(org.upper_powers),
                tsv_opt(org.province_code),
                tsv_opt(org.ward_code),
                NULL,
                NULL,
                str(org.meeting_day),
            )
        )

    def _branch_reviews(self, loader: Loader, trees: list[ProvinceTree]) -> None:
        """Each branch's next monthly-review reminder, as the first sweep would create it."""
        rows = loader.register(BranchReview, REVIEW_COLUMNS)
        due_by_day: dict[int, str] = {}
        for tree in trees:
            for org in tree.orgs:
                if not org.holds_people:
                    continue
                if org.meeting_day not in due_by_day:
                    day = schedule.next_meeting_reminder(Organisation(meeting_day=org.meeting_day), self.today)
                    due_by_day[org.meeting_day] = schedule.due_at(day, self.now).isoformat(sep=" ")
                rows.append(f"{self._next(BranchReview)}\t{org.id}\t{due_by_day[org.meeting_day]}\t0")
                if len(rows) >= CHUNK_ROWS:
                    loader.flush(BranchReview)
        loader.flush(BranchReview)
