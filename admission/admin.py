from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from admission.domain.rules import PARAMETER_KEYS
from admission.models import (
    CalendarOverride,
    Candidate,
    CommitteeTerm,
    DigestDelivery,
    Notification,
    ReminderSettings,
    RuleOverride,
    StageTransition,
    VerificationRequest,
    Vote,
)
from members.freshness import FiguresStaleOnAdminWrite


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(FiguresStaleOnAdminWrite, admin.ModelAdmin):
    list_display = ["day", "is_working_day", "organisation", "note"]
    list_filter = ["is_working_day"]
    date_hierarchy = "day"
    raw_id_fields = ["organisation"]


class RuleOverrideForm(forms.ModelForm):
    key = forms.ChoiceField(label=_("Tham số"), choices=[(k, k) for k in PARAMETER_KEYS])

    class Meta:
        model = RuleOverride
        fields = ["province", "key", "value", "label", "effective_from"]

    def clean_value(self) -> int:
        value = self.cleaned_data["value"]
        if value < 0:
            raise forms.ValidationError(_("Giá trị không được âm."))
        return value


@admin.register(CommitteeTerm)
class CommitteeTermAdmin(admin.ModelAdmin):
    """Terms of the issuing bodies: the register numbers each type from 1 again in a new term."""

    list_display = ["organisation", "starts_on", "label"]
    raw_id_fields = ["organisation"]


@admin.register(RuleOverride)
class RuleOverrideAdmin(FiguresStaleOnAdminWrite, admin.ModelAdmin):
    form = RuleOverrideForm
    list_display = ["province", "key", "value", "label", "effective_from"]


class TransitionInline(admin.TabularInline):
    model = StageTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_stage", "to_stage", "on_date", "at", "acting_user", "note", "basis"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Candidate)
class CandidateAdmin(FiguresStaleOnAdminWrite, SimpleHistoryAdmin):
    """Read-mostly: stages change only through the pipeline pages (services.candidate_transition)."""

    list_display = ["person", "organisation", "stage", "stage_entered_on", "next_due_on"]
    list_filter = ["stage"]
    search_fields = ["person__search_key"]
    raw_id_fields = ["person", "organisation"]
    readonly_fields = ["stage", "stage_entered_on", "next_due_on", "member"]
    inlines = [TransitionInline]


@admin.register(VerificationRequest)
class VerificationRequestAdmin(SimpleHistoryAdmin):
    """Read-only with its history: replies, corrections and cancellations are recorded on the
    candidate's page or through the API (services.verification), which check dates and authority."""

    list_display = ["candidate", "subject", "addressee", "sent_on", "received_on", "replied_on", "cancelled_on"]
    list_filter = ["outcome", "abroad"]
    search_fields = ["subject", "addressee", "candidate__person__search_key"]
    raw_id_fields = ["candidate"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["candidate", "purpose", "held_on", "yes", "denominator", "required", "passed"]
    raw_id_fields = ["candidate"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    """Deliveries for operators: pending, sent, failed, skipped, unknown (never re-sent automatically)."""

    list_display = ["day", "user", "status", "attempts", "claimed_at", "sent_at", "error"]
    list_filter = ["status", "day"]
    search_fields = ["user__username", "user__email"]
    date_hierarchy = "day"
    readonly_fields = ["user", "day", "attempts", "created_at", "claimed_at", "sent_at", "error"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "overdue", "text_vi", "read_at"]
    list_filter = ["kind", "overdue"]
    raw_id_fields = ["user", "candidate", "organisation", "transition", "digest"]


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "probation_days_before",
        "deadline_days_before",
        "repeat_after_days",
        "mentor_review_cadence",
    ]
    raw_id_fields = ["organisation"]
