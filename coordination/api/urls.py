from django.urls import path

from coordination.api import views

app_name = "api"

urlpatterns = [
    path("cases/", views.CaseListApi.as_view(), name="case-list"),
    path("cases/<uuid:case_id>/", views.CaseDetailApi.as_view(), name="case-detail"),
    path(
        "cases/<uuid:case_id>/incidents/",
        views.IncidentCreateApi.as_view(),
        name="incident-create",
    ),
]
