"""Excel import of people, members and candidates: template, dry run, import (issue 6)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
