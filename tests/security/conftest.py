"""Fixtures for the security tests: the second factor switched on, TOTP codes, a clean
login-throttle cache, and sessions signed in the way the login pages sign them in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination.services import accounts
from tests.fixtures import PASSWORD

__all__ = ["PASSWORD", "code_for", "device_for", "login_with_code"]


@pytest.fixture(autouse=True)
def _clean_login_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def second_factor_required(settings: Any) -> None:
    settings.SAMVERKA_REQUIRE_SECOND_FACTOR = True


def device_for(user: Any) -> TOTPDevice:
    """A confirmed TOTP device for ``user`` (as after enrolment)."""
    return TOTPDevice.objects.create(user=user, name=accounts.DEVICE_NAME, confirmed=True)


def code_for(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the person's app shows now (or ``offset_steps`` steps away)."""
    device.refresh_from_db()
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0 - offset_steps * device.step,
        digits=device.digits,
        drift=device.drift,
    )
    return f"{value:0{device.digits}d}"


def login_with_code(user: Any, device: TOTPDevice, client: Client | None = None) -> Client:
    """Sign in through both login steps, as a person would."""
    client = client or Client()
    first = client.post("/login/", {"username": user.get_username(), "password": PASSWORD})
    assert first.status_code == 302 and first["Location"] == "/login/kod/", first
    second = client.post("/login/kod/", {"token": code_for(device)})
    assert second.status_code == 302, second.content.decode()[:2000]
    return client
