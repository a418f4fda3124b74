"""The admission state machine (rules §3; architecture B).

A stage is the step *currently in progress*: S8 means "waiting for the branch resolution", and
passing that vote moves the candidate on. The table below is the only place that says which
moves are legal; ``services.candidate_transition`` calls :func:`assert_transition` and applies
:data:`CASCADE`. Eligibility (dates, votes, documents) is checked separately and returns reasons.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Stage(StrEnum):
    S0 = "S0"
    S1 = "S1"
    S2 = "S2"
    S3 = "S3"
    S4 = "S4"
    S5 = "S5"
    S6 = "S6"
    S7 = "S7"
    S8 = "S8"
    S8A = "S8A"
    S9 = "S9"
    S10 = "S10"
    S11 = "S11"
    S12 = "S12"
    S13 = "S13"
    S14 = "S14"
    S15 = "S15"
    S16 = "S16"
    S17 = "S17"
    SX = "SX"
    SY = "SY"
    SZ = "SZ"


Phase = Literal["pre_dossier", "dossier", "decision", "probation", "done"]


@dataclass(frozen=True)
class StageInfo:
    label_vi: str
    label_en: str
    actor_vi: str
    actor_en: str
    source: str
    is_terminal: bool
    is_member: bool  # probationary or official member while in this stage
    phase: Phase


STAGE_INFO: dict[Stage, StageInfo] = {
    Stage.S0: StageInfo(
        "Quần chúng ưu tú", "Outstanding non-member",
        "Đoàn thể, chi bộ", "Mass organisations, branch",
        "HD38 I.1.1d, I.1.3", False, False, "pre_dossier",
    ),
    Stage.S1: StageInfo(
        "Cảm tình Đảng", "On the sympathiser list",
        "Chi bộ", "Branch",
        "HD38 I.1.1b-d", False, False, "pre_dossier",
    ),
    Stage.S2: StageInfo(
        "Học lớp bồi dưỡng nhận thức về Đảng", "Party-awareness class",
        "Chi bộ, đảng ủy cơ sở, trung tâm chính trị", "Branch, grassroots committee, political centre",
        "HD06 3.1; HD38 I.1.1b-c", False, False, "pre_dossier",
    ),
    Stage.S3: StageInfo(
        # The step in progress is the permission itself (workflow "permit_dossier"): the stage is
        # entered when the certificate is recorded, before the committee has given it.
        "Chờ đảng ủy cơ sở cho phép lập hồ sơ", "Awaiting permission to start the dossier",
        "Đảng ủy cơ sở", "Grassroots committee",
        "HD38 I.1.1c-d", False, False, "dossier",
    ),
    Stage.S4: StageInfo(
        "Viết đơn và khai lý lịch", "Application and biography",
        "Người vào Đảng", "Applicant",
        "HD06 3.2, 3.3; HD38 I.1.4", False, False, "dossier",
    ),
    Stage.S5: StageInfo(
        "Giới thiệu người vào Đảng", "Introduction",
        "Đảng viên chính thức, Đoàn hoặc Công đoàn", "Official members, Youth Union or trade union",
        "ĐL 4.1-4.2; QĐ294 3.1-3.2", False, False, "dossier",
    ),
    Stage.S6: StageInfo(
        "Thẩm tra, xác minh lý lịch", "Background verification",
        "Chi bộ, đảng ủy cơ sở", "Branch, grassroots committee",
        "HD06 3.4; HD38 I.1.5", False, False, "dossier",
    ),
    Stage.S7: StageInfo(
        "Lấy ý kiến nhận xét", "Comments of organisations and residence",
        "Chi ủy", "Branch committee",
        "HD06 3.5", False, False, "dossier",
    ),
    Stage.S8: StageInfo(
        "Chi bộ xét, ra nghị quyết đề nghị kết nạp", "Branch resolution on admission",
        "Chi bộ", "Branch",
        "ĐL 4.3; HD06 3.6a-b, 5.1", False, False, "decision",
    ),
    Stage.S8A: StageInfo(
        "Đảng ủy bộ phận thẩm định", "Sub-committee appraisal",
        "Đảng ủy bộ phận", "Sub-committee",
        "HD06 3.6b; QĐ294 20.3.3", False, False, "decision",
    ),
    Stage.S9: StageInfo(
        "Đảng ủy cơ sở xét, ra nghị quyết", "Grassroots committee resolution",
        "Đảng ủy cơ sở", "Grassroots committee",
        "HD06 3.6c, 3.7a", False, False, "decision",
    ),
    Stage.S10: StageInfo(
        "Quyết định kết nạp", "Admission decision",
        "Cấp ủy có thẩm quyền", "Competent committee",
        "QĐ294 4.3.1-4.3.2; HD06 3.7", False, False, "decision",
    ),
    Stage.S11: StageInfo(
        "Chờ tổ chức lễ kết nạp", "Awaiting the admission ceremony",
        "Chi bộ", "Branch",
        "QĐ294 4.1; HD06 3.8", False, False, "decision",
    ),
    Stage.S12: StageInfo(
        "Khai lý lịch đảng viên, phiếu đảng viên", "Member records",
        "Đảng viên dự bị, chi bộ, đảng ủy cơ sở", "Probationary member, branch, grassroots committee",
        "HD38 I.2", False, True, "probation",
    ),
    Stage.S13: StageInfo(
        "Thời kỳ dự bị", "Probation",
        "Chi bộ, đảng viên giúp đỡ", "Branch, helper",
        "ĐL 5.1; HD06 3.10, 4.1", False, True, "probation",
    ),
    Stage.S14: StageInfo(
        "Hồ sơ công nhận đảng viên chính thức", "Recognition dossier",
        "Đảng viên dự bị, người giúp đỡ, chi ủy", "Probationary member, helper, branch committee",
        "HD06 4.2-4.4", False, True, "probation",
    ),
    Stage.S15: StageInfo(
        "Chi bộ xét công nhận đảng viên chính thức", "Branch resolution on recognition",
        "Chi bộ", "Branch",
        "ĐL 5.2; QĐ294 4.2.1; HD06 4.5a", False, True, "probation",
    ),
    Stage.S16: StageInfo(
        "Quyết định công nhận đảng viên chính thức", "Recognition decision",
        "Cấp ủy có thẩm quyền", "Competent committee",
        "ĐL 5.3; QĐ294 4.3.1; HD06 4.5", False, True, "probation",
    ),
    Stage.S17: StageInfo(
        "Đảng viên chính thức", "Official member",
        "—", "—",
        "QĐ294 4.2.2, 4.5.1, 6.1", True, True, "done",
    ),
    Stage.SX: StageInfo(
        "Xóa tên trong danh sách đảng viên dự bị", "Removed from the probationary list",
        "Cấp ủy có thẩm quyền", "Competent committee",
        "HD06 4.6; QĐ294 8.2", True, False, "done",
    ),
    Stage.SY: StageInfo(
        "Biểu quyết 3 lần không đủ 2/3, báo cáo cấp trên", "Deadlock escalated",
        "Cấp ủy cấp trên trực tiếp, cấp ủy có thẩm quyền", "Directly superior and competent committees",
        "QĐ294 4.2.3", False, True, "probation",
    ),
    Stage.SZ: StageInfo(
        "Hủy quyết định kết nạp sai", "Wrong admission annulled",
        "Cấp ủy đã ra quyết định, cấp ủy cấp trên", "Issuing and superior committees",
        "QĐ294 4.4; HD38 I.3", False, False, "decision",
    ),
}  # fmt: skip

# The forward order of the pipeline; SX, SY and SZ stand outside it.
PIPELINE: tuple[Stage, ...] = (
    Stage.S0, Stage.S1, Stage.S2, Stage.S3, Stage.S4, Stage.S5, Stage.S6, Stage.S7, Stage.S8, Stage.S8A,
    Stage.S9, Stage.S10, Stage.S11, Stage.S12, Stage.S13, Stage.S14, Stage.S15, Stage.S16, Stage.S17,
)  # fmt: skip

TERMINAL_STAGES: frozenset[Stage] = frozenset(s for s, info in STAGE_INFO.items() if info.is_terminal)

TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    # The branch puts the person on the sympathiser list by resolution (HD38 I.1.1b).
    Stage.S0: frozenset({Stage.S1}),
    # S2: the branch proposes the awareness class (HD06 3.1). S3 directly: the person already
    # holds a certificate that is still valid (60 months, HD06 5.4b; it travels with a person
    # who moves, HD06 3.9a). S0: removed from the list, reviewed monthly (HD38 I.1.1b).
    Stage.S1: frozenset({Stage.S2, Stage.S3, Stage.S0}),
    Stage.S2: frozenset({Stage.S3, Stage.S0}),
    Stage.S3: frozenset({Stage.S4, Stage.S0}),
    # S4-S7 are done in this order (HD06 3.2-3.5).
    Stage.S4: frozenset({Stage.S5, Stage.S0}),
    Stage.S5: frozenset({Stage.S6, Stage.S0}),
    Stage.S6: frozenset({Stage.S7, Stage.S0}),
    Stage.S7: frozenset({Stage.S8, Stage.S0}),
    # Forward by the org tree (next_after_branch_resolution): the sub-committee appraises
    # (HD06 3.6b), else the grassroots committee resolves (3.6c), else a chi bộ cơ sở or a
    # village branch goes straight to the deciding committee (HD06 3.7a; QĐ294 20.2.2).
    # No deadlock edge: QĐ294 4.2.3 (3 failed votes) is about recognition or removal only; a
    # failed admission vote leaves the candidate here for a later meeting, or drops them (S0).
    Stage.S8: frozenset({Stage.S8A, Stage.S9, Stage.S10, Stage.S0}),
    # The appraisal goes to the grassroots committee, or the dossier returns to the branch.
    # The sub-committee cannot drop a candidate: it has no power over personnel (QĐ294 20.3.3).
    # S0: the person withdraws (the branch records it) until a decision exists. S10: the candidate
    # moved to another branch; the destination's competent committee decides (HD06 3.9b, a
    # transfer: TRANSFER_MOVES).
    Stage.S8A: frozenset({Stage.S9, Stage.S8, Stage.S0, Stage.S10}),
    # S11: a delegated grassroots committee issues the decision itself (HD06 3.6c, 3.7a;
    # QĐ294 4.3.2a). S8: resolution not passed, the dossier returns to the branch. S1: the
    # delegated committee decides not to admit (QĐ294 4.3.1), as the deciding committee at S10.
    Stage.S9: frozenset({Stage.S10, Stage.S11, Stage.S8, Stage.S0, Stage.S1}),
    # S8: returned to the branch, which redoes steps. S1: the committee decides not to admit; the
    # result, yes or no, is notified to the branch (QĐ294 4.3.1) and the person goes back to the
    # sympathiser list, from which the branch may propose them again. S0: the person withdraws.
    # S10 again: the candidate moved and the destination's competent committee now decides
    # (HD06 3.9b, a transfer: TRANSFER_MOVES).
    Stage.S10: frozenset({Stage.S11, Stage.S8, Stage.S1, Stage.S0, Stage.S10}),
    # A decision exists from S11 on, so it can be annulled (QĐ294 4.4), including a transfer
    # more than 30 WD before the decision (HD06 3.9c: annul and decide again).
    Stage.S11: frozenset({Stage.S12, Stage.SZ}),
    Stage.S12: frozenset({Stage.S13, Stage.SZ}),
    # SX: removal from the probationary list (HD06 4.6) is recorded when the deciding committee's
    # removal decision is, from any step of probation or recognition; the branch's and the
    # grassroots committee's resolutions proposing it are votes recorded within the stage.
    Stage.S13: frozenset({Stage.S14, Stage.SX, Stage.SZ}),
    # S14 -> S15 is legal once probation has ended (check_recognition_ready).
    Stage.S14: frozenset({Stage.S15, Stage.SX, Stage.SZ}),
    # SY: 3 failed branch votes, to recognise or to remove (QĐ294 4.2.3).
    Stage.S15: frozenset({Stage.S16, Stage.SX, Stage.SY, Stage.SZ}),
    # S16 is the recognition decision; S15 when the committee returns the dossier to the branch.
    # SY: the grassroots committee's resolution proposing recognition (R7, recorded within S16)
    # failed three times (QĐ294 4.2.3).
    Stage.S16: frozenset({Stage.S17, Stage.S15, Stage.SX, Stage.SY, Stage.SZ}),
    # Recognition ends the pipeline, but a wrong admission found later is still annulled
    # (QĐ294 4.4; HD38 I.3 re-fixes the admission and recognition dates).
    Stage.S17: frozenset({Stage.SZ}),
    # Removal is final for this candidacy; readmission is a new candidacy (QĐ294 3.5).
    Stage.SX: frozenset(),
    # The superior committee decides (QĐ294 4.2.3): recognise (S16, the decision step), remove
    # (SX), or have the branch vote again (S15).
    Stage.SY: frozenset({Stage.S15, Stage.S16, Stage.SX}),
    # Standards not met: the name is removed (SX). Only authority or procedure wrong: the faulty
    # steps are redone and the committee decides again (S10; QĐ294 4.4), returning the dossier
    # to the branch from there when the branch's own steps were at fault.
    Stage.SZ: frozenset({Stage.SX, Stage.S10}),
}


def _needs_reason(source: Stage, target: Stage) -> bool:
    if target in (Stage.S0, Stage.SX, Stage.SY, Stage.SZ) or source in (Stage.SY, Stage.SZ):
        return True
    return PIPELINE.index(target) < PIPELINE.index(source)


# The moves only a transfer makes (admission.services.transfers; HD06 3.9b): the dossier that had
# gone up is decided by the destination's competent committee. S9 -> S10 is also the grassroots
# committee's ordinary step, so it is not listed; the transfer service itself requires the reason.
TRANSFER_MOVES: frozenset[tuple[Stage, Stage]] = frozenset({(Stage.S8A, Stage.S10), (Stage.S10, Stage.S10)})

# Drops, removals, escalations, annulments, the superior's rulings, transfers and every backward
# move need a reason note in the StageTransition row.
REQUIRES_REASON: frozenset[tuple[Stage, Stage]] = (
    frozenset(
        (source, target)
        for source, targets in TRANSITIONS.items()
        for target in targets
        if _needs_reason(source, target)
    )
    | TRANSFER_MOVES
)

# Side effects of entering a stage, applied by the service in the transition's transaction; each
# has a handler in `admission.services` (CASCADE_HANDLERS; a test checks that every one has).
# The reminders of the stage left are replaced by those of the new one (its legal deadline and
# next reminder are recomputed from the schedule).
RESCHEDULE_REMINDERS = "reschedule_reminders"
CLOSE_TASKS = "close_tasks"  # open trial tasks of the sympathiser / probationer
END_MENTORSHIPS = "end_mentorships"  # open helper assignments
CREATE_PROBATIONARY_MEMBER = "create_probationary_member"  # ceremony held (ĐL 5.1)
MAKE_MEMBER_OFFICIAL = "make_member_official"  # official as of probation end (QĐ294 4.2.2)
REMOVE_MEMBER = "remove_member"  # xóa tên (HD06 4.6)
# QĐ294 4.4: the decision no longer stands, so neither does the membership it created; it is
# settled by removal (SX) or by the new decision and ceremony (CREATE_PROBATIONARY_MEMBER).
ANNUL_DECISION = "annul_decision"

_EXTRA_EFFECTS: dict[Stage, frozenset[str]] = {
    Stage.S0: frozenset({CLOSE_TASKS, END_MENTORSHIPS}),
    Stage.S12: frozenset({CREATE_PROBATIONARY_MEMBER}),
    Stage.S17: frozenset({MAKE_MEMBER_OFFICIAL, CLOSE_TASKS, END_MENTORSHIPS}),
    Stage.SX: frozenset({REMOVE_MEMBER, CLOSE_TASKS, END_MENTORSHIPS}),
    Stage.SZ: frozenset({ANNUL_DECISION}),
}

CASCADE: dict[Stage, frozenset[str]] = {
    stage: frozenset({RESCHEDULE_REMINDERS}) | _EXTRA_EFFECTS.get(stage, frozenset()) for stage in Stage
}
"""Effects implied by *entering* a stage, as data (Oscar's ``cascade``).

Entering any stage replaces the reminders of the previous one (the new stage's are recomputed
from the deadlines). Leaving the pipeline (S0, SX) or finishing it (S17) closes open tasks and
helper assignments.
"""


class IllegalTransition(Exception):
    """A stage change the transition table does not allow."""

    def __init__(self, from_stage: Stage, to_stage: Stage) -> None:
        super().__init__(f"illegal stage transition {from_stage} -> {to_stage}")
        self.from_stage = from_stage
        self.to_stage = to_stage


def can_transition(from_stage: Stage, to_stage: Stage) -> bool:
    return to_stage in TRANSITIONS[from_stage]


def assert_transition(from_stage: Stage, to_stage: Stage) -> None:
    if not can_transition(from_stage, to_stage):
        raise IllegalTransition(from_stage, to_stage)


class InvalidOrgRoute(ValueError):
    """Org-tree flags that cannot occur together."""


def next_after_branch_resolution(
    *, has_sub_committee: bool, has_grassroots_committee: bool, grassroots_decides_itself: bool
) -> Stage:
    """Where an admission resolution of the branch goes next (HD06 3.6b-c, 3.7a).

    A sub-committee (đảng ủy bộ phận) only exists inside a đảng bộ cơ sở, and only a grassroots
    committee can be delegated to decide (QĐ294 22); other combinations are refused.
    """
    if (has_sub_committee or grassroots_decides_itself) and not has_grassroots_committee:
        raise InvalidOrgRoute("a sub-committee or delegation needs a grassroots committee")
    if has_sub_committee:
        return Stage.S8A
    if has_grassroots_committee:
        return Stage.S9
    # Chi bộ cơ sở, or village / residential-group branch under the commune committee.
    return Stage.S10


def next_after_grassroots_resolution(*, grassroots_decides_itself: bool) -> Stage:
    """S11 when the delegated grassroots committee issues the decision itself, else S10."""
    return Stage.S11 if grassroots_decides_itself else Stage.S10
