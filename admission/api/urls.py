"""The versioned JSON API under /api/v1/: docs at /api/v1/docs/, schema at /api/v1/openapi.json."""

from django.urls import URLPattern, URLResolver, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.routers import SimpleRouter

from admission.api import docs, views

router = SimpleRouter()
router.register("organisations", views.OrganisationViewSet, basename="api_organisation")
router.register("people", views.PersonViewSet, basename="api_person")
router.register("members", views.MemberViewSet, basename="api_member")
router.register("candidates", views.CandidateViewSet, basename="api_candidate")
router.register("notifications", views.NotificationViewSet, basename="api_notification")

urlpatterns: list[URLPattern | URLResolver] = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="api_schema"),
    path("docs/", docs.api_docs, name="api_docs"),
    path("token/", views.TokenView.as_view(), name="api_token"),
    path("deadlines/", views.DeadlineListView.as_view(), name="api_deadlines"),
    path("statistics/", views.StatisticsView.as_view(), name="api_statistics"),
    path("statistics/figures/", views.StatisticsFiguresView.as_view(), name="api_statistics_figures"),
    path("handoff/", views.HandoffView.as_view(), name="api_handoff"),
    *router.urls,
    re_path(r"^", views.not_found, name="api_not_found"),  # a JSON 404 for anything else under /api/v1/
]
