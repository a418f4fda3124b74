"""The dataset generator's shared state: its options, the ids it assigns, and working days as arrays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone

from admission import schedule
from admission.devdata.loader import NULL, Loader
from admission.devdata.presets import PRESETS
from admission.domain.calendar import WorkingCalendar
from admission.domain.rules import RuleBook
from admission.domain.stages import Stage
from admission.domain.statistics import PACKAGE_CALENDAR

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


class GeneratorBase:
    """Options and state shared by the parts of `DatasetGenerator` (tree, people, candidates)."""

    # Set when the load starts (DatasetGenerator._load) and by the parts.
    ids: dict[type[models.Model], int]
    loader: Loader
    persons: list[str]
    members: list[str]
    candidates: list[str]
    transitions: list[str]
    votes: list[str]
    calendar: WorkingCalendar
    rulebook: RuleBook
    _province: int  # the code of the province whose people are being generated
    _linked_status: dict[str, int]  # members created by candidacies, per status

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

    def _next(self, model: type[models.Model]) -> int:
        self.ids[model] += 1
        return self.ids[model]

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
