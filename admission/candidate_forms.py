"""Forms of the candidate's self-service and of the secretary's page that manages it."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admission.models import DocumentType


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Thư điện tử của người vào Đảng"),
        max_length=254,
        error_messages={"invalid": gettext_lazy("Địa chỉ thư điện tử không hợp lệ.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_id = "invite-form"
        self.helper.add_input(Submit("invite", _("Gửi lời mời"), css_class="btn-danger"))


class OpenItemsForm(forms.Form):
    items = forms.MultipleChoiceField(
        label=gettext_lazy("Giấy tờ người vào Đảng được tự tải bản chụp lên"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["items"]).choices = [
            (code, f"{label}") for code, label in DocumentType.choices
        ]
        self.helper = FormHelper()
        self.helper.form_id = "open-items-form"
        self.helper.add_input(Submit("open_items", _("Lưu"), css_class="btn-outline-danger"))


class OwnUploadForm(forms.Form):
    doc_type = forms.ChoiceField(label=gettext_lazy("Giấy tờ"))
    file = forms.FileField(
        label=gettext_lazy("Bản chụp (PDF, JPEG hoặc PNG)"),
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, open_items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["doc_type"]).choices = open_items
        from admission.documents.uploads import megabytes

        self.fields["file"].help_text = _(
            "Tối đa %(limit)s MB. Loại tệp được kiểm tra theo nội dung, không theo tên tệp."
        ) % {"limit": megabytes(settings.UPLOAD_MAX_BYTES, round_up=False)}
        self.helper = FormHelper()
        self.helper.form_id = "own-upload-form"
        self.helper.add_input(Submit("upload", _("Tải lên"), css_class="btn-danger"))


def _compact(form: forms.Form) -> None:
    """Table cells: small inputs, the column header is the label (kept for screen readers)."""
    for field in form.fields.values():
        field.widget.attrs.update({"class": "form-control form-control-sm", "aria-label": str(field.label)})


class FamilyMemberForm(forms.Form):
    """One close relative (2-KNĐ, "Hoàn cảnh gia đình"; verified at S6, HD06 3.4)."""

    relation = forms.CharField(label=gettext_lazy("Quan hệ"), max_length=40, required=False)
    full_name = forms.CharField(label=gettext_lazy("Họ và tên"), max_length=120, required=False)
    birth_year = forms.IntegerField(
        label=gettext_lazy("Năm sinh"),
        required=False,
        min_value=1900,
        error_messages={
            "invalid": gettext_lazy("Năm sinh phải là một số (ví dụ 1970)."),
            "min_value": gettext_lazy("Năm sinh phải từ năm 1900 trở đi."),
        },
    )
    occupation = forms.CharField(label=gettext_lazy("Nghề nghiệp"), max_length=120, required=False)
    residence = forms.CharField(label=gettext_lazy("Nơi ở hiện nay"), max_length=200, required=False)
    political = forms.CharField(
        label=gettext_lazy("Lịch sử chính trị (đảng viên, đoàn thể…)"), max_length=255, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _compact(self)

    def clean_birth_year(self) -> int | None:
        year = self.cleaned_data.get("birth_year")
        if year is not None and year > timezone.localdate().year:
            raise forms.ValidationError(_("Năm sinh không được ở tương lai."))
        return year

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = any(data.get(name) not in (None, "") for name in self.fields)
        if filled and not (data.get("relation") and data.get("full_name")):
            raise forms.ValidationError(_("Mỗi dòng người thân cần ghi quan hệ và họ tên."))
        return data


class HistoryEntryForm(forms.Form):
    """One period of one's own history (2-KNĐ, "Lịch sử bản thân" / "Những công tác và chức vụ")."""

    period = forms.CharField(label=gettext_lazy("Từ tháng năm đến tháng năm"), max_length=60, required=False)
    activity = forms.CharField(label=gettext_lazy("Làm gì, ở đâu, chức vụ"), max_length=255, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _compact(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("period")) != bool(data.get("activity")):
            raise forms.ValidationError(_("Mỗi dòng cần ghi cả thời gian và công việc."))
        return data


class BiographyNotesForm(forms.Form):
    rewards = forms.CharField(
        label=gettext_lazy("Khen thưởng"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    discipline = forms.CharField(
        label=gettext_lazy("Kỷ luật"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


FamilyFormSet = forms.formset_factory(FamilyMemberForm, extra=2, max_num=30, validate_max=True)
HistoryFormSet = forms.formset_factory(HistoryEntryForm, extra=2, max_num=40, validate_max=True)


def biography_forms(
    data: Any, saved: dict[str, Any] | None
) -> tuple[forms.BaseFormSet, forms.BaseFormSet, BiographyNotesForm]:  # type: ignore[type-arg]
    saved = saved or {}
    family = FamilyFormSet(data, prefix="family", initial=saved.get("family") or None)
    history = HistoryFormSet(data, prefix="history", initial=saved.get("history") or None)
    notes = BiographyNotesForm(
        data, prefix="notes", initial={"rewards": saved.get("rewards", ""), "discipline": saved.get("discipline", "")}
    )
    return family, history, notes


def biography_data(family: Any, history: Any, notes: BiographyNotesForm) -> dict[str, Any]:
    """The draft's JSON from valid forms; empty rows dropped."""

    def rows(formset: Any) -> list[dict[str, Any]]:
        return [
            {key: value for key, value in form.cleaned_data.items()}
            for form in formset.forms
            if form.cleaned_data and any(value not in (None, "") for value in form.cleaned_data.values())
        ]

    return {
        "family": rows(family),
        "history": rows(history),
        "rewards": notes.cleaned_data.get("rewards", ""),
        "discipline": notes.cleaned_data.get("discipline", ""),
    }
