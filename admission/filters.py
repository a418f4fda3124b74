"""Filters of the committee review queue (django-filter)."""

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from admission.domain.stages import STAGE_INFO, Stage
from members.names import search_key
from members.selectors import name_matches

QUEUE_STAGES = [Stage.S8A, Stage.S9, Stage.S10, Stage.S16, Stage.SY, Stage.SZ]


def _stage_choices() -> list[tuple[str, str]]:
    """The queue's stages by name in the user's language (read at each form's rendering)."""
    english = (get_language() or "vi").startswith("en")
    return [(s.value, STAGE_INFO[s].label_en if english else STAGE_INFO[s].label_vi) for s in QUEUE_STAGES]


class ReviewQueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Tìm theo tên người hoặc chi bộ"), method="filter_q")
    stage = django_filters.ChoiceFilter(
        label=_("Bước"),
        choices=_stage_choices,
        empty_label=_("Tất cả"),
    )
    overdue = django_filters.BooleanFilter(
        label=_("Chỉ hồ sơ quá hạn"), method="filter_overdue", widget=forms.CheckboxInput
    )
    order = django_filters.OrderingFilter(
        label=_("Sắp xếp"),
        fields=(("next_due_on", "due"), ("stage_entered_on", "waited"), ("person__sort_key", "name")),
        # Each order named in words (django-filter's own labels say "Hạn (descending)").
        choices=[
            ("due", _("Hạn: sớm trước")),
            ("-due", _("Hạn: muộn trước")),
            ("waited", _("Ngày nhận: cũ trước")),
            ("-waited", _("Ngày nhận: mới trước")),
            ("name", _("Tên: A → Z")),
            ("-name", _("Tên: Z → A")),
        ],
        empty_label=_("Hạn gần nhất trước"),
    )

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        key = search_key(value)
        return queryset.filter(name_matches(key, "person__") | Q(organisation__name__icontains=value.strip()))

    def filter_overdue(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value:
            return queryset.filter(next_due_on__lt=timezone.localdate())
        return queryset
