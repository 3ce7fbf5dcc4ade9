"""The redaction preview page (namespace ``redaction``), included by the project's urls."""

from __future__ import annotations

from django.urls import path

from consent import views_redaction

app_name = "redaction"

urlpatterns = [
    path(
        "arenden/<uuid:case_id>/avidentifiering/",
        views_redaction.redaction_preview,
        name="preview",
    ),
]
