"""The auditor's console under ``granskning/`` and its API under ``api/v1/audit/``.

Included once from the project's urls.py at the root, so both live in one app namespace.
"""

from __future__ import annotations

from django.urls import path

from audit import api, views

app_name = "audit"

urlpatterns = [
    path("granskning/", views.index, name="index"),
    path("granskning/utlamnanden/", views.disclosures, name="disclosures"),
    path("granskning/atkomst/", views.accesses, name="accesses"),
    path("granskning/registerutdrag/", views.register_extract, name="register-extract"),
    path("granskning/loggkontroll/", views.reviews, name="reviews"),
    path("granskning/loggkontroll/<uuid:review_id>/", views.review, name="review"),
    path("granskning/bevis/<int:seq>/", views.entry_proof, name="entry-proof"),
    path("granskning/kontrollpunkt.json", views.latest_checkpoint, name="latest-checkpoint"),
    path("granskning/publik-nyckel.pem", views.public_key, name="public-key"),
    path("granskning/export/", views.export_download, name="export"),
    path("api/v1/audit/disclosures/", api.DisclosureListApi.as_view(), name="api-disclosures"),
    path("api/v1/audit/accesses/", api.AccessListApi.as_view(), name="api-accesses"),
    path(
        "api/v1/audit/register-extract/",
        api.RegisterExtractApi.as_view(),
        name="api-register-extract",
    ),
    path("api/v1/audit/reviews/", api.ReviewListApi.as_view(), name="api-reviews"),
    path("api/v1/audit/reviews/start/", api.ReviewStartApi.as_view(), name="api-review-start"),
    path(
        "api/v1/audit/reviews/<uuid:review_id>/",
        api.ReviewDetailApi.as_view(),
        name="api-review",
    ),
    path(
        "api/v1/audit/reviews/<uuid:review_id>/items/<int:position>/mark/",
        api.ReviewItemMarkApi.as_view(),
        name="api-review-item-mark",
    ),
    path(
        "api/v1/audit/reviews/<uuid:review_id>/finish/",
        api.ReviewFinishApi.as_view(),
        name="api-review-finish",
    ),
    path(
        "api/v1/audit/checkpoints/latest/",
        api.CheckpointLatestApi.as_view(),
        name="api-checkpoint-latest",
    ),
    path("api/v1/audit/public-key/", api.PublicKeyApi.as_view(), name="api-public-key"),
    path(
        "api/v1/audit/proofs/entries/<int:seq>/",
        api.InclusionProofApi.as_view(),
        name="api-proof-inclusion",
    ),
    path(
        "api/v1/audit/proofs/consistency/",
        api.ConsistencyProofApi.as_view(),
        name="api-proof-consistency",
    ),
]
