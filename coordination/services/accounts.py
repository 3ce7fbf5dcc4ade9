"""Accounts: the second factor (TOTP), login throttling, re-authentication, the end of a
person's sessions, and the link between a single sign-on subject and a person.

Login counters live in Django's cache (Redis in production, so every Daphne process
counts together): a counter per username and one per client address, each kept for a
fixed window from its first failure. django-axes would add a database table, signals and
its own middleware for what two cache counters do; its lockout rules are the same.
Usernames are hashed in cache keys and recorded in the audit trail only when they name an
existing account, since people sometimes type their personnummer into the username field.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import record
from consent import policy
from coordination import identity
from coordination.errors import Forbidden, Invalid

# Session keys: how the second factor was given, and when the person last re-authenticated.
SECOND_FACTOR_SESSION_KEY = "samverka_second_factor"
REAUTH_SESSION_KEY = policy.REAUTH_SESSION_KEY
SSO = "sso"
TOTP = "totp"
DEVICE_NAME = "Samverka"


def second_factor_required() -> bool:
    return bool(getattr(settings, "SAMVERKA_REQUIRE_SECOND_FACTOR", False))


# -- the second factor ---------------------------------------------------------------------


def confirmed_device(user: Any) -> TOTPDevice | None:
    if user is None or getattr(user, "pk", None) is None:
        return None
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("id").first()


def has_confirmed_device(user: Any) -> bool:
    return confirmed_device(user) is not None


def session_second_factor_ok(user: Any, session: Any) -> bool:
    """Whether this signed-in session may be used: the second factor was given in it
    (a TOTP device that still exists and is confirmed, or a strong SSO login), or the
    second factor is not required here."""
    if not second_factor_required():
        return True
    if user is None or not user.is_authenticated:
        return False
    if session.get(SECOND_FACTOR_SESSION_KEY) == SSO:
        return True
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    if device is None:
        return False
    return bool(device.user_id == user.pk and device.confirmed)


def totp_enrol_start(*, user: Any) -> TOTPDevice:
    """The person's unconfirmed TOTP device (a new secret unless one is waiting)."""
    waiting = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).first()
    if waiting is not None:
        return waiting
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


@transaction.atomic
def totp_enrol_confirm(*, user: Any, token: str) -> TOTPDevice:
    """Confirm the waiting device with a code from the app; ``Invalid`` if it is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=False).first()
    if device is None or not device.verify_token(_digits(token)):
        raise Invalid(_wrong_code())
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=user.pk).exclude(pk=device.pk).delete()
    record(actor=user, action="otp.enrolled", detail={"device": "totp"})
    return device


def totp_verify(*, user: Any, token: str) -> TOTPDevice | None:
    """The confirmed device the code belongs to, or None (the device throttles guesses)."""
    device = confirmed_device(user)
    if device is None or not device.verify_token(_digits(token)):
        return None
    return device


def _digits(token: Any) -> str:
    return "".join(ch for ch in str(token or "") if ch.isdigit())[:8]


def _wrong_code() -> str:
    from django.utils.translation import gettext as _

    return _("Koden stämmer inte. Kontrollera klockan i din app och försök igen.")


# -- login throttling ---------------------------------------------------------------------


def _limits() -> dict[str, int]:
    defaults = {"USER_FAILURES": 5, "IP_FAILURES": 20, "WINDOW_SECONDS": 900}
    return {**defaults, **getattr(settings, "SAMVERKA_LOGIN_THROTTLE", {})}


def _username_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
    return f"login-failures:user:{digest}"


def _ip_key(ip: str) -> str:
    return f"login-failures:ip:{hashlib.sha256(ip.encode()).hexdigest()}"


def _count(key: str) -> int:
    return int(cache.get(key, 0))


def _increment(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)  # the window starts at the first failure
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def login_locked(*, username: str, ip: str) -> bool:
    """Whether further login attempts for this username or from this address are refused."""
    limits = _limits()
    if username and _count(_username_key(username)) >= limits["USER_FAILURES"]:
        return True
    return bool(ip) and _count(_ip_key(ip)) >= limits["IP_FAILURES"]


def lockout_minutes() -> int:
    return max(1, _limits()["WINDOW_SECONDS"] // 60)


def _known_username(username: str) -> str:
    """The username as recorded: only when it names an account (it may be anything)."""
    users = get_user_model().objects.filter(username=username.strip())
    return username.strip() if username and users.exists() else ""


@transaction.atomic
def login_failed(*, username: str, ip: str, stage: str) -> bool:
    """Count a failed password or code; True when this failure locks further attempts."""
    limits = _limits()
    window = limits["WINDOW_SECONDS"]
    by_user = _increment(_username_key(username), window) if username else 0
    by_ip = _increment(_ip_key(ip), window) if ip else 0
    locked = by_user == limits["USER_FAILURES"] or by_ip == limits["IP_FAILURES"]
    known = _known_username(username)
    record(
        actor=None,
        action="login.locked" if locked else "login.failed",
        detail={"username": known, "ip": ip, "stage": stage},
    )
    return locked


@transaction.atomic
def login_refused_locked(*, username: str, ip: str) -> None:
    record(
        actor=None,
        action="login.refused_locked",
        detail={"username": _known_username(username), "ip": ip},
    )


@transaction.atomic
def login_succeeded(*, user: Any, ip: str, method: str) -> None:
    cache.delete(_username_key(user.get_username()))
    record(actor=user, action="login.succeeded", detail={"method": method, "ip": ip})


# -- re-authentication --------------------------------------------------------------------


@transaction.atomic
def reauth_record(*, user: Any, session: SessionBase, method: str) -> None:
    """The person proved again, just now, that they are themselves."""
    session[REAUTH_SESSION_KEY] = time.time()
    record(actor=user, action="reauth.succeeded", detail={"method": method})


# -- the end of a person's sessions -------------------------------------------------------


def user_sessions_end(user: Any) -> int:
    """Delete every stored session of ``user``; returns how many there were.

    With database-backed sessions (the default) each live session is read to find its
    owner. Open WebSocket connections of the person notice at their next access check,
    which ``user_deactivate`` triggers at once.
    """
    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    model = getattr(store_class, "get_model_class", None)
    if model is None:
        return 0
    sessions = model().objects.filter(expire_date__gt=timezone.now())
    mine = [s.session_key for s in sessions if s.get_decoded().get("_auth_user_id") == str(user.pk)]
    model().objects.filter(session_key__in=mine).delete()
    return len(mine)


# -- single sign-on subjects ----------------------------------------------------------------


def sso_subject_digest(subject: str) -> str:
    """A keyed hash of the provider's subject, so the value itself is never stored.

    A personnummer is normalised first (any spelling gives one digest). The key is the
    blind-index key with its own label, so these digests never equal a case's index.
    """
    import keystore

    value = str(subject).strip()
    with contextlib.suppress(identity.InvalidIdentityNumber):
        value = identity.normalise(value)
    secret = keystore.blind_index_key(settings.KEY_DIR)
    key = hmac.new(secret, b"samverka-sso-subject", hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def sso_subject_link(*, actor: Any, user: Any, subject: str) -> None:
    """Let ``user`` sign in through single sign-on as ``subject`` (administrators only)."""
    from frontend.models import SsoSubject

    if actor is not None and not policy.may_administer(actor):
        raise Forbidden()
    if not str(subject).strip():
        raise Invalid(detail={"field": "subject"})
    SsoSubject.objects.update_or_create(user=user, defaults={"digest": sso_subject_digest(subject)})
    record(actor=actor, action="sso.linked", detail={"username": user.get_username()})


def sso_user_for_subject(subject: str) -> Any:
    """The active person linked to ``subject``, or None: unknown subjects are never created."""
    from frontend.models import SsoSubject

    link = (
        SsoSubject.objects.select_related("user")
        .filter(digest=sso_subject_digest(subject), user__is_active=True)
        .first()
    )
    return link.user if link is not None else None
