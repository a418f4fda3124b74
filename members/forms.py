from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from members.models import MemberStatus, Person


class DateInput(forms.DateInput):
    """dd/mm/yyyy text input (the browser's date picker would show the browser's locale)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}, **kwargs)


class PersonForm(forms.ModelForm):
    """Input of a person's data; the model's clean() gives the CCCD and date errors."""

    class Meta:
        model = Person
        fields = [
            "full_name",
            "date_of_birth",
            "gender",
            "cccd",
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
        ]
        widgets = {"date_of_birth": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cccd"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.stored_cccd = self.instance.cccd if self.instance.pk else None
        if self.stored_cccd:
            self.initial["cccd"] = ""
            self.fields["cccd"].widget.attrs["placeholder"] = self.instance.masked_cccd
            self.fields["cccd"].help_text = _("Để trống nếu không thay đổi.")
        self.fields["cccd"].max_length = 20  # type: ignore[attr-defined]  # spaces typed between groups are removed in clean
        self.fields["cccd"].widget.attrs["maxlength"] = 20
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(
                Column("full_name", css_class="col-md-6"),
                Column("date_of_birth", css_class="col-md-3"),
                Column("gender", css_class="col-md-3"),
            ),
            Row(
                Column("cccd", css_class="col-md-4"),
                Column("ethnicity", css_class="col-md-4"),
                Column("religion", css_class="col-md-4"),
            ),
            Row(Column("phone", css_class="col-md-6"), Column("email", css_class="col-md-6")),
            Row(Column("hometown", css_class="col-md-6"), Column("residence", css_class="col-md-6")),
            Row(Column("education_level", css_class="col-md-6"), Column("occupation", css_class="col-md-6")),
            Row(Column("youth_union_member", css_class="col-md-6"), Column("trade_union_member", css_class="col-md-6")),
            Submit("save", _("Lưu")),
        )

    def validate_unique(self) -> None:
        """The CCCD's uniqueness is left to the service (members.services.cccd_conflict): the
        model's "already exists" would tell whether a number exists outside the user's scope."""
        exclude = self._get_validation_exclusions()  # type: ignore[attr-defined]
        exclude.add("cccd")
        try:
            self.instance.validate_unique(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)  # type: ignore[attr-defined]

    def clean_cccd(self) -> str | None:
        value = "".join((self.cleaned_data.get("cccd") or "").split())
        # Editing: the stored number is never sent to the browser (reveals are audited), so an
        # empty field keeps it.
        return value or self.stored_cccd or None


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Tìm theo tên"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Trạng thái"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
        choices=[
            ("", _("Đang sinh hoạt")),
            (MemberStatus.OFFICIAL, MemberStatus.OFFICIAL.label),
            (MemberStatus.PROBATIONARY, MemberStatus.PROBATIONARY.label),
        ],
    )


class AuditFilterForm(forms.Form):
    """Filters of the audit log page (GET)."""

    action = forms.ChoiceField(label=_("Hành động"), required=False)
    since = forms.DateField(label=_("Từ ngày"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Đến ngày"), required=False, widget=DateInput())
    q = forms.CharField(label=_("Người dùng hoặc người được xem"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from members.models import AuditLog

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Tất cả"))] + list(AuditLog.Action.choices)  # type: ignore[attr-defined]
