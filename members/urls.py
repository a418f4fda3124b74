from django.urls import path

from members import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("organisations/", views.organisation_tree, name="organisation_tree"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:organisation_pk>/people/new/", views.person_create, name="person_create"),
    path("members/", views.member_list, name="member_list"),
    path("people/", views.person_list, name="person_list"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("language/", views.set_language, name="set_language"),
    path("audit/", views.audit_log, name="audit_log"),
    path("accounts/2fa/", views.two_factor, name="two_factor"),
    path("accounts/2fa/qr.svg", views.two_factor_qr, name="two_factor_qr"),
    path("accounts/2fa/recovery/", views.two_factor_recovery, name="two_factor_recovery"),
]
