"""The steps a user records on a candidate, as one declarative table.

Each step names the stages it starts from, the candidate field holding its legal date (or
None when the date is only kept on the transition) and the extra fields its form asks for.
Where it leads and what it checks is in `services.candidate_step` / `services.candidate_vote`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from admission.domain.stages import Stage
from admission.domain.votes import VotingBody
from admission.models import VotePurpose

S = Stage


@dataclass(frozen=True)
class Step:
    key: str
    label: Promise | str
    from_stages: frozenset[Stage]
    date_field: str | None  # candidate field set to the event date
    extra_fields: tuple[str, ...] = ()
    kind: Literal["step", "vote", "back"] = "step"
    vote_purpose: str = ""
    needs_note: bool = False
    rule: str = ""
    # The committee's vote may be entered with the step (counts, threshold checked, kept).
    committee_vote: bool = False


STEPS: tuple[Step, ...] = (
    Step(
        "add_to_list", _("Đưa vào danh sách cảm tình Đảng"), frozenset({S.S0}), "sympathiser_date", rule="HD38 I.1.1b"
    ),
    Step(
        "propose_class",
        _("Đề nghị học lớp bồi dưỡng nhận thức về Đảng"),
        frozenset({S.S1}),
        "class_proposed_date",
        rule="HD06 3.1",
    ),
    Step(
        "certificate",
        _("Ghi nhận giấy chứng nhận lớp nhận thức"),
        frozenset({S.S1, S.S2}),
        "certificate_issue_date",
        ("certificate_number",),
        rule="HD06 3.1, 5.4b",
    ),
    Step(
        "permit_dossier",
        _("Đảng ủy cơ sở cho phép lập hồ sơ"),
        frozenset({S.S3}),
        "dossier_start_date",
        rule="HD38 I.1.1c-d",
    ),
    Step(
        "application", _("Nhận đơn xin vào Đảng và lý lịch"), frozenset({S.S4}), "application_date", rule="HD06 3.2-3.3"
    ),
    Step(
        "introduction",
        _("Hoàn thành giới thiệu"),
        frozenset({S.S5}),
        "introduction_date",
        ("introduction_mode", "union_resolution_date"),
        rule="ĐL 4; QĐ294 3.1-3.2",
    ),
    Step(
        "verification",
        _("Hoàn thành thẩm tra lý lịch"),
        frozenset({S.S6}),
        "verification_completed_date",
        rule="HD06 3.4",
    ),
    Step("comments", _("Tổng hợp ý kiến nhận xét"), frozenset({S.S7}), "comments_completed_date", rule="HD06 3.5"),
    Step(
        "branch_vote",
        _("Chi bộ biểu quyết đề nghị kết nạp"),
        frozenset({S.S8}),
        "branch_resolution_date",
        kind="vote",
        vote_purpose=VotePurpose.ADMISSION,
        rule="HD06 3.6; ĐL 4.3",
    ),
    Step(
        "appraisal",
        _("Đảng ủy bộ phận thẩm định"),
        frozenset({S.S8A}),
        "appraisal_date",
        rule="HD06 3.6b",
        committee_vote=True,
        vote_purpose=VotePurpose.ADMISSION,
    ),
    Step(
        "grassroots_vote",
        _("Đảng ủy cơ sở biểu quyết"),
        frozenset({S.S9}),
        "grassroots_resolution_date",
        kind="vote",
        vote_purpose=VotePurpose.ADMISSION,
        rule="HD06 3.6c, 3.7a",
    ),
    Step(
        "decision",
        _("Ghi nhận quyết định kết nạp"),
        frozenset({S.S10}),
        "decision_date",
        ("decision_number", "decision_received_date"),
        rule="QĐ294 4.3",
        committee_vote=True,
        vote_purpose=VotePurpose.ADMISSION,
    ),
    Step("ceremony", _("Tổ chức lễ kết nạp"), frozenset({S.S11}), "ceremony_date", rule="QĐ294 4.1; HD06 3.8"),
    Step(
        "records",
        _("Hoàn thành lý lịch, phiếu đảng viên"),
        frozenset({S.S12}),
        "records_completed_date",
        rule="HD38 I.2",
    ),
    Step(
        "probation_review",
        _("Hết thời gian dự bị: lập hồ sơ công nhận"),
        frozenset({S.S13}),
        None,
        ("new_member_class_date",),
        rule="QĐ294 4.2.1",
    ),
    Step(
        "recognition_dossier",
        _("Hoàn thành hồ sơ xét công nhận"),
        frozenset({S.S14}),
        "recognition_dossier_date",
        rule="HD06 4.2-4.4",
    ),
    Step(
        "recognition_vote",
        _("Chi bộ biểu quyết công nhận đảng viên chính thức"),
        frozenset({S.S15}),
        "recognition_branch_date",
        kind="vote",
        vote_purpose=VotePurpose.RECOGNITION,
        rule="QĐ294 4.2.1; HD06 4.5",
    ),
    Step(
        "recognition_decision",
        _("Ghi nhận quyết định công nhận đảng viên chính thức"),
        frozenset({S.S16}),
        "recognition_decision_date",
        rule="QĐ294 4.2.2, 4.3.1",
        committee_vote=True,
        vote_purpose=VotePurpose.RECOGNITION,
    ),
    Step(
        "deadlock_recognise",
        _("Cấp trên kết luận công nhận: chuyển sang bước ra quyết định"),
        frozenset({S.SY}),
        None,
        kind="back",
        needs_note=True,
        rule="QĐ294 4.2.3",
    ),
    Step(
        "deadlock_revote",
        _("Cấp trên yêu cầu chi bộ biểu quyết lại"),
        frozenset({S.SY}),
        None,
        kind="back",
        needs_note=True,
        rule="QĐ294 4.2.3",
    ),
    Step(
        "drop",
        _("Đưa ra khỏi danh sách cảm tình Đảng"),
        frozenset({S.S1, S.S2, S.S3, S.S4, S.S5, S.S6, S.S7, S.S8}),
        None,
        kind="back",
        needs_note=True,
        rule="HD38 I.1.1b",
    ),
    Step(
        "remove",
        _("Xóa tên khỏi danh sách đảng viên dự bị"),
        frozenset({S.S13, S.S14, S.S15, S.S16, S.SY}),
        "removal_date",
        needs_note=True,
        rule="HD06 4.6",
    ),
)
STEP_BY_KEY = {step.key: step for step in STEPS}

# The next forward step from each stage: what the board shows as "next step".
NEXT_STEP: dict[Stage, str] = {}
for _step in STEPS:
    if _step.kind != "back" and _step.key not in {"remove"}:
        for _stage in _step.from_stages:
            NEXT_STEP.setdefault(_stage, _step.key)

# Which body votes at each vote step (the threshold follows from it, rules §5).
VOTE_BODY = {"branch_vote": VotingBody.BRANCH, "recognition_vote": VotingBody.BRANCH}


# Where the dossier sits with a committee, which level of the organisation tree acts on it
# (members.authority): the sub-committee appraises (HD06 3.6b), the grassroots committee resolves
# (3.6c; it is the decider when delegated), the deciding committee decides (QĐ294 4.3.2) and rules
# on a recognition deadlock (4.2.3). Every step started from these stages is that level's.
COMMITTEE_LEVEL: dict[Stage, Literal["appraisal", "grassroots", "decider"]] = {
    S.S8A: "appraisal",
    S.S9: "grassroots",
    S.S10: "decider",
    S.S16: "decider",
    S.SY: "decider",
}
# A committee may return the dossier to the branch from these stages, to the stage given.
RETURN_TARGET: dict[Stage, Stage] = {S.S8A: S.S8, S.S9: S.S8, S.S10: S.S8, S.S16: S.S15}


def steps_for(stage: Stage) -> list[Step]:
    return [step for step in STEPS if stage in step.from_stages]
