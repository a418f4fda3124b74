"""Generated dossier documents (DOCX/PDF) and organisations' template versions."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
