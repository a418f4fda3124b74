from django.contrib import admin
from django.urls import include, path

from admission.candidate_views import self_urlpatterns
from admission.views import home
from members.auth import PasswordResetView
from members.views import login_view

urlpatterns = [
    path("accounts/login/", login_view, name="login"),
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("admission/", include("admission.urls")),
    path("api/v1/", include("admission.api.urls")),
    # The candidate's own case (self-service); the only pages a candidate's login reaches.
    path("me/", include(self_urlpatterns)),
    # The home page is admission's to-do above the members overview: it answers "/" before the
    # members dashboard of the same name (members never imports admission).
    path("", home, name="dashboard"),
    path("", include("members.urls")),
]

# A JSON error under /api/ (the API's one error format), Django's page elsewhere.
handler500 = "admission.api.errors.server_error"
