"""The dataset generator's presets and proportions: sizes, shares, and how candidates move through stages."""

from __future__ import annotations

from dataclasses import dataclass

from admission.domain.stages import PIPELINE, Stage
from admission.workflow import NEXT_STEP, STEP_BY_KEY

S = Stage

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
# The candidate field set by the step that leaves each stage of the pipeline (workflow.STEPS).
FIELD_BY_FROM: dict[Stage, str] = {
    stage: field
    for stage, key in NEXT_STEP.items()
    if stage in PIPELINE and (field := STEP_BY_KEY[key].date_field) is not None
}
# Removal from the probationary list happens from these stages (weights).
REMOVED_FROM = {S.S13: 0.5, S.S14: 0.2, S.S15: 0.15, S.S16: 0.15}
REMOVAL_NOTE = "Không đủ tư cách đảng viên, xóa tên khỏi danh sách đảng viên dự bị (HD06 4.6)"
