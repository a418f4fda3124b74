"""Random people of the generated dataset: names, CCCD numbers, and members without a candidacy."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from admission.devdata.base import GeneratorBase, Org, ProvinceTree
from admission.devdata.loader import CHUNK_ROWS
from admission.devdata.pools import (
    CANDIDATE_PROFILES,
    ETHNICITIES,
    FAMILY_WEIGHTS,
    GIVEN_NAMES,
    MEMBER_PROFILES,
    MIDDLE_NAMES,
    RELIGIONS,
    clean,
    fast_randint,
)
from admission.devdata.presets import OFFICIAL_SHARE, PROBATIONARY_SHARE, REMOVED_SHARE
from admission.domain.periods import add_months
from members import names
from members.cccd import PROVINCE_CODES
from members.models import PartyMember, Person


class PeopleMixin(GeneratorBase):
    """Person rows and the members admitted before the tracker (or imported)."""

    def _name_block(self, family: str, middle: str, given: str) -> str:
        """full, family, middle, given, search key, sort key (members.names), cached per name."""
        key = (family, middle, given)
        block = self._name_cache.get(key)
        if block is None:
            full = names.normalize_name(f"{family} {middle} {given}")
            fam, mid, giv = names.split_name(full)
            block = "\t".join((full, fam, mid, giv, names.search_key(full), names.sort_key(fam, mid, giv)))
            self._name_cache[key] = block
        return block

    def _cccd(self, province: str, female: bool, year: int) -> str:
        """A structurally valid, unique CCCD: serials per 6-digit prefix, spread by a bijection mod 10^6."""
        century = {1800: 8, 1900: 0, 2000: 2}[year // 100 * 100]
        prefix = f"{province}{century + female}{year % 100:02d}"
        while True:
            counter = self._cccd_next.get(prefix, 0)
            self._cccd_next[prefix] = counter + 1
            number = f"{prefix}{(counter * 7919 + 104_729) % 1_000_000:06d}"
            if number not in self._existing_cccd:
                return number

    def _pools(self, rng: random.Random) -> dict[str, Any]:
        family = [name for name, weight in FAMILY_WEIGHTS.items() for _ in range(weight)]
        return {
            "family": family,
            "middle": {g: [clean(m) for m in MIDDLE_NAMES[g]] for g in "MF"},
            "given": {g: [clean(n) for n in GIVEN_NAMES[g]] for g in "MF"},
            "profile": [
                f"{clean(e)}\t{clean(r)}"
                for e, r in zip(ETHNICITIES, rng.sample(RELIGIONS * 2, len(ETHNICITIES)), strict=True)
            ],
            "member_work": [f"{edu}\t{clean(job)}" for edu, job, w in MEMBER_PROFILES for _ in range(w)],
            "candidate_work": [f"{edu}\t{clean(job)}" for edu, job, w in CANDIDATE_PROFILES for _ in range(w)],
            "codes": sorted(PROVINCE_CODES),
        }

    def _person_row(
        self,
        rng: random.Random,
        pools: dict[str, Any],
        tree: ProvinceTree,
        org_id: int,
        female: bool,
        born: int,
        work: str,
        flags: str,
    ) -> tuple[int, str]:
        rand = rng.random
        gender = "F" if female else "M"
        family = pools["family"]
        middle = pools["middle"][gender]
        given = pools["given"][gender]
        block = self._name_block(
            family[int(rand() * len(family))], middle[int(rand() * len(middle))], given[int(rand() * len(given))]
        )
        codes = pools["codes"]
        birth_place = f"{tree.code:03d}" if rand() < 0.85 else codes[int(rand() * len(codes))]
        cccd = self._cccd(birth_place, female, self.years[born - self.base])
        home = tree.home_pool
        profile = pools["profile"]
        person_id = self._next(Person)
        email = f"dv{person_id}@example.vn" if rand() < 0.05 else ""
        return person_id, (
            f"{person_id}\t{org_id}\t{block}\t{self.iso[born - self.base]}\t{gender}\t"
            f"{profile[int(rand() * len(profile))]}\t{cccd}\t09{int(rand() * 1e8):08d}\t{email}\t"
            f"{home[int(rand() * len(home))]}\t{home[int(rand() * len(home))]}\t{work}\t{flags}\t{self.now_text}"
        )

    def _plain_members(
        self, tree: ProvinceTree, holding: list[Org], rng: random.Random, pools: dict[str, Any], linked: dict[int, int]
    ) -> None:
        """Members without a candidacy in the tracker (admitted before it, or imported)."""
        rand, randint = rng.random, fast_randint(rng)
        today, prev = self.today_o, self.prev_wd
        base = self.base
        work_pool = pools["member_work"]
        # Candidates from S12 on are members already (probationary, official or removed): the plain
        # members make up the rest of each status's share.
        plain = {org.id: org.members - linked.get(org.id, 0) for org in holding}
        # A branch with more members from candidacies than its share (the benchmark branch) takes
        # them from the largest branches, so the province keeps its number of members.
        overflow = -sum(n for n in plain.values() if n < 0)
        for org in sorted(holding, key=lambda o: -plain[o.id]):
            if overflow <= 0:
                break
            taken = min(overflow, max(0, plain[org.id] - 3))
            plain[org.id] -= taken
            overflow -= taken
        total = max(1, sum(max(0, n) for n in plain.values()))
        by_status = self._linked_status

        def share(status: str, target: float) -> float:
            return max(0.0, target * tree.members - by_status.get(status, 0)) / total

        official_cut = share("official", OFFICIAL_SHARE)
        probationary_cut = official_cut + share("probationary", PROBATIONARY_SHARE)
        removed_cut = probationary_cut + share("removed", REMOVED_SHARE)
        persons, members = self.persons, self.members
        for org in holding:
            org_id = org.id
            for _ in range(plain[org_id]):
                roll = rand()
                female = rand() < 0.38
                if probationary_cut > roll >= official_cut:
                    status = "probationary"
                    age = 19 + 22 * rand() ** 1.5
                    ceremony = prev[today - randint(1, 360) - base]
                else:
                    status = "official" if roll < official_cut else ("removed" if roll < removed_cut else "left")
                    age = 20 + 72 * rand() ** 1.2
                    latest = min(age - 1.1, 45.0)
                    at_admission = 18.2 + (latest - 18.2) * rand() if latest > 18.2 else 18.2
                    ceremony = prev[today - int((age - at_admission) * 365.25) - base]
                born = today - int(age * 365.25)
                decision = prev[ceremony - randint(3, 40) - base]
                official: int | None = None
                left: int | None = None
                if status != "probationary":
                    end = self._probation_end(ceremony)
                    if status == "removed" and rand() < 0.5:
                        left = ceremony + randint(60, 330)  # removed during probation (HD06 4.6)
                    else:
                        official = end
                        if status != "official":
                            left = randint(end + 1, max(end + 1, today))
                card = ""
                if official is not None:
                    self._card += 1
                    card = f"{tree.code:02d}{self._card:08d}"
                person_id, row = self._person_row(
                    rng, pools, tree, org_id, female, born, work_pool[int(rand() * len(work_pool))], "f\tt\tf\tf"
                )
                persons.append(row)
                members.append(
                    f"{self._next(PartyMember)}\t{person_id}\t{org_id}\t{status}\t{self._d(decision)}\t"
                    f"{self._d(ceremony)}\t{self._d(official)}\t{self._d(left)}\t{card}"
                )
                if len(members) >= CHUNK_ROWS:
                    self.loader.flush(Person)
                    self.loader.flush(PartyMember)

    def _probation_end(self, ceremony: int) -> int:
        key = ("probation_end", ceremony)
        found = self._deadline_cache.get(key)
        if found is None:
            day = dt.date.fromordinal(ceremony)
            end = add_months(day, int(self.rulebook.for_date(day).value("probation_months")))
            found = (str(end.toordinal()), "", "")
            self._deadline_cache[key] = found
        return int(found[0])
