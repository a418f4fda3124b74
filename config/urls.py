from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from members.auth import ThrottledAuthenticationForm

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("admission/", include("admission.urls")),
    path("api/v1/", include("admission.api.urls")),
    path("", include("members.urls")),
]

# A JSON error under /api/ (the API's one error format), Django's page elsewhere.
handler500 = "admission.api.errors.server_error"
