from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from members.models import AuditLog, Organisation, PartyMember, Person, RoleAssignment, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "delegated_to_admit", "upper_level_powers"]
    list_filter = ["kind", "delegated_to_admit", "upper_level_powers"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "depth"]


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["full_name", "date_of_birth", "gender", "organisation"]
    search_fields = ["search_key"]
    raw_id_fields = ["organisation"]
    exclude = ["cccd"]  # identifiers are revealed only through the audited view


@admin.register(PartyMember)
class PartyMemberAdmin(SimpleHistoryAdmin):
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
