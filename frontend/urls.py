"""Pages of the web interface (namespace ``frontend``)."""

from __future__ import annotations

from django.urls import path

from frontend import health, views

app_name = "frontend"

urlpatterns = [
    path("", views.start, name="start"),
    path("login/", views.SamverkaLoginView.as_view(), name="login"),
    path("logout/", views.SamverkaLogoutView.as_view(), name="logout"),
    path("arenden/<uuid:case_id>/", views.case_detail, name="case"),
    path("healthz", health.healthz, name="healthz"),
]
