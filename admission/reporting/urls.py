"""The routes of the statistics and plans pages (included by ``admission.urls``)."""

from django.urls import URLPattern, path

from admission.reporting.views import (
    plan_export,
    plan_index,
    plan_list,
    statistics_export,
    statistics_index,
    statistics_organisation,
    statistics_people,
    statistics_people_export,
    statistics_recompute,
    statistics_report,
    statistics_report_save,
)

urlpatterns: list[URLPattern] = [
    path("statistics/", statistics_index, name="statistics_index"),
    path("organisations/<int:pk>/statistics/", statistics_organisation, name="statistics_organisation"),
    path("organisations/<int:pk>/statistics/people/", statistics_people, name="statistics_people"),
    path("organisations/<int:pk>/statistics/export.xlsx", statistics_export, name="statistics_export"),
    path(
        "organisations/<int:pk>/statistics/people/export.xlsx",
        statistics_people_export,
        name="statistics_people_export",
    ),
    path("organisations/<int:pk>/statistics/reports/", statistics_report_save, name="statistics_report_save"),
    path("organisations/<int:pk>/statistics/recompute/", statistics_recompute, name="statistics_recompute"),
    path("statistics/reports/<int:pk>/", statistics_report, name="statistics_report"),
    path("plans/", plan_index, name="plan_index"),
    path("organisations/<int:pk>/plans/", plan_list, name="plan_list"),
    path("organisations/<int:pk>/plans/export.xlsx", plan_export, name="plan_export"),
]
