"""Demo data: a province built from public reports, fictional people, one login per role.

Figures from admission-rules.md ("Figures from public reports"): the Sở Tư pháp
party organisation (Bắc Kạn, now part of Thái Nguyên) has 46 members, 43
official and 3 probationary, and admitted 7, 5, 3, 1, 3, 3 members in 2015-2020.
People are fictional, with deterministic names, dates and structurally valid CCCDs.
"""

import os
import random
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from admission import services as admission_services
from admission.devdata.demo import at, remove_through_chain, walk_to
from admission.domain.periods import add_months
from admission.models import Candidate
from members import services
from members.cccd import cccd_prefix
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

FAMILY = (
    ["Nguyễn"] * 8
    + ["Trần"] * 3
    + ["Lê"] * 2
    + ["Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hà", "Ma", "Nông", "Lương", "Dương", "Ngô"]
)
MIDDLE: dict[str, list[str]] = {
    Gender.MALE: ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Xuân", "Ngọc"],
    Gender.FEMALE: ["Thị", "Thu", "Ngọc", "Thanh", "Phương", "Kim", "Hồng"],
}
GIVEN: dict[str, list[str]] = {
    Gender.MALE: [
        "Đức",
        "Hùng",
        "Dũng",
        "Tuấn",
        "Nam",
        "Sơn",
        "Long",
        "Quân",
        "Bình",
        "Cường",
        "Hải",
        "Tùng",
        "Khánh",
        "Phong",
        "Việt",
        "Anh",
        "Ân",
        "Thắng",
    ],
    Gender.FEMALE: [
        "Lan",
        "Hương",
        "Hoa",
        "Mai",
        "Linh",
        "Trang",
        "Thảo",
        "Ngọc",
        "Yến",
        "Hạnh",
        "Nhung",
        "Huyền",
        "Ánh",
        "Dung",
        "Anh",
        "Ấn",
    ],
}
ETHNICITY = ["Kinh"] * 6 + ["Tày", "Tày", "Nùng", "Dao", "Mông", "Sán Chay"]
OCCUPATION = [
    "Công chức",
    "Viên chức",
    "Giáo viên",
    "Bác sĩ",
    "Điều dưỡng",
    "Kỹ sư",
    "Nông dân",
    "Công nhân",
    "Sinh viên",
    "Kinh doanh",
]
DEMO_LOGINS = [
    # (username, full name, role, organisation code)
    ("admin", "Quản trị hệ thống", Role.ADMINISTRATOR, "TN"),
    ("bithu.vanphong", "Bí thư Chi bộ Văn phòng Sở Tư pháp", Role.BRANCH_SECRETARY, "TN-UB-STP-VP"),
    ("phobithu.vanphong", "Phó Bí thư Chi bộ Văn phòng", Role.BRANCH_DEPUTY, "TN-UB-STP-VP"),
    ("canbo.stp", "Cán bộ Văn phòng Đảng ủy Sở Tư pháp", Role.COMMITTEE_STAFF, "TN-UB-STP"),
    ("lanhdao.ubnd", "Lãnh đạo Đảng ủy UBND tỉnh", Role.COMMITTEE_LEADER, "TN-UB"),
    ("canbo.ducxuan", "Cán bộ Đảng ủy phường Đức Xuân", Role.COMMITTEE_STAFF, "TN-DX"),
    ("bithu.tdp1", "Bí thư Chi bộ Tổ dân phố 1", Role.BRANCH_SECRETARY, "TN-DX-TDP1"),
    ("kiemtra.tinh", "Cán bộ Ủy ban Kiểm tra Tỉnh ủy", Role.AUDITOR, "TN"),
    ("giupdo.vanphong", "Đảng viên giúp đỡ, Chi bộ Văn phòng", Role.MENTOR, "TN-UB-STP-VP"),
]
# (code, parent code, kind, name, extra fields)
TREE: list[tuple[str, str | None, str, str, dict[str, Any]]] = [
    ("TN", None, OrganisationKind.PROVINCE, "Đảng bộ tỉnh Thái Nguyên", {"province_code": 19}),
    ("TN-UB", "TN", OrganisationKind.PROVINCIAL_GOVERNMENT, "Đảng bộ Ủy ban nhân dân tỉnh", {"province_code": 19}),
    ("TN-UB-STP", "TN-UB", OrganisationKind.GRASSROOTS_COMMITTEE, "Đảng bộ Sở Tư pháp", {"province_code": 19}),
    ("TN-UB-STP-VP", "TN-UB-STP", OrganisationKind.BRANCH, "Chi bộ Văn phòng Sở Tư pháp", {}),
    ("TN-UB-STP-HC", "TN-UB-STP", OrganisationKind.BRANCH, "Chi bộ Phòng Hành chính tư pháp", {}),
    ("TN-UB-STP-TG", "TN-UB-STP", OrganisationKind.BRANCH, "Chi bộ Trung tâm Trợ giúp pháp lý", {}),
    ("TN-UB-STP-CC", "TN-UB-STP", OrganisationKind.BRANCH, "Chi bộ Phòng Công chứng số 1", {}),
    (
        "TN-UB-BV",
        "TN-UB",
        OrganisationKind.GRASSROOTS_COMMITTEE,
        "Đảng bộ Bệnh viện Đa khoa tỉnh",
        {"province_code": 19},
    ),
    ("TN-UB-BV-NOI", "TN-UB-BV", OrganisationKind.SUB_COMMITTEE, "Đảng bộ bộ phận Khối Nội", {}),
    ("TN-UB-BV-NOI-TH", "TN-UB-BV-NOI", OrganisationKind.BRANCH, "Chi bộ Khoa Nội tổng hợp", {}),
    ("TN-UB-BV-NOI-TM", "TN-UB-BV-NOI", OrganisationKind.BRANCH, "Chi bộ Khoa Tim mạch", {}),
    ("TN-UB-BV-NGOAI", "TN-UB-BV", OrganisationKind.SUB_COMMITTEE, "Đảng bộ bộ phận Khối Ngoại", {}),
    ("TN-UB-BV-NGOAI-CT", "TN-UB-BV-NGOAI", OrganisationKind.BRANCH, "Chi bộ Khoa Ngoại chấn thương", {}),
    (
        "TN-UB-DL",
        "TN-UB",
        OrganisationKind.GRASSROOTS_COMMITTEE,
        "Đảng bộ Công ty Điện lực Thái Nguyên",
        {"delegated_to_admit": True},
    ),
    ("TN-UB-DL-VH", "TN-UB-DL", OrganisationKind.BRANCH, "Chi bộ Phòng Vận hành", {}),
    ("TN-UB-DL-KD", "TN-UB-DL", OrganisationKind.BRANCH, "Chi bộ Phòng Kinh doanh", {}),
    ("TN-CQ", "TN", OrganisationKind.PROVINCIAL_AGENCIES, "Đảng bộ các cơ quan Đảng tỉnh", {"province_code": 19}),
    ("TN-CQ-BAO", "TN-CQ", OrganisationKind.GRASSROOTS_BRANCH, "Chi bộ Báo Thái Nguyên", {}),
    ("TN-DX", "TN", OrganisationKind.COMMUNE, "Đảng bộ phường Đức Xuân", {"province_code": 19, "ward_code": 1840}),
    ("TN-DX-TDP1", "TN-DX", OrganisationKind.VILLAGE_BRANCH, "Chi bộ Tổ dân phố 1", {"ward_code": 1840}),
    ("TN-DX-TDP2", "TN-DX", OrganisationKind.VILLAGE_BRANCH, "Chi bộ Tổ dân phố 2", {"ward_code": 1840}),
    ("TN-DX-THCS", "TN-DX", OrganisationKind.GRASSROOTS_BRANCH, "Chi bộ Trường THCS Đức Xuân", {"ward_code": 1840}),
    ("TN-CD", "TN", OrganisationKind.COMMUNE, "Đảng bộ xã Chợ Đồn", {"province_code": 19, "ward_code": 2020}),
    ("TN-CD-BD", "TN-CD", OrganisationKind.VILLAGE_BRANCH, "Chi bộ thôn Bản Duồng", {"ward_code": 2020}),
    ("TN-CD-NP", "TN-CD", OrganisationKind.VILLAGE_BRANCH, "Chi bộ thôn Nà Pài", {"ward_code": 2020}),
]
# Sở Tư pháp: 22 admitted 2015-2020 as reported, 21 older official members, 3 probationary.
STP_ADMISSIONS = {2015: 7, 2016: 5, 2017: 3, 2018: 1, 2019: 3, 2020: 3}
# Branch -> (target stage, days since the person was first followed) for its non-members.
# Routes differ by tree: STP S8->S9->S10; the hospital S8->S8A->S9->S10; the power company
# (delegated) S8->S9->S11; the residential-group branch S8->S10 (commune committee).
DEMO_PIPELINES = {
    "TN-UB-STP-VP": [("S1", 40), ("S8", 200), ("S10", 300), ("S13", 400), ("S15", 690)],
    "TN-UB-STP-HC": [("S0", 5), ("S4", 100), ("S11", 265)],
    "TN-UB-BV-NOI-TH": [("S2", 45), ("S8A", 225)],
    "TN-UB-DL-VH": [("S9", 235), ("S12", 290)],
    "TN-DX-TDP1": [("S6", 150), ("S10", 260)],
}
STP_BRANCHES = ["TN-UB-STP-VP", "TN-UB-STP-HC", "TN-UB-STP-TG", "TN-UB-STP-CC"]
OTHER_BRANCH_SIZES = {
    "TN-UB-BV-NOI-TH": 9,
    "TN-UB-BV-NOI-TM": 7,
    "TN-UB-BV-NGOAI-CT": 8,
    "TN-UB-DL-VH": 10,
    "TN-UB-DL-KD": 8,
    "TN-CQ-BAO": 12,
    "TN-DX-TDP1": 11,
    "TN-DX-TDP2": 9,
    "TN-DX-THCS": 7,
    "TN-CD-BD": 6,
    "TN-CD-NP": 5,
}


class Command(BaseCommand):
    help = "Load the demo province, people and one login per role (only on an empty database)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off (never in production)")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("Demo data is only loaded with DJANGO_DEBUG=1 (or --force).")
        if Organisation.objects.exists():
            self.stdout.write("Demo data already present; nothing loaded.")
            return
        self.rng = random.Random(20261123)  # deterministic demo
        self.used_cccd: set[str] = set()
        orgs: dict[str, Organisation] = {}
        for code, parent, kind, name, extra in TREE:
            orgs[code] = services.organisation_create(
                acting_user=None,
                kind=kind,
                name=name,
                code=code,
                parent=orgs.get(parent or ""),
                valid_from=date(2025, 7, 1),
                **extra,
            )
        self._load_stp(orgs)
        for code, size in OTHER_BRANCH_SIZES.items():
            for index in range(size):
                status = MemberStatus.PROBATIONARY if index == size - 1 else MemberStatus.OFFICIAL
                decision = (
                    date(2026, 3, 10)
                    if status == MemberStatus.PROBATIONARY
                    else date(self.rng.randint(1995, 2023), self.rng.randint(1, 12), self.rng.randint(1, 28))
                )
                self._member(orgs[code], status, decision)
            for _index in range(3):  # outstanding non-members the branch follows
                self._person(orgs[code], age_range=(19, 35))
        password = os.environ.get("DEMO_PASSWORD", "demo-2026!")
        for username, full_name, role, org_code in DEMO_LOGINS:
            user = User.objects.create_user(username=username, password=password, email=f"{username}@example.invalid")
            user.first_name = full_name
            user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
            user.save()
            services.role_assign(acting_user=None, user=user, organisation=orgs[org_code], role=role)
        self._load_candidates(orgs)
        self._load_side_paths(orgs)
        # The mentor login is the first introducer of the Văn phòng branch's candidates.
        mentor = User.objects.get(username="giupdo.vanphong")
        mentor.person = (
            PartyMember.objects.filter(organisation=orgs["TN-UB-STP-VP"], status=MemberStatus.OFFICIAL)
            .order_by("pk")[0]
            .person
        )
        mentor.save(update_fields=["person"])
        self._load_plans(orgs)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {Organisation.objects.count()} organisations, {Person.objects.count()} people "
                f"and {Candidate.objects.count()} candidates."
            )
        )

    def _load_plans(self, orgs: dict[str, Organisation]) -> None:
        """This year's and last year's plans (chỉ tiêu) of the province's organisations, so the
        statistics page has percentages of the plan to show."""
        from admission.reporting.plans import annual_plan_set

        this_year = date.today().year  # noqa: DTZ011 - demo data follow the calendar year of the machine
        for organisation in Organisation.objects.exclude(kind__in=["branch", "village_branch"]):
            size = PartyMember.objects.filter(organisation__path__startswith=organisation.path).count()
            for year in (this_year - 1, this_year):
                admit = max(1, round(size * 0.035))  # the national target: 3-4 % of members a year
                annual_plan_set(
                    acting_user=None,
                    organisation=organisation,
                    year=year,
                    admit=admit,
                    awareness_class=admit * 2,
                    new_member_class=admit,
                )

    def _load_candidates(self, orgs: dict[str, Organisation]) -> None:
        """Follow the branches' outstanding non-members at different stages, dated back from today
        so that the demo always shows steps due soon and some overdue."""
        today = timezone.localdate()
        for code, targets in DEMO_PIPELINES.items():
            branch = orgs[code]
            people = list(Person.objects.filter(organisation=branch, membership__isnull=True).order_by("pk"))
            introducers = list(
                PartyMember.objects.filter(organisation=branch, status=MemberStatus.OFFICIAL).order_by("pk")[:2]
            )
            for person, (target, days_ago) in zip(people, targets, strict=False):
                start = today - timedelta(days=days_ago)
                candidate = admission_services.candidate_create(acting_user=None, person=person, now=at(start))
                walk_to(candidate, target, user=None, introducers=introducers, start=start)

    def _load_side_paths(self, orgs: dict[str, Organisation]) -> None:
        """The life cycle's other ends, so that each screen shows them: in the Sở Tư pháp's legal-aid centre
        branch a probationer removed (S-X), a candidate not admitted (back to S1), a deadlock after
        three failed recognition votes (S-Y) and an annulled decision (S-Z); from another of its
        branches a dossier that had gone up moved to the office branch (S10 there, HD06 3.9b)."""
        today = timezone.localdate()
        branch = orgs["TN-UB-STP-TG"]
        people = list(Person.objects.filter(organisation=branch, membership__isnull=True).order_by("pk"))
        introducers = list(
            PartyMember.objects.filter(organisation=branch, status=MemberStatus.OFFICIAL).order_by("pk")[:2]
        )

        def follow(person: Person, target: str, days_ago: int) -> Candidate:
            start = today - timedelta(days=days_ago)
            candidate = admission_services.candidate_create(acting_user=None, person=person, now=at(start))
            return walk_to(candidate, target, user=None, introducers=introducers, start=start)

        def act(candidate: Candidate, key: str, day: date, note: str, **extra: Any) -> None:
            admission_services.candidate_step(
                acting_user=None,
                candidate=candidate,
                step_key=key,
                data=admission_services.StepInput(on_date=day, note=note, **extra),
                now=at(day),
            )

        removed = follow(people[0], "S13", 400)
        remove_through_chain(
            removed,
            day=today - timedelta(days=12),
            branch_user=None,
            grassroots_user=None,
            committee_user=None,
            note="Vi phạm tư cách đảng viên dự bị, không tiến bộ sau nhắc nhở",
        )
        refused = follow(people[1], "S10", 300)
        act(
            refused,
            "reject",
            today - timedelta(days=6),
            "Chưa kết luận được vấn đề tiêu chuẩn chính trị của người thân",
            vote=admission_services.VoteCounts(summoned=9, yes=3, no=6),
        )
        stuck = follow(people[2], "S15", 700)
        for attempt in (1, 2, 3):
            day = stuck.stage_entered_on + timedelta(days=attempt)
            admission_services.candidate_vote(
                acting_user=None,
                candidate=stuck,
                step_key="recognition_vote",
                held_on=day,
                summoned=9,
                excluded=0,
                yes=5,
                no=4,
                abstain=0,
                form="secret",
                now=at(day),
            )
            stuck.refresh_from_db()
        annulled = follow(people[3], "S11", 265)
        act(annulled, "annul", today - timedelta(days=3), "Quyết định ký sai thẩm quyền: làm lại bước quyết định")
        # A move within the Sở Tư pháp (both branches decided by the UBND committee: nothing to forward).
        self._moved_after_branch_vote(
            orgs["TN-UB-STP-CC"], orgs["TN-UB-STP-VP"], days_ago=240, moved_days_ago=7,
            note="Điều động công tác sang Văn phòng Sở",
        )  # fmt: skip
        # A move after the dossier went up, to a place another committee decides for: the Provincial
        # Government's committee (lanhdao.ubnd) owes the forwarding of the dossier (T11, HD06 3.9b).
        self._moved_after_branch_vote(
            orgs["TN-UB-STP-HC"], orgs["TN-DX-TDP1"], days_ago=250, moved_days_ago=4, note="Chuyển về nơi cư trú"
        )

    def _moved_after_branch_vote(
        self, branch: Organisation, to_branch: Organisation, *, days_ago: int, moved_days_ago: int, note: str
    ) -> None:
        """A person of `branch` followed since `days_ago` to the branch's vote (S9), then moved to `to_branch`."""
        today = timezone.localdate()
        person = (
            Person.objects.filter(organisation=branch, membership__isnull=True, candidacies__isnull=True)
            .order_by("pk")
            .first()
        )
        if person is None:
            return
        start = today - timedelta(days=days_ago)
        candidate = admission_services.candidate_create(acting_user=None, person=person, now=at(start))
        introducers = PartyMember.objects.filter(organisation=branch, status=MemberStatus.OFFICIAL).order_by("pk")[:2]
        walk_to(candidate, "S9", user=None, introducers=list(introducers), start=start)
        moved_on = today - timedelta(days=moved_days_ago)
        admission_services.candidate_transfer(
            acting_user=None, candidate=candidate, to_branch=to_branch, on_date=moved_on, note=note, now=at(moved_on)
        )

    def _load_stp(self, orgs: dict[str, Organisation]) -> None:
        branches = [orgs[c] for c in STP_BRANCHES]
        # The demo's search example lives in the first branch.
        self._member(branches[0], MemberStatus.OFFICIAL, date(2012, 5, 18), name="Nguyễn Văn Đức", gender=Gender.MALE)
        for index in range(20):
            self._member(
                branches[index % 4],
                MemberStatus.OFFICIAL,
                date(self.rng.randint(1990, 2014), self.rng.randint(1, 12), self.rng.randint(1, 28)),
            )
        counter = 0
        for year, count in STP_ADMISSIONS.items():
            for _index in range(count):
                self._member(
                    branches[counter % 4],
                    MemberStatus.OFFICIAL,
                    date(year, self.rng.randint(2, 11), self.rng.randint(1, 28)),
                )
                counter += 1
        for index, decision in enumerate([date(2025, 12, 15), date(2026, 4, 20), date(2026, 9, 8)]):
            self._member(branches[index], MemberStatus.PROBATIONARY, decision)
        for branch in branches:
            for _index in range(5 if branch == branches[0] else 4):
                self._person(branch, age_range=(20, 38))

    def _person(
        self, organisation: Organisation, *, age_range: tuple[int, int], name: str = "", gender: str = ""
    ) -> Person:
        gender = gender or self.rng.choice([Gender.MALE, Gender.FEMALE])
        name = name or " ".join(
            [self.rng.choice(FAMILY), self.rng.choice(MIDDLE[gender]), self.rng.choice(GIVEN[gender])]
        )
        born = date(2026 - self.rng.randint(*age_range), self.rng.randint(1, 12), self.rng.randint(1, 28))
        while True:
            number = (
                cccd_prefix(province_code=self.rng.choice(["006", "019"]), gender=gender, date_of_birth=born)
                + f"{self.rng.randint(0, 999999):06d}"
            )
            if number not in self.used_cccd:
                self.used_cccd.add(number)
                break
        return services.person_create(
            acting_user=None,
            organisation=organisation,
            full_name=name,
            date_of_birth=born,
            gender=gender,
            ethnicity=self.rng.choice(ETHNICITY),
            cccd=number,
            phone=f"09{self.rng.randint(10000000, 99999999)}",
            hometown=self.rng.choice(["Thái Nguyên", "Bắc Kạn", "Chợ Đồn, Thái Nguyên", "Phú Bình, Thái Nguyên"]),
            residence=self.rng.choice(["Phường Đức Xuân", "Phường Phan Đình Phùng", "Xã Chợ Đồn", "Phường Bắc Kạn"]),
            education_level=self.rng.choice(
                [
                    EducationLevel.UPPER_SECONDARY,
                    EducationLevel.UNIVERSITY,
                    EducationLevel.UNIVERSITY,
                    EducationLevel.COLLEGE,
                ]
            ),
            occupation=self.rng.choice(OCCUPATION),
            youth_union_member=born.year >= 1991,
            trade_union_member=True,
        )

    def _member(self, organisation: Organisation, status: str, decision: date, **person: Any) -> None:
        age_at_admission = self.rng.randint(22, 34)
        born_year = decision.year - age_at_admission
        person_obj = self._person(organisation, age_range=(2026 - born_year, 2026 - born_year), **person)
        ceremony = decision + timedelta(days=self.rng.randint(7, 30))
        services.member_create(
            acting_user=None,
            person=person_obj,
            status=status,
            admission_decision_date=decision,
            ceremony_date=ceremony,
            official_date=add_months(ceremony, 12),
            card_number=f"{self.rng.randint(10000000, 99999999)}" if status == MemberStatus.OFFICIAL else "",
        )
