"""Request and response shapes of the API: English snake_case names, dates in ISO 8601.

Serializers only validate input and shape output; every write goes through a service. The
CCCD number is write-only: responses carry `cccd_masked` (last three digits) and never the
number itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from admission.api.errors import ErrorItemSerializer, language, reason_item
from admission.domain.stages import STAGE_INFO, Stage
from admission.models import (
    CANDIDATE_DATE_FIELDS,
    Candidate,
    CandidateTransfer,
    ConsentKind,
    DocumentType,
    DossierItem,
    DossierReturn,
    IntroductionModeChoice,
    Notification,
    ProvincialConsent,
    StageTransition,
    VerificationOutcome,
    VerificationRequest,
    Vote,
    VoteForm,
)
from admission.services import CANDIDATE_FLAGS
from admission.workflow import Step, VoteBy
from members import names
from members.models import EducationLevel, Gender, MemberStatus, Organisation, PartyMember, Person

# Dates outside this range are refused (400): no legal date of the process lies there, and the
# deadline arithmetic must never overflow Python's date range.
MIN_DAY = dt.date(1900, 1, 1)
MAX_DAY = dt.date(2100, 12, 31)
MAX_COUNT = 999  # vote counts: as in the UI's forms (the columns are small integers)


class DayField(serializers.DateField):
    """An ISO 8601 date (YYYY-MM-DD) between 1900-01-01 and 2100-12-31."""

    default_error_messages = {"out_of_range": _("Ngày phải trong khoảng 01/01/1900 đến 31/12/2100.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["iso-8601"])
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> dt.date:
        day: dt.date = super().to_internal_value(value)
        if not MIN_DAY <= day <= MAX_DAY:
            self.fail("out_of_range")
        return day


def _wrong_json_type(field: serializers.Field, value: Any) -> bool:
    """DRF coerces `"12"` to 12, `1` to true and `5` to "5"; a JSON API takes the declared types only."""
    if value is None:
        return False  # `null` is the field's own business (allow_null)
    if isinstance(field, serializers.BooleanField):
        return not isinstance(value, bool)
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        return isinstance(value, bool) or not isinstance(value, int)
    if isinstance(field, serializers.CharField | serializers.ChoiceField | serializers.DateField):
        return not isinstance(value, str)
    if isinstance(field, serializers.ListField):
        return not isinstance(value, list) or any(_wrong_json_type(field.child, item) for item in value)
    return False


class StrictTypes:
    """Mixed into every input serializer: a value of the wrong JSON type is 400 `invalid_type`."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            fields: Any = self.fields  # type: ignore[attr-defined]
            wrong = {
                name: [serializers.ErrorDetail(str(_("Sai kiểu dữ liệu JSON.")), code="invalid_type")]
                for name, field in fields.items()
                if not field.read_only and name in data and _wrong_json_type(field, data[name])
            }
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)  # type: ignore[misc]


def stage_label(stage: str) -> str:
    info = STAGE_INFO[Stage(stage)]
    return info.label_en if language() == "en" else info.label_vi


class StageLabelField(serializers.CharField):
    """The stage's name in the user's language, read from the `stage` attribute."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="stage", read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return stage_label(value)


# --- Organisations, people, members -----------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True)
    is_branch = serializers.BooleanField(read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "kind",
            "kind_label",
            "name",
            "code",
            "parent",
            "depth",
            "is_branch",
            "delegated_to_admit",
            "upper_level_powers",
            "meeting_day",
            "valid_from",
            "valid_to",
        ]
        read_only_fields = fields


NORMALISED_TEXT_FIELDS = ("ethnicity", "religion", "hometown", "residence", "occupation")


def _max_length(field: str) -> int:
    return int(Person._meta.get_field(field).max_length or 0)  # type: ignore[union-attr]


PERSON_FIELDS = [
    "full_name",
    "date_of_birth",
    "gender",
    "ethnicity",
    "religion",
    "phone",
    "email",
    "hometown",
    "residence",
    "education_level",
    "occupation",
    "youth_union_member",
    "trade_union_member",
    "is_student",
    "private_enterprise_worker",
]


class PersonSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    cccd_masked = serializers.CharField(
        source="masked_cccd", read_only=True, help_text="CCCD with all but the last three digits masked."
    )
    member_status = serializers.SerializerMethodField(help_text="Membership status, null for non-members.")
    email = serializers.CharField(read_only=True, help_text="E-mail address, or empty.")

    class Meta:
        model = Person
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "family_name",
            "middle_name",
            "given_name",
            *PERSON_FIELDS,
            "cccd_masked",
            "member_status",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": list(MemberStatus.values), "nullable": True})
    def get_member_status(self, person: Person) -> str | None:
        membership = getattr(person, "membership", None)
        return membership.status if membership is not None else None


class PersonWriteSerializer(StrictTypes, serializers.ModelSerializer):
    """A person's data as the UI's form takes it; the model's validation (CCCD structure, name,
    dates) runs in the service. `cccd` is write-only: omit it to keep the stored number, null to
    clear it. Spaces between digit groups are removed."""

    date_of_birth = DayField()
    cccd = serializers.CharField(
        write_only=True, required=False, allow_null=True, allow_blank=True, max_length=20, help_text="12 digits."
    )
    gender = serializers.ChoiceField(choices=Gender.choices)
    education_level = serializers.ChoiceField(choices=EducationLevel.choices, required=False)

    class Meta:
        model = Person
        fields = [*PERSON_FIELDS, "cccd"]

    def validate_cccd(self, value: str | None) -> str | None:
        if value is None:
            return None
        return "".join(value.split()) or None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The model stores names and texts normalised (NFC, capitalised, split into family, middle
        and given name), which can make them longer than what was sent: check what will be stored,
        or the database would refuse it (a 500)."""
        too_long = serializers.ErrorDetail(str(_("Quá dài (sau khi chuẩn hóa).")), code="max_length")
        errors: dict[str, list[serializers.ErrorDetail]] = {}
        for name in NORMALISED_TEXT_FIELDS:
            if isinstance(attrs.get(name), str) and len(names.normalize_text(attrs[name])) > _max_length(name):
                errors[name] = [too_long]
        if isinstance(attrs.get("full_name"), str):
            full_name = names.normalize_name(attrs["full_name"])
            parts = zip(("family_name", "middle_name", "given_name"), names.split_name(full_name), strict=True)
            if (
                len(full_name) > _max_length("full_name")
                or len(names.search_key(full_name)) > _max_length("search_key")
                or any(len(part) > _max_length(field) for field, part in parts)
            ):
                errors["full_name"] = [too_long]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class PersonCreateSerializer(PersonWriteSerializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.none(), help_text="The branch that manages the person (id)."
    )

    class Meta(PersonWriteSerializer.Meta):
        fields = ["organisation", *PersonWriteSerializer.Meta.fields]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only organisations the user may see: another id is "does not exist", not a hint.
        field: Any = self.fields["organisation"]
        field.queryset = self.context.get("organisations", Organisation.objects.none())

    def validate_organisation(self, organisation: Organisation) -> Organisation:
        if not organisation.is_branch:
            raise serializers.ValidationError(_("Người phải thuộc một chi bộ."), code="not_a_branch")
        return organisation


class MemberSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.full_name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "person",
            "person_name",
            "organisation",
            "organisation_name",
            "status",
            "admission_decision_date",
            "ceremony_date",
            "official_date",
            "left_date",
            "card_number",
        ]
        read_only_fields = fields


# --- Candidates --------------------------------------------------------------------------------

CANDIDATE_DATES = list(CANDIDATE_DATE_FIELDS)


class CandidateSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.full_name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    stage_label = StageLabelField()
    overdue = serializers.SerializerMethodField(help_text="The step's legal deadline (next_due_on) has passed.")

    class Meta:
        model = Candidate
        fields = [
            "id",
            "person",
            "person_name",
            "organisation",
            "organisation_name",
            "stage",
            "stage_label",
            "stage_entered_on",
            "next_due_on",
            "overdue",
            "failed_votes",
            "created_at",
        ]
        read_only_fields = fields

    def get_overdue(self, candidate: Candidate) -> bool:
        return candidate.next_due_on is not None and candidate.next_due_on < self.context["today"]


class TransitionSerializer(serializers.ModelSerializer):
    acting_user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = StageTransition
        fields = ["id", "from_stage", "to_stage", "at", "on_date", "acting_user", "note", "basis"]
        read_only_fields = fields


class VoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vote
        fields = [
            "id",
            "body",
            "purpose",
            "held_on",
            "summoned",
            "excluded",
            "denominator",
            "yes",
            "no",
            "abstain",
            "form",
            "required",
            "passed",
            "rule",
            "created_at",
            "meeting",
            "counts_from_attendance",
            "needs_correction",
        ]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = DossierItem
        fields = ["doc_type", "status", "issued_on", "note", "updated_at"]
        read_only_fields = fields


class CommitteeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CandidateDetailSerializer(CandidateSerializer):
    """A candidacy with its recorded dates, flags, history, votes and documents.

    `available_steps` are the step keys this user may record now (empty for read-only users and
    while the dossier sits with a committee the user is not staff of); `due_committee` is the
    committee whose turn it is (null at the branch).
    """

    transitions = TransitionSerializer(many=True, read_only=True)
    votes = VoteSerializer(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)
    available_steps = serializers.SerializerMethodField()
    due_committee = serializers.SerializerMethodField()
    member = serializers.IntegerField(source="member_id", read_only=True, allow_null=True)
    introduction_mode = serializers.ChoiceField(
        choices=IntroductionModeChoice.choices, allow_blank=True, read_only=True, help_text="Empty until introduced."
    )

    class Meta(CandidateSerializer.Meta):
        fields = [
            *CandidateSerializer.Meta.fields,
            *CANDIDATE_DATES,
            "certificate_number",
            "introduction_mode",
            "decision_number",
            *CANDIDATE_FLAGS,
            "member",
            "due_committee",
            "available_steps",
            "transitions",
            "votes",
            "documents",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_steps(self, candidate: Candidate) -> list[str]:
        return list(self.context.get("available_steps", {}).get(candidate.pk, []))

    @extend_schema_field(CommitteeSerializer(allow_null=True))
    def get_due_committee(self, candidate: Candidate) -> dict[str, Any] | None:
        committee = self.context.get("due_committees", {}).get(candidate.pk)
        return {"id": committee.id, "name": committee.name} if committee is not None else None


class CandidateCreateSerializer(StrictTypes, serializers.Serializer):
    person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.none(), help_text="Id of a person in your scope, not a member, not followed yet."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["person"]
        field.queryset = self.context.get("people", Person.objects.none())


class CandidateFlagsSerializer(StrictTypes, serializers.Serializer):
    """The approvals and exceptions the rules read (the UI's "Phê duyệt và trường hợp đặc biệt")."""

    area_exception = serializers.BooleanField(required=False)
    literacy_exception_approved = serializers.BooleanField(required=False)
    over_60_approved = serializers.BooleanField(required=False)
    readmission = serializers.BooleanField(required=False)
    readmission_approved = serializers.BooleanField(required=False)
    political_issue_unresolved = serializers.BooleanField(
        required=False,
        help_text="The branch raises it (true); the grassroots committee or above concludes it (false, with `note`).",
    )
    deadline_extended = serializers.BooleanField(
        required=False, help_text="Only the deciding committee's staff, with `note` (QĐ294 4.3.1)."
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text="The reason of an extension or the conclusion of the political issue.",
    )


class ConsentRecordSerializer(StrictTypes, serializers.Serializer):
    """A written consent of the provincial standing committee (over 60, literacy exception, readmission)."""

    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    granted_on = DayField()
    document_number = serializers.CharField(allow_blank=True, max_length=60)
    note = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class ConsentWithdrawSerializer(StrictTypes, serializers.Serializer):
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    withdrawal_reason = serializers.CharField(allow_blank=True, max_length=255)


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProvincialConsent
        fields = [
            "id", "kind", "granted_on", "document_number", "note", "recorded_at", "withdrawn_at", "withdrawal_reason",
        ]  # fmt: skip
        read_only_fields = fields


class DocumentRecordSerializer(StrictTypes, serializers.Serializer):
    doc_type = serializers.ChoiceField(choices=DocumentType.choices)
    issued_on = DayField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    returned = serializers.BooleanField(required=False, default=False, help_text="Returned for correction.")
    reason_text = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        default="",
        help_text="Required to change the date or state of a document already recorded (kept in its history).",
    )


# --- Background verification -------------------------------------------------------------------


class VerificationSerializer(serializers.ModelSerializer):
    """A verification request: `state` open, answered or cancelled; `reply_due` from receipt, 30 or
    90 working days (HD06 3.4d); `overdue` while open past it."""

    state = serializers.CharField(help_text="open, answered or cancelled.")
    reply_due = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    reply_scan = serializers.IntegerField(source="reply_scan_id", allow_null=True)
    outcome = serializers.CharField(help_text="clear or issues; empty while there is no reply.")

    class Meta:
        model = VerificationRequest
        fields = [
            "id",
            "subject",
            "addressee",
            "abroad",
            "sent_on",
            "received_on",
            "state",
            "reply_due",
            "overdue",
            "replied_on",
            "outcome",
            "issue_political",
            "issue_compliance",
            "issue_ethics",
            "findings",
            "reply_number",
            "reply_scan",
            "cancelled_on",
            "cancel_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateField())
    def get_reply_due(self, obj: VerificationRequest) -> dt.date | None:
        return self.context.get("reply_due", {}).get(obj.pk)  # type: ignore[no-any-return]

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, obj: VerificationRequest) -> bool:
        due = self.get_reply_due(obj)
        return bool(obj.is_open and due is not None and due < self.context["today"])


class VerificationCreateSerializer(StrictTypes, serializers.Serializer):
    subject = serializers.CharField(max_length=120, help_text="Who is verified (relationship and name).")
    addressee = serializers.CharField(max_length=200, help_text="The committee or body the letter went to.")
    abroad = serializers.BooleanField(required=False, default=False, help_text="90 working days instead of 30.")
    sent_on = DayField()
    received_on = DayField(help_text="The reply deadline counts from this day.")


class VerificationReplySerializer(StrictTypes, serializers.Serializer):
    replied_on = DayField()
    reply_number = serializers.CharField(max_length=60, help_text="The reply document's number.")
    outcome = serializers.ChoiceField(choices=VerificationOutcome.choices)
    issue_political = serializers.BooleanField(required=False, default=False)
    issue_compliance = serializers.BooleanField(required=False, default=False)
    issue_ethics = serializers.BooleanField(required=False, default=False)
    findings = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    scan = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Id of a scan of the candidate (optional)."
    )


class VerificationCorrectSerializer(VerificationReplySerializer):
    reason = serializers.CharField(max_length=255, help_text="Why the reply is corrected (kept in the history).")


class VerificationCancelSerializer(StrictTypes, serializers.Serializer):
    reason = serializers.CharField(max_length=255, help_text="Why the request is cancelled (kept).")


class CorrectionReasonSerializer(StrictTypes, serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why it is corrected or taken back (kept in the history).")


class StepCorrectionSerializer(CorrectionReasonSerializer):
    on_date = serializers.DateField(required=False, help_text="The step's corrected day (its date field).")
    certificate_number = serializers.CharField(max_length=40, required=False)
    decision_number = serializers.CharField(max_length=40, required=False)
    decision_received_date = serializers.DateField(required=False)
    union_resolution_date = serializers.DateField(required=False)
    new_member_class_date = serializers.DateField(required=False)


class CorrectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    step_key = serializers.CharField()
    changes = serializers.JSONField(help_text="{field: [before, after]} of a corrected step.")
    original = serializers.JSONField(help_text="The row an undo or a withdrawal took away, as recorded.")
    reason = serializers.CharField()
    recorded_at = serializers.DateTimeField()


# --- Stage actions -----------------------------------------------------------------------------


class VoteCountsSerializer(StrictTypes, serializers.Serializer):
    summoned = serializers.IntegerField(
        min_value=0,
        max_value=MAX_COUNT,
        required=False,
        help_text="Members summoned. Required unless the step's `meeting` has per-member attendance, "
        "which then gives summoned and excluded (QĐ294 9.3.2, 9.3.4); typed values must match it.",
    )
    excluded = serializers.IntegerField(
        min_value=0, max_value=MAX_COUNT, required=False, help_text="Excluded from the denominator (default 0)."
    )
    yes = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    no = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    abstain = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False, default=0)
    form = serializers.ChoiceField(choices=VoteForm.choices, required=False, default=VoteForm.SECRET_BALLOT)


STEP_EXTRA_FIELDS = (
    "certificate_number",
    "introduction_mode",
    "union_resolution_date",
    "decision_number",
    "decision_received_date",
    "new_member_class_date",
)


class StepSerializer(StrictTypes, serializers.Serializer):
    """One body for every step; which optional fields apply depends on the step (see the docs
    page's step table). A field that does not apply to the step is refused (`not_allowed`)."""

    on_date = DayField(help_text="The day of the event (the vote's meeting day for vote steps).")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default="", help_text="Reason / note."
    )
    basis = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Resolution or decision number (not for votes)."
    )
    certificate_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    introduction_mode = serializers.ChoiceField(
        choices=IntroductionModeChoice.choices, required=False, allow_blank=True
    )
    union_resolution_date = DayField(required=False, allow_null=True)
    decision_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    decision_received_date = DayField(required=False, allow_null=True)
    new_member_class_date = DayField(required=False, allow_null=True)
    vote = VoteCountsSerializer(
        required=False, help_text="Required for vote steps; optional for committee steps (appraisal, decisions)."
    )
    meeting = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Branch votes only (optional): id of the branch meeting the vote was held at; "
        "`on_date` must be its day. With per-member attendance the meeting gives the counts.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        step: Step = self.context["step"]
        allowed = {"on_date", "note", *step.extra_fields}
        if step.kind != "vote":
            allowed.add("basis")
        if step.kind == "vote" or step.committee_vote:
            allowed.add("vote")
        if step.kind == "vote" and step.vote == VoteBy.BRANCH:
            allowed.add("meeting")
        refused = {
            name: serializers.ErrorDetail(
                _("Trường này không dùng cho bước %(step)s.") % {"step": step.key}, "not_allowed"
            )
            for name in attrs
            if name not in allowed
        }
        if refused:
            raise serializers.ValidationError(refused)
        if step.kind == "vote" and "vote" not in attrs:
            raise serializers.ValidationError({"vote": [serializers.ErrorDetail(_("Bắt buộc."), "required")]})
        counts = attrs.get("vote")
        if counts is not None and "summoned" not in counts and attrs.get("meeting") is None:
            raise serializers.ValidationError(
                {"vote": {"summoned": [serializers.ErrorDetail(_("Bắt buộc."), "required")]}}
            )
        return attrs


class StepResultSerializer(serializers.Serializer):
    moved = serializers.BooleanField(help_text="False when a vote was recorded but did not pass.")
    candidate = CandidateDetailSerializer()
    transition = TransitionSerializer(allow_null=True)
    vote = VoteSerializer(allow_null=True)


class ReturnDocumentSerializer(StrictTypes, serializers.Serializer):
    code = serializers.ChoiceField(choices=DocumentType.choices)
    reason = serializers.CharField(allow_blank=True, max_length=255)


class ReturnSerializer(StrictTypes, serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default="", help_text="General reason (required)."
    )
    documents = ReturnDocumentSerializer(many=True, required=False, default=list, max_length=30)

    def validate_documents(self, value: list[dict[str, str]]) -> list[dict[str, str]]:
        codes = [item["code"] for item in value]
        if len(codes) != len(set(codes)):
            raise serializers.ValidationError(_("Mỗi giấy tờ chỉ ghi một lần."), code="duplicate")
        return value


class ReturnedDocumentOutSerializer(serializers.Serializer):
    code = serializers.CharField(source="doc_type")
    reason = serializers.CharField()


class DossierReturnSerializer(serializers.ModelSerializer):
    committee = serializers.IntegerField(source="committee_id", read_only=True)
    documents = ReturnedDocumentOutSerializer(source="items", many=True, read_only=True)

    class Meta:
        model = DossierReturn
        fields = ["id", "from_stage", "committee", "at", "note", "documents", "resubmitted_at"]
        read_only_fields = fields


class ReturnResultSerializer(serializers.Serializer):
    candidate = CandidateDetailSerializer()
    dossier_return = DossierReturnSerializer()


class ResubmitSerializer(StrictTypes, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class TransferSerializer(StrictTypes, serializers.Serializer):
    to_branch = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="Id of the branch the person moves to (same province)."
    )
    on_date = DayField(help_text="The day of the move (not in the future, not before the current step began).")
    note = serializers.CharField(allow_blank=True, max_length=2000, help_text="The reason (required).")


class TransferOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TransferOutSerializer(serializers.ModelSerializer):
    candidate = serializers.IntegerField(source="candidate_id", read_only=True)
    from_organisation = TransferOrganisationSerializer(read_only=True)
    to_organisation = TransferOrganisationSerializer(read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    transition = TransitionSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CandidateTransfer
        fields = [
            "id",
            "candidate",
            "from_organisation",
            "to_organisation",
            "on_date",
            "stage",
            "stage_after",
            "note",
            "recorded_by",
            "recorded_at",
            "transition",
        ]
        read_only_fields = fields


# --- Deadlines, notifications, statistics, tokens ----------------------------------------------


class RuleSerializer(serializers.Serializer):
    point = serializers.CharField(help_text="Where the rule is written, e.g. 'QĐ294 4.3.1'.")
    description = serializers.CharField(help_text="What it says, in the user's language.")


class DeadlineSerializer(serializers.Serializer):
    candidate = serializers.IntegerField(source="pk")
    person_name = serializers.CharField(source="person.full_name")
    organisation = serializers.IntegerField(source="organisation_id")
    organisation_name = serializers.CharField(source="organisation.name")
    stage = serializers.CharField()
    stage_label = StageLabelField()
    next_due_on = serializers.DateField()
    overdue = serializers.SerializerMethodField()
    deadline = serializers.SerializerMethodField(help_text="Which legal date bounds the step, e.g. decision_deadline.")
    rule = serializers.SerializerMethodField()

    def get_overdue(self, candidate: Candidate) -> bool:
        return candidate.next_due_on is not None and candidate.next_due_on < self.context["today"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_deadline(self, candidate: Candidate) -> str | None:
        found = self.context["deadlines"].get(candidate.pk)
        return found[0] if found else None

    @extend_schema_field(RuleSerializer(allow_null=True))
    def get_rule(self, candidate: Candidate) -> dict[str, str] | None:
        found = self.context["deadlines"].get(candidate.pk)
        if not found:
            return None
        rule = found[1].rule
        return {"point": rule.point, "description": rule.description_en if language() == "en" else rule.description_vi}


class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField(help_text="The text in the user's language.")
    candidate = serializers.IntegerField(source="candidate_id", read_only=True, allow_null=True)
    organisation = serializers.IntegerField(source="organisation_id", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "text",
            "text_vi",
            "text_en",
            "organisation",
            "candidate",
            "due_on",
            "overdue",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields

    def get_text(self, notification: Notification) -> str:
        return notification.text_en if language() == "en" else notification.text_vi


class MarkReadSerializer(StrictTypes, serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        allow_null=True,
        max_length=1000,
        help_text="Notifications to mark read; omitted or null: all of yours.",
    )


class MarkReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")


class StageCountSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class StatisticsSerializer(serializers.Serializer):
    open_candidates = serializers.IntegerField(help_text="Candidacies not yet closed (not S17/SX).")
    overdue_candidates = serializers.IntegerField()
    open_candidates_by_stage = StageCountSerializer(many=True)
    official_members = serializers.IntegerField()
    probationary_members = serializers.IntegerField()
    organisations = serializers.IntegerField()
    branches = serializers.IntegerField()


class StatisticsQuerySerializer(serializers.Serializer):
    """The statistics page's parameters (admission.reporting.forms.StatisticsForm), ISO dates."""

    organisation = serializers.IntegerField(min_value=1)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    admitted_by = serializers.ChoiceField(choices=["ceremony", "decision"], default="ceremony")
    baseline = serializers.ChoiceField(choices=["term_start", "year_start", "previous_year_end"], default="year_start")
    term_start = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from admission.reporting.query import MAX_PERIOD_DAYS

        # A parameter sent empty is an error, not the default (DRF reads "" of a query as absent).
        empty = {name: _("Giá trị không hợp lệ.") for name in self.fields if self.initial_data.get(name) == ""}
        if empty:
            raise serializers.ValidationError(empty)
        today: dt.date = self.context["today"]
        attrs.setdefault("start", dt.date(today.year, 1, 1))
        attrs.setdefault("end", dt.date(attrs["start"].year, 12, 31))
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": _("Ngày kết thúc phải sau ngày bắt đầu.")})
        if (attrs["end"] - attrs["start"]).days > MAX_PERIOD_DAYS:
            raise serializers.ValidationError({"end": _("Kỳ thống kê dài nhất 10 năm.")})
        return attrs


class StatisticsFiguresSerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField(help_text="When these figures were computed (they are cached).")
    figures = serializers.DictField(
        help_text="The page's figures: version, organisation, period, admitted_by, term_start, baseline, totals, "
        "members_end, direct, outcomes, children, breakdowns, funnel, time_in_stage, deadlines, structure, trend."
    )


class HandoffQuerySerializer(serializers.Serializer):
    organisation = serializers.IntegerField(min_value=1)
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": _("Ngày cuối không được trước ngày đầu.")})
        return attrs


class HandoffColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class HandoffMemberSerializer(serializers.Serializer):
    """One new official member: the fields of the member record form (phiếu đảng viên)."""

    full_name = serializers.CharField()
    gender = serializers.CharField()
    date_of_birth = serializers.DateField()
    cccd = serializers.CharField(allow_blank=True)
    ethnicity = serializers.CharField(allow_blank=True)
    religion = serializers.CharField(allow_blank=True)
    hometown = serializers.CharField(allow_blank=True)
    residence = serializers.CharField(allow_blank=True)
    occupation = serializers.CharField(allow_blank=True)
    education_level = serializers.CharField(allow_blank=True)
    admission_decision_date = serializers.DateField(allow_null=True)
    admission_decision_number = serializers.CharField(allow_blank=True)
    ceremony_date = serializers.DateField(allow_null=True)
    official_date = serializers.DateField(allow_null=True)
    recognition_decision_date = serializers.DateField(allow_null=True)
    card_number = serializers.CharField(allow_blank=True)
    branch = serializers.CharField()
    grassroots = serializers.CharField(allow_blank=True)


class HandoffSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    count = serializers.IntegerField()
    columns = HandoffColumnSerializer(many=True)
    results = HandoffMemberSerializer(many=True)


class TokenSerializer(serializers.Serializer):
    """A token just issued (members.api_tokens.IssuedToken): the key is shown this once."""

    token = serializers.CharField(source="key", read_only=True, help_text="Send as 'Authorization: Token <token>'.")
    created = serializers.DateTimeField(read_only=True)
    expires = serializers.DateTimeField(read_only=True, help_text="After this the token stops working.")
    read_only = serializers.BooleanField(read_only=True, help_text="True: writes through this token are refused.")


# --- Helper picker ---------------------------------------------------------------------------------


class HelperQuerySerializer(serializers.Serializer):
    together_since = DayField(
        required=False,
        help_text="Judge the 12 months together (QĐ294 3.2.1) from this day; without it they are not judged.",
    )


class HelperOptionSerializer(serializers.Serializer):
    """A member of the candidate's branch: whether they may be assigned, and why not (reason items)."""

    member = serializers.IntegerField(source="member.pk")
    person_name = serializers.CharField(source="member.person.full_name")
    status = serializers.CharField(source="member.status")
    organisation = serializers.IntegerField(source="member.organisation_id")
    eligible = serializers.BooleanField()
    reasons = serializers.SerializerMethodField()
    assigned = serializers.ListField(
        child=serializers.CharField(), help_text="Roles already held for this candidate (mentor, introducer)."
    )

    @extend_schema_field(ErrorItemSerializer(many=True))
    def get_reasons(self, option: Any) -> list[dict[str, Any]]:
        return [reason_item(r) for r in option.reasons]


class HelperPickerSerializer(serializers.Serializer):
    replacement_after_transfer = serializers.BooleanField(
        source="replacement", help_text="The next helper replaces one a transfer ended: no 12 months (HD06 3.9a)."
    )
    members = HelperOptionSerializer(source="options", many=True)
