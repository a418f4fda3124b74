from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Tổ chức và đảng viên")

    def ready(self) -> None:
        from members import checks  # noqa: F401 - registers the deployment checks


class TrackerAdminConfig(admin_apps.AdminConfig):
    """The admin with the application's login and second factor (members.admin_site)."""

    default = False  # members' own config stays MembersConfig
    default_site = "members.admin_site.TrackerAdminSite"
