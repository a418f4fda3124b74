"""Plans and statistics pages, charts and Excel exports (issue 6)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
