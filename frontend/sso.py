"""Single sign-on through OpenID Connect (mozilla-django-oidc), off by default.

Swedish public-sector e-identification is usually reached through an OpenID Connect
provider that names the person by their personal identity number. Samverka never stores
that number: an administrator links a person once (``manage.py sso_link``), which keeps
only a keyed hash (``accounts.sso_subject_digest``). At login the provider's subject is
hashed the same way and must match an active, linked person; an unknown subject is
refused, never created. The ID token must name this client as audience and, when
configured, the issuer; its ``acr`` must be one of ``SAMVERKA_OIDC_ACCEPTED_ACR`` (by
default the eID framework's LoA 3 or 4), which is also why such a login counts as the
second factor.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from coordination.services import accounts


def enabled() -> bool:
    return bool(getattr(settings, "SAMVERKA_OIDC_ENABLED", False))


class SamverkaOIDCBackend(OIDCAuthenticationBackend):
    """Finds the linked person for the provider's subject; creates nobody."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if enabled():
            super().__init__(*args, **kwargs)

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        if not enabled():
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None

    def verify_token(self, token: Any, **kwargs: Any) -> Any:
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token audience is not this client.")
        issuer = getattr(settings, "SAMVERKA_OIDC_ISSUER", "")
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("ID token issuer is not the configured provider.")
        if "exp" not in payload:
            raise SuspiciousOperation("ID token has no expiry.")
        return payload

    def get_userinfo(self, access_token: Any, id_token: Any, payload: Any) -> dict[str, Any]:
        info = dict(super().get_userinfo(access_token, id_token, payload))
        if info.get("sub") not in (None, payload.get("sub")):
            raise SuspiciousOperation("Userinfo subject differs from the ID token's.")
        # The assurance level is stated in the ID token.
        return {**info, "acr": payload.get("acr", "")}

    def _subject(self, claims: dict[str, Any]) -> str:
        return str(claims.get(settings.SAMVERKA_OIDC_SUBJECT_CLAIM) or "")

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        if not self._subject(claims):
            return False
        return claims.get("acr") in settings.SAMVERKA_OIDC_ACCEPTED_ACR

    def describe_user_by_claims(self, claims: dict[str, Any]) -> str:
        return "an unlinked subject"  # never the subject itself: it is a personnummer

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        user = accounts.sso_user_for_subject(self._subject(claims))
        if user is None:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(pk=user.pk)

    def create_user(self, claims: dict[str, Any]) -> Any:
        raise SuspiciousOperation("Single sign-on never creates accounts.")


class SsoStart(OIDCAuthenticationRequestView):
    """Redirects to the provider (404 while single sign-on is off)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if enabled():
            super().__init__(*args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404()
        return super().get(request)


class SsoCallback(OIDCAuthenticationCallbackView):
    """The provider's answer: signed in with the second factor given, or refused."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404()
        return super().get(request)

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        self.request.session[accounts.SECOND_FACTOR_SESSION_KEY] = accounts.SSO
        from frontend.auth_views import client_ip

        accounts.login_succeeded(user=self.user, ip=client_ip(self.request), method="sso")
        return response

    def login_failure(self) -> HttpResponse:
        from frontend.auth_views import client_ip

        accounts.login_failed(username="", ip=client_ip(self.request), stage="sso")
        messages.error(
            self.request,
            _(
                "Inloggningen med e-legitimation gick inte igenom. Din e-legitimation är "
                "kanske inte kopplad till ett konto i Samverka; kontakta din systemförvaltare."
            ),
        )
        return super().login_failure()

    @property
    def failure_url(self) -> str:
        from django.urls import reverse

        return reverse("frontend:login")
