"""Query-string filters of the API (django-filter), strict: a malformed value is 400, never ignored.

Filters refine a queryset that the selectors already scoped to the user; an organisation id
outside the scope therefore simply matches nothing.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from admission.domain.stages import Stage
from admission.models import CLOSED_STAGES, Candidate, Notification
from members.models import MemberStatus, Organisation, OrganisationKind, PartyMember, Person
from members.names import search_key

MAX_ID = 2**63 - 1  # PostgreSQL bigint
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
FLAG_VALUES = ("true", "false", "1", "0")
FLAG_SCHEMA = {"type": "string", "enum": list(FLAG_VALUES)}
SEARCH_SCHEMA = {"type": "string", "maxLength": 100}
STAGE_VALUES = [stage.value for stage in Stage]


class FlagField(forms.Field):
    """`true`/`1` or `false`/`0`; anything else is an error (django-filter would ignore it)."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        raise ValidationError(_("Giá trị phải là true, false, 1 hoặc 0."), code="invalid")


class FlagFilter(django_filters.Filter):
    field_class = FlagField


class IdFilter(django_filters.Filter):
    """A row id: a positive integer within bigint (a larger number is a 400, not a database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def _flag(**kwargs: Any) -> Any:
    return extend_schema_field(FLAG_SCHEMA)(FlagFilter(**kwargs))


def _id(**kwargs: Any) -> Any:
    return extend_schema_field(ID_SCHEMA)(IdFilter(**kwargs))


def _search(**kwargs: Any) -> Any:
    return extend_schema_field(SEARCH_SCHEMA)(django_filters.CharFilter(max_length=100, **kwargs))


def _subtree(queryset: QuerySet[Any], organisation_id: int, prefix: str) -> QuerySet[Any]:
    """Rows in the subtree of the organisation (its path from the database, not from the user)."""
    path = Organisation.objects.filter(pk=organisation_id).values_list("path", flat=True).first()
    if path is None:
        return queryset.none()
    return queryset.filter(**{f"{prefix}path__startswith": path})


def _search_by_name(queryset: QuerySet[Any], value: str, prefix: str) -> QuerySet[Any]:
    """Accent- and case-insensitive: `nguyen van duc` finds `Nguyễn Văn Đức` (members.names)."""
    key = search_key(value)
    return queryset.filter(**{f"{prefix}search_key__contains": key}) if key else queryset


class StrictFilterSet(django_filters.FilterSet):
    """A parameter sent empty is an error (django-filter would silently ignore it), except `q`."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            if name != "q" and self.data.get(name) == "":
                self.form.add_error(name, ValidationError(_("Giá trị không được để trống."), code="blank"))
                valid = False
        return valid


class OrganisationFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices, help_text="Level of the party tree.")
    parent = _id(field_name="parent_id", help_text="Only the direct children of this organisation.")

    class Meta:
        model = Organisation
        fields = ["kind", "parent"]


class PersonFilter(StrictFilterSet):
    q = _search(method="filter_q", help_text="Name, accent- and case-insensitive ('nguyen van duc').")
    organisation = _id(method="filter_organisation", help_text="People of this organisation's subtree.")

    class Meta:
        model = Person
        fields = ["q", "organisation"]

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _search_by_name(queryset, value, "")

    def filter_organisation(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return _subtree(queryset, value, "organisation__")


class MemberFilter(StrictFilterSet):
    q = _search(method="filter_q", help_text="Name, accent- and case-insensitive.")
    status = django_filters.ChoiceFilter(
        choices=MemberStatus.choices,
        method="filter_status",
        help_text="Default: official and probationary members (those in the party).",
    )
    organisation = _id(method="filter_organisation", help_text="Members of this organisation's subtree.")

    class Meta:
        model = PartyMember
        fields = ["q", "status", "organisation"]

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _search_by_name(queryset, value, "person__")

    def filter_status(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(status=value)

    def filter_organisation(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return _subtree(queryset, value, "organisation__")

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=[MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY])
        return queryset


class _CandidateFilterBase(StrictFilterSet):
    stage = django_filters.ChoiceFilter(choices=[(s, s) for s in STAGE_VALUES], help_text="Stage code (S0-S17 …).")
    organisation = _id(method="filter_organisation", help_text="Candidates of this organisation's subtree.")
    overdue = _flag(method="filter_overdue", help_text="true/1: the step's legal deadline has passed.")
    q = _search(method="filter_q", help_text="Candidate's name, accent- and case-insensitive.")

    def filter_organisation(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return _subtree(queryset, value, "organisation__")

    def filter_overdue(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        today = self.request.today  # type: ignore[union-attr]  # set once per request by the view
        if value:
            return queryset.filter(next_due_on__lt=today)
        return queryset.exclude(next_due_on__lt=today)

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _search_by_name(queryset, value, "person__")


class CandidateFilter(_CandidateFilterBase):
    include_closed = _flag(
        method="filter_include_closed", help_text="true/1: also recognised (S17) and removed (SX) candidacies."
    )

    class Meta:
        model = Candidate
        fields = ["stage", "organisation", "overdue", "q", "include_closed"]

    def filter_include_closed(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset  # applied in filter_queryset: closed candidacies are hidden by default

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if not data.get("include_closed") and not data.get("stage"):
            queryset = queryset.exclude(stage__in=CLOSED_STAGES)
        return queryset


class DeadlineFilter(_CandidateFilterBase):
    before = django_filters.DateFilter(
        field_name="next_due_on",
        lookup_expr="lt",
        input_formats=["%Y-%m-%d"],
        help_text="Only deadlines strictly before this day (YYYY-MM-DD).",
    )

    class Meta:
        model = Candidate
        fields = ["stage", "organisation", "overdue", "q", "before"]


class NotificationFilter(StrictFilterSet):
    unread = _flag(method="filter_unread", help_text="true/1: only unread; false/0: only read.")

    class Meta:
        model = Notification
        fields = ["unread"]

    def filter_unread(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.filter(read_at__isnull=value)
