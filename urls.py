"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include("coordination.api.urls")),
    path("api/v1/", include("realtime.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("consent.urls")),
    path("", include("consent.urls_redaction")),
    path("", include("audit.urls")),
    path("", include("frontend.urls")),
]

# Unknown addresses under /api/ answer in the API's JSON error format.
handler404 = "coordination.api.errors.page_not_found"
