"""The web interface: login, start page, case page, error pages and language."""

from __future__ import annotations

import re
import uuid
from typing import Protocol

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied

from audit.models import AuditEvent
from frontend.labels import basis_label
from tests.frontend.conftest import IDENTITY, PASSWORD, World, identity_values

pytestmark = pytest.mark.django_db

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


class _Response(Protocol):
    content: bytes


def _html(response: _Response) -> str:
    return response.content.decode()


def _normalised(response: _Response, path: str) -> str:
    """The page without what differs per request anyway: CSRF tokens and the asked path."""
    return _CSRF.sub("csrf", _html(response)).replace(path, "PATH")


# --- login -------------------------------------------------------------------------------


def test_login_page_is_a_swedish_form_with_labelled_fields(client: Client) -> None:
    response = client.get(reverse("frontend:login"))

    assert response.status_code == 200
    html = _html(response)
    assert '<html lang="sv">' in html
    assert "<h1>Logga in</h1>" in html
    assert '<label for="id_username">Användarnamn</label>' in html
    assert '<label for="id_password">Lösenord</label>' in html
    assert re.search(r'<input type="text" name="username"[^>]*id="id_username"', html)
    assert re.search(r'<input type="password" name="password"[^>]*id="id_password"', html)
    assert 'autocomplete="current-password"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    # Landmarks and the skip link of the shared layout.
    for landmark in ('<a class="skip-link" href="#main">', "<header", '<main id="main"', "<footer"):
        assert landmark in html
    # Nobody is signed in: no name, no logout button, no menu.
    assert "Logga ut" not in html
    assert 'id="inbox-count"' not in html


def test_wrong_password_shows_the_error_and_stays_on_the_login_page(
    client: Client, world: World
) -> None:
    response = client.post(
        reverse("frontend:login"), {"username": "anna", "password": "fel-lösenord-helt-klart"}
    )

    assert response.status_code == 200
    html = _html(response)
    assert 'role="alert"' in html
    assert "Ange ett korrekt användarnamn och lösenord" in html
    assert "<h1>Logga in</h1>" in html
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("frontend:start")).status_code == 302


def test_login_leads_to_the_start_page_with_units_roles_and_case_references(
    client: Client, world: World
) -> None:
    response = client.post(
        reverse("frontend:login"), {"username": "anna", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [(reverse("frontend:start"), 302)]
    html = _html(response)
    assert "Anna Handläggare" in html
    assert '<span id="inbox-count" class="badge" aria-live="polite"></span>' in html
    # The person's unit, its agency and the role's display name.
    units = html.split('id="my-units"', 1)[1].split("</ul>", 1)[0]
    assert "Barn och unga" in units
    assert "Motala socialkontor" in units
    assert "Handläggare" in units
    assert "Vuxen" not in units
    # Their cases by reference, each linking to its page; the protected one is marked.
    assert world.case.reference in html
    assert world.protected_case.reference in html
    assert reverse("frontend:case", kwargs={"case_id": world.case.id}) in html
    assert "Skyddade personuppgifter" in html
    assert "Dagens möten" in html
    assert "Inga möten i dag." in html
    # Never an identity value, nor another unit's case.
    for value in [*identity_values(), "Skyddad Person", "Annan Klient"]:
        assert value not in html, value
    assert world.other_case.reference not in html


def test_start_page_requires_login(client: Client) -> None:
    response = client.get(reverse("frontend:start"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("frontend:login"))


def test_logout_is_a_post_and_ends_the_session(officer_client: Client) -> None:
    assert officer_client.get(reverse("frontend:logout")).status_code == 405

    response = officer_client.post(reverse("frontend:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:login")
    assert officer_client.get(reverse("frontend:start")).status_code == 302


# --- case page ---------------------------------------------------------------------------


def test_case_page_shows_the_identity_to_the_assigned_officer_and_audits_the_read(
    officer_client: Client, world: World
) -> None:
    before = AuditEvent.objects.filter(action="case.viewed").count()

    response = officer_client.get(reverse("frontend:case", kwargs={"case_id": world.case.id}))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    html = _html(response)
    assert f'<h1 class="mono" id="case-heading">{world.case.reference}</h1>' in html
    assert "Barn och unga" in html
    assert "Du arbetar med ärendet i den ägande enheten" in html
    identity = html.split('id="case-identity"', 1)[1].split("</section>", 1)[0]
    for value in identity_values():
        assert value in identity, value
    assert "Hemliga gatan 7<br>591 30 Borensberg" in identity
    thread = html.split('id="case-thread"', 1)[1].split("</section>", 1)[0]
    assert f'data-room="case:{world.case.id}"' in thread
    assert "data-thread-form" in thread and "frontend/case-thread.js" in thread

    viewed = AuditEvent.objects.filter(action="case.viewed").order_by("seq")
    assert viewed.count() == before + 1
    entry = viewed.last()
    assert entry is not None
    assert entry.actor == "anna"
    assert entry.case_id == world.case.id
    assert entry.case_ref == world.case.reference
    assert entry.legal_basis == "owning_unit"
    assert set(entry.fields) == set(IDENTITY)


def test_case_page_omits_fields_that_are_not_there(officer_client: Client, world: World) -> None:
    response = officer_client.get(
        reverse("frontend:case", kwargs={"case_id": world.protected_case.id})
    )

    assert response.status_code == 200
    html = _html(response)
    assert "Skyddad Person" in html
    assert "Skyddade personuppgifter" in html
    assert "Din åtkomst registreras och granskas." in html
    assert "<address>" not in html
    assert "Adress" not in html.split('id="case-identity"', 1)[1].split("</section>", 1)[0]


def test_another_units_case_is_a_404_identical_to_a_missing_case(
    officer_client: Client, world: World
) -> None:
    hidden_path = reverse("frontend:case", kwargs={"case_id": world.other_case.id})
    missing_path = reverse("frontend:case", kwargs={"case_id": uuid.uuid4()})
    before = AuditEvent.objects.count()

    hidden = officer_client.get(hidden_path)
    missing = officer_client.get(missing_path)

    assert hidden.status_code == missing.status_code == 404
    assert _normalised(hidden, hidden_path) == _normalised(missing, missing_path)
    html = _html(hidden)
    assert "Sidan hittades inte" in html
    assert world.other_case.reference not in html
    assert "Annan Klient" not in html
    # Nothing was read, so nothing was logged as read.
    assert not AuditEvent.objects.filter(seq__gt=before, action="case.viewed").exists()


def test_case_page_requires_login(client: Client, world: World) -> None:
    response = client.get(reverse("frontend:case", kwargs={"case_id": world.case.id}))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("frontend:login"))


# --- error pages -------------------------------------------------------------------------


def test_unknown_address_gets_the_swedish_404_page(client: Client) -> None:
    response = client.get("/finns-inte/")

    assert response.status_code == 404
    html = _html(response)
    assert '<html lang="sv">' in html
    assert "Sidan hittades inte" in html


def test_403_page_is_swedish(rf: RequestFactory) -> None:
    request = rf.get("/")
    request.user = AnonymousUser()
    response = permission_denied(request, exception=PermissionError("hemlig detalj"))

    assert response.status_code == 403
    html = response.content.decode()
    assert "Åtkomst nekad" in html
    assert "hemlig detalj" not in html


def test_500_page_renders_without_any_context() -> None:
    html = render_to_string("500.html")

    assert '<html lang="sv">' in html
    assert "Ett fel uppstod" in html
    assert "Traceback" not in html


# --- language ----------------------------------------------------------------------------


def test_english_is_available_through_accept_language(client: Client) -> None:
    response = client.get(reverse("frontend:login"), HTTP_ACCEPT_LANGUAGE="en")

    html = _html(response)
    assert '<html lang="en">' in html
    assert "<h1>Log in</h1>" in html
    assert '<label for="id_username">Username</label>' in html


def test_language_can_be_switched_from_the_footer(client: Client) -> None:
    login = _html(client.get(reverse("frontend:login")))
    assert 'action="/i18n/setlang/"' in login
    assert '<option value="en" lang="en">English</option>' in login

    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("frontend:login")}
    )

    assert response.status_code == 302
    assert "<h1>Log in</h1>" in _html(client.get(reverse("frontend:login")))


def test_a_form_without_csrf_token_gets_the_swedish_403_page() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("frontend:login"), {"username": "x", "password": "y"})

    assert response.status_code == 403
    html = _html(response)
    assert "Formuläret kunde inte skickas" in html
    assert "CSRF" not in html


def test_health_probe_is_routed() -> None:
    assert reverse("frontend:healthz") == "/healthz"
    assert Client().get("/healthz").status_code == 200


def test_basis_labels_are_plain_swedish_and_unknown_codes_fall_back() -> None:
    assert basis_label("owning_unit") == "Du arbetar med ärendet i den ägande enheten"
    assert basis_label("consent") == "Klienten har samtyckt till att uppgifterna lämnas ut"
    assert basis_label("OSL 10:2") == "OSL 10:2"
