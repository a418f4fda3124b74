from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdmissionConfig(AppConfig):
    name = "admission"
    verbose_name = _("Phát triển đảng viên")

    def ready(self) -> None:
        from admission.reporting.cache import connect_signals

        connect_signals()
