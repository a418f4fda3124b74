"""Candidates and everything recorded on the way to membership.

Only `services.candidate_transition` assigns `Candidate.stage` (tests/unit/test_architecture.py).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from admission.domain.attendance import Attendance
from admission.domain.eligibility import IntroductionMode
from admission.domain.stages import STAGE_INFO, Stage
from admission.domain.votes import VotingBody
from members.models import Organisation, PartyMember, Person

STAGE_CHOICES = [(stage.value, f"{stage.value} · {STAGE_INFO[stage].label_vi}") for stage in Stage]
# Candidacies that are over: recognised, removed. Annulled (SZ) is still open until settled.
CLOSED_STAGES = [Stage.S17.value, Stage.SX.value]
# The transitions that can be a life-cycle outcome of the statistics (not admitted: S10 -> S1;
# annulled: into SZ; withdrawn or dropped: into S0; ``reporting.candidates._transition_filters``
# narrows them down), a small share of all transitions: the condition of the partial index
# `transition_outcome_day`, which the statistics repeat word for word so that PostgreSQL uses it.
OUTCOME_TRANSITION = Q(from_stage=Stage.S10.value, to_stage=Stage.S1.value) | Q(
    to_stage__in=[Stage.S0.value, Stage.SZ.value]
)


class IntroductionModeChoice(models.TextChoices):
    TWO_MEMBERS = IntroductionMode.TWO_MEMBERS.name, _("Hai đảng viên chính thức giới thiệu")
    YOUTH_UNION_PLUS_ONE = IntroductionMode.YOUTH_UNION_PLUS_ONE.name, _("Đoàn TNCS Hồ Chí Minh và một đảng viên")
    TRADE_UNION_PLUS_ONE = IntroductionMode.TRADE_UNION_PLUS_ONE.name, _("Công đoàn cơ sở và một đảng viên")


class Candidate(models.Model):
    """One candidacy of a person, from outstanding non-member (S0) to official member (S17).

    The date fields are the legal dates of §7 of the rules; `next_due_on` is the legal
    deadline of the current step (None when there is none), kept by every transition.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="candidacies")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("chi bộ"), on_delete=models.PROTECT, related_name="candidates"
    )
    stage = models.CharField(_("bước"), max_length=4, choices=STAGE_CHOICES, default=Stage.S0.value, editable=False)
    stage_entered_at = models.DateTimeField(editable=False)
    stage_entered_on = models.DateField(_("ngày vào bước hiện tại"), editable=False)
    next_due_on = models.DateField(_("hạn của bước hiện tại"), null=True, blank=True, editable=False)
    next_reminder_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The occurrence `next_reminder_at` stands for (admission.domain.reminders), and the stage
    # visit it belongs to: together the unique key of its notifications.
    reminder_sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    stage_transition = models.ForeignKey(
        "StageTransition", null=True, blank=True, on_delete=models.SET_NULL, editable=False, related_name="+"
    )
    failed_votes = models.PositiveSmallIntegerField(_("số lần biểu quyết không đạt"), default=0, editable=False)

    sympathiser_date = models.DateField(_("ngày vào danh sách cảm tình Đảng"), null=True, blank=True)
    class_proposed_date = models.DateField(_("ngày đề nghị học lớp nhận thức"), null=True, blank=True)
    certificate_issue_date = models.DateField(_("ngày cấp giấy chứng nhận lớp nhận thức"), null=True, blank=True)
    certificate_number = models.CharField(_("số giấy chứng nhận"), max_length=40, blank=True, default="")
    dossier_start_date = models.DateField(_("ngày được phép lập hồ sơ"), null=True, blank=True)
    application_date = models.DateField(_("ngày nộp đơn và lý lịch"), null=True, blank=True)
    introduction_mode = models.CharField(
        _("hình thức giới thiệu"), max_length=24, choices=IntroductionModeChoice.choices, blank=True, default=""
    )
    union_resolution_date = models.DateField(_("ngày nghị quyết giới thiệu của Đoàn/Công đoàn"), null=True, blank=True)
    introduction_date = models.DateField(_("ngày hoàn thành giới thiệu"), null=True, blank=True)
    verification_completed_date = models.DateField(_("ngày hoàn thành thẩm tra lý lịch"), null=True, blank=True)
    comments_completed_date = models.DateField(_("ngày tổng hợp ý kiến nhận xét"), null=True, blank=True)
    branch_resolution_date = models.DateField(_("ngày nghị quyết chi bộ đề nghị kết nạp"), null=True, blank=True)
    appraisal_date = models.DateField(_("ngày thẩm định của đảng ủy bộ phận"), null=True, blank=True)
    grassroots_resolution_date = models.DateField(_("ngày nghị quyết đảng ủy cơ sở"), null=True, blank=True)
    decision_date = models.DateField(_("ngày quyết định kết nạp"), null=True, blank=True)
    decision_number = models.CharField(_("số quyết định kết nạp"), max_length=40, blank=True, default="")
    decision_received_date = models.DateField(_("ngày chi bộ nhận quyết định"), null=True, blank=True)
    deadline_extended = models.BooleanField(_("gia hạn thời hạn quyết định (trường hợp đặc biệt)"), default=False)
    ceremony_date = models.DateField(_("ngày lễ kết nạp (ngày vào Đảng)"), null=True, blank=True)
    records_completed_date = models.DateField(_("ngày hoàn thành lý lịch, phiếu đảng viên"), null=True, blank=True)
    new_member_class_date = models.DateField(_("ngày cấp giấy chứng nhận lớp đảng viên mới"), null=True, blank=True)
    recognition_dossier_date = models.DateField(_("ngày hoàn thành hồ sơ xét công nhận"), null=True, blank=True)
    recognition_branch_date = models.DateField(_("ngày nghị quyết chi bộ đề nghị công nhận"), null=True, blank=True)
    # The recognition chain where the tree has it (HD38 II.1.1c(6)-(7)): recorded within S16.
    recognition_appraisal_date = models.DateField(
        _("ngày đảng ủy bộ phận thẩm định đề nghị công nhận"), null=True, blank=True, editable=False
    )
    recognition_grassroots_date = models.DateField(
        _("ngày nghị quyết đảng ủy cơ sở đề nghị công nhận"), null=True, blank=True, editable=False
    )
    # The superior's ruling after three failed votes that the member be recognised (QĐ294 4.2.3):
    # the competent committee decides without the lower bodies' resolutions.
    deadlock_ruling_date = models.DateField(
        _("ngày cấp trên kết luận công nhận"), null=True, blank=True, editable=False
    )
    recognition_decision_date = models.DateField(
        _("ngày quyết định công nhận đảng viên chính thức"), null=True, blank=True
    )
    official_date = models.DateField(_("ngày chính thức"), null=True, blank=True, editable=False)
    removal_date = models.DateField(_("ngày quyết định xóa tên"), null=True, blank=True)
    # The day the destination received the dossier of a candidate who moved after it went up
    # (services.candidate_transfer): the destination's committee decides within 30 WD (HD06 3.9b).
    transfer_received_date = models.DateField(
        _("ngày nơi chuyển đến nhận hồ sơ"), null=True, blank=True, editable=False
    )
    # The move of a dossier that had gone up: the old place's committee forwards it within 15 WD
    # (HD06 3.9b); its forwarding, once recorded, is the destination's receipt.
    transferred_on = models.DateField(
        _("ngày chuyển sinh hoạt khi hồ sơ đã gửi lên"), null=True, blank=True, editable=False
    )
    transfer_forwarded_date = models.DateField(
        _("ngày chuyển hồ sơ đến nơi mới"), null=True, blank=True, editable=False
    )
    # The destination's request to reconsider, answered within 60 WD (HD06 3.9c).
    reconsideration_requested_date = models.DateField(
        _("ngày nơi chuyển đến đề nghị xem xét lại"), null=True, blank=True, editable=False
    )

    area_exception = models.BooleanField(_("vùng khó khăn: chỉ cần tốt nghiệp tiểu học"), default=False)
    literacy_exception_approved = models.BooleanField(_("BTV tỉnh ủy đồng ý ngoại lệ biết chữ"), default=False)
    over_60_approved = models.BooleanField(_("BTV tỉnh ủy đồng ý kết nạp người trên 60 tuổi"), default=False)
    readmission = models.BooleanField(_("kết nạp lại"), default=False)
    readmission_approved = models.BooleanField(_("BTV tỉnh ủy đồng ý kết nạp lại"), default=False)
    political_issue_unresolved = models.BooleanField(_("vấn đề tiêu chuẩn chính trị chưa kết luận"), default=False)

    member = models.OneToOneField(
        PartyMember, null=True, blank=True, on_delete=models.SET_NULL, editable=False, related_name="candidacy"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["next_reminder_at"])

    class Meta:
        verbose_name = _("người được phát triển")
        verbose_name_plural = _("người được phát triển")
        indexes = [
            models.Index(fields=["organisation", "stage"], name="cand_org_stage"),
            models.Index(fields=["next_due_on"], name="cand_next_due", condition=Q(next_due_on__isnull=False)),
            # The reminder sweep reads due candidates in (due, id) order from where its last batch
            # stopped (admission.reminders._SweepState).
            models.Index(
                fields=["next_reminder_at", "id"], name="cand_due_keyset", condition=Q(next_reminder_at__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=[s.value for s in Stage]), name="cand_stage_valid"),
            models.UniqueConstraint(
                fields=["person"], condition=~Q(stage__in=CLOSED_STAGES), name="cand_one_open_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.stage})"

    @property
    def stage_enum(self) -> Stage:
        return Stage(self.stage)


# The legal dates recorded on a candidate (§7 of the rules), in the order of the pipeline's steps:
# what documents print and what the API returns.
CANDIDATE_DATE_FIELDS = (
    "sympathiser_date",
    "class_proposed_date",
    "certificate_issue_date",
    "dossier_start_date",
    "application_date",
    "union_resolution_date",
    "introduction_date",
    "verification_completed_date",
    "comments_completed_date",
    "branch_resolution_date",
    "appraisal_date",
    "grassroots_resolution_date",
    "decision_date",
    "decision_received_date",
    "ceremony_date",
    "records_completed_date",
    "new_member_class_date",
    "recognition_dossier_date",
    "recognition_branch_date",
    "recognition_appraisal_date",
    "recognition_grassroots_date",
    "deadlock_ruling_date",
    "recognition_decision_date",
    "official_date",
    "removal_date",
)


class ConsentKind(models.TextChoices):
    """The written consents of the provincial standing committee the eligibility rules read (rules §5)."""

    OVER_60 = "over_60", _("Đồng ý kết nạp người trên 60 tuổi")
    LITERACY = "literacy_exception", _("Đồng ý ngoại lệ chỉ biết đọc, biết viết chữ quốc ngữ")
    READMISSION = "readmission", _("Đồng ý kết nạp lại")


# The candidate flag each consent sets (the eligibility rules E3, E6, E10 read the flag).
CONSENT_FLAG: dict[str, str] = {
    ConsentKind.OVER_60: "over_60_approved",
    ConsentKind.LITERACY: "literacy_exception_approved",
    ConsentKind.READMISSION: "readmission_approved",
}


class ProvincialConsent(models.Model):
    """A written consent of the provincial standing committee (BTV tỉnh ủy), with its date and number.

    A withdrawn consent keeps its row (withdrawn_at, by whom, why); at most one is in force per
    candidate and kind. The candidate's flag (CONSENT_FLAG) follows the consent in force.
    """

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("loại văn bản đồng ý"), max_length=24, choices=ConsentKind.choices)
    granted_on = models.DateField(_("ngày văn bản"))
    document_number = models.CharField(_("số văn bản"), max_length=60)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawal_reason = models.CharField(_("lý do thu hồi"), max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("văn bản đồng ý của BTV tỉnh ủy")
        verbose_name_plural = _("văn bản đồng ý của BTV tỉnh ủy")
        ordering = ["candidate", "kind", "-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "kind"], condition=Q(withdrawn_at__isnull=True), name="consent_one_in_force"
            ),
            models.CheckConstraint(condition=Q(kind__in=ConsentKind.values), name="consent_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.document_number} ({self.granted_on:%d/%m/%Y})"


class StageTransition(models.Model):
    """Append-only: every stage change with who, when, why and on what it rests.

    Each row also ends a stage visit (of `from_stage`), and keeps how long that visit took, so
    the statistics' time in stage is a GROUP BY over stored values instead of a LAG over every
    transition of a subtree at each page view (admission.reporting.statistics._time_in_stage):

    - `entered_on`: the day `from_stage` was entered, i.e. the `on_date` of the candidate's
      previous transition (ordered by `at`, id); NULL for the first transition, whose first stay
      in S0 has no transition into it and is not counted.
    - `package_working_days`: the working days in (entered_on, on_date] counted with the calendar
      of the `holidays` package alone (``admission.domain.statistics.PACKAGE_CALENDAR``), NULL
      with `entered_on`.

    Why the package calendar and not the organisation's: staff edit the override table
    (CalendarOverride) at any time, for the whole country or one organisation, and a candidate
    may move to an organisation with other overrides; the figures must use the calendar as it is
    today. The overrides are few, so the reader corrects the stored count with them (+1/-1 per
    override day inside the visit, ``override_deltas``) and stored values never go stale when
    they change. The package calendar itself changes only with the pinned `holidays` version:
    after upgrading it, run ``manage.py stage_times_refresh`` (the same recount as the migration).

    Written by ``services.candidate_transition`` (the only writer in the application) and by the
    dataset generator; ``admission.reporting.stage_times.stage_times_fill`` recounts rows written otherwise.
    """

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=4, choices=STAGE_CHOICES)
    to_stage = models.CharField(max_length=4, choices=STAGE_CHOICES)
    at = models.DateTimeField()
    on_date = models.DateField(_("ngày của sự kiện"))
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    note = models.TextField(_("lý do / ghi chú"), blank=True, default="")
    basis = models.CharField(_("căn cứ (nghị quyết, quyết định)"), max_length=200, blank=True, default="")
    notified_at = models.DateTimeField(null=True, blank=True)
    entered_on = models.DateField(null=True, blank=True, editable=False)
    package_working_days = models.IntegerField(null=True, blank=True, editable=False)
    # The step of workflow.STEPS that made the move ("" for rows written before steps were kept),
    # the candidate fields it wrote as {name: [value before, value after]} (JSON: dates in ISO), and
    # the vote it rests on: what a correction edits and an undo restores (services.corrections), and
    # what the candidate's fields are replayed from (services.corrections.replayed_fields).
    step_key = models.CharField(max_length=40, blank=True, default="", editable=False)
    fields = models.JSONField(default=dict, blank=True, editable=False, encoder=DjangoJSONEncoder)
    vote = models.ForeignKey(
        "Vote", null=True, blank=True, on_delete=models.SET_NULL, editable=False, related_name="transitions"
    )

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["candidate", "at"], name="transition_cand_at"),
            # Statistics (admission.reporting.statistics): the stage visits that ended in a period.
            models.Index(fields=["on_date"], name="transition_on_date"),
            # Time in stage of a subtree: per candidate of the subtree, its visits ended in the
            # period with their stored times, read from the index alone (key columns rather
            # than INCLUDE, which SQLite does not have).
            models.Index(
                fields=["candidate", "on_date", "from_stage", "package_working_days", "entered_on"],
                name="transition_stage_time",
            ),
            # Time in stage of a large subtree (a province): the visits ended in the period read
            # from the index alone by day, then matched to the subtree's candidates (key columns
            # again rather than INCLUDE, for SQLite).
            models.Index(
                fields=["on_date", "candidate", "from_stage", "package_working_days", "entered_on"],
                condition=models.Q(entered_on__isnull=False),
                name="transition_visit_day",
            ),
            # The life-cycle outcomes of a period (`reporting.candidates.outcome_transitions`).
            models.Index(fields=["on_date"], condition=OUTCOME_TRANSITION, name="transition_outcome_day"),
        ]


class CorrectionKind(models.TextChoices):
    STEP = "step", _("Đính chính bước đã ghi")
    UNDO = "undo", _("Hủy bước vừa ghi")
    VOTE_WITHDRAWN = "vote_withdrawn", _("Rút lại kết quả biểu quyết")
    MENTOR_WITHDRAWN = "mentor_withdrawn", _("Rút lại phân công giúp đỡ")
    TASK_WITHDRAWN = "task_withdrawn", _("Rút lại nhiệm vụ đã giao")


class Correction(models.Model):
    """Append-only: a correction of a recorded fact, with who, when, why and the original.

    Written by ``admission.services.corrections`` only. `changes` holds {field: [before, after]} of a
    corrected step; `original` the whole row (a StageTransition, a Vote or a Mentorship, as JSON) an
    undo or a withdrawal took away, so that the history keeps what was recorded first.
    """

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(_("loại đính chính"), max_length=20, choices=CorrectionKind.choices)
    transition = models.ForeignKey(
        StageTransition, null=True, blank=True, on_delete=models.SET_NULL, related_name="corrections"
    )
    step_key = models.CharField(max_length=40, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    original = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(_("lý do đính chính"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("đính chính")
        verbose_name_plural = _("đính chính")
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["candidate", "recorded_at"], name="correction_candidate_at")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CorrectionKind.values), name="correction_kind_valid")
        ]


class MentorRole(models.TextChoices):
    MENTOR = "mentor", _("Đảng viên giúp đỡ")
    INTRODUCER = "introducer", _("Người giới thiệu")


class Mentorship(models.Model):
    """An official member assigned by branch resolution to help / introduce a candidate (QĐ294 3.2)."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="mentorships")
    member = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="mentorships")
    role = models.CharField(_("vai trò"), max_length=12, choices=MentorRole.choices, default=MentorRole.MENTOR)
    together_since = models.DateField(_("cùng công tác/học tập/cư trú từ ngày"))
    is_replacement = models.BooleanField(_("phân công thay thế (QĐ294 3.2.2)"), default=False)
    assigned_on = models.DateField(_("ngày phân công"))
    ended_on = models.DateField(null=True, blank=True)
    # Set when the candidate's move to another branch ended the assignment (HD06 3.9a, 3.10).
    ended_by_transfer = models.ForeignKey(
        "CandidateTransfer", null=True, blank=True, on_delete=models.SET_NULL, editable=False, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "member", "role"],
                condition=Q(ended_on__isnull=True),
                name="mentorship_open_unique",
            )
        ]


class MentorCommentKind(models.TextChoices):
    END_OF_PROBATION = "end_of_probation", _("Nhận xét khi hết thời gian dự bị (Mẫu 11-KNĐ)")
    ON_MOVE = "on_move", _("Nhận xét khi chuyển sinh hoạt hoặc thay người giúp đỡ")
    PERIODIC = "periodic", _("Nhận xét định kỳ")


class MentorComment(models.Model):
    """The helper's written comment on the probationer (HD06 4.3; on a move HD06 3.10), written and
    signed off by the assigned helper. Written by ``services.mentor_comment_write`` only; a signed
    end-of-probation comment ticks checklist item R3."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="mentor_comments")
    mentor = models.ForeignKey(
        PartyMember, on_delete=models.PROTECT, related_name="+", verbose_name=_("người nhận xét")
    )
    kind = models.CharField(_("loại nhận xét"), max_length=20, choices=MentorCommentKind.choices)
    text = models.TextField(_("nội dung nhận xét"))
    signed = models.BooleanField(_("đã ký"), default=False)
    signed_on = models.DateField(_("ngày ký"), null=True, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    written_at = models.DateTimeField(editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["written_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed=False) | Q(signed_on__isnull=False), name="mentor_comment_signed_has_date"
            )
        ]


class CandidateTransfer(models.Model):
    """A move of a candidate or probationer to another branch (chuyển sinh hoạt, HD06 3.9, 3.10), kept
    as history: the candidate, the person and the probationary membership moved with it.

    Written by ``services.candidate_transfer`` only. `stage` is the stage at the move and
    `stage_after` the one it led to (S10 for a dossier that had gone up, SZ for an annulled decision,
    else the same); `transition` is the StageTransition it made, if any.
    """

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="transfers")
    from_organisation = models.ForeignKey(
        Organisation, verbose_name=_("chi bộ chuyển đi"), on_delete=models.PROTECT, related_name="+"
    )
    to_organisation = models.ForeignKey(
        Organisation, verbose_name=_("chi bộ chuyển đến"), on_delete=models.PROTECT, related_name="+"
    )
    on_date = models.DateField(_("ngày chuyển sinh hoạt"))
    stage = models.CharField(_("bước khi chuyển"), max_length=4, choices=STAGE_CHOICES)
    stage_after = models.CharField(_("bước sau khi chuyển"), max_length=4, choices=STAGE_CHOICES)
    note = models.TextField(_("lý do chuyển sinh hoạt"))
    transition = models.OneToOneField(
        StageTransition, null=True, blank=True, on_delete=models.SET_NULL, related_name="transfer"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField()
    # T11, T13 (services.transfer_forwarded, transfer_reconsideration_request).
    forwarded_on = models.DateField(_("ngày chuyển hồ sơ đến nơi mới"), null=True, blank=True)
    reconsideration_requested_on = models.DateField(_("ngày đề nghị xem xét lại"), null=True, blank=True)
    reconsideration_note = models.TextField(_("nội dung đề nghị xem xét lại"), blank=True, default="")
    # T11: the committee of the old place that forwards a dossier which had gone up, and by when;
    # its reminders (admission.reminders: due time and occurrence, None once forwarded or closed).
    forwarding_committee = models.ForeignKey(
        Organisation,
        verbose_name=_("cấp ủy chuyển hồ sơ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    forward_due_on = models.DateField(_("hạn chuyển hồ sơ"), null=True, blank=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    reminder_sequence = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("chuyển sinh hoạt")
        verbose_name_plural = _("chuyển sinh hoạt")
        ordering = ["on_date", "recorded_at", "pk"]
        indexes = [
            models.Index(fields=["candidate", "on_date"], name="transfer_candidate_day"),
            models.Index(
                fields=["next_reminder_at", "id"],
                name="transfer_forward_due_keyset",
                condition=Q(next_reminder_at__isnull=False),
            ),
        ]


class BranchMeeting(models.Model):
    """A (monthly) branch meeting: its attendance, minutes and sympathiser-list decisions.

    With per-member attendance (`attendance_recorded`, one MeetingAttendance per official member
    summoned) the three counts are derived from those rows by the meeting services and kept here
    so that lists read them without counting (QĐ294 9.3.2, 9.3.4). Meetings recorded before
    attendance existed keep the two numbers typed then (`excluded` 0) and have no rows.
    Editable by the branch until its next meeting, then corrected with a reason (MeetingCorrection).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField(_("ngày họp"))
    official_members = models.PositiveSmallIntegerField(_("số đảng viên chính thức triệu tập"))
    present = models.PositiveSmallIntegerField(_("số đảng viên có mặt"))
    excluded = models.PositiveSmallIntegerField(_("số được trừ khỏi tổng số"), default=0)
    attendance_recorded = models.BooleanField(_("có điểm danh từng đảng viên"), default=False)
    minutes = models.TextField(_("biên bản tóm tắt"), blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_on"]
        indexes = [models.Index(fields=["organisation", "held_on"], name="bmeeting_org_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(present__lte=models.F("official_members")), name="meeting_present_le_members"
            ),
            models.CheckConstraint(
                condition=Q(excluded__lte=models.F("official_members")), name="meeting_excluded_le_members"
            ),
        ]

    @property
    def denominator(self) -> int:
        """N of QĐ294 9.3.2 as recorded (members summoned less the exclusions of 9.3.4)."""
        return self.official_members - self.excluded


class AttendanceStatus(models.TextChoices):
    """A member's attendance (admission.domain.attendance.Attendance; QĐ294 9.3.4 for the exclusions)."""

    PRESENT = Attendance.PRESENT.value, _("Có mặt")
    ABSENT = Attendance.ABSENT.value, _("Vắng mặt không có lý do được chấp nhận (vẫn tính)")
    TEMPORARY_TRANSFER = Attendance.TEMPORARY_TRANSFER.value, _("Chuyển sinh hoạt tạm thời (được trừ)")
    EXEMPT_ABSENT = Attendance.EXEMPT_ABSENT.value, _("Miễn sinh hoạt, vắng mặt (được trừ)")
    SUSPENDED = Attendance.SUSPENDED.value, _("Bị đình chỉ sinh hoạt, truy tố, tạm giam (được trừ)")
    EXCUSED = Attendance.EXCUSED.value, _("Vắng mặt có lý do được chấp nhận (được trừ)")


class MeetingAttendance(models.Model):
    """One official member summoned to a branch meeting, and whether they are counted (QĐ294 9.3.4)."""

    meeting = models.ForeignKey(BranchMeeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="meeting_attendance")
    status = models.CharField(_("điểm danh"), max_length=20, choices=AttendanceStatus.choices)
    note = models.CharField(_("ghi chú (lý do vắng)"), max_length=255, blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once_per_member"),
            models.CheckConstraint(condition=Q(status__in=AttendanceStatus.values), name="attendance_status_valid"),
        ]


class MeetingCorrection(models.Model):
    """A change to a meeting after the fact: who, when, why, and what changed (the history rows of
    the meeting, its attendance and its decisions keep the values before and after)."""

    meeting = models.ForeignKey(BranchMeeting, on_delete=models.CASCADE, related_name="corrections")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("lý do"), blank=True, default="")
    changes = models.JSONField(_("nội dung thay đổi"), default=list)

    class Meta:
        ordering = ["at", "pk"]


class ListDecision(models.Model):
    """The sympathiser list's history: each meeting adds, keeps or removes people (HD38 I.1.1b)."""

    class Decision(models.TextChoices):
        ADD = "add", _("Đưa vào danh sách")
        KEEP = "keep", _("Tiếp tục theo dõi")
        REMOVE = "remove", _("Đưa ra khỏi danh sách")

    meeting = models.ForeignKey(BranchMeeting, on_delete=models.CASCADE, related_name="list_decisions")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="list_decisions")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.CharField(_("lý do"), max_length=255, blank=True, default="")
    history = HistoricalRecords()


class TrialTask(models.Model):
    """A task given to test a sympathiser or probationer, with its due date and result."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="tasks")
    meeting = models.ForeignKey(BranchMeeting, null=True, blank=True, on_delete=models.SET_NULL)
    description = models.CharField(_("nhiệm vụ"), max_length=255)
    due_on = models.DateField(_("hạn"))
    result = models.CharField(_("kết quả"), max_length=255, blank=True, default="")
    done_on = models.DateField(_("ngày hoàn thành"), null=True, blank=True)
    closed = models.BooleanField(default=False)


class DocumentType(models.TextChoices):
    """Admission (§6.1) and recognition (§6.2) dossier documents, keyed by type not form code."""

    A1 = "A1", _("Giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng")
    A2 = "A2", _("Đơn xin vào Đảng")
    A3 = "A3", _("Lý lịch người xin vào Đảng (2-KNĐ) và văn bản thẩm tra")
    A4 = "A4", _("Giấy giới thiệu của đảng viên chính thức")
    A5 = "A5", _("Nghị quyết giới thiệu của Đoàn/Công đoàn")
    A6 = "A6", _("Tổng hợp ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú")
    A7 = "A7", _("Nghị quyết chi bộ đề nghị kết nạp")
    A8 = "A8", _("Báo cáo thẩm định của đảng ủy bộ phận")
    A9 = "A9", _("Nghị quyết đảng ủy cơ sở đề nghị kết nạp")
    A10 = "A10", _("Quyết định kết nạp đảng viên")
    A11 = "A11", _("Lý lịch đảng viên và phiếu đảng viên")
    R1 = "R1", _("Giấy chứng nhận lớp bồi dưỡng đảng viên mới")
    R2 = "R2", _("Bản tự kiểm điểm của đảng viên dự bị")
    R3 = "R3", _("Nhận xét của đảng viên giúp đỡ")
    R4 = "R4", _("Tổng hợp ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú (công nhận)")
    R5 = "R5", _("Nghị quyết chi bộ đề nghị công nhận đảng viên chính thức")
    R6 = "R6", _("Báo cáo thẩm định của đảng ủy bộ phận (công nhận)")
    R7 = "R7", _("Nghị quyết đảng ủy cơ sở (công nhận)")
    R8 = "R8", _("Quyết định công nhận đảng viên chính thức")


# Documents the branch must hold before it votes on admission (HD38 II.1.1a); A5 only when
# a union introduces. Redo after 12 months: A4, A5, A6 (HD06 5.4a).
DOCUMENTS_BEFORE_BRANCH_VOTE = ("A1", "A2", "A3", "A4", "A6")
DOCUMENTS_REDONE_AFTER_12_MONTHS = frozenset({"A4", "A5", "A6"})
DOCUMENTS_BEFORE_RECOGNITION_VOTE = ("R1", "R2", "R3", "R4")


class DossierItem(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Đã có")
        RETURNED = "returned", _("Trả lại, cần bổ sung")

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField(_("loại giấy tờ"), max_length=4, choices=DocumentType.choices)
    status = models.CharField(_("tình trạng"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    issued_on = models.DateField(_("ngày ký/ngày cấp"))
    note = models.CharField(_("ghi chú"), max_length=255, blank=True, default="")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)
    # What ticked the item: the step that produced it (workflow.DOCUMENT_DATE) or "generated:<kind>";
    # empty when a user entered it, which nothing automatic ever changes (services.checklist_tick).
    ticked_by = models.CharField(max_length=40, blank=True, default="", editable=False)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["candidate", "doc_type"], name="dossier_item_unique")]


class VerificationOutcome(models.TextChoices):
    """What a reply to a verification request concluded (HD06 3.4: political standard, compliance
    with the Party's and State's policies, and the applicant's ethics and lifestyle)."""

    CLEAR = "clear", _("Không phát hiện vấn đề")
    ISSUES = "issues", _("Có vấn đề cần xem xét")


def verification_subject_key(subject: str) -> str:
    """What makes two requests about the same subject: NFC, single-spaced, case-folded in Python
    (PostgreSQL's lower() under a C locale leaves Vietnamese capitals such as Ố as they are)."""
    return " ".join(unicodedata.normalize("NFC", subject or "").split()).casefold()[:120]


class VerificationRequest(models.Model):
    """A background-verification letter; the receiver must reply in 30/90 WD (HD06 3.4d).

    Open until its reply is recorded (`replied_on` with outcome and document number) or it is
    cancelled with a reason; never deleted. Every change (reply, correction, cancellation) is a
    history row with the acting user and, for corrections and cancellations, the reason.
    """

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="verifications")
    subject = models.CharField(_("người được thẩm tra (quan hệ)"), max_length=120)
    subject_key = models.CharField(max_length=120, editable=False, default="")  # verification_subject_key
    addressee = models.CharField(_("nơi nhận"), max_length=200)
    abroad = models.BooleanField(_("ở nước ngoài"), default=False)
    sent_on = models.DateField(_("ngày gửi"))
    received_on = models.DateField(_("ngày nơi nhận nhận được"))
    replied_on = models.DateField(_("ngày trả lời"), null=True, blank=True)
    outcome = models.CharField(
        _("kết quả thẩm tra"), max_length=8, choices=VerificationOutcome.choices, blank=True, default=""
    )
    issue_political = models.BooleanField(_("vấn đề về tiêu chuẩn chính trị"), default=False)
    issue_compliance = models.BooleanField(_("vấn đề chấp hành chủ trương, chính sách, pháp luật"), default=False)
    issue_ethics = models.BooleanField(_("vấn đề đạo đức, lối sống"), default=False)
    findings = models.TextField(_("nội dung trả lời"), blank=True, default="")
    reply_number = models.CharField(_("số văn bản trả lời"), max_length=60, blank=True, default="")
    reply_scan = models.ForeignKey(
        "DocumentScan",
        verbose_name=_("bản chụp văn bản trả lời"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_on = models.DateField(_("ngày hủy"), null=True, blank=True)
    cancel_reason = models.CharField(_("lý do hủy"), max_length=255, blank=True, default="")
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The reply-deadline reminder (admission.reminders): due time and occurrence, None once closed.
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    reminder_sequence = models.PositiveIntegerField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["next_reminder_at", "reminder_sequence", "subject_key"])

    class Meta:
        verbose_name = _("yêu cầu thẩm tra lý lịch")
        verbose_name_plural = _("yêu cầu thẩm tra lý lịch")
        ordering = ["sent_on", "pk"]
        indexes = [
            models.Index(
                fields=["next_reminder_at", "id"],
                name="verif_due_keyset",
                condition=Q(next_reminder_at__isnull=False),
            ),
        ]
        constraints = [
            # One open request per subject of a candidate: adding it again is refused, not duplicated.
            models.UniqueConstraint(
                fields=["candidate", "subject_key"],
                condition=Q(replied_on__isnull=True, cancelled_on__isnull=True),
                name="verif_one_open_per_subject",
            ),
            models.CheckConstraint(
                condition=Q(replied_on__isnull=True) | Q(cancelled_on__isnull=True),
                name="verif_answered_or_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.addressee}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.subject_key = verification_subject_key(self.subject)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "subject" in update_fields:
            kwargs["update_fields"] = {*update_fields, "subject_key"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.replied_on is None and self.cancelled_on is None

    @property
    def state(self) -> str:
        """open, answered or cancelled."""
        if self.cancelled_on is not None:
            return "cancelled"
        return "open" if self.replied_on is None else "answered"


class VotePurpose(models.TextChoices):
    ADMISSION = "admission", _("Kết nạp")
    RECOGNITION = "recognition", _("Công nhận đảng viên chính thức")
    REMOVAL = "removal", _("Xóa tên")


class VoteForm(models.TextChoices):
    SECRET_BALLOT = "secret", _("Bỏ phiếu kín")
    RAISED_CARDS = "cards", _("Giơ thẻ đảng viên")


class Vote(models.Model):
    """A vote with its counts and the threshold computed from the denominator (§5). Failed votes are kept too."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="votes")
    body = models.CharField(max_length=40, choices=[(b.name, b.name) for b in VotingBody])
    purpose = models.CharField(max_length=12, choices=VotePurpose.choices)
    held_on = models.DateField(_("ngày biểu quyết"))
    summoned = models.PositiveSmallIntegerField(_("số được triệu tập"))
    excluded = models.PositiveSmallIntegerField(_("số được trừ khỏi tổng số"), default=0)
    denominator = models.PositiveSmallIntegerField()
    yes = models.PositiveSmallIntegerField(_("tán thành"))
    no = models.PositiveSmallIntegerField(_("không tán thành"))
    abstain = models.PositiveSmallIntegerField(_("không biểu quyết"), default=0)
    form = models.CharField(_("hình thức biểu quyết"), max_length=8, choices=VoteForm.choices)
    required = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    rule = models.CharField(max_length=60)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    # The branch meeting the vote was held at (branch votes); with `counts_from_attendance` its
    # summoned/excluded/denominator/required follow that meeting's attendance, also when it is
    # corrected later. `needs_correction`: such a correction changed whether the counts reach the
    # threshold; `passed` (and the stage it moved) stay as recorded until the vote is corrected.
    meeting = models.ForeignKey(
        BranchMeeting, null=True, blank=True, on_delete=models.PROTECT, related_name="votes", verbose_name=_("cuộc họp")
    )
    counts_from_attendance = models.BooleanField(_("số liệu lấy từ điểm danh"), default=False)
    needs_correction = models.BooleanField(_("cần sửa lại biểu quyết"), default=False)

    class Meta:
        ordering = ["held_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(yes__lte=models.F("denominator")), name="vote_yes_le_denominator"),
        ]


class CalendarOverride(models.Model):
    """Exceptions to the `holidays` calendar, editable by administrators (rules §0)."""

    day = models.DateField(_("ngày"))
    is_working_day = models.BooleanField(_("là ngày làm việc"), help_text=_("Bỏ chọn để đánh dấu ngày nghỉ thêm."))
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, help_text=_("Để trống: áp dụng cho mọi tổ chức.")
    )
    note = models.CharField(_("ghi chú"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("ngày làm việc/nghỉ điều chỉnh")
        verbose_name_plural = _("lịch làm việc điều chỉnh")
        constraints = [models.UniqueConstraint(fields=["day", "organisation"], name="calendar_override_unique")]


class RuleOverride(models.Model):
    """A province's override of one rule parameter (e.g. Hà Nội: recognition decision 15 WD)."""

    province = models.ForeignKey(Organisation, on_delete=models.CASCADE, limit_choices_to={"kind": "province"})
    key = models.CharField(_("tham số"), max_length=60)
    value = models.IntegerField(_("giá trị"))
    label = models.CharField(_("căn cứ"), max_length=120)
    effective_from = models.DateField(_("hiệu lực từ"))

    class Meta:
        verbose_name = _("quy định riêng của tỉnh")
        verbose_name_plural = _("quy định riêng của tỉnh")
        constraints = [
            models.UniqueConstraint(fields=["province", "key", "effective_from"], name="rule_override_unique")
        ]


class Notification(models.Model):
    """An in-app notification (read/unread), also the content of the daily e-mail digest.

    `key` identifies what it is about (kind, stage visit or branch, occurrence sequence): the
    unique (user, key) constraint makes every sweep idempotent.
    """

    class Kind(models.TextChoices):
        DEADLINE = "deadline", _("Sắp đến hạn / quá hạn")
        PROBATION = "probation", _("Hết thời kỳ dự bị")
        STAGE_CHANGE = "stage_change", _("Thay đổi trạng thái hồ sơ")
        MONTHLY_REVIEW = "monthly_review", _("Sinh hoạt chi bộ hằng tháng")
        VERIFICATION = "verification", _("Hạn trả lời thẩm tra lý lịch")
        MENTOR_REVIEW = "mentor_review", _("Nhận xét định kỳ của đảng viên giúp đỡ")

    # The indexes are chosen for the sweep, which writes hundreds of thousands of rows at once
    # (docs/decisions.md): the user's own index is the unique (user, key); candidate, transition and
    # digest are indexed only where set (a branch's review reminder has none, a new row no digest).
    # No foreign-key constraint in the database for what a notification is to and about: checked row
    # by row at COMMIT they were a fifth of the sweep's time; every writer takes the ids from rows it
    # has just read, and deletions go through the ORM, which cascades to the notifications itself
    # (docs/decisions.md, "Reminder sweep beside the reviews").
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
        db_constraint=False,
    )
    key = models.CharField(max_length=80)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    candidate = models.ForeignKey(
        Candidate,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
        db_constraint=False,
    )
    transition = models.ForeignKey(
        StageTransition,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    due_on = models.DateField(null=True, blank=True)
    overdue = models.BooleanField(default=False)
    text_vi = models.CharField(max_length=300)
    text_en = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        "DigestDelivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications", db_index=False
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key")]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_unread"),
            # What the next digest may contain (digests_dispatch_due, digest_items).
            models.Index(
                fields=["user"], name="notification_to_email", condition=Q(digest__isnull=True, read_at__isnull=True)
            ),
            models.Index(fields=["candidate"], name="notification_candidate", condition=Q(candidate__isnull=False)),
            models.Index(fields=["transition"], name="notification_transition", condition=Q(transition__isnull=False)),
            models.Index(fields=["digest"], name="notification_digest", condition=Q(digest__isnull=False)),
        ]

    def get_absolute_url(self) -> str:
        """Where the notice leads (the page, the digest): the candidate's page, or for the old place's
        forwarding of a transferred dossier (T11) its list of dossiers to forward, since the sending
        committee no longer reads the candidate; "" when it is about no page."""
        from django.urls import reverse

        if self.key.startswith("transfer-forward:"):
            return reverse("transfers_to_forward")
        if self.candidate_id is not None:
            return reverse("candidate_detail", args=[self.candidate_id])
        return ""


class DigestDelivery(models.Model):
    """The e-mail ledger: at most one digest per user and day (unique), with its send state.

    pending -> sending (claimed) -> sent | pending (known failure, retried) | failed (gave up)
    | skipped (nothing left to say when sending) | unknown (crashed after the SMTP server may
    have accepted it: never re-sent automatically, shown to administrators).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENDING = "sending", _("Đang gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi lỗi")
        SKIPPED = "skipped", _("Bỏ qua")
        UNKNOWN = "unknown", _("Không rõ kết quả")

    # Indexed by the unique (user, day).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests", db_index=False)
    day = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("thư tổng hợp")
        verbose_name_plural = _("thư tổng hợp đã gửi")
        ordering = ["-day", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once_per_user_day")]
        # The day's pending deliveries in id order (the sweep enqueues them by keyset, in chunks).
        indexes = [models.Index(fields=["status", "day", "id"], name="digest_status_day_id")]


class BranchReview(models.Model):
    """The next monthly-review reminder of a branch (its meeting day, Organisation.meeting_day)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="review_reminder")
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # The sweep reads due reviews in (due, id) order from where its last batch stopped
            # (admission.reminders._SweepState): most branches share one due time.
            models.Index(
                fields=["next_reminder_at", "id"], name="review_due_keyset", condition=Q(next_reminder_at__isnull=False)
            )
        ]


def _days_list(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in value.replace(" ", "").split(",") if part)


class ReminderSettings(models.Model):
    """An organisation's reminder lead times; the nearest ancestor's settings apply to a branch.

    Without any, the defaults of admission.domain.reminders apply (probation 30, 7, 0 days;
    deadlines 7, 1, 0 days; then every 7 days).
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="reminder_settings")
    probation_days_before = models.CharField(
        _("nhắc trước khi hết dự bị (ngày, cách nhau bởi dấu phẩy)"), max_length=40, default="30,7,0"
    )
    deadline_days_before = models.CharField(_("nhắc trước các thời hạn (ngày)"), max_length=40, default="7,1,0")
    repeat_after_days = models.PositiveSmallIntegerField(_("nhắc lại sau hạn mỗi (ngày)"), default=7)
    # Rules §0 and §8: no central rule asks for periodic comments; an organisation may (off by default).
    mentor_review_cadence = models.CharField(
        _("nhận xét định kỳ của đảng viên giúp đỡ"),
        max_length=10,
        blank=True,
        default="",
        choices=[
            ("", _("Không (mặc định)")),
            ("monthly", _("Hằng tháng")),
            ("quarterly", _("Hằng quý")),
        ],
    )

    class Meta:
        verbose_name = _("cài đặt nhắc việc của tổ chức")
        verbose_name_plural = _("cài đặt nhắc việc của tổ chức")

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        for name in ("probation_days_before", "deadline_days_before"):
            try:
                days = _days_list(getattr(self, name))
            except ValueError:
                days = ()
            if not days or any(d < 0 or d > 365 for d in days):
                errors[name] = _("Nhập các số ngày từ 0 đến 365, cách nhau bởi dấu phẩy (ví dụ 30,7,0).")
        if self.repeat_after_days < 1:
            errors["repeat_after_days"] = _("Ít nhất 1 ngày.")
        if errors:
            raise ValidationError(errors)

    def lead_times(self) -> tuple[object, object]:
        from admission.domain.reminders import LeadTimes

        return (
            LeadTimes(before=_days_list(self.probation_days_before), repeat_after_days=self.repeat_after_days),
            LeadTimes(before=_days_list(self.deadline_days_before), repeat_after_days=self.repeat_after_days),
        )


# --- Committee review: returns, meetings, uploads, generated documents ----------------------


def _private_path(folder: str, filename: str) -> str:
    """A random file name under MEDIA_ROOT (outside the web root): nothing guessable, no user text."""
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:6]
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def scan_upload_to(_instance: object, filename: str) -> str:
    return _private_path("scans", filename)


def template_upload_to(_instance: object, filename: str) -> str:
    return _private_path("templates", filename)


def generated_upload_to(_instance: object, filename: str) -> str:
    return _private_path("generated", filename)


class DossierReturn(models.Model):
    """A committee's return of a dossier to the branch, with a reason per document (QĐ294 4.3.1).

    Written with the backward StageTransition (S8A/S9/S10 -> S8, S16 -> S15) in one transaction.
    """

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="returns")
    transition = models.OneToOneField(StageTransition, on_delete=models.CASCADE, related_name="dossier_return")
    from_stage = models.CharField(max_length=4, choices=STAGE_CHOICES)
    committee = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(_("lý do trả lại"))
    resubmitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def is_open_for(self, candidate: Candidate) -> bool:
        """Still waiting for the branch: not resubmitted, and the candidate is still at the stage
        the return sent them to (a later move closes it)."""
        return self.resubmitted_at is None and self.transition.to_stage == candidate.stage

    def documents_pending(self, received: set[str]) -> tuple[str, ...]:
        """The returned documents whose type is not among `received` (recorded again by the branch)."""
        return tuple(item.doc_type for item in self.items.all() if item.doc_type not in received)


class ReturnedDocument(models.Model):
    """One document the branch must redo or add, with the committee's reason."""

    dossier_return = models.ForeignKey(DossierReturn, on_delete=models.CASCADE, related_name="items")
    doc_type = models.CharField(_("loại giấy tờ"), max_length=4, choices=DocumentType.choices)
    reason = models.CharField(_("lý do"), max_length=255)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dossier_return", "doc_type"], name="returned_doc_unique")]


class CommitteeMeeting(models.Model):
    """A committee meeting that considers a list of dossiers (the printable agenda)."""

    committee = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="committee_meetings")
    held_on = models.DateField(_("ngày họp"))
    title = models.CharField(_("nội dung"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["committee", "held_on"], name="cmeeting_committee_day")]


class AgendaItem(models.Model):
    """One dossier on a meeting's agenda and the outcome the meeting reached on it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Chưa xét")
        APPROVED = "approved", _("Thông qua")
        REJECTED = "rejected", _("Không thông qua")
        RETURNED = "returned", _("Trả lại để bổ sung")
        DEFERRED = "deferred", _("Hoãn xét")

    meeting = models.ForeignKey(CommitteeMeeting, on_delete=models.CASCADE, related_name="items")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(default=0)
    stage_listed = models.CharField(max_length=4, choices=STAGE_CHOICES)
    outcome = models.CharField(_("kết quả"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "candidate"], name="agenda_item_unique")]


class DocumentScan(models.Model):
    """An uploaded scan (PDF, JPEG, PNG) of a dossier document, type checked by content.

    Stored under MEDIA_ROOT with a random name; served only by a scoped, audited view.
    """

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="scans")
    doc_type = models.CharField(_("loại giấy tờ"), max_length=4, choices=DocumentType.choices)
    file = models.FileField(upload_to=scan_upload_to, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["doc_type", "-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["candidate", "doc_type"], name="scan_candidate_type")]


class GeneratedKind(models.TextChoices):
    """The dossier documents the app can fill from its data."""

    APPLICATION_COVER = "application_cover", _("Bìa hồ sơ xin vào Đảng (thông tin người xin vào Đảng)")
    BRANCH_RESOLUTION = "branch_resolution", _("Nghị quyết chi bộ đề nghị kết nạp")
    COMMITTEE_RESOLUTION = "committee_resolution", _("Nghị quyết đảng ủy cơ sở đề nghị kết nạp")
    ADMISSION_DECISION = "admission_decision", _("Quyết định kết nạp đảng viên")
    RECOGNITION_DECISION = "recognition_decision", _("Quyết định công nhận đảng viên chính thức")
    PROBATION_SUMMARY = "probation_summary", _("Bản tổng hợp 12 tháng dự bị")
    MEMBER_SHEET = "member_sheet", _("Phiếu đảng viên")
    COMMENTS_SUMMARY = "comments_summary", _("Tổng hợp ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú (5-KNĐ)")
    BRANCH_MINUTES = "branch_minutes", _("Biên bản họp chi bộ xét đề nghị kết nạp")
    BALLOT = "ballot", _("Phiếu biểu quyết đề nghị kết nạp")
    NON_ADMISSION_NOTICE = "non_admission_notice", _("Thông báo không kết nạp")
    RECOGNITION_COMMENTS = "recognition_comments", _("Tổng hợp ý kiến nhận xét đảng viên dự bị (12-KNĐ)")
    RECOGNITION_BRANCH_RESOLUTION = (
        "recognition_branch_resolution",
        _("Nghị quyết chi bộ đề nghị công nhận đảng viên chính thức (13-KNĐ)"),
    )
    RECOGNITION_COMMITTEE_RESOLUTION = (
        "recognition_committee_resolution",
        _("Nghị quyết đảng ủy cơ sở đề nghị công nhận đảng viên chính thức (15-KNĐ)"),
    )
    REMOVAL_BRANCH_RESOLUTION = "removal_branch_resolution", _("Nghị quyết chi bộ đề nghị xóa tên đảng viên dự bị")
    REMOVAL_DECISION = "removal_decision", _("Quyết định xóa tên đảng viên dự bị")
    APPRAISAL_REPORT = "appraisal_report", _("Báo cáo thẩm định của đảng ủy bộ phận đề nghị kết nạp (7-KNĐ)")
    RECOGNITION_APPRAISAL = (
        "recognition_appraisal",
        _("Báo cáo thẩm định của đảng ủy bộ phận đề nghị công nhận đảng viên chính thức (14-KNĐ)"),
    )
    SYMPATHISER_EXTRACT = "sympathiser_extract", _("Trích danh sách quần chúng cảm tình Đảng")
    DEADLOCK_CONCLUSION = "deadlock_conclusion", _("Thông báo kết luận sau ba lần biểu quyết không đạt")
    ANNULMENT_DECISION = "annulment_decision", _("Quyết định hủy quyết định kết nạp")
    TRANSFER_LETTER = "transfer_letter", _("Công văn chuyển hồ sơ đề nghị kết nạp đến nơi chuyển đến")
    RECONSIDERATION_REQUEST = "reconsideration_request", _("Công văn đề nghị nơi chuyển đi xem xét lại")


class IssuedDocType(models.TextChoices):
    """Party document types the register numbers, with their symbol's abbreviation (Số 15-QĐ/ĐU)."""

    RESOLUTION = "NQ", _("Nghị quyết")
    DECISION = "QĐ", _("Quyết định")
    REPORT = "BC", _("Báo cáo")
    NOTICE = "TB", _("Thông báo")
    LETTER = "CV", _("Công văn")


class CommitteeTerm(models.Model):
    """The start of an issuing body's term (nhiệm kỳ, from its congress): the register numbers each
    type of document from 1 again in a new term. Without a row the national five-year cycle applies
    (01/01/2025, 01/01/2030, …; docs/decisions.md)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="committee_terms")
    starts_on = models.DateField(_("ngày bắt đầu nhiệm kỳ"))
    label = models.CharField(_("nhiệm kỳ"), max_length=40, blank=True, default="")

    class Meta:
        verbose_name = _("nhiệm kỳ cấp ủy")
        verbose_name_plural = _("nhiệm kỳ cấp ủy")
        ordering = ["organisation", "-starts_on"]
        constraints = [models.UniqueConstraint(fields=["organisation", "starts_on"], name="committee_term_unique")]

    def __str__(self) -> str:
        return f"{self.organisation} {self.label or self.starts_on}"


class DocumentCounter(models.Model):
    """The last number issued per (issuing body, type, term): locked (SELECT … FOR UPDATE) by each
    issue, so that numbers are consecutive, without gaps or duplicates, in the order of issue."""

    issuer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    doc_type = models.CharField(max_length=4, choices=IssuedDocType.choices)
    term_start = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "doc_type", "term_start"], name="document_counter_unique")
        ]


class IssuedDocument(models.Model):
    """One entry of an issuing body's register (sổ đăng ký văn bản đi): a number, never reused; a
    cancelled document keeps its number, marked cancelled."""

    issuer = models.ForeignKey(
        Organisation, verbose_name=_("cơ quan ban hành"), on_delete=models.PROTECT, related_name="issued_documents"
    )
    doc_type = models.CharField(_("loại văn bản"), max_length=4, choices=IssuedDocType.choices)
    term_start = models.DateField(_("nhiệm kỳ từ"))
    number = models.PositiveIntegerField(_("số"))
    symbol = models.CharField(_("số và ký hiệu"), max_length=40)
    kind = models.CharField(_("văn bản"), max_length=40, choices=GeneratedKind.choices)
    candidate = models.ForeignKey(
        Candidate, null=True, blank=True, on_delete=models.PROTECT, related_name="issued_documents"
    )
    summary = models.CharField(_("trích yếu"), max_length=255)
    issued_on = models.DateField(_("ngày ban hành"))
    signer_name = models.CharField(_("người ký"), max_length=120)
    signer_position = models.CharField(_("chức vụ người ký"), max_length=40)
    recipients = models.TextField(_("nơi nhận"), blank=True, default="")
    cancelled = models.BooleanField(_("đã hủy"), default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(_("lý do hủy"), max_length=255, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("văn bản đã ban hành")
        verbose_name_plural = _("sổ văn bản")
        ordering = ["issuer", "-term_start", "doc_type", "number"]
        constraints = [
            # The second guard behind the counter: one number per type, body and term.
            models.UniqueConstraint(fields=["issuer", "doc_type", "term_start", "number"], name="issued_number_unique"),
            # One document in force per candidate and kind: a re-issue needs the first cancelled.
            models.UniqueConstraint(
                fields=["candidate", "kind"],
                condition=Q(cancelled=False, candidate__isnull=False),
                name="issued_once_per_candidate_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"Số {self.symbol}"

    @property
    def recipient_lines(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]


class DocumentTemplate(models.Model):
    """An organisation's own version of a document template (DOCX with docxtpl tags).

    The nearest ancestor's latest version in effect on the day applies; without one, the
    built-in default template (our own wording) is used.
    """

    kind = models.CharField(_("loại văn bản"), max_length=40, choices=GeneratedKind.choices)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="document_templates"
    )
    version = models.CharField(_("phiên bản"), max_length=20)
    effective_from = models.DateField(_("hiệu lực từ"))
    file = models.FileField(upload_to=template_upload_to, max_length=200)
    note = models.CharField(_("ghi chú"), max_length=200, blank=True, default="")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("mẫu văn bản")
        verbose_name_plural = _("mẫu văn bản")
        ordering = ["kind", "-effective_from", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "organisation", "version"], name="doc_template_version_unique")
        ]


class GeneratedDocument(models.Model):
    """A document generated for a candidate, with the template version it used (DOCX or PDF)."""

    class Format(models.TextChoices):
        DOCX = "docx", "DOCX"
        PDF = "pdf", "PDF"

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="generated_documents")
    kind = models.CharField(_("loại văn bản"), max_length=40, choices=GeneratedKind.choices)
    # The register entry this file renders (its number, day and signer); None for a draft.
    issued = models.ForeignKey(IssuedDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="files")
    format = models.CharField(max_length=4, choices=Format.choices)
    template = models.ForeignKey(DocumentTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    template_version = models.CharField(_("phiên bản mẫu"), max_length=40)
    file = models.FileField(upload_to=generated_upload_to, max_length=200)
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]


class DocumentJob(models.Model):
    """One document's file made off the request path: a PDF takes seconds of LibreOffice, so the
    page queues it on the `documents` Celery queue and follows it until its GeneratedDocument is
    stored. A job renders its register entry (`issued`) when it has one: the number was assigned
    at issue, in the request; the job never numbers anything, however often it runs."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang tạo")
        DONE = "done", _("Đã xong")
        FAILED = "failed", _("Không tạo được")

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="document_jobs")
    kind = models.CharField(_("loại văn bản"), max_length=40, choices=GeneratedKind.choices)
    format = models.CharField(max_length=4, choices=GeneratedDocument.Format.choices)
    issued = models.ForeignKey(IssuedDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("trạng thái"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    document = models.OneToOneField(
        GeneratedDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="job"
    )
    error = models.CharField(max_length=500, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)  # for the audit row written by the worker
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["candidate", "status"], name="docjob_candidate_status")]


class DocumentBatch(models.Model):
    """The decisions and resolutions of one committee meeting, made together off the request path:
    the register entries (numbered in agenda order) rendered by the `documents` Celery queue into
    one ZIP (DOCX and PDF of each) and one combined PDF for printing."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang tạo")
        DONE = "done", _("Đã xong")
        FAILED = "failed", _("Không tạo được")

    meeting = models.ForeignKey(CommitteeMeeting, on_delete=models.CASCADE, related_name="document_batches")
    status = models.CharField(_("trạng thái"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    # The register entries in agenda order (IssuedDocument ids).
    entries = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    zip_file = models.FileField(upload_to=generated_upload_to, max_length=200, blank=True)
    pdf_file = models.FileField(upload_to=generated_upload_to, max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


# --- Plans, statistics and imports --------------------------------------------------------------


class AnnualPlan(models.Model):
    """An organisation's plan (chỉ tiêu) for one year: how many to admit and to send to the classes."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="annual_plans")
    year = models.PositiveSmallIntegerField(_("năm"))
    admit = models.PositiveIntegerField(_("số kết nạp"), default=0)
    awareness_class = models.PositiveIntegerField(_("số cử đi học lớp nhận thức về Đảng"), default=0)
    new_member_class = models.PositiveIntegerField(_("số cử đi học lớp đảng viên mới"), default=0)
    note = models.CharField(_("ghi chú"), max_length=200, blank=True, default="")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("chỉ tiêu năm")
        verbose_name_plural = _("chỉ tiêu năm")
        ordering = ["organisation__path", "-year"]
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="plan_once_per_year")]


class StatisticsReport(models.Model):
    """A statistics report as computed and saved, with the baseline it chose (kept as it was)."""

    class AdmittedBy(models.TextChoices):
        CEREMONY = "ceremony", _("theo ngày lễ kết nạp")
        DECISION = "decision", _("theo ngày quyết định kết nạp")

    class Baseline(models.TextChoices):
        TERM_START = "term_start", _("đảng viên đầu nhiệm kỳ")
        YEAR_START = "year_start", _("đảng viên đầu năm")
        PREVIOUS_YEAR_END = "previous_year_end", _("đảng viên cuối năm trước")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="statistics_reports")
    period_start = models.DateField(_("từ ngày"))
    period_end = models.DateField(_("đến ngày"))
    admitted_by = models.CharField(max_length=10, choices=AdmittedBy.choices, default=AdmittedBy.CEREMONY)
    baseline = models.CharField(max_length=20, choices=Baseline.choices, default=Baseline.YEAR_START)
    baseline_date = models.DateField(_("ngày tính số đảng viên làm mốc"))
    baseline_members = models.PositiveIntegerField(_("số đảng viên làm mốc"))
    figures = models.JSONField(_("số liệu"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("báo cáo thống kê")
        verbose_name_plural = _("báo cáo thống kê")
        ordering = ["-created_at", "-pk"]


class CandidateCount(models.Model):
    """Statistics summary of the candidacies (rules §9), kept by `admission.reporting.summaries`.

    The twin of `members.models.MemberCount` for the figures of the candidacies that a month-aligned
    period can read without touching the candidates: the stage visits that ended in the period
    (time in stage: `label` the stage left, `value` its working days by the package calendar), the
    removals from the probationary list (by removal date) and the awareness-class cohort (funnel:
    by certificate date; `label` whether the ceremony, the branch vote and the dossier happened,
    `value` the months to the ceremony). One row per organisation, scope (`own`: the candidacies
    of the organisation itself; otherwise its subtree), level (year or month), bucket (the first
    day of the year or month), figure, label and value; `count` is how many. Only whole months:
    a period that starts or ends inside a month is counted from the candidacies themselves.
    Written in the writer's transaction through `members.freshness.organisations_changed`;
    `manage.py rebuild_statistics` recomputes them.
    """

    class Level(models.IntegerChoices):
        YEAR = 0, _("Năm")
        MONTH = 1, _("Tháng")

    # No database constraint: derived rows (see MemberCount).
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    own = models.BooleanField()
    figure = models.CharField(max_length=8)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    bucket = models.DateField()
    label = models.CharField(max_length=8, blank=True, default="")
    value = models.IntegerField(default=0)
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("số liệu tổng hợp quần chúng")
        verbose_name_plural = _("số liệu tổng hợp quần chúng")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "own", "figure", "level", "bucket", "label", "value"],
                name="candidate_count_key",
            ),
        ]


class ImportBatch(models.Model):
    """One Excel import (or dry run): who imported which file, and what it did row by row."""

    class Status(models.TextChoices):
        DRY_RUN = "dry_run", _("Chạy thử")
        APPLIED = "applied", _("Đã nhập")
        REFUSED = "refused", _("Có lỗi, không nhập")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices)
    rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("lần nhập Excel")
        verbose_name_plural = _("các lần nhập Excel")
        ordering = ["-created_at", "-pk"]


class ImportMapping(models.Model):
    """How an organisation's own spreadsheets map onto the import's fields, as last confirmed:
    folded header -> field key ("" ignored) and sheet title -> branch code, reused for its next file."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="+")
    columns = models.JSONField(default=dict)
    sheets = models.JSONField(default=dict)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("cách ghép cột khi nhập Excel")
        verbose_name_plural = _("các cách ghép cột khi nhập Excel")

    def __str__(self) -> str:
        return str(self.organisation)


class CandidateAccess(models.Model):
    """The candidate's own login to follow their case (self-service), from the secretary's invitation.

    The link's token is stored only as its SHA-256 digest; it is single use and expires
    (services.candidate_access). Access is open while accepted, not revoked and the candidacy not
    closed (CLOSED_STAGES): the selector checks that on every request, no job ends it.
    `open_items` are the checklist items (DocumentType codes) the candidate may upload scans to.
    """

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="self_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="candidate_accesses")
    email = models.EmailField(_("thư điện tử nhận lời mời"))
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    invited_at = models.DateTimeField(editable=False)
    expires_at = models.DateTimeField(editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    open_items = models.JSONField(_("giấy tờ người vào Đảng được tự tải lên"), default=list, blank=True)

    class Meta:
        verbose_name = _("quyền tự theo dõi hồ sơ")
        verbose_name_plural = _("quyền tự theo dõi hồ sơ")
        ordering = ["-invited_at", "-pk"]
        indexes = [models.Index(fields=["candidate", "revoked_at"], name="self_access_candidate")]


class BiographyDraft(models.Model):
    """The candidate's structured draft of the biography form (Lý lịch người xin vào Đảng, 2-KNĐ):
    family and own history, which the secretary reviews and locks; printed in the form's layout.

    `data` = {"family": [{relation, full_name, birth_year, occupation, residence, political}],
    "history": [{period, activity}], "rewards": str, "discipline": str}."""

    candidate = models.OneToOneField(Candidate, on_delete=models.CASCADE, related_name="biography_draft")
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField()
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bản nháp lý lịch")
        verbose_name_plural = _("bản nháp lý lịch")
