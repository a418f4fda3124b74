from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from members import services
from members.freshness import FiguresStaleOnAdminWrite
from members.models import ApiToken, AuditLog, Organisation, PartyMember, Person, RoleAssignment, User


@admin.register(Organisation)
class OrganisationAdmin(FiguresStaleOnAdminWrite, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "delegated_to_admit", "upper_level_powers"]
    list_filter = ["kind", "delegated_to_admit", "upper_level_powers"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "depth"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Moving a subtree would need every descendant's path rewritten: not offered here.
        return [*self.readonly_fields, "parent", "kind"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        """New organisations go through the service, which sets the materialised path."""
        if change:
            super().save_model(request, obj, form, change)
            return
        fields = {f: form.cleaned_data[f] for f in form.cleaned_data if f not in {"kind", "name", "code", "parent"}}
        created = services.organisation_create(
            acting_user=None, kind=obj.kind, name=obj.name, code=obj.code, parent=obj.parent, **fields
        )
        obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth


@admin.register(Person)
class PersonAdmin(FiguresStaleOnAdminWrite, SimpleHistoryAdmin):
    list_display = ["full_name", "date_of_birth", "gender", "organisation"]
    search_fields = ["search_key"]
    raw_id_fields = ["organisation"]
    exclude = ["cccd"]  # identifiers are revealed only through the audited view


@admin.register(PartyMember)
class PartyMemberAdmin(FiguresStaleOnAdminWrite, SimpleHistoryAdmin):
    list_display = ["person", "organisation", "status", "ceremony_date", "official_date"]
    list_filter = ["status"]
    raw_id_fields = ["person", "organisation"]


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    raw_id_fields = ["organisation"]
    extra = 0


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    inlines = [RoleInline]
    fieldsets = (*UserAdmin.fieldsets, ("Tracker", {"fields": ["preferred_language"]}))  # type: ignore[misc]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "person", "ip_address"]
    list_filter = ["action"]
    raw_id_fields = ["user", "person"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Revoke a program's API token (only its digest is stored: there is nothing to read)."""

    list_display = ["user", "created"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "created"]
    exclude = ["digest"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def,override]
        return False  # created by the user from the API page, where the key is shown once
