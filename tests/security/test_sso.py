"""Single sign-on through OpenID Connect, against a small provider started by the tests."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from audit.models import AuditEvent
from coordination import services
from coordination.services import accounts
from frontend.models import SsoSubject
from tests.fixtures import Org
from tests.security.oidc_provider import Provider, ProviderServer

LINKED = "19121212-1212"


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    server = ProviderServer(Provider())
    discovery = requests.get(
        f"{server.provider.issuer}/.well-known/openid-configuration", timeout=5
    ).json()
    settings.SAMVERKA_OIDC_ENABLED = True
    settings.SAMVERKA_OIDC_ISSUER = discovery["issuer"]
    settings.OIDC_RP_CLIENT_ID = server.provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = server.provider.client_secret
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = discovery["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = discovery["jwks_uri"]
    try:
        yield server.provider
    finally:
        server.close()


def sso_login(client: Client) -> Any:
    """Start at Samverka, let the provider approve, and come back with its answer."""
    start = client.get("/sso/start/")
    assert start.status_code == 302, start
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/sso/callback/"
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    return client.get(back.path, query)


def _signed_in_as(client: Client) -> Any:
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.filter(pk=user_id).first() if user_id else None


def test_a_linked_person_signs_in_and_counts_as_having_the_second_factor(
    org: Org, provider: Provider, settings: Any
) -> None:
    settings.SAMVERKA_REQUIRE_SECOND_FACTOR = True
    accounts.sso_subject_link(actor=org.user("admin"), user=org.user("officer"), subject=LINKED)
    client = Client()

    response = sso_login(client)

    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in_as(client) == org.user("officer")
    assert client.session[accounts.SECOND_FACTOR_SESSION_KEY] == "sso"
    assert client.get("/").status_code == 200  # the second-factor middleware lets it be
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None and last.action == "login.succeeded"
    assert last.detail["method"] == "sso"
    # The token endpoint, JWKS and userinfo were all asked.
    assert {"/authorize", "/token", "/jwks", "/userinfo"} <= set(provider.requests)


def test_the_subject_is_stored_only_as_a_keyed_hash_and_matches_any_spelling(
    org: Org, provider: Provider
) -> None:
    stdin = io.StringIO("191212121212\n")
    call_command("sso_link", "officer", stdin=stdin, stdout=io.StringIO())
    link = SsoSubject.objects.get(user=org.user("officer"))

    assert len(link.digest) == 64
    # Keyed: not the plain hash anyone could compute from a guessed number.
    assert link.digest != hashlib.sha256(b"191212121212").hexdigest()
    assert link.digest == accounts.sso_subject_digest(LINKED)
    assert link.digest == accounts.sso_subject_digest("121212+1212")
    assert "1212" not in str(AuditEvent.objects.order_by("-seq").first().detail)  # type: ignore[union-attr]
    provider.subject = "19121212-1212"  # the provider spells it with a hyphen

    client = Client()
    sso_login(client)

    assert _signed_in_as(client) == org.user("officer")


def test_an_unknown_subject_is_refused_and_no_account_is_made(org: Org, provider: Provider) -> None:
    provider.subject = "20121212-1212"
    people = get_user_model().objects.count()
    client = Client()

    response = sso_login(client)

    assert response.status_code == 302 and response["Location"] == "/login/"
    assert _signed_in_as(client) is None
    assert get_user_model().objects.count() == people
    page = client.get("/login/").content.decode()
    assert "Inloggningen med e-legitimation gick inte igenom" in page
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None and last.action == "login.failed"
    assert last.detail == {"username": "", "ip": "127.0.0.1", "stage": "sso"}


def test_a_weak_assurance_level_is_refused(org: Org, provider: Provider) -> None:
    accounts.sso_subject_link(actor=None, user=org.user("officer"), subject=LINKED)
    provider.acr = "http://id.elegnamnden.se/loa/1.0/loa2"
    client = Client()

    response = sso_login(client)

    assert response["Location"] == "/login/"
    assert _signed_in_as(client) is None


def test_a_token_for_another_client_is_refused(org: Org, provider: Provider) -> None:
    accounts.sso_subject_link(actor=None, user=org.user("officer"), subject=LINKED)
    provider.audience = "en-annan-tjanst"
    client = Client()

    response = sso_login(client)

    assert response.status_code == 400
    assert _signed_in_as(client) is None


def test_a_disabled_account_cannot_sign_in_through_the_provider(
    org: Org, provider: Provider
) -> None:
    accounts.sso_subject_link(actor=None, user=org.user("officer"), subject=LINKED)
    services.user_deactivate(actor=None, user=org.user("officer"), reason="Slutat")
    client = Client()

    sso_login(client)

    assert _signed_in_as(client) is None


def test_linking_is_for_administrators(org: Org) -> None:
    from coordination.errors import Forbidden

    with pytest.raises(Forbidden):
        accounts.sso_subject_link(actor=org.user("lead"), user=org.user("officer"), subject=LINKED)
    assert not SsoSubject.objects.exists()


def test_single_sign_on_is_off_by_default(org: Org) -> None:
    client = Client()

    assert client.get("/sso/start/").status_code == 404
    assert client.get("/sso/callback/", {"code": "x", "state": "y"}).status_code == 404
    assert 'id="sso-login"' not in client.get("/login/").content.decode()


def test_the_login_page_offers_single_sign_on_when_it_is_on(provider: Provider) -> None:
    assert 'id="sso-login"' in Client().get("/login/").content.decode()
