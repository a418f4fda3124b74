from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdmissionConfig(AppConfig):
    name = "admission"
    verbose_name = _("Phát triển đảng viên")

    def ready(self) -> None:
        # The candidacies' statistics summary is recounted wherever a writer reports the
        # organisations it wrote (members.freshness.organisations_changed).
        from admission.reporting.summaries import organisations_recount
        from members.freshness import recount_register

        recount_register(organisations_recount)
