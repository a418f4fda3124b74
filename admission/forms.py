"""Forms of the pipeline: user input only; the rules are checked by the services."""

from __future__ import annotations

from typing import Any, Literal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Hidden, Layout, Row, Submit
from django import forms
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from admission.domain.reasons import format_reason
from admission.domain.stages import STAGE_INFO
from admission.models import (
    AttendanceStatus,
    Candidate,
    ConsentKind,
    DocumentType,
    MentorCommentKind,
    MentorRole,
    VerificationOutcome,
    VoteForm,
)
from admission.services import BRANCH_FLAGS
from admission.workflow import Step
from members.forms import DateInput, PersonForm
from members.models import PartyMember, User

# The longest note a step or a vote keeps (a line of the candidate's timeline, not the minutes).
NOTE_MAX_LENGTH = 2000


def _helper(label: Any = None) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("save", label or _("Lưu"), css_class="btn-danger"))
    return helper


class StepForm(forms.Form):
    """A step's event date, its extra fields (taken from the Candidate model) and a note."""

    def __init__(self, *args: Any, step: Step, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        if step.date_field:
            model_field: Any = Candidate._meta.get_field(step.date_field)
            self.fields["on_date"] = forms.DateField(label=capfirst(model_field.verbose_name), widget=DateInput())
        else:
            self.fields["on_date"] = forms.DateField(label=_("Ngày"), widget=DateInput())
        for name in step.extra_fields:
            formfield: Any = Candidate._meta.get_field(name).formfield()  # type: ignore[union-attr]
            if isinstance(formfield, forms.DateField):
                formfield.widget = DateInput()
            formfield.required = False
            self.fields[name] = formfield
        if step.committee_vote:
            self._add_committee_vote_fields()
        self.fields["basis"] = forms.CharField(
            label=_("Căn cứ (số nghị quyết, quyết định)"), required=False, max_length=200
        )
        # Bounded like the other free texts: a note is a line of the timeline, not the minutes.
        self.fields["note"] = forms.CharField(
            label=_("Lý do / ghi chú"),
            required=step.needs_note,
            max_length=NOTE_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
        self.helper = _helper(step.label)

    def _add_committee_vote_fields(self) -> None:
        """Optional: the committee's vote counts; when given, the threshold is checked and the vote kept."""
        counts = {
            "vote_summoned": _("Biểu quyết của cấp ủy: số thành viên được triệu tập (không bắt buộc)"),
            "vote_excluded": _("Số được trừ"),
            "vote_yes": _("Tán thành"),
            "vote_no": _("Không tán thành"),
            "vote_abstain": _("Không biểu quyết"),
        }
        for name, label in counts.items():
            self.fields[name] = forms.IntegerField(label=label, min_value=0, max_value=999, required=False)
        self.fields["vote_form"] = forms.ChoiceField(
            label=_("Hình thức biểu quyết"), choices=VoteForm.choices, required=False
        )


class StepCorrectionForm(forms.Form):
    """The date and the fields of a recorded step, as recorded, to be corrected with a reason."""

    def __init__(self, *args: Any, step: Step, names: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not step.date_field:
            self.fields["on_date"] = forms.DateField(label=_("Ngày"), widget=DateInput())
        for name in names:
            formfield: Any = Candidate._meta.get_field(name).formfield()  # type: ignore[union-attr]
            if isinstance(formfield, forms.DateField):
                formfield.widget = DateInput()
            formfield.required = name == step.date_field
            self.fields[name] = formfield
        self.fields["reason"] = forms.CharField(
            label=_("Lý do đính chính (nội dung đã ghi vẫn được lưu trong lịch sử)"),
            max_length=500,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
        self.helper = _helper(_("Lưu đính chính"))


class CorrectionReasonForm(forms.Form):
    """The reason for taking back a step, a vote or an assignment."""

    reason = forms.CharField(
        label=_("Lý do (nội dung đã ghi vẫn được lưu trong lịch sử)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, submit: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit)


class VoteRecordForm(forms.Form):
    """A vote: for a branch vote, the meeting it was held at (its attendance gives summoned and
    excluded, QĐ294 9.3.2, 9.3.4), or the counts typed for a meeting without attendance."""

    meeting = forms.TypedChoiceField(label=_("Cuộc họp chi bộ"), required=False, coerce=int, empty_value=None)
    held_on = forms.DateField(
        label=_("Ngày họp biểu quyết"),
        widget=DateInput(),
        required=False,
        help_text=_("Để trống khi đã chọn cuộc họp: lấy ngày của cuộc họp."),
    )
    form = forms.ChoiceField(label=_("Hình thức biểu quyết"), choices=VoteForm.choices)
    summoned = forms.IntegerField(label=_("Số thành viên được triệu tập"), min_value=0, max_value=999, required=False)
    excluded = forms.IntegerField(
        label=_("Số được trừ (chuyển sinh hoạt tạm thời, miễn sinh hoạt vắng mặt, đình chỉ, vắng có lý do)"),
        min_value=0,
        max_value=999,
        initial=0,
        required=False,
    )
    yes = forms.IntegerField(label=_("Tán thành"), min_value=0, max_value=999)
    no = forms.IntegerField(label=_("Không tán thành"), min_value=0, max_value=999)
    abstain = forms.IntegerField(label=_("Không biểu quyết"), min_value=0, max_value=999, initial=0)
    note = forms.CharField(
        label=_("Ghi chú"), required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, step: Step, meetings: list[tuple[Any, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meetings = {m.pk: m for m, _label in meetings or []}
        if meetings is None:  # a committee's vote: no branch meeting
            del self.fields["meeting"]
        else:
            field: Any = self.fields["meeting"]
            field.choices = [("", _("— Không chọn: nhập số được triệu tập, số được trừ —"))] + [
                (m.pk, label) for m, label in meetings
            ]
            self.fields["summoned"].help_text = _("Chỉ nhập khi cuộc họp chưa có điểm danh từng đảng viên.")
            self.fields["abstain"].help_text = _(
                "Người có mặt mà không bỏ phiếu. Ở cuộc họp đã điểm danh: tán thành + không tán thành + "
                "không biểu quyết = số đảng viên chính thức có mặt."
            )
        self.helper = _helper(step.label)
        self.helper.form_id = "vote-form"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        meeting = self.meetings.get(data.get("meeting") or 0)
        if data.get("meeting") and meeting is None:
            self.add_error("meeting", _("Chọn một cuộc họp trong danh sách."))
        if meeting is not None:
            data["meeting"] = meeting
            data["held_on"] = data.get("held_on") or meeting.held_on
            if meeting.attendance_recorded:  # the attendance gives the counts: typed ones are not used
                data["summoned"] = data["excluded"] = None
        else:
            data["meeting"] = None
            if data.get("held_on") is None and "held_on" not in self.errors:
                self.add_error("held_on", _("Nhập ngày họp hoặc chọn cuộc họp."))
            if data.get("summoned") is None and "summoned" not in self.errors:
                self.add_error("summoned", _("Nhập số được triệu tập hoặc chọn cuộc họp có điểm danh."))
        if "meeting" not in self.fields:
            data.pop("meeting", None)
        return data


class CandidateCreateForm(forms.Form):
    """Someone already in the branch's list, or nobody (then the new person's fields are read)."""

    person: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Chọn người"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
        empty_label=_("— Người mới: nhập ở trên —"),
    )
    confirm_new = forms.BooleanField(
        label=_("Tôi đã kiểm tra: đây là một người khác, vẫn nhập người mới"), required=False
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["person"].widget.attrs["class"] = "form-select"
        self.helper = _helper(_("Bắt đầu theo dõi"))
        self.helper.form_tag = False


class NewPersonForm(PersonForm):
    """The new person's data entered with the candidacy (the person page's form, the fields the
    secretary knows on the first day; the rest is completed on the person page)."""

    class Meta(PersonForm.Meta):
        fields = ["full_name", "date_of_birth", "gender", "cccd", "phone", "email", "residence", "occupation"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("full_name", css_class="col-md-6"),
                Column("date_of_birth", css_class="col-md-3"),
                Column("gender", css_class="col-md-3"),
            ),
            Row(
                Column("cccd", css_class="col-md-4"),
                Column("phone", css_class="col-md-4"),
                Column("email", css_class="col-md-4"),
            ),
            Row(Column("residence", css_class="col-md-6"), Column("occupation", css_class="col-md-6")),
        )


class HelperSelect(forms.RadioSelect):
    """Radio buttons of the helper picker; the members who do not meet a condition are disabled."""

    def __init__(self, *args: Any, disabled: frozenset[int] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.disabled = disabled

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        if value not in ("", None) and int(str(value)) in self.disabled:
            option["attrs"]["disabled"] = True
        return option


def _reason_text(reasons: Any) -> str:
    """Rule reasons in the user's language, each with its rule point (as the pages show them)."""
    lang: Literal["vi", "en"] = "en" if (get_language() or "vi").startswith("en") else "vi"
    return "; ".join(format_reason(r, lang) + (f" ({r.rule})" if r.rule else "") for r in reasons)


def helper_label(option: Any) -> str:
    """A member of the picker: name, status and, when the choice is disabled, why (QĐ294 3.2.1)."""
    member = option.member
    text = f"{member.person.full_name} – {member.get_status_display()}"
    if option.reasons:
        text += " — " + _("không chọn được: %(why)s") % {"why": _reason_text(option.reasons)}
    if option.assigned:
        roles = dict(MentorRole.choices)
        text += (
            " ("
            + _("đang được phân công: %(roles)s") % {"roles": ", ".join(str(roles[r]) for r in option.assigned)}
            + ")"
        )
    return text


class MentorForm(forms.Form):
    """Assign a member of the candidate's branch to help (and so introduce) the candidate, or as an
    introducer only; the picker lists the branch's members with the conditions each does not meet."""

    member = forms.TypedChoiceField(label=_("Đảng viên của chi bộ"), coerce=int, empty_value=None)
    role = forms.ChoiceField(
        label=_("Vai trò"),
        choices=[
            (MentorRole.MENTOR.value, _("Đảng viên giúp đỡ, đồng thời là người giới thiệu (mặc định)")),
            (MentorRole.INTRODUCER.value, _("Chỉ là người giới thiệu (ví dụ người giới thiệu thứ hai)")),
        ],
        initial=MentorRole.MENTOR.value,
        widget=forms.RadioSelect,
    )
    together_since = forms.DateField(
        label=_("Cùng công tác, học tập, lao động hoặc cư trú với người vào Đảng từ ngày"),
        widget=DateInput(),
        required=False,
        help_text=_("Người giới thiệu phải cùng công tác, học tập, lao động hoặc cư trú ít nhất 12 tháng (QĐ294 3.2.1); "
                    "không cần khi phân công thay thế (QĐ294 3.2.2)."),
    )  # fmt: skip
    assigned_on = forms.DateField(label=_("Ngày chi bộ phân công"), widget=DateInput())
    is_replacement = forms.BooleanField(
        label=_("Phân công thay thế người đã chuyển đi hoặc không tiếp tục giúp đỡ được (không cần đủ 12 tháng)"),
        required=False,
    )

    def __init__(self, *args: Any, picker: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = {option.member.pk: option for option in picker.options}
        field: Any = self.fields["member"]
        field.choices = [(pk, helper_label(option)) for pk, option in self.options.items()]
        field.widget = HelperSelect(
            choices=field.choices, disabled=frozenset(pk for pk, o in self.options.items() if not o.eligible)
        )
        if not self.options:
            field.help_text = _("Chi bộ chưa có đảng viên nào trong phạm vi bạn được xem.")
        if picker.replacement:
            self.fields["is_replacement"].initial = True
        self.helper = _helper()

    def clean_member(self) -> PartyMember:
        option = self.options.get(self.cleaned_data["member"])
        if option is None:  # pragma: no cover - the choice field refuses values it does not list
            raise forms.ValidationError(_("Chọn một đảng viên trong danh sách."))
        if not option.eligible:
            raise forms.ValidationError(_reason_text(option.reasons))
        return option.member  # type: ignore[no-any-return]


class TransferForm(forms.Form):
    """Chuyển sinh hoạt: the destination branch (any branch of the province: organisations only,
    never people; members.selectors.transfer_destinations), the day and the reason (HD06 3.9)."""

    to_branch: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Chi bộ chuyển đến"), queryset=None)  # type: ignore[arg-type]
    on_date = forms.DateField(label=_("Ngày chuyển sinh hoạt"), widget=DateInput())
    note = forms.CharField(label=_("Lý do chuyển sinh hoạt"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, destinations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["to_branch"]
        field.queryset = destinations
        field.label_from_instance = lambda o: f"{o.name} – {o.parent.name}" if o.parent_id else o.name
        self.helper = _helper(_("Chuyển sinh hoạt"))


class TransferForwardedForm(forms.Form):
    """T11: the day the old place's committee forwarded the dossier, received by the destination (HD06 3.9b)."""

    on_date = forms.DateField(label=_("Ngày nơi chuyển đi chuyển hồ sơ (nơi đến nhận)"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Ghi nhận"))


class ReconsiderationForm(forms.Form):
    """T13: the destination asks the committee that sent the dossier or decision to reconsider (HD06 3.9c)."""

    on_date = forms.DateField(label=_("Ngày gửi đề nghị xem xét lại"), widget=DateInput())
    note = forms.CharField(
        label=_("Nội dung đề nghị xem xét lại"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Ghi nhận"))


class DocumentForm(forms.Form):
    doc_type = forms.ChoiceField(label=_("Loại giấy tờ"), choices=DocumentType.choices)
    issued_on = forms.DateField(label=_("Ngày ký/ngày cấp"), widget=DateInput())
    returned = forms.BooleanField(label=_("Trả lại, cần bổ sung"), required=False)
    note = forms.CharField(label=_("Ghi chú"), required=False, max_length=255)
    reason_text = forms.CharField(
        label=_("Lý do sửa"),
        required=False,
        max_length=255,
        help_text=_("Bắt buộc khi sửa ngày hoặc tình trạng của giấy tờ đã ghi; bản trước được lưu trong lịch sử."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class VerificationForm(forms.Form):
    subject = forms.CharField(label=_("Người được thẩm tra (quan hệ)"), max_length=120)
    addressee = forms.CharField(label=_("Nơi nhận"), max_length=200)
    abroad = forms.BooleanField(label=_("Ở nước ngoài"), required=False)
    sent_on = forms.DateField(label=_("Ngày gửi"), widget=DateInput())
    received_on = forms.DateField(
        label=_("Ngày nơi nhận nhận được"),
        widget=DateInput(),
        help_text=_("Hạn trả lời tính từ ngày này: 30 ngày làm việc, 90 ngày ở nước ngoài (HD06 3.4d)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class VerificationReplyForm(forms.Form):
    """The reply to a verification request (or its correction, with `correcting`: a reason is asked)."""

    replied_on = forms.DateField(label=_("Ngày văn bản trả lời"), widget=DateInput())
    reply_number = forms.CharField(label=_("Số văn bản trả lời"), max_length=60)
    outcome = forms.ChoiceField(
        label=_("Kết quả thẩm tra"), choices=VerificationOutcome.choices, widget=forms.RadioSelect
    )
    issue_political = forms.BooleanField(label=_("Vấn đề về tiêu chuẩn chính trị"), required=False)
    issue_compliance = forms.BooleanField(
        label=_("Vấn đề chấp hành chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước"), required=False
    )
    issue_ethics = forms.BooleanField(label=_("Vấn đề đạo đức, lối sống (người xin vào Đảng)"), required=False)
    findings = forms.CharField(
        label=_("Nội dung trả lời"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    scan = forms.FileField(
        label=_("Bản chụp văn bản trả lời (PDF, JPEG hoặc PNG, không bắt buộc)"),
        required=False,
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, correcting: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if correcting:
            self.fields["reason"] = forms.CharField(
                label=_("Lý do sửa (bản trước được lưu trong lịch sử)"),
                max_length=255,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields["scan"].label = _("Bản chụp mới (để trống: giữ bản đã có)")
        self.helper = _helper(_("Lưu sửa đổi") if correcting else _("Ghi nhận trả lời"))


class VerificationCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do hủy (yêu cầu vẫn được lưu, đánh dấu đã hủy)"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Hủy yêu cầu"))


class TaskForm(forms.Form):
    description = forms.CharField(label=_("Nhiệm vụ"), max_length=255)
    due_on = forms.DateField(label=_("Hạn"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class TaskResultForm(forms.Form):
    result = forms.CharField(label=_("Kết quả"), max_length=255)
    done_on = forms.DateField(label=_("Ngày hoàn thành"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


def _attendance_fields(form: forms.Form, members: list[Any], initial: dict[int, tuple[str, str]]) -> None:
    """One status and one note per official member summoned (QĐ294 9.3.2, 9.3.4)."""
    for member in members:
        status, note = initial.get(member.pk, (AttendanceStatus.PRESENT.value, ""))
        form.fields[f"att_{member.pk}"] = forms.ChoiceField(
            label=member.person.full_name,
            choices=AttendanceStatus.choices,
            initial=status,
            # The table shows no <label>: the name is read out from aria-label (axe: select-name).
            widget=forms.Select(
                attrs={"class": "form-select form-select-sm attendance-status", "aria-label": member.person.full_name}
            ),
        )
        form.fields[f"attnote_{member.pk}"] = forms.CharField(
            label=_("Ghi chú (lý do vắng)"),
            required=False,
            max_length=255,
            initial=note,
            widget=forms.TextInput(
                attrs={
                    "class": "form-control form-control-sm",
                    "aria-label": _("Ghi chú (lý do vắng)") + " – " + member.person.full_name,
                }
            ),
        )


class AttendanceLayout:
    """Rendering help for the meeting forms: the attendance as table rows, the other fields apart."""

    def attendance_rows(self) -> list[tuple[Any, Any, Any]]:
        form: Any = self
        return [(m, form[f"att_{m.pk}"], form[f"attnote_{m.pk}"]) for m in form.attendance_members]

    def other_fields(self) -> list[Any]:
        form: Any = self
        return [form[name] for name in form.fields if not name.startswith(("att_", "attnote_"))]


def _attendance_entries(form: forms.Form, members: list[Any]) -> dict[int, Any]:
    from admission.services import AttendanceEntry

    return {
        m.pk: AttendanceEntry(status=form.cleaned_data[f"att_{m.pk}"], note=form.cleaned_data[f"attnote_{m.pk}"])
        for m in members
    }


class MeetingForm(AttendanceLayout, forms.Form):
    """A monthly branch meeting: the attendance of each official member of the branch on the day
    (`roster`; the typed counts when the branch has no official member in the tracker), the minutes,
    and who joins, stays on or leaves the sympathiser list."""

    held_on = forms.DateField(label=_("Ngày họp"), widget=DateInput())

    def __init__(
        self,
        *args: Any,
        outstanding: list[Candidate],
        listed: list[Candidate],
        roster: list[PartyMember] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.outstanding = outstanding
        self.listed = listed
        self.roster = self.attendance_members = list(roster or [])
        if self.roster:
            _attendance_fields(self, self.roster, {})
        else:
            self.fields["official_members"] = forms.IntegerField(
                label=_("Số đảng viên chính thức triệu tập"), min_value=0, max_value=999
            )
            self.fields["present"] = forms.IntegerField(label=_("Số có mặt"), min_value=0, max_value=999)
        self.fields["minutes"] = forms.CharField(
            label=_("Biên bản tóm tắt"), required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
        for c in outstanding:
            self.fields[f"add_{c.pk}"] = forms.BooleanField(label=c.person.full_name, required=False)
        for c in listed:
            self.fields[f"remove_{c.pk}"] = forms.CharField(
                label=_("Lý do đưa %(name)s ra khỏi danh sách (để trống nếu tiếp tục theo dõi)")
                % {"name": c.person.full_name},
                required=False,
                max_length=255,
            )
        self.helper = _helper(_("Lưu biên bản"))
        self.helper.form_id = "meeting-form"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("present") is not None
            and data.get("official_members") is not None
            and data["present"] > data["official_members"]
        ):
            self.add_error("present", _("Số có mặt không thể lớn hơn số được triệu tập."))
        if self.roster and any(f"att_{m.pk}" not in self.data for m in self.roster) and self.is_bound:
            self.add_error(
                None,
                _(
                    "Danh sách đảng viên chính thức của chi bộ vào ngày họp khác danh sách đã hiển thị: "
                    "chọn điểm danh cho từng người trong danh sách dưới đây."
                ),
            )
        return data

    def attendance(self) -> dict[int, Any] | None:
        return _attendance_entries(self, self.roster) if self.roster else None

    def decisions(self) -> tuple[list[Candidate], list[Candidate], dict[int, str]]:
        add = [c for c in self.outstanding if self.cleaned_data.get(f"add_{c.pk}")]
        remove = {
            c.pk: self.cleaned_data[f"remove_{c.pk}"] for c in self.listed if self.cleaned_data.get(f"remove_{c.pk}")
        }
        keep = [c for c in self.listed if c.pk not in remove]
        return add, keep, remove


class MeetingEditForm(AttendanceLayout, forms.Form):
    """Edit or correct a past meeting: its attendance (the members summoned then), its minutes and
    the reasons of its list decisions; a reason, required once the branch has met again."""

    def __init__(
        self, *args: Any, attendance: list[Any], decisions: list[Any], minutes: str, correcting: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.members = self.attendance_members = [row.member for row in attendance]
        _attendance_fields(self, self.members, {row.member_id: (row.status, row.note) for row in attendance})
        self.fields["minutes"] = forms.CharField(
            label=_("Biên bản tóm tắt"), required=False, initial=minutes, widget=forms.Textarea(attrs={"rows": 4})
        )
        self.decisions = decisions
        for decision in decisions:
            self.fields[f"reason_{decision.pk}"] = forms.CharField(
                label=_("%(name)s – %(decision)s: lý do / ghi chú")
                % {"name": decision.candidate.person.full_name, "decision": decision.get_decision_display()},
                required=False,
                max_length=255,
                initial=decision.reason,
            )
        self.fields["reason"] = forms.CharField(
            label=(
                _("Lý do đính chính (bắt buộc: chi bộ đã họp kỳ sau; bản trước được lưu trong lịch sử)")
                if correcting
                else _("Lý do sửa (không bắt buộc trước kỳ họp sau)")
            ),
            required=correcting,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
        self.helper = _helper(_("Lưu đính chính") if correcting else _("Lưu thay đổi"))
        self.helper.form_id = "meeting-edit-form"

    def attendance(self) -> dict[int, Any]:
        return _attendance_entries(self, self.members)

    def decision_reasons(self) -> dict[int, str]:
        return {d.pk: self.cleaned_data[f"reason_{d.pk}"] for d in self.decisions}


def _section_helper(act: str, label: Any) -> FormHelper:
    """A section of the approvals page: its own form tag, the act it posts, its button."""
    helper = FormHelper()
    helper.form_id = f"form-{act}"
    helper.add_input(Hidden("act", act))
    helper.add_input(Submit("save", label, css_class="btn-danger btn-sm"))
    return helper


def _flag_label(name: str) -> Any:
    field: Any = Candidate._meta.get_field(name)
    return capfirst(field.verbose_name)


class BranchFactsForm(forms.Form):
    """Facts about the person the branch records (rules E5, E10): difficult area, readmission."""

    area_exception = forms.BooleanField(required=False)
    readmission = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "facts")
        super().__init__(*args, **kwargs)
        for name in BRANCH_FLAGS:
            self.fields[name].label = _flag_label(name)
        self.helper = _section_helper("facts", _("Lưu thông tin của chi bộ"))


class PoliticalIssueForm(forms.Form):
    """The political-standard issue (E7): the branch raises it, the grassroots committee or above concludes it."""

    political_issue_unresolved = forms.BooleanField(required=False)
    note = forms.CharField(
        label=_("Kết luận của cấp ủy (số, ngày văn bản)"),
        required=False,
        max_length=100,
        help_text=_("Bắt buộc khi bỏ đánh dấu: chỉ cán bộ đảng ủy cơ sở hoặc cấp ủy cấp trên kết luận (QĐ294 3.3)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "political")
        super().__init__(*args, **kwargs)
        self.fields["political_issue_unresolved"].label = _flag_label("political_issue_unresolved")
        self.helper = _section_helper("political", _("Lưu vấn đề tiêu chuẩn chính trị"))


class ExtensionForm(forms.Form):
    """The deciding committee extends its decision deadline by 15 working days (QĐ294 4.3.1)."""

    deadline_extended = forms.BooleanField(required=False)
    note = forms.CharField(label=_("Lý do gia hạn"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "extension")
        super().__init__(*args, **kwargs)
        self.fields["deadline_extended"].label = _flag_label("deadline_extended")
        self.helper = _section_helper("extension", _("Lưu gia hạn"))


class ConsentForm(forms.Form):
    """A written consent of the provincial standing committee, with its date and number (E3, E6, E10)."""

    kind = forms.ChoiceField(label=_("Loại văn bản đồng ý"), choices=ConsentKind.choices)
    granted_on = forms.DateField(label=_("Ngày văn bản"), widget=DateInput())
    document_number = forms.CharField(label=_("Số văn bản"), required=False, max_length=60)
    note = forms.CharField(label=_("Ghi chú"), required=False, max_length=255)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "consent")
        super().__init__(*args, **kwargs)
        self.helper = _section_helper("consent", _("Ghi nhận văn bản đồng ý"))


class ConsentWithdrawForm(forms.Form):
    """Withdraw a consent in force, with the reason (the record is kept)."""

    kind = forms.ChoiceField(label=_("Văn bản đồng ý cần thu hồi"), choices=ConsentKind.choices)
    withdrawal_reason = forms.CharField(label=_("Lý do thu hồi"), required=False, max_length=255)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "withdraw")
        super().__init__(*args, **kwargs)
        self.helper = _section_helper("withdraw", _("Thu hồi văn bản đồng ý"))


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "email_digest", "digest_hour", "preferred_language"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Địa chỉ thư điện tử")
        self.fields["digest_hour"].help_text = _("Giờ trong ngày (0-23) gửi thư tổng hợp, theo giờ Việt Nam.")
        # Bootstrap classes on the widgets: the page writes the fields out (not crispy, see its template).
        for name, css in (
            ("email", "form-control"),
            ("email_digest", "form-check-input"),
            ("digest_hour", "form-control"),
            ("preferred_language", "form-select"),
        ):
            self.fields[name].widget.attrs["class"] = css
        self.helper = _helper()


class DossierReturnForm(forms.Form):
    """Return to the branch: a general reason and, per document, a tick and its own reason."""

    note = forms.CharField(label=_("Lý do trả lại hồ sơ"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, document_codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document_codes = document_codes
        names = dict(DocumentType.choices)
        for code in document_codes:
            # The table shows the document's name in its row; a screen reader hears it with each box.
            document = f"{code} {names.get(code, '')}".strip()
            tick_label = _("Trả lại %(document)s") % {"document": document}
            reason_label = _("Lý do trả lại %(document)s") % {"document": document}
            self.fields[f"return_{code}"] = forms.BooleanField(
                required=False,
                label=tick_label,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input", "aria-label": tick_label}),
            )
            self.fields[f"reason_{code}"] = forms.CharField(
                required=False,
                max_length=255,
                label=reason_label,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "aria-label": reason_label}),
            )

    def rows(self) -> list[tuple[str, Any, Any]]:
        return [(code, self[f"return_{code}"], self[f"reason_{code}"]) for code in self.document_codes]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for code in self.document_codes:
            if data.get(f"return_{code}") and not (data.get(f"reason_{code}") or "").strip():
                self.add_error(f"reason_{code}", _("Ghi lý do trả lại giấy tờ này."))
            elif (data.get(f"reason_{code}") or "").strip() and not data.get(f"return_{code}"):
                # A reason typed without the tick is still meant as a return of that document.
                data[f"return_{code}"] = True
        return data

    def documents(self) -> dict[str, str]:
        return {
            code: self.cleaned_data[f"reason_{code}"].strip()
            for code in self.document_codes
            if self.cleaned_data.get(f"return_{code}")
        }


class CommitteeMeetingForm(forms.Form):
    """A committee meeting: its date, title and the dossiers on its agenda."""

    held_on = forms.DateField(label=_("Ngày họp"), widget=DateInput())
    title = forms.CharField(label=_("Nội dung"), max_length=200, required=False)
    candidates = forms.ModelMultipleChoiceField(
        label=_("Hồ sơ đưa ra xét"), queryset=Candidate.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, queue: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["candidates"]
        field.queryset = queue
        english = (get_language() or "vi").startswith("en")
        field.label_from_instance = lambda c: " · ".join(
            (
                c.person.full_name,
                c.organisation.name,
                getattr(STAGE_INFO[c.stage_enum], "label_en" if english else "label_vi"),
            )
        )
        self.helper = _helper(_("Lập chương trình họp"))


class AgendaOutcomeForm(forms.Form):
    """The outcome the meeting reached on each dossier of its agenda."""

    def __init__(self, *args: Any, items: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from admission.models import AgendaItem

        self.items = items
        for item in items:
            self.fields[f"outcome_{item.pk}"] = forms.ChoiceField(
                choices=AgendaItem.Outcome.choices,
                initial=item.outcome,
                label=item.candidate.person.full_name,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                required=False,
                max_length=255,
                initial=item.note,
                label=_("Ghi chú"),
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [(item, self[f"outcome_{item.pk}"], self[f"note_{item.pk}"]) for item in self.items]

    def outcomes(self) -> dict[int, tuple[str, str]]:
        return {
            item.pk: (self.cleaned_data[f"outcome_{item.pk}"], self.cleaned_data[f"note_{item.pk}"].strip())
            for item in self.items
        }


class MentorCommentForm(forms.Form):
    """The helper's comment on the probationer (Mẫu 11-KNĐ; HD06 4.3, 3.10): a draft until signed."""

    kind = forms.ChoiceField(
        label=_("Loại nhận xét"), choices=MentorCommentKind.choices, initial=MentorCommentKind.END_OF_PROBATION
    )
    text = forms.CharField(
        label=_("Nội dung nhận xét"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Ưu điểm, khuyết điểm về phẩm chất chính trị, đạo đức, lối sống, năng lực công tác, việc thực "
                    "hiện nhiệm vụ đảng viên; đề nghị chi bộ xét công nhận đảng viên chính thức hay không."),
    )  # fmt: skip
    sign = forms.BooleanField(label=_("Ký nhận xét (không sửa được sau khi ký)"), required=False)
    signed_on = forms.DateField(label=_("Ngày ký"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Lưu nhận xét"))


class BoardFilterForm(forms.Form):
    """The board's search (diacritic- and case-insensitive) and filters, read from the query string."""

    q = forms.CharField(label=_("Tìm theo tên"), required=False, max_length=100)
    stage = forms.ChoiceField(label=_("Bước"), required=False)
    overdue = forms.BooleanField(label=_("Chỉ người quá hạn"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        english = (get_language() or "vi").startswith("en")
        self.fields["stage"].choices = [("", _("Tất cả các bước"))] + [  # type: ignore[attr-defined]
            (stage.value, info.label_en if english else info.label_vi) for stage, info in STAGE_INFO.items()
        ]
        self.fields["q"].widget.attrs.update({"placeholder": _("Họ tên, không cần dấu"), "type": "search"})
        self.fields["stage"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["q"].widget.attrs["class"] = "form-control form-control-sm"
