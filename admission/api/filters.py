"""Query-string filters of the API (django-filter), strict: a malformed value is 400, never ignored.

Filters refine a queryset that the selectors already scoped to the user; an organisation id
outside the scope therefore simply matches nothing (an empty 200, as an id that does not exist),
while fetching a row outside the scope is 404 (docs/api.md, "Scope").

Every parameter's schema is written here, with its description (drf-spectacular would take the
model field's Vietnamese verbose name as the parameter schema's `title`, from which client
generators name their classes): ASCII names for generated code, the Vietnamese label in the
description.
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
from members.selectors import name_matches

MAX_ID = 2**63 - 1  # PostgreSQL bigint
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
# Yes/no filters are booleans in the schema (`true`/`false`, what generated clients send); `1`/`0`
# are still accepted, as before v1 declared booleans (docs/api-versioning.md).
FLAG_VALUES = {"true": True, "false": False, "1": True, "0": False}
SEARCH_SCHEMA = {"type": "string", "maxLength": 100}
STAGE_VALUES = [stage.value for stage in Stage]


def _ref(component: str) -> dict[str, str]:
    """A shared enum component (pinned by SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])."""
    return {"$ref": f"#/components/schemas/{component}"}


class FlagField(forms.Field):
    """`true`/`1` or `false`/`0`; anything else is an error (django-filter would ignore it)."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if value in FLAG_VALUES:
            return FLAG_VALUES[value]
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


def _described(schema: dict[str, Any], description: str) -> Any:
    """The parameter's schema and description (drf-spectacular reads both from the override)."""
    return extend_schema_field({**schema, "description": description})


def _flag(description: str, **kwargs: Any) -> Any:
    return _described({"type": "boolean"}, description)(FlagFilter(**kwargs))


def _id(description: str, **kwargs: Any) -> Any:
    return _described(ID_SCHEMA, description)(IdFilter(**kwargs))


def _search(description: str, **kwargs: Any) -> Any:
    return _described(SEARCH_SCHEMA, description)(django_filters.CharFilter(max_length=100, **kwargs))


def _choice(component: str, description: str, **kwargs: Any) -> Any:
    return _described(_ref(component), description)(django_filters.ChoiceFilter(**kwargs))


def _subtree(queryset: QuerySet[Any], organisation_id: int, prefix: str) -> QuerySet[Any]:
    """Rows in the subtree of the organisation (its path from the database, not from the user)."""
    path = Organisation.objects.filter(pk=organisation_id).values_list("path", flat=True).first()
    if path is None:
        return queryset.none()
    return queryset.filter(**{f"{prefix}path__startswith": path})


def _search_by_name(queryset: QuerySet[Any], value: str, prefix: str) -> QuerySet[Any]:
    """Accent- and case-insensitive: `nguyen van duc` finds `Nguyễn Văn Đức` (members.names)."""
    key = search_key(value)
    return queryset.filter(name_matches(key, prefix)) if key else queryset


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
    kind = _choice("OrganisationKindEnum", "Level of the party tree (Cấp tổ chức).", choices=OrganisationKind.choices)
    parent = _id("Only the direct children of this organisation (Tổ chức cấp trên).", field_name="parent_id")

    class Meta:
        model = Organisation
        fields = ["kind", "parent"]


class PersonFilter(StrictFilterSet):
    q = _search("Name, accent- and case-insensitive ('nguyen van duc'; Họ và tên).", method="filter_q")
    organisation = _id("People of this organisation's subtree (Tổ chức đảng).", method="filter_organisation")

    class Meta:
        model = Person
        fields = ["q", "organisation"]

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _search_by_name(queryset, value, "")

    def filter_organisation(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return _subtree(queryset, value, "organisation__")


class MemberFilter(StrictFilterSet):
    q = _search("Name, accent- and case-insensitive (Họ và tên).", method="filter_q")
    status = _choice(
        "MemberStatusEnum",
        "Default: official and probationary members, those in the party (Tình trạng đảng viên).",
        choices=MemberStatus.choices,
        method="filter_status",
    )
    organisation = _id("Members of this organisation's subtree (Tổ chức đảng).", method="filter_organisation")

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
    stage = _choice("StageEnum", "Stage code, S0-S17 … (Bước).", choices=[(s, s) for s in STAGE_VALUES])
    organisation = _id("Candidates of this organisation's subtree (Tổ chức đảng).", method="filter_organisation")
    overdue = _flag(
        "true: the step's legal deadline has passed; false: it has not (Quá hạn). `1`/`0` are accepted too.",
        method="filter_overdue",
    )
    q = _search("Candidate's name, accent- and case-insensitive (Họ và tên).", method="filter_q")

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
        "true: also recognised (S17) and removed (SX) candidacies (Cả hồ sơ đã kết thúc). `1`/`0` are accepted too.",
        method="filter_include_closed",
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
    unread = _flag("true: only unread; false: only read (Chưa đọc). `1`/`0` are accepted too.", method="filter_unread")

    class Meta:
        model = Notification
        fields = ["unread"]

    def filter_unread(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.filter(read_at__isnull=value)
