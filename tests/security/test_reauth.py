"""Re-authentication before erasure, key rotation and the audit export (≤ 5 minutes old)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from audit.chain import EXPORT_FORMAT
from audit.models import AuditEvent
from consent import policy
from coordination import services, vault
from coordination.models import Case, Role
from tests.fixtures import Org
from tests.security.conftest import PASSWORD, code_for, device_for, login_with_code

ROOT = Path(__file__).resolve().parents[2]


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reauth(client: Client, next_url: str, **extra: str) -> Any:
    return client.post("/konto/bekrafta/", {"password": PASSWORD, "next": next_url, **extra})


def test_reauthenticated_recently_means_within_five_minutes() -> None:
    now = time.time()
    assert policy.reauthenticated_recently({policy.REAUTH_SESSION_KEY: now - 299}, now=now)
    assert not policy.reauthenticated_recently({policy.REAUTH_SESSION_KEY: now - 301}, now=now)
    assert not policy.reauthenticated_recently({policy.REAUTH_SESSION_KEY: now + 60}, now=now)
    assert not policy.reauthenticated_recently({policy.REAUTH_SESSION_KEY: "1"}, now=now)
    assert not policy.reauthenticated_recently({}, now=now)


def test_erasure_asks_for_the_password_again_then_erases(org: Org, case: Case) -> None:
    lead = _client(org.user("lead"))
    url = f"/arenden/{case.id}/gallra/"
    assert lead.get(url).status_code == 200

    first = lead.post(url, {"reason": "Gallringsfrist"})

    assert first.status_code == 302
    assert first["Location"] == f"/konto/bekrafta/?next={url}"
    case.refresh_from_db()
    assert case.erased_at is None

    wrong = lead.post("/konto/bekrafta/", {"password": "inte-rätt-alls", "next": url})
    assert wrong.status_code == 400
    assert lead.post(url, {"reason": "Gallringsfrist"}).status_code == 302
    case.refresh_from_db()
    assert case.erased_at is None

    back = _reauth(lead, url)
    assert back.status_code == 302 and back["Location"] == url
    done = lead.post(url, {"reason": "Gallringsfrist"})

    assert done.status_code == 302 and done["Location"] == f"/arenden/{case.id}/"
    case.refresh_from_db()
    assert case.erased_at is not None
    actions = list(AuditEvent.objects.order_by("-seq").values_list("action", flat=True)[:2])
    assert actions == ["case.erased", "reauth.succeeded"]


def test_a_reauthentication_older_than_five_minutes_is_asked_for_again(
    org: Org, case: Case
) -> None:
    lead = _client(org.user("lead"))
    url = f"/arenden/{case.id}/gallra/"
    _reauth(lead, url)
    session = lead.session
    session[policy.REAUTH_SESSION_KEY] = time.time() - 301
    session.save()

    response = lead.post(url, {"reason": "Gallringsfrist"})

    assert response.status_code == 302 and response["Location"].startswith("/konto/bekrafta/")
    case.refresh_from_db()
    assert case.erased_at is None


def test_erasure_is_for_the_units_lead_only(org: Org, case: Case) -> None:
    officer = _client(org.user("officer"))
    _reauth(officer, "/")
    assert officer.post(f"/arenden/{case.id}/gallra/", {"reason": "x"}).status_code == 403
    outsider = _client(org.user("vuxen_lead"))
    _reauth(outsider, "/")
    assert outsider.post(f"/arenden/{case.id}/gallra/", {"reason": "x"}).status_code == 404
    case.refresh_from_db()
    assert case.erased_at is None


def test_reauthentication_with_a_device_needs_a_fresh_code(org: Org) -> None:
    lead_user = org.user("lead")
    device = device_for(lead_user)
    lead = login_with_code(lead_user, device)

    without_code = _reauth(lead, "/")
    same_code_again = _reauth(lead, "/", token=code_for(device))

    assert without_code.status_code == 400
    assert same_code_again.status_code == 400  # the login just used it
    assert policy.REAUTH_SESSION_KEY not in lead.session
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    ok = _reauth(lead, "/", token=code_for(device, offset_steps=1))
    assert ok.status_code == 302
    assert policy.reauthenticated_recently(lead.session)


def test_reauthentication_never_sends_the_person_off_site(org: Org) -> None:
    client = _client(org.user("officer"))

    response = _reauth(client, "https://angripare.example/")

    assert response.status_code == 302 and response["Location"] == "/"


def test_key_rotation_page_is_for_administrators_after_reauthentication(
    org: Org, case: Case
) -> None:
    before = vault.current_kek_id()
    officer = _client(org.user("officer"))
    _reauth(officer, "/")
    assert officer.get("/forvaltning/nycklar/").status_code == 404
    assert officer.post("/forvaltning/nycklar/").status_code == 404
    admin = _client(org.user("admin"))
    assert admin.get("/forvaltning/nycklar/").status_code == 200

    refused = admin.post("/forvaltning/nycklar/")
    assert refused.status_code == 302 and refused["Location"].startswith("/konto/bekrafta/")
    assert vault.current_kek_id() == before

    _reauth(admin, "/forvaltning/nycklar/")
    rotated = admin.post("/forvaltning/nycklar/")

    assert rotated.status_code == 302
    assert vault.current_kek_id() != before
    case.refresh_from_db()
    assert case.data_key_id == vault.current_kek_id()
    assert AuditEvent.objects.order_by("-seq").first().action == "vault.kek_rotated"  # type: ignore[union-attr]


@pytest.fixture
def trail_auditor(org: Org) -> Any:
    """An auditor of every agency of the installation (a data protection officer)."""
    user = org.user("auditor")
    for key in ("norr", "skola", "region"):
        services.membership_grant(actor=None, user=user, unit=org.units[key], role=Role.AUDITOR)
    return user


def test_audit_export_download_needs_the_widest_role_and_reauthentication(
    org: Org, case: Case, trail_auditor: Any, tmp_path: Path
) -> None:
    narrow = _client(org.user("coordinator"))
    services.membership_grant(
        actor=None, user=org.user("coordinator"), unit=org.units["ledning"], role=Role.AUDITOR
    )
    _reauth(narrow, "/")
    assert narrow.get("/granskning/export/").status_code == 404
    assert narrow.post("/granskning/export/").status_code == 404

    auditor = _client(trail_auditor)
    assert auditor.get("/granskning/export/").status_code == 200
    refused = auditor.post("/granskning/export/")
    assert refused.status_code == 302 and refused["Location"].startswith("/konto/bekrafta/")

    _reauth(auditor, "/granskning/export/")
    response = auditor.post("/granskning/export/")

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    export = json.loads(body)
    assert export["format"] == EXPORT_FORMAT
    assert export["entries"][-1]["action"] == "audit.exported"
    path = tmp_path / "export.json"
    path.write_bytes(body)
    verified = subprocess.run(
        [sys.executable, "-m", "audit.verify", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_five_wrong_passwords_lock_reauthentication_too(org: Org) -> None:
    client = _client(org.user("officer"))
    for _ in range(5):
        client.post("/konto/bekrafta/", {"password": "fel-fel-fel-fel", "next": "/"})

    locked = _reauth(client, "/")

    assert locked.status_code == 429
    assert policy.REAUTH_SESSION_KEY not in client.session
