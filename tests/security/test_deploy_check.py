"""deploy/production.env.example names every production variable, and with it Django's
deployment checks pass at warning level and the production headers are as intended."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import keystore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "production.env.example"
_READ = re.compile(r"""(?:os\.environ\.get|env|env_list)\(\s*"([A-Z][A-Z0-9_]+)\"""")


def example_values() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in EXAMPLE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, line
        values[name] = value
    return values


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """The example's values, with SAMVERKA_KEY_DIR pointed at a folder of fresh keys."""
    keys = tmp_path / "keys"
    (keys / "kek").mkdir(parents=True)
    (keys / "kek" / "k1.key").write_bytes(keystore.new_symmetric_key())
    (keys / "kek" / "current").write_text("k1\n")
    (keys / "blind-index.key").write_bytes(keystore.new_symmetric_key())
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.update(example_values())
    env["SAMVERKA_KEY_DIR"] = str(keys)
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_example_lists_every_variable_the_application_reads() -> None:
    read: set[str] = set()
    for source in [ROOT / "settings.py", ROOT / "keystore.py"]:
        read |= set(_READ.findall(source.read_text()))

    assert "DJANGO_SECRET_KEY" in read and "SAMVERKA_OIDC_CLIENT_ID" in read
    assert read - set(example_values()) == set()


def test_check_deploy_passes_at_warning_level_with_the_example(
    production_env: dict[str, str],
) -> None:
    result = _manage(production_env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_https_is_not_enforced(production_env: dict[str, str]) -> None:
    production_env["DJANGO_SECURE_SSL_REDIRECT"] = "0"

    result = _manage(production_env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "security.W008" in result.stderr


_HEADERS = """
import json
import django
django.setup()
from django.test import Client
client = Client()
page = client.get("/login/", secure=True, HTTP_HOST="samverka.example.se")
plain = client.get("/login/", HTTP_HOST="samverka.example.se")
print(json.dumps({
    "status": page.status_code,
    "headers": dict(page.headers),
    "cookies": {name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]),
                       "samesite": c["samesite"]} for name, c in page.cookies.items()},
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location", ""),
}))
"""


def test_production_pages_carry_hsts_csp_frame_denial_and_referrer_policy(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    production_env["DJANGO_STATIC_ROOT"] = str(tmp_path / "static")
    collected = _manage(production_env, "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr
    result = subprocess.run(
        [sys.executable, "-c", _HEADERS],
        cwd=ROOT,
        env={**production_env, "DJANGO_SETTINGS_MODULE": "settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    headers = {k.lower(): v for k, v in seen["headers"].items()}

    assert seen["status"] == 200
    assert headers["strict-transport-security"] == "max-age=63072000; includeSubDomains; preload"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    csp = {d.split()[0]: d.split()[1:] for d in headers["content-security-policy"].split("; ")}
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'", "wss://samverka.example.se"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert seen["cookies"]["__Host-csrftoken"]["secure"] is True
    # Plain http is sent to https.
    assert seen["plain_status"] == 301
    assert seen["plain_location"] == "https://samverka.example.se/login/"
