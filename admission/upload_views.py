"""Uploaded scans of dossier documents: upload, preview and download (scoped, audited)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
