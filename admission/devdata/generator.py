"""Generate a realistic dataset of party organisations, people, members and candidates (issue 7).

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
"""

from __future__ import annotations

import datetime as dt
import io
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, field
from typing import Any, cast

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone
from vietnam_provinces import Province, Ward

from admission import dates as date_rules
from admission import schedule
from admission.domain.calendar import WorkingCalendar
from admission.domain.periods import add_months
from admission.domain.reminders import next_occurrence
from admission.domain.stages import Stage, next_after_branch_resolution, next_after_grassroots_resolution
from admission.domain.statistics import PACKAGE_CALENDAR
from admission.domain.votes import VotingBody, threshold_for, threshold_rule
from admission.models import BranchReview, Candidate, StageTransition, Vote
from admission.reporting.cache import statistics_touch_all
from admission.rulebook import RuleBook, calendar_for, rulebook_for
from members import names
from members.authority import DecidingBody, OrgNode, admission_authority
from members.cccd import PROVINCE_CODES
from members.models import Organisation, PartyMember, Person, Role, RoleAssignment, User

S = Stage
CHUNK_ROWS = 100_000
NULL = "\\N"  # COPY text format

# --- Presets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    members: int
    candidates: int
    grassroots: int
    branches: int


@dataclass(frozen=True)
class Preset:
    """National totals; a province gets its share by weight (all of it when there is one)."""

    members: int
    candidates: int
    grassroots: int
    branches: int
    provinces: int | None  # None: every province; n: the first n of the chosen ones
    communes_per_province: int | None = None  # None: every real ward of the province


PRESETS: dict[str, Preset] = {
    "tiny": Preset(members=300, candidates=120, grassroots=8, branches=24, provinces=1, communes_per_province=3),
    "province": Preset(members=150_000, candidates=20_000, grassroots=1_600, branches=7_000, provinces=1),
    "national": Preset(members=5_500_000, candidates=300_000, grassroots=55_000, branches=250_000, provinces=None),
}
DEFAULT_PROVINCE = 19  # Thái Nguyên, the demo province
# Shares of members by status (the rest removed or left), and of grassroots organisations by parent.
OFFICIAL_SHARE, PROBATIONARY_SHARE, REMOVED_SHARE = 0.85, 0.03, 0.04
GRASSROOTS_UNDER = {"commune": 0.60, "agencies": 0.08, "government": 0.32}
COMMITTEE_SHARE = {"commune": 0.30, "agencies": 0.45, "government": 0.60}  # the rest are grassroots branches
VILLAGE_BRANCH_SHARE = 0.38
DELEGATED_SHARE, SUB_COMMITTEE_SHARE, UPPER_POWERS_SHARE = 0.05, 0.04, 0.01
# Rough size of each province: its number of wards, the two metropolises weighted up.
PROVINCE_BOOST = {1: 2.5, 79: 1.6}

# --- Candidates: where they are and how long each step takes (days, after admission.devdata.demo) -------

STAGE_WEIGHTS: dict[Stage, float] = {
    S.S0: 10, S.S1: 13, S.S2: 5, S.S3: 2.5, S.S4: 3, S.S5: 3, S.S6: 4, S.S7: 3, S.S8: 4, S.S8A: 0.6,
    S.S9: 2, S.S10: 2.5, S.S11: 2, S.S12: 2.5, S.S13: 16, S.S14: 1.5, S.S15: 1.5, S.S16: 1.5, S.S17: 20,
    S.SX: 1.2,
}  # fmt: skip
# Days spent in a stage the candidate has left (TIMELINE offsets with spread).
PREVIOUS_DWELL: dict[Stage, tuple[int, int]] = {
    S.S0: (4, 120), S.S1: (20, 120), S.S2: (25, 90), S.S3: (5, 30), S.S4: (7, 40), S.S5: (10, 45),
    S.S6: (20, 80), S.S7: (10, 40), S.S8: (7, 45), S.S8A: (3, 15), S.S9: (5, 25), S.S10: (10, 60),
    S.S11: (6, 40), S.S12: (12, 40), S.S13: (30, 300), S.S14: (2, 15), S.S15: (3, 20), S.S16: (7, 40),
}  # fmt: skip
# Days since the candidate entered the stage they are in now (some run past their deadline).
CURRENT_DWELL: dict[Stage, tuple[int, int]] = {
    S.S0: (0, 540), S.S1: (0, 400), S.S2: (0, 100), S.S3: (0, 30), S.S4: (0, 45), S.S5: (0, 45),
    S.S6: (0, 70), S.S7: (0, 45), S.S8: (0, 60), S.S8A: (0, 20), S.S9: (0, 35), S.S10: (0, 75),
    S.S11: (0, 50), S.S12: (0, 50), S.S13: (0, 330), S.S14: (0, 40), S.S15: (0, 40), S.S16: (0, 50),
    S.S17: (0, 1500), S.SX: (0, 1000),
}  # fmt: skip
# The candidate field set by the step that leaves each stage (workflow.STEPS).
FIELD_BY_FROM: dict[Stage, str] = {
    S.S0: "sympathiser_date",
    S.S1: "class_proposed_date",
    S.S2: "certificate_issue_date",
    S.S3: "dossier_start_date",
    S.S4: "application_date",
    S.S5: "introduction_date",
    S.S6: "verification_completed_date",
    S.S7: "comments_completed_date",
    S.S8: "branch_resolution_date",
    S.S8A: "appraisal_date",
    S.S9: "grassroots_resolution_date",
    S.S10: "decision_date",
    S.S11: "ceremony_date",
    S.S12: "records_completed_date",
    S.S14: "recognition_dossier_date",
    S.S15: "recognition_branch_date",
    S.S16: "recognition_decision_date",
}
# Removal from the probationary list happens from these stages (weights).
REMOVED_FROM = {S.S13: 0.5, S.S14: 0.2, S.S15: 0.15, S.S16: 0.15}
REMOVAL_NOTE = "Không đủ tư cách đảng viên, xóa tên khỏi danh sách đảng viên dự bị (HD06 4.6)"

# --- Columns written (COPY column lists; the same names feed bulk_create) ------------------------

ORG_COLUMNS = (
    "id", "kind", "name", "code", "parent_id", "path", "depth", "delegated_to_admit", "upper_level_powers",
    "province_code", "ward_code", "valid_from", "valid_to", "meeting_day",
)  # fmt: skip
PERSON_COLUMNS = (
    "id", "organisation_id", "full_name", "family_name", "middle_name", "given_name", "search_key", "sort_key",
    "date_of_birth", "gender", "ethnicity", "religion", "cccd", "phone", "email", "hometown", "residence",
    "education_level", "occupation", "youth_union_member", "trade_union_member", "is_student",
    "private_enterprise_worker", "created_at",
)  # fmt: skip
MEMBER_COLUMNS = (
    "id", "person_id", "organisation_id", "status", "admission_decision_date", "ceremony_date", "official_date",
    "left_date", "card_number",
)  # fmt: skip
CANDIDATE_DATE_FIELDS = (
    "sympathiser_date", "class_proposed_date", "certificate_issue_date", "dossier_start_date", "application_date",
    "union_resolution_date", "introduction_date", "verification_completed_date", "comments_completed_date",
    "branch_resolution_date", "appraisal_date", "grassroots_resolution_date", "decision_date",
    "decision_received_date", "ceremony_date", "records_completed_date", "new_member_class_date",
    "recognition_dossier_date", "recognition_branch_date", "recognition_decision_date", "official_date",
    "removal_date",
)  # fmt: skip
CANDIDATE_COLUMNS = (
    "id", "person_id", "organisation_id", "stage", "stage_entered_at", "stage_entered_on", "next_due_on",
    "next_reminder_at", "reminder_sequence", "stage_transition_id", "failed_votes", "certificate_number",
    "introduction_mode", "decision_number", "deadline_extended", "area_exception", "literacy_exception_approved",
    "over_60_approved", "readmission", "readmission_approved", "political_issue_unresolved", "member_id",
    "created_at", *CANDIDATE_DATE_FIELDS,
)  # fmt: skip
TRANSITION_COLUMNS = (
    "id", "candidate_id", "from_stage", "to_stage", "at", "on_date", "acting_user_id", "note", "basis", "notified_at",
    "entered_on", "package_working_days",
)  # fmt: skip
VOTE_COLUMNS = (
    "id", "candidate_id", "body", "purpose", "held_on", "summoned", "excluded", "denominator", "yes", "no",
    "abstain", "form", "required", "passed", "rule", "created_by_id", "created_at",
)  # fmt: skip
REVIEW_COLUMNS = ("id", "organisation_id", "next_reminder_at", "sequence")
WRITTEN_MODELS: tuple[type[models.Model], ...] = (
    Organisation, Person, PartyMember, Candidate, StageTransition, Vote, BranchReview,
)  # fmt: skip

# --- Name and text pools (fictional people; NFC, no tab/newline/backslash) -----------------------

FAMILY_WEIGHTS = {
    "Nguyễn": 380, "Trần": 110, "Lê": 95, "Phạm": 70, "Hoàng": 30, "Huỳnh": 20, "Phan": 45, "Vũ": 25, "Võ": 14,
    "Đặng": 21, "Bùi": 20, "Đỗ": 14, "Hồ": 13, "Ngô": 13, "Dương": 10, "Lý": 5, "Đinh": 6, "Trương": 6,
    "Đào": 5, "Cao": 4, "Mai": 4, "Hà": 5, "Lương": 4, "Tạ": 3, "Lưu": 3, "Nông": 4, "Ma": 2, "Lò": 2,
    "Hầu": 2, "Thạch": 2,
}  # fmt: skip
MIDDLE_NAMES = {
    "M": ["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Xuân", "Ngọc", "Công", "Duy", "Tiến", "Văn Minh", "Đình"],
    "F": ["Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Phương", "Kim", "Hồng", "Thị Thu", "Thị Minh", "Mai", "Bích"],
}  # fmt: skip
GIVEN_NAMES = {
    "M": [
        "Đức", "Hùng", "Dũng", "Tuấn", "Nam", "Sơn", "Long", "Quân", "Bình", "Cường", "Hải", "Tùng", "Khánh",
        "Phong", "Việt", "Anh", "Ân", "Thắng", "Hiếu", "Huy", "Trung", "Kiên", "Thành", "Toàn", "Lực", "Hưng",
        "Đạt", "Vinh", "Phúc", "Lâm", "Khoa", "Bảo", "Quý", "Tài", "Thịnh", "Nghĩa", "Hoàng", "Chiến", "Minh",
    ],
    "F": [
        "Lan", "Hương", "Hoa", "Mai", "Linh", "Trang", "Thảo", "Ngọc", "Yến", "Hạnh", "Nhung", "Huyền", "Ánh",
        "Dung", "Anh", "Ấn", "Hà", "Thủy", "Loan", "Phượng", "Vân", "Hằng", "Hiền", "Quyên", "Oanh", "Trâm",
        "Giang", "Nga", "Thư", "Chi", "Duyên", "My", "Nhàn", "Tâm", "Uyên", "Xuân", "Hồng", "Liên",
    ],
}  # fmt: skip
ETHNICITIES = (
    ["Kinh"] * 86
    + ["Tày"] * 3
    + ["Thái"] * 2
    + ["Mường"] * 2
    + ["Khmer", "Hoa", "Nùng", "Mông", "Dao", "Gia Rai", "Ê Đê"]
)
RELIGIONS = [""] * 90 + ["Phật giáo"] * 6 + ["Công giáo"] * 3 + ["Cao Đài"]
MEMBER_PROFILES = [
    # (education level, occupation, weight)
    ("university", "Công chức", 16), ("university", "Viên chức", 14), ("university", "Giáo viên", 10),
    ("postgraduate", "Viên chức", 3), ("university", "Bác sĩ", 3), ("college", "Điều dưỡng", 2),
    ("upper_secondary", "Nông dân", 14), ("upper_secondary", "Hưu trí", 14), ("lower_secondary", "Nông dân", 4),
    ("upper_secondary", "Công nhân", 5), ("vocational", "Công nhân", 3), ("university", "Kỹ sư", 4),
    ("upper_secondary", "Kinh doanh", 3), ("upper_secondary", "Quân nhân", 2), ("university", "Công an", 3),
]  # fmt: skip
CANDIDATE_PROFILES = [
    ("university", "Sinh viên", 12), ("upper_secondary", "Học sinh", 3), ("university", "Công chức", 15),
    ("university", "Viên chức", 14), ("university", "Giáo viên", 12), ("college", "Điều dưỡng", 4),
    ("university", "Bác sĩ", 3), ("upper_secondary", "Nông dân", 8), ("upper_secondary", "Công nhân", 8),
    ("vocational", "Công nhân", 6), ("university", "Kỹ sư", 6), ("upper_secondary", "Kinh doanh", 4),
    ("upper_secondary", "Quân nhân", 3), ("university", "Công an", 2),
]  # fmt: skip
DEPARTMENTS = [
    "Y tế", "Giáo dục và Đào tạo", "Tài chính", "Xây dựng", "Nông nghiệp và Môi trường", "Công Thương",
    "Khoa học và Công nghệ", "Văn hóa, Thể thao và Du lịch", "Tư pháp", "Nội vụ", "Dân tộc và Tôn giáo",
]  # fmt: skip
AGENCY_COMMITTEES = [
    "Ban Tổ chức Tỉnh ủy", "Ban Tuyên giáo và Dân vận Tỉnh ủy", "Văn phòng Tỉnh ủy", "Ủy ban Kiểm tra Tỉnh ủy",
    "Ban Nội chính Tỉnh ủy", "Báo và Phát thanh, Truyền hình", "Ủy ban Mặt trận Tổ quốc",
]  # fmt: skip
AGENCY_BRANCHES = [
    "Hội Nông dân", "Hội Liên hiệp Phụ nữ", "Tỉnh đoàn", "Trường Chính trị", "Liên đoàn Lao động",
    "Hội Cựu chiến binh", "Liên minh Hợp tác xã", "Hội Chữ thập đỏ",
]  # fmt: skip
BUSINESSES = [
    "Điện lực", "Cấp nước", "Môi trường đô thị", "Xây dựng số 1", "Vận tải", "Dược phẩm", "Cao su", "Xi măng",
    "Lương thực", "Thủy lợi",
]  # fmt: skip
UNITS = [
    "Phòng Hành chính", "Phòng Tổ chức", "Phòng Kế hoạch", "Phòng Tài vụ", "Phòng Kỹ thuật", "Phòng Kinh doanh",
    "Khoa Nội", "Khoa Ngoại", "Khoa Nhi", "Tổ Văn", "Tổ Toán", "Phân xưởng", "Đội Sản xuất", "Văn phòng",
]  # fmt: skip
SUB_COMMITTEE_UNITS = ["Khối Nội", "Khối Ngoại", "Khối Văn phòng", "Khối Kỹ thuật", "Khối Sản xuất", "Khối Kinh doanh"]
VILLAGE_NAMES = [
    "Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Tân Lập", "Đồng Tâm", "Hòa Bình", "Thống Nhất", "Quyết Tiến",
]  # fmt: skip
GOVERNMENT_CENTRES = ["Dịch vụ việc làm", "Kiểm soát bệnh tật", "Quy hoạch", "Khuyến nông"]


def _clean(text: str) -> str:
    """NFC, single-spaced, and safe in the COPY text format (our pools never need escaping)."""
    text = names.normalize_text(text)
    if any(ch in text for ch in "\t\n\r\\"):
        raise ValueError(f"unexpected character in generated text: {text!r}")
    return text


def _randint(rng: random.Random) -> Callable[[int, int], int]:
    """`rng.randint` without its argument checks (several times faster; inclusive bounds too)."""
    rand = rng.random

    def randint(low: int, high: int) -> int:
        return low + int(rand() * (high - low + 1))

    return randint


def _tsv_bool(value: bool) -> str:
    return "t" if value else "f"


def _opt(value: object) -> str:
    return NULL if value is None else str(value)


# --- The in-memory tree ----------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Org:
    id: int
    kind: str
    name: str
    code: str
    parent: Org | None
    path: str
    depth: int
    province_code: int | None = None
    ward_code: int | None = None
    delegated: bool = False
    upper_powers: bool = False
    meeting_day: int = 5
    children: list[Org] = field(default_factory=list)
    members: int = 0
    candidates: int = 0
    route: tuple[Stage, ...] = ()
    voting_body: str = ""

    @property
    def holds_people(self) -> bool:
        return self.kind in {"branch", "grassroots_branch", "village_branch"}

    def chain(self) -> list[Org]:
        nodes: list[Org] = []
        node: Org | None = self
        while node is not None:
            nodes.append(node)
            node = node.parent
        return nodes[::-1]


@dataclass
class ProvinceTree:
    code: int
    name: str
    root: Org
    communes: list[Org]
    orgs: list[Org]
    members: int
    candidates: int
    home_pool: list[str]
    heavy_branch: Org | None = None


@dataclass
class Login:
    username: str
    role: str
    organisation: str


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)
    password: str = ""
    database_bytes: int | None = None


class DatabaseNotEmpty(Exception):
    """The database already holds candidates or members (use --force to add anyway)."""


# --- Writing: COPY in a background thread, or bulk_create ------------------------------------------


class _Loader:
    """Buffers rows (TSV lines) per model and writes them in chunks, in the order they were flushed.

    On PostgreSQL a worker thread runs COPY on the *same* psycopg2 connection (so the same
    transaction) while the main thread generates the next chunk; psycopg2 releases the GIL while
    the server works. Before the main thread queries the database itself it calls `drain()`.
    """

    def __init__(self) -> None:
        connection.ensure_connection()
        # COPY needs psycopg2's copy_expert (the project's driver); anything else uses bulk_create.
        probe = connection.connection.cursor()
        self.postgres = connection.vendor == "postgresql" and hasattr(probe, "copy_expert")
        probe.close()
        self.buffers: dict[type[models.Model], list[str]] = {}
        self.columns: dict[type[models.Model], tuple[str, ...]] = {}
        self.counts: dict[str, int] = {}
        self.error: BaseException | None = None
        self.busy: dict[str, float] = {}  # seconds the database spent per table (COPY) or statement
        self.queue: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=3)
        self.thread: threading.Thread | None = None
        if self.postgres:
            self.raw = connection.connection
            self.thread = threading.Thread(target=self._work, name="datagen-copy", daemon=True)
            self.thread.start()

    def register(self, model: type[models.Model], columns: tuple[str, ...]) -> list[str]:
        self.columns[model] = columns
        return self.buffers.setdefault(model, [])

    def flush(self, model: type[models.Model]) -> None:
        rows = self.buffers[model]
        if not rows:
            return
        table = model._meta.db_table
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        if self.postgres:
            self._raise_worker_error()
            sql = f"COPY {table} ({', '.join(self.columns[model])}) FROM STDIN"
            self.queue.put((sql, "\n".join(rows) + "\n"))
        else:
            columns = self.columns[model]
            objects = [
                model(**{c: (None if v == NULL else v) for c, v in zip(columns, row.split("\t"), strict=True)})
                for row in rows
            ]
            model._default_manager.bulk_create(objects, batch_size=5000)
        rows.clear()

    def flush_all(self) -> None:
        for model in self.buffers:
            self.flush(model)

    def execute(self, sql: str) -> None:
        """Run a statement in order with the COPYs (PostgreSQL only)."""
        if self.postgres:
            self.queue.put((sql, ""))

    def drain(self) -> None:
        self.flush_all()
        if self.postgres:
            self.queue.join()
            self._raise_worker_error()

    def close(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None

    def _raise_worker_error(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _work(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is not None:
                    continue  # the transaction is aborted: skip what is left, the main thread raises
                sql, data = item
                started = time.perf_counter()
                with self.raw.cursor() as cursor:
                    if data:
                        cursor.copy_expert(sql, io.StringIO(data), size=1 << 20)
                    else:
                        cursor.execute(sql)
                key = sql.split(" (")[0] if data else sql.split(";")[0]
                self.busy[key] = self.busy.get(key, 0.0) + time.perf_counter() - started
            except BaseException as error:  # noqa: BLE001 - handed to the main thread
                self.error = error
            finally:
                self.queue.task_done()


# --- The generator -------------------------------------------------------------------------------


class _Facts:
    """What `admission.dates` and `admission.schedule` read of a candidate (a stand-in, no ORM)."""

    certificate_issue_date: dt.date | None = None
    dossier_start_date: dt.date | None = None
    branch_resolution_date: dt.date | None = None
    decision_received_date: dt.date | None = None
    ceremony_date: dt.date | None = None
    recognition_branch_date: dt.date | None = None
    deadline_extended = False

    def __init__(self, stage: Stage, dates: dict[str, dt.date]) -> None:
        self.stage_enum = stage
        for name, value in dates.items():
            setattr(self, name, value)


# The recorded dates each stage's deadline and reminder depend on (admission.dates.STAGE_DEADLINE).
DEADLINE_INPUTS: dict[Stage, tuple[str, ...]] = {
    S.S4: ("dossier_start_date",),
    S.S5: ("dossier_start_date",),
    S.S6: ("dossier_start_date",),
    S.S7: ("dossier_start_date",),
    S.S8: ("dossier_start_date", "certificate_issue_date"),
    S.S8A: ("branch_resolution_date",),
    S.S9: ("branch_resolution_date",),
    S.S10: ("branch_resolution_date",),
    S.S11: ("decision_received_date",),
    S.S12: ("ceremony_date",),
    S.S13: ("ceremony_date",),
    S.S14: ("ceremony_date",),
    S.S15: ("ceremony_date",),
    S.S16: ("recognition_branch_date",),
}


class DatasetGenerator:
    def __init__(
        self,
        *,
        preset: str,
        seed: int = 1,
        today: dt.date | None = None,
        password: str = "bench-2026!",  # noqa: S107 - the benchmark logins' documented default
        provinces: Sequence[int] | None = None,
        force: bool = False,
        log: Callable[[str], None] = lambda _message: None,
    ) -> None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}")
        self.preset = PRESETS[preset]
        self.preset_name = preset
        self.seed = seed
        self.today = today or timezone.localdate()
        self.password = password
        self.province_codes = list(provinces) if provinces else None
        self.force = force
        self.log = log
        tz = timezone.get_current_timezone()
        # Reminders become due at REMINDER_HOUR local time; "now" of the load is that hour today.
        self.now = dt.datetime.combine(self.today, dt.time(schedule.REMINDER_HOUR), tzinfo=tz)
        self.now_text = self.now.isoformat(sep=" ")
        self.summary = Summary(password=password)
        self._name_cache: dict[tuple[str, str, str], str] = {}
        self._deadline_cache: dict[tuple[object, ...], tuple[str, str, str]] = {}
        self._cccd_next: dict[str, int] = {}
        self._existing_cccd: set[str] = set()
        self._card = 0

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
            loader = _Loader()
            try:
                self._load(loader)
            finally:
                loader.close()
        self._step("commit", started)
        statistics_touch_all()  # COPY and bulk inserts bypass the signals of the statistics cache
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

    def _load(self, loader: _Loader) -> None:
        started = time.perf_counter()
        self.ids: dict[type[models.Model], int] = {model: self._max_id(model) for model in WRITTEN_MODELS}
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
        self.calendar: WorkingCalendar = calendar_for(first)
        self.rulebook: RuleBook = rulebook_for(first)
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

    def _next(self, model: type[models.Model]) -> int:
        self.ids[model] += 1
        return self.ids[model]

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

    # -- calendar: working days as arrays over the whole date range --

    def _prepare_calendar(self) -> None:
        self.base = dt.date(1920, 1, 1).toordinal()
        end = self.today.toordinal() + 2000
        calendar = self.calendar
        days = [dt.date.fromordinal(ordinal) for ordinal in range(self.base, end + 1)]
        iso = [day.isoformat() for day in days]
        years = [day.year for day in days]
        # Before 1990 (old admissions only) weekdays are close enough.
        working = [calendar.is_working_day(day) if day.year >= 1990 else day.weekday() < 5 for day in days]
        prev_wd, next_wd = [], []
        last = self.base
        for index, ordinal in enumerate(range(self.base, end + 1)):
            last = ordinal if working[index] else last
            prev_wd.append(last)
        following = end
        for index in range(len(days) - 1, -1, -1):
            following = self.base + index if working[index] else following
            next_wd.append(following)
        next_wd.reverse()
        self.iso, self.years, self.prev_wd, self.next_wd = iso, years, prev_wd, next_wd
        # Stage visits are stored with their working days by the package calendar alone
        # (StageTransition docstring): an index per day, the count of its working days up to it.
        package_index, count = [], 0
        for day in days:
            count += PACKAGE_CALENDAR.is_working_day(day)
            package_index.append(count)
        self.package_index = package_index
        self.today_o = self.today.toordinal()

    def _prev(self, ordinal: int) -> int:
        return self.prev_wd[ordinal - self.base]

    def _nextwd(self, ordinal: int) -> int:
        return self.next_wd[ordinal - self.base]

    def _d(self, ordinal: int | None) -> str:
        return NULL if ordinal is None else self.iso[ordinal - self.base]

    def _at(self, ordinal: int) -> str:
        """10:00 local time (03:00 UTC) on that day, as services are called by admission.devdata.demo."""
        return f"{self.iso[ordinal - self.base]} 03:00:00+00"

    # -- the tree --

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
            int(p.code): [_clean(f"{w.name}, {p.name}") for w in Ward.iter_by_province(p.code)]
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
            name=_clean(name),
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
        """The stages after S8 for a candidate of this branch, from members.authority (as services._route)."""
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
                _opt(org.parent.id if org.parent else None),
                org.path,
                str(org.depth),
                _tsv_bool(org.delegated),
                _tsv_bool(org.upper_powers),
                _opt(org.province_code),
                _opt(org.ward_code),
                NULL,
                NULL,
                str(org.meeting_day),
            )
        )

    def _branch_reviews(self, loader: _Loader, trees: list[ProvinceTree]) -> None:
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

    # -- people --

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
            "middle": {g: [_clean(m) for m in MIDDLE_NAMES[g]] for g in "MF"},
            "given": {g: [_clean(n) for n in GIVEN_NAMES[g]] for g in "MF"},
            "profile": [
                f"{_clean(e)}\t{_clean(r)}"
                for e, r in zip(ETHNICITIES, rng.sample(RELIGIONS * 2, len(ETHNICITIES)), strict=True)
            ],
            "member_work": [f"{edu}\t{_clean(job)}" for edu, job, w in MEMBER_PROFILES for _ in range(w)],
            "candidate_work": [f"{edu}\t{_clean(job)}" for edu, job, w in CANDIDATE_PROFILES for _ in range(w)],
            "codes": sorted(PROVINCE_CODES),
        }

    def _people(self, tree: ProvinceTree, rng: random.Random) -> None:
        pools = self._pools(rng)
        self._province = tree.code
        holding = [o for o in tree.orgs if o.holds_people]
        linked = self._candidates(tree, holding, rng, pools)
        self._plain_members(tree, holding, rng, pools, linked)

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
        rand, randint = rng.random, _randint(rng)
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

    # -- candidates --

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
        self._linked_status: dict[str, int] = {}
        sequence = 0
        work_pool = pools["candidate_work"]
        rand, randint = rng.random, _randint(rng)
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
                flags = f"{_tsv_bool(youth)}\t{_tsv_bool(rand() < 0.3)}\t{_tsv_bool(student)}\t{_tsv_bool(private)}"
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
            if source == S.S9 and target == S.S11:
                values["decision_date"] = values["decision_received_date"] = day
            elif source == S.S10:
                latest = entered[k + 1] if k + 1 < len(path) else self.today_o
                values["decision_received_date"] = min(self._nextwd(day + randint(0, 4)), latest)
            elif source == S.S5 and youth and day - born < 30 * 365:
                values["union_resolution_date"] = max(entered[k - 1], self._prev(day - randint(2, 10)))
            if source in (S.S8, S.S9, S.S15):
                basis = f"Vote {self._vote(candidate_id, source, org, day, randint)}"
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
                f"{note}\t{basis}\t{at}\t{visit}"
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
            _opt(transition_id),
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
            _opt(member_id),
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
            f"{NULL}\t{self._at(day)}"
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
                        first_name=_clean(str(Role(role).label)),
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
