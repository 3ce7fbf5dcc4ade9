"""The consent page of a case and its REST API (namespace ``consent``)."""

from __future__ import annotations

from django.urls import path

from consent import api, views

app_name = "consent"

urlpatterns = [
    path("arenden/<uuid:case_id>/samtycken/", views.case_consents, name="case-consents"),
    path(
        "arenden/<uuid:case_id>/samtycken/<uuid:consent_id>/forlang/",
        views.consent_extend,
        name="consent-extend",
    ),
    path(
        "arenden/<uuid:case_id>/samtycken/<uuid:consent_id>/aterkalla/",
        views.consent_revoke,
        name="consent-revoke",
    ),
    path(
        "api/v1/cases/<uuid:case_id>/consents/",
        api.ConsentListApi.as_view(),
        name="api-consents",
    ),
    path(
        "api/v1/cases/<uuid:case_id>/consents/<uuid:consent_id>/extend/",
        api.ConsentExtendApi.as_view(),
        name="api-consent-extend",
    ),
    path(
        "api/v1/cases/<uuid:case_id>/consents/<uuid:consent_id>/revoke/",
        api.ConsentRevokeApi.as_view(),
        name="api-consent-revoke",
    ),
]
