"""The project's URLs with the redaction preview, for tests run before the project includes it."""

from __future__ import annotations

from django.urls import include, path

from urls import urlpatterns as project

urlpatterns = list(project)
if not any(getattr(pattern, "namespace", None) == "redaction" for pattern in project):
    urlpatterns.insert(0, path("", include("consent.urls_redaction")))
