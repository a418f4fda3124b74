"""The life cycle as one declarative table: every act a user records on a candidate.

Each `Step` says, in one place (rules references resolve in docs/rules.md):

- `from_stages`: the stages it can be recorded from;
- `target`: where it leads, a stage or a `Router` whose answer depends on the organisation tree,
  or None for a vote recorded within the stage (the resolutions proposing a removal);
- `owner`: the body the rules give the act to, and `recorded_by` where the tracker lets another
  body enter it (e.g. the branch enters the grassroots committee's written permission it received);
- `vote`: who votes and so which threshold applies (admission.domain.votes), if the act is a vote;
- `requires` / `produces`: the dossier documents it needs held, and those it creates;
- `bounded_by` / `starts` / `ends`: the legal dates (admission.dates) that bound it, those it
  starts (its recorded date is their trigger, dates.LEGAL_DATE_TRIGGER) and those it meets;
- `effects`: the cascade it triggers, i.e. the effects of entering its target stage(s)
  (admission.domain.stages.CASCADE), each with a handler in `services` (a test checks them all).

The services (what a step checks and writes), the reminders (whose turn it is, who is late), the
statistics, the data generator and the permission tests read this table; nothing re-encodes it.
Example: the 45-working-day decision rule is `decision` below: owned by the deciding committee,
bounded by `decision_deadline` (started by `branch_vote`), producing document A10 (QĐ294 4.3.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from admission.domain import stages
from admission.domain.stages import Stage
from admission.models import (
    DOCUMENTS_BEFORE_BRANCH_VOTE,
    DOCUMENTS_BEFORE_RECOGNITION_VOTE,
    Candidate,
    VotePurpose,
)
from members.authority import Authority, DecidingBody, OrgNode

S = Stage


class Body(StrEnum):
    """The bodies that own acts of the life cycle (rules §1 organisation terms, §5)."""

    BRANCH = "branch"  # chi bộ: its meeting, or its committee (chi ủy) between meetings
    SUB_COMMITTEE = "sub_committee"  # đảng ủy bộ phận: appraises (QĐ294 20.3.3)
    GRASSROOTS_COMMITTEE = "grassroots_committee"  # đảng ủy cơ sở, or the body playing that role
    DECIDING_COMMITTEE = "deciding_committee"  # the competent committee's standing body (QĐ294 4.3.2)
    PROVINCIAL_STANDING = "provincial_standing"  # BTV of the province: written consents (QĐ294 1.1.2, 3.5)


COMMITTEE_BODIES = frozenset({Body.SUB_COMMITTEE, Body.GRASSROOTS_COMMITTEE, Body.DECIDING_COMMITTEE})
# Each body's name as the screens show it (the home page's "who acts" column).
BODY_LABELS: dict[Body, Promise] = {
    Body.BRANCH: _("Chi bộ"),
    Body.SUB_COMMITTEE: _("Đảng ủy bộ phận"),
    Body.GRASSROOTS_COMMITTEE: _("Đảng ủy cơ sở"),
    Body.DECIDING_COMMITTEE: _("Cấp ủy có thẩm quyền"),
    Body.PROVINCIAL_STANDING: _("Ban Thường vụ tỉnh ủy"),
}


class Router(StrEnum):
    """Targets that depend on where the branch sits in the organisation tree (services resolve them)."""

    # S8A when a sub-committee appraises, else S9 with a grassroots committee, else S10 (HD06 3.6b-c, 3.7a).
    AFTER_BRANCH_RESOLUTION = "after_branch_resolution"
    # S11 when the grassroots committee is delegated to decide (it issues the decision), else S10.
    AFTER_GRASSROOTS_RESOLUTION = "after_grassroots_resolution"


ROUTER_TARGETS: dict[Router, frozenset[Stage]] = {
    Router.AFTER_BRANCH_RESOLUTION: frozenset({S.S8A, S.S9, S.S10}),
    Router.AFTER_GRASSROOTS_RESOLUTION: frozenset({S.S10, S.S11}),
}


class VoteBy(StrEnum):
    """Who votes; the voting body (and so the threshold) follows from it and the organisation tree."""

    BRANCH = "branch"  # official members, >= 2/3 (ĐL 4.3; HD06 3.6b)
    SUB_COMMITTEE = "sub_committee"  # appraisal, > 1/2 [project default]
    GRASSROOTS_COMMITTEE = "grassroots_committee"  # >= 2/3 of its members; of all members when delegated
    DECIDING_COMMITTEE = "deciding_committee"  # standing committee or standing office > 1/2 (HD06 3.7)


@dataclass(frozen=True)
class Step:
    key: str
    label: Promise | str
    from_stages: frozenset[Stage]
    target: Stage | Router | None  # None: the candidate stays in the stage (a vote within it)
    owner: Body
    rule: str
    date_field: str | None = None  # candidate field set to the event date
    extra_fields: tuple[str, ...] = ()  # further candidate fields the step records
    kind: Literal["step", "vote", "back"] = "step"
    vote: VoteBy | None = None
    vote_purpose: str = ""
    # A committee's vote may be entered with the step (counts, threshold checked, kept).
    committee_vote: bool = False
    needs_note: bool = False
    requires: tuple[str, ...] = ()
    produces: tuple[str, ...] = ()
    bounded_by: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()
    ends: tuple[str, ...] = ()
    # None: the body whose turn it is at the candidate's stage records it (see TURN).
    recorded_by: Body | None = None
    # The step exists only where the organisation tree has this body (services.step_applies):
    # a branch with no grassroots committee resolving on its proposals has no such resolution.
    needs_body: Body | None = None
    # The committee's vote entered with the step must NOT have reached its threshold: the act
    # records the decision the failed vote means (not admitted, QĐ294 4.3.1).
    vote_must_fail: bool = False
    # The step exists only where the grassroots committee decides itself (delegated, QĐ294 4.3.2a).
    needs_delegation: bool = False

    @property
    def targets(self) -> frozenset[Stage]:
        if self.target is None:
            return frozenset()
        return ROUTER_TARGETS[self.target] if isinstance(self.target, Router) else frozenset({self.target})

    @property
    def effects(self) -> frozenset[str]:
        return frozenset().union(*(stages.CASCADE[target] for target in self.targets))


_ADMISSION_DECISION = frozenset({S.S11, S.S12, S.S13, S.S14, S.S15, S.S16, S.S17})

STEPS: tuple[Step, ...] = (
    Step(
        "add_to_list",
        _("Đưa vào danh sách cảm tình Đảng"),
        frozenset({S.S0}),
        S.S1,
        Body.BRANCH,
        "HD38 I.1.1b",
        date_field="sympathiser_date",
    ),
    Step(
        "propose_class",
        _("Đề nghị học lớp bồi dưỡng nhận thức về Đảng"),
        frozenset({S.S1}),
        S.S2,
        Body.BRANCH,
        "HD06 3.1",
        date_field="class_proposed_date",
    ),
    Step(
        "certificate",
        _("Ghi nhận giấy chứng nhận lớp nhận thức"),
        frozenset({S.S1, S.S2}),
        S.S3,
        Body.BRANCH,  # issued by the political centre; the branch records it
        "HD06 3.1, 5.4b",
        date_field="certificate_issue_date",
        extra_fields=("certificate_number",),
        produces=("A1",),
        starts=("certificate_valid_until",),
    ),
    Step(
        "permit_dossier",
        _("Đảng ủy cơ sở cho phép lập hồ sơ"),
        frozenset({S.S3}),
        S.S4,
        Body.GRASSROOTS_COMMITTEE,
        "HD38 I.1.1c-d",
        date_field="dossier_start_date",
        starts=("dossier_valid_until",),  # the 12-month dossier clock (HD06 5.4a; rules §0)
        recorded_by=Body.BRANCH,  # the branch enters the permission it received
    ),
    Step(
        "application",
        _("Nhận đơn xin vào Đảng và lý lịch"),
        frozenset({S.S4}),
        S.S5,
        Body.BRANCH,
        "HD06 3.2-3.3",
        date_field="application_date",
        produces=("A2", "A3"),
        bounded_by=("dossier_valid_until",),
    ),
    Step(
        "introduction",
        _("Hoàn thành giới thiệu"),
        frozenset({S.S5}),
        S.S6,
        Body.BRANCH,
        "ĐL 4; QĐ294 3.1-3.2",
        date_field="introduction_date",
        extra_fields=("introduction_mode", "union_resolution_date"),
        produces=("A4", "A5"),
        bounded_by=("dossier_valid_until",),
    ),
    Step(
        "verification",
        _("Hoàn thành thẩm tra lý lịch"),
        frozenset({S.S6}),
        S.S7,
        Body.GRASSROOTS_COMMITTEE,  # it certifies the biography after verification
        "HD06 3.4",
        date_field="verification_completed_date",
        bounded_by=("dossier_valid_until",),
        recorded_by=Body.BRANCH,
    ),
    Step(
        "comments",
        _("Tổng hợp ý kiến nhận xét"),
        frozenset({S.S7}),
        S.S8,
        Body.BRANCH,
        "HD06 3.5",
        date_field="comments_completed_date",
        produces=("A6",),
        bounded_by=("dossier_valid_until",),
    ),
    Step(
        "branch_vote",
        _("Chi bộ biểu quyết đề nghị kết nạp"),
        frozenset({S.S8}),
        Router.AFTER_BRANCH_RESOLUTION,
        Body.BRANCH,
        "HD06 3.6; ĐL 4.3",
        date_field="branch_resolution_date",
        kind="vote",
        vote=VoteBy.BRANCH,
        vote_purpose=VotePurpose.ADMISSION,
        requires=DOCUMENTS_BEFORE_BRANCH_VOTE,
        produces=("A7",),
        bounded_by=("dossier_valid_until", "certificate_valid_until"),
        starts=("decision_deadline",),
        ends=("dossier_valid_until", "certificate_valid_until"),
    ),
    Step(
        "appraisal",
        _("Đảng ủy bộ phận thẩm định"),
        frozenset({S.S8A}),
        S.S9,
        Body.SUB_COMMITTEE,
        "HD06 3.6b",
        date_field="appraisal_date",
        vote=VoteBy.SUB_COMMITTEE,
        vote_purpose=VotePurpose.ADMISSION,
        committee_vote=True,
        produces=("A8",),
        bounded_by=("decision_deadline",),
    ),
    Step(
        "grassroots_vote",
        _("Đảng ủy cơ sở biểu quyết"),
        frozenset({S.S9}),
        Router.AFTER_GRASSROOTS_RESOLUTION,
        Body.GRASSROOTS_COMMITTEE,
        "HD06 3.6c, 3.7a",
        date_field="grassroots_resolution_date",
        kind="vote",
        vote=VoteBy.GRASSROOTS_COMMITTEE,
        vote_purpose=VotePurpose.ADMISSION,
        produces=("A9",),
        bounded_by=("decision_deadline",),
    ),
    Step(
        "grassroots_reject",
        _("Đảng ủy cơ sở được ủy quyền quyết định không kết nạp"),
        frozenset({S.S9}),
        S.S1,  # as `reject`: back to the sympathiser list, the branch may propose the person again
        Body.GRASSROOTS_COMMITTEE,  # the delegated committee is the deciding body (HD06 3.7a)
        "QĐ294 4.3.1, 4.3.2a; HD06 3.7a",
        kind="back",
        vote=VoteBy.GRASSROOTS_COMMITTEE,
        vote_purpose=VotePurpose.ADMISSION,
        committee_vote=True,
        vote_must_fail=True,
        needs_note=True,
        recorded_by=Body.GRASSROOTS_COMMITTEE,
        needs_delegation=True,
    ),
    Step(
        "decision",
        _("Ghi nhận quyết định kết nạp"),
        frozenset({S.S10}),
        S.S11,
        Body.DECIDING_COMMITTEE,
        "QĐ294 4.3",
        date_field="decision_date",
        extra_fields=("decision_number", "decision_received_date"),
        vote=VoteBy.DECIDING_COMMITTEE,
        vote_purpose=VotePurpose.ADMISSION,
        committee_vote=True,
        produces=("A10",),
        # After a transfer the destination's 30 WD replaces the 45 WD (HD06 3.9b; dates.SUPERSEDES).
        bounded_by=("decision_deadline", "transfer_decision_deadline"),
        starts=("ceremony_deadline",),
        ends=("decision_deadline", "transfer_decision_deadline"),
    ),
    Step(
        "reject",
        _("Ghi nhận quyết định không kết nạp"),
        frozenset({S.S10}),
        S.S1,  # back to the sympathiser list; the branch may propose the person again
        Body.DECIDING_COMMITTEE,
        "QĐ294 4.3.1",
        kind="back",
        vote=VoteBy.DECIDING_COMMITTEE,
        vote_purpose=VotePurpose.ADMISSION,
        committee_vote=True,
        vote_must_fail=True,
        needs_note=True,
        recorded_by=Body.DECIDING_COMMITTEE,
    ),
    Step(
        "ceremony",
        _("Tổ chức lễ kết nạp"),
        frozenset({S.S11}),
        S.S12,
        Body.BRANCH,
        "QĐ294 4.1; HD06 3.8",
        date_field="ceremony_date",
        bounded_by=("ceremony_deadline",),
        # The recognition branch deadline is 30 WD after probation, which the ceremony starts.
        starts=("member_records_deadline", "probation_end", "recognition_branch_deadline"),
        ends=("ceremony_deadline",),
    ),
    Step(
        "records",
        _("Hoàn thành lý lịch, phiếu đảng viên"),
        frozenset({S.S12}),
        S.S13,
        Body.BRANCH,
        "HD38 I.2",
        date_field="records_completed_date",
        produces=("A11",),
        bounded_by=("member_records_deadline",),
        ends=("member_records_deadline",),
    ),
    Step(
        "probation_review",
        _("Hết thời gian dự bị: lập hồ sơ công nhận"),
        frozenset({S.S13}),
        S.S14,
        Body.BRANCH,
        "QĐ294 4.2.1",
        extra_fields=("new_member_class_date",),
        produces=("R1",),  # when the new-member certificate's date is given
        bounded_by=("probation_end",),
    ),
    Step(
        "recognition_dossier",
        _("Hoàn thành hồ sơ xét công nhận"),
        frozenset({S.S14}),
        S.S15,
        Body.BRANCH,
        "HD06 4.2-4.4",
        date_field="recognition_dossier_date",
        requires=DOCUMENTS_BEFORE_RECOGNITION_VOTE,
        bounded_by=("recognition_branch_deadline",),
    ),
    Step(
        "recognition_vote",
        _("Chi bộ biểu quyết công nhận đảng viên chính thức"),
        frozenset({S.S15}),
        S.S16,
        Body.BRANCH,
        "QĐ294 4.2.1; HD06 4.5",
        date_field="recognition_branch_date",
        kind="vote",
        vote=VoteBy.BRANCH,
        vote_purpose=VotePurpose.RECOGNITION,
        produces=("R5",),
        bounded_by=("recognition_branch_deadline",),
        starts=("recognition_decision_deadline",),
        ends=("recognition_branch_deadline",),
    ),
    # The recognition chain (HD38 II.1.1c(6)-(7)), mirroring the admission's S8A/S9 but recorded
    # within S16, the stage of the recognition decision whose 30 WD bound them too (rules §3 lists
    # them as outputs of S15-S16; no stage of their own): the sub-committee appraises the branch's
    # resolution, then the grassroots committee resolves, each where the tree has it; until then it
    # is their turn (CHAIN). A delegated grassroots committee's resolution is the decision itself.
    Step(
        "recognition_appraisal",
        _("Đảng ủy bộ phận thẩm định đề nghị công nhận"),
        frozenset({S.S16}),
        None,
        Body.SUB_COMMITTEE,
        "HD38 II.1.1c(6); QĐ294 20.3.3",
        date_field="recognition_appraisal_date",
        kind="vote",
        vote=VoteBy.SUB_COMMITTEE,
        vote_purpose=VotePurpose.RECOGNITION,
        produces=("R6",),
        bounded_by=("recognition_decision_deadline",),
        recorded_by=Body.SUB_COMMITTEE,
        needs_body=Body.SUB_COMMITTEE,
    ),
    Step(
        "recognition_grassroots_vote",
        _("Đảng ủy cơ sở biểu quyết đề nghị công nhận"),
        frozenset({S.S16}),
        None,
        Body.GRASSROOTS_COMMITTEE,
        "HD38 II.1.1c(7); HD06 3.6c",
        date_field="recognition_grassroots_date",
        kind="vote",
        vote=VoteBy.GRASSROOTS_COMMITTEE,
        vote_purpose=VotePurpose.RECOGNITION,
        produces=("R7",),
        bounded_by=("recognition_decision_deadline",),
        recorded_by=Body.GRASSROOTS_COMMITTEE,
        needs_body=Body.GRASSROOTS_COMMITTEE,
    ),
    Step(
        "recognition_decision",
        _("Ghi nhận quyết định công nhận đảng viên chính thức"),
        frozenset({S.S16}),
        S.S17,
        Body.DECIDING_COMMITTEE,
        "QĐ294 4.2.2, 4.3.1",
        date_field="recognition_decision_date",
        vote=VoteBy.DECIDING_COMMITTEE,
        vote_purpose=VotePurpose.RECOGNITION,
        committee_vote=True,
        produces=("R8",),
        bounded_by=("recognition_decision_deadline",),
        ends=("recognition_decision_deadline",),
        # The deciding committee's, even while the chain below it is still the turn of another.
        recorded_by=Body.DECIDING_COMMITTEE,
    ),
    Step(
        "deadlock_recognise",
        _("Cấp trên kết luận công nhận: chuyển sang bước ra quyết định"),
        frozenset({S.SY}),
        S.S16,
        Body.DECIDING_COMMITTEE,
        "QĐ294 4.2.3",
        date_field="deadlock_ruling_date",  # the lower bodies' resolutions are no longer awaited
        kind="back",
        needs_note=True,
    ),
    Step(
        "deadlock_revote",
        _("Cấp trên yêu cầu chi bộ biểu quyết lại"),
        frozenset({S.SY}),
        S.S15,
        Body.DECIDING_COMMITTEE,
        "QĐ294 4.2.3",
        kind="back",
        needs_note=True,
    ),
    Step(
        "drop",
        _("Đưa ra khỏi danh sách cảm tình Đảng"),
        frozenset({S.S1, S.S2, S.S3, S.S4, S.S5, S.S6, S.S7, S.S8}),
        S.S0,
        Body.BRANCH,
        "HD38 I.1.1b",
        kind="back",
        needs_note=True,
    ),
    Step(
        "withdraw",
        _("Người được phát triển xin rút khỏi danh sách"),
        # Until a decision exists; from S11 on only an annulment undoes an admission (QĐ294 4.4).
        frozenset({S.S1, S.S2, S.S3, S.S4, S.S5, S.S6, S.S7, S.S8, S.S8A, S.S9, S.S10}),
        S.S0,
        Body.BRANCH,  # the person's own letter; the branch records it, wherever the dossier sits
        "HD38 I.1.1b",
        kind="back",
        needs_note=True,
        recorded_by=Body.BRANCH,
    ),
    # The removal chain (HD06 4.6; rules §3 S-X): the branch's resolution proposing removal, the
    # grassroots committee's where it resolves on the branch's proposals, then the decision.
    Step(
        "removal_branch_vote",
        _("Chi bộ biểu quyết đề nghị xóa tên"),
        frozenset({S.S13, S.S14, S.S15}),
        None,  # stays: the dossier goes up with the resolution; 3 failures at S15 escalate (SY)
        Body.BRANCH,
        "HD06 4.6; QĐ294 4.2.3",
        kind="vote",
        vote=VoteBy.BRANCH,
        vote_purpose=VotePurpose.REMOVAL,
    ),
    Step(
        "removal_grassroots_vote",
        _("Đảng ủy cơ sở biểu quyết đề nghị xóa tên"),
        frozenset({S.S13, S.S14, S.S15}),
        None,
        Body.GRASSROOTS_COMMITTEE,
        "HD06 4.6",
        kind="vote",
        vote=VoteBy.GRASSROOTS_COMMITTEE,
        vote_purpose=VotePurpose.REMOVAL,
        recorded_by=Body.GRASSROOTS_COMMITTEE,
        needs_body=Body.GRASSROOTS_COMMITTEE,
    ),
    Step(
        "remove",
        _("Quyết định xóa tên khỏi danh sách đảng viên dự bị"),
        # S16: deciding not to recognise is this same decision; SY: the superior's ruling.
        frozenset({S.S13, S.S14, S.S15, S.S16, S.SY}),
        S.SX,
        Body.DECIDING_COMMITTEE,  # after the branch's and the grassroots committee's resolutions
        "HD06 4.6",
        date_field="removal_date",
        vote=VoteBy.DECIDING_COMMITTEE,
        vote_purpose=VotePurpose.REMOVAL,
        committee_vote=True,
        needs_note=True,
        starts=("complaint_deadline",),  # 30 WD to complain (QĐ294 8.2)
        recorded_by=Body.DECIDING_COMMITTEE,
    ),
    Step(
        "annul",
        _("Hủy quyết định kết nạp sai"),
        _ADMISSION_DECISION,
        S.SZ,
        Body.DECIDING_COMMITTEE,  # the committee that issued the decision, or its superior
        "QĐ294 4.4; HD38 I.3",
        kind="back",
        needs_note=True,
        recorded_by=Body.DECIDING_COMMITTEE,
    ),
    Step(
        "annulment_redecide",
        _("Làm lại các bước sai và xét quyết định lại"),
        frozenset({S.SZ}),
        S.S10,
        Body.DECIDING_COMMITTEE,
        "QĐ294 4.4",
        kind="back",
        needs_note=True,
    ),
    Step(
        "annulment_remove",
        _("Không đủ tiêu chuẩn: xóa tên sau khi hủy quyết định"),
        frozenset({S.SZ}),
        S.SX,
        Body.DECIDING_COMMITTEE,
        "QĐ294 4.4",
        date_field="removal_date",
        needs_note=True,
    ),
)
STEP_BY_KEY = {step.key: step for step in STEPS}

# The candidate date that records each document a step produces (its `produces`): writing that date
# ticks the dossier checklist item, dated with it (services.checklist_tick). A5 exists only when the
# union introduced (its resolution date is then entered), R1 when the new-member certificate is.
DOCUMENT_DATE: dict[str, str] = {
    "A1": "certificate_issue_date",
    "A2": "application_date",
    "A3": "application_date",
    "A4": "introduction_date",
    "A5": "union_resolution_date",
    "A6": "comments_completed_date",
    "A7": "branch_resolution_date",
    "A8": "appraisal_date",
    "A9": "grassroots_resolution_date",
    "A10": "decision_date",
    "A11": "records_completed_date",
    "R1": "new_member_class_date",
    "R5": "recognition_branch_date",
    "R6": "recognition_appraisal_date",
    "R7": "recognition_grassroots_date",
    "R8": "recognition_decision_date",
}
# Per candidate date, the documents it ticks and the step that produces each.
TICKED_BY_DATE: dict[str, tuple[tuple[str, str], ...]] = {}
for _step in STEPS:
    for _document in _step.produces:
        _date = DOCUMENT_DATE[_document]
        TICKED_BY_DATE[_date] = (*TICKED_BY_DATE.get(_date, ()), (_document, _step.key))
# Acts recorded within a stage, in this order, before its forward step: while one that the tree
# has is not recorded for the resolution in force (CHAIN_SINCE), it is its owner's turn.
CHAIN: dict[Stage, tuple[str, ...]] = {S.S16: ("recognition_appraisal", "recognition_grassroots_vote")}
# The resolution the chain acts on: an act older than it was about an earlier resolution.
CHAIN_SINCE: dict[Stage, str] = {S.S16: "recognition_branch_date"}
# A ruling of the committee above that dispenses with the chain (QĐ294 4.2.3), when not older
# than the resolution.
CHAIN_WAIVED_BY: dict[Stage, str] = {S.S16: "deadlock_ruling_date"}

# The forward step of each stage: what the board shows as "next step", and whose turn it is.
NEXT_STEP: dict[Stage, str] = {}
for _step in STEPS:
    if _step.kind != "back" and _step.target is not None and _step.key not in {"remove", "annulment_remove"}:
        for _stage in _step.from_stages:
            NEXT_STEP.setdefault(_stage, _step.key)
# Stages left only by a ruling of the committee above (deadlock, annulment).
for _step in STEPS:
    if _step.kind == "back" and _step.owner in COMMITTEE_BODIES:
        for _stage in _step.from_stages:
            if _stage in {S.SY, S.SZ}:
                NEXT_STEP.setdefault(_stage, _step.key)

# Whose turn it is at each stage: the body that records the stage's forward step. Every step from
# a stage whose turn is a committee's is recorded by that committee's staff (no skipping a level);
# a step with its own `recorded_by` (annulment) needs that body whatever the stage.
TURN: dict[Stage, Body] = {
    stage: STEP_BY_KEY[key].recorded_by or STEP_BY_KEY[key].owner for stage, key in NEXT_STEP.items()
}
COMMITTEE_TURNS: frozenset[Stage] = frozenset(stage for stage, body in TURN.items() if body in COMMITTEE_BODIES)

# The legal date(s) bounding the step in progress at each stage (the page's and the reminders' deadline).
STAGE_DEADLINE: dict[Stage, tuple[str, ...]] = {
    stage: STEP_BY_KEY[key].bounded_by for stage, key in NEXT_STEP.items() if STEP_BY_KEY[key].bounded_by
}
# Where the dossier's legal dates at S4-S7 only say how long it stays valid: shown, not reminded.
VALIDITY_ONLY_STAGES: frozenset[Stage] = frozenset(
    stage for stage, names in STAGE_DEADLINE.items() if set(names) <= {"dossier_valid_until", "certificate_valid_until"}
)

# A committee whose turn it is may return the dossier to the branch, to the stage of the branch's
# last act: its resolution (S8) for admission, its recognition vote (S15) for recognition.
RETURN_TARGET: dict[Stage, Stage] = {
    stage: S.S15 if STEP_BY_KEY[NEXT_STEP[stage]].vote_purpose == VotePurpose.RECOGNITION else S.S8
    for stage in (S.S8A, S.S9, S.S10, S.S16)
}


def body_committee(body: Body, authority: Authority) -> OrgNode | None:
    """The committee of the organisation tree that is `body` for a branch with this route (None: the branch).

    Where the tree has no grassroots committee between the branch and the decider (a grassroots
    branch, a village branch), the decider plays its role.
    """
    if body == Body.SUB_COMMITTEE:
        return authority.appraisal_by
    if body == Body.GRASSROOTS_COMMITTEE:
        return authority.grassroots_resolution_by or authority.decider
    if body == Body.DECIDING_COMMITTEE:
        return authority.decider
    return None


def steps_for(stage: Stage) -> list[Step]:
    return [step for step in STEPS if stage in step.from_stages]


def step_ending(legal_date: str) -> Step:
    """The step that meets a legal date (its `ends`): e.g. the decision meets the decision deadline."""
    return next(step for step in STEPS if legal_date in step.ends)


def step_applies_to(step: Step, authority: Authority) -> bool:
    """Whether the organisation tree (its `authority`) has the body the step needs: a branch whose
    proposals go straight to the deciding committee has no grassroots resolution to record."""
    if step.needs_delegation and authority.body != DecidingBody.GRASSROOTS_COMMITTEE:
        return False
    if step.needs_body == Body.GRASSROOTS_COMMITTEE:
        return authority.grassroots_resolution_by is not None
    if step.needs_body == Body.SUB_COMMITTEE:
        return authority.appraisal_by is not None
    return True


def chain_pending(candidate: Candidate, authority: Authority) -> Step | None:
    """The first act of the stage's chain (CHAIN) the tree has and that is not yet recorded for the
    resolution in force; None when there is none (or the superior's ruling dispensed with it)."""
    stage = candidate.stage_enum
    keys = CHAIN.get(stage, ())
    if not keys:
        return None
    since = getattr(candidate, CHAIN_SINCE[stage])
    waived = getattr(candidate, CHAIN_WAIVED_BY[stage])
    if waived is not None and (since is None or waived >= since):
        return None
    for key in keys:
        step = STEP_BY_KEY[key]
        if not step_applies_to(step, authority):
            continue
        done = getattr(candidate, step.date_field or "")
        if done is None or (since is not None and done < since):
            return step
    return None


def turn_of(candidate: Candidate, authority: Authority) -> Body:
    """Whose turn it is on the candidate now: the owner of a pending act of the stage's chain, else
    the body of the stage's forward step (TURN)."""
    pending = chain_pending(candidate, authority)
    return pending.owner if pending is not None else TURN.get(candidate.stage_enum, Body.BRANCH)
