"""Signing in and proving it again: password, the TOTP code, enrolment, re-authentication.

Login takes two steps when the person has a TOTP device (and always when the second
factor is required, as in production): the password step only remembers who is on the
way in; the session is signed in after the code. So nothing (pages, API, WebSocket) ever
sees a session signed in with the password alone. Failed passwords and codes count
against the username and the client address (``accounts.login_failed``).
"""

from __future__ import annotations

import base64
import time
from typing import Any

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination.errors import Invalid
from coordination.services import accounts

PENDING_SESSION_KEY = "samverka_pending_login"
PENDING_SECONDS = 300


def client_ip(request: HttpRequest) -> str:
    """The client's address as Daphne saw it (behind a proxy: run Daphne with
    ``--proxy-headers`` so that it is the forwarded address)."""
    return str(request.META.get("REMOTE_ADDR") or "")


def _locked_message() -> str:
    return _(
        "För många misslyckade inloggningsförsök. Vänta %(minutes)d minuter och försök "
        "sedan igen, eller kontakta din systemförvaltare."
    ) % {"minutes": accounts.lockout_minutes()}


def _safe_next(request: HttpRequest, value: Any, default: str) -> str:
    target = str(value or "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class CodeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Kod från appen"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Lösenord"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    token = forms.CharField(
        label=gettext_lazy("Kod från appen"),
        max_length=12,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


# -- step one: the password ----------------------------------------------------------------


class SamverkaLoginView(LoginView):
    """Django's login form, with throttling and, where needed, a second step."""

    template_name = "frontend/login.html"
    redirect_authenticated_user = True

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        return sensitive_post_parameters("password")(super().as_view(**initkwargs))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from frontend import sso

        return {**super().get_context_data(**kwargs), "sso_enabled": sso.enabled()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = str(request.POST.get("username", ""))[:150]
        if accounts.login_locked(username=username, ip=client_ip(request)):
            accounts.login_refused_locked(username=username, ip=client_ip(request))
            # An unbound form: a bound one would try the password while locked.
            form = self.get_form_class()(self.request, initial={"username": username})
            form.cleaned_data = {}
            form.add_error(None, _locked_message())
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        username = str(self.request.POST.get("username", ""))[:150]
        if accounts.login_failed(username=username, ip=client_ip(self.request), stage="password"):
            form.add_error(None, _locked_message())
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        has_device = accounts.has_confirmed_device(user)
        if not has_device and not accounts.second_factor_required():
            response = super().form_valid(form)
            accounts.login_succeeded(user=user, ip=client_ip(self.request), method="password")
            return response
        self.request.session.cycle_key()
        self.request.session[PENDING_SESSION_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("frontend:login_code" if has_device else "frontend:otp_enrol")


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    return user, pending


def _complete_login(
    request: HttpRequest, user: Any, pending: dict[str, Any], device: TOTPDevice
) -> HttpResponse:
    request.session.pop(PENDING_SESSION_KEY, None)
    auth_login(request, user, backend=pending["backend"])
    django_otp.login(request, device)
    request.session[accounts.SECOND_FACTOR_SESSION_KEY] = accounts.TOTP
    accounts.login_succeeded(user=user, ip=client_ip(request), method="password+totp")
    return HttpResponseRedirect(
        _safe_next(request, pending.get("next"), settings.LOGIN_REDIRECT_URL)
    )


# -- step two: the code ----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    found = _pending_user(request)
    if found is None:
        return redirect("frontend:login")
    user, pending = found
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        ip = client_ip(request)
        if accounts.login_locked(username=user.get_username(), ip=ip):
            accounts.login_refused_locked(username=user.get_username(), ip=ip)
            form.add_error(None, _locked_message())
            status = 429
        elif form.is_valid():
            device = accounts.totp_verify(user=user, token=form.cleaned_data["token"])
            if device is not None:
                return _complete_login(request, user, pending, device)
            accounts.login_failed(username=user.get_username(), ip=ip, stage="otp")
            form.add_error("token", accounts._wrong_code())
            status = 400
    return render(request, "frontend/auth/code.html", {"form": form}, status=status)


# -- enrolment -------------------------------------------------------------------------------


def qr_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// address as a QR code: an SVG, made here, as a data: URI
    (allowed by the page's img-src), so no script or inline style is needed."""
    svg = segno.make(device.config_url, error="m").svg_inline(scale=5, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _secret_for_people(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Add the authenticator app: on the way in (when the second factor is required and
    the person has none yet) or, signed in, from the account."""
    found = _pending_user(request)
    if found is not None:
        user, pending = found
    elif request.user.is_authenticated:
        user, pending = request.user, {}
    else:
        return redirect("frontend:login")
    device = accounts.totp_enrol_start(user=user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = accounts.totp_enrol_confirm(user=user, token=form.cleaned_data["token"])
        except Invalid as exc:
            accounts.login_failed(
                username=user.get_username(), ip=client_ip(request), stage="enrol"
            )
            form.add_error("token", exc.message)
            status = 400
        else:
            if pending:
                return _complete_login(request, user, pending, device)
            django_otp.login(request, device)
            request.session[accounts.SECOND_FACTOR_SESSION_KEY] = accounts.TOTP
            messages.success(request, _("Tvåstegsverifieringen är påslagen."))
            return redirect("frontend:start")
    context = {
        "form": form,
        "qr": qr_data_uri(device),
        "secret": _secret_for_people(device),
        "on_the_way_in": bool(pending),
    }
    return render(request, "frontend/auth/enrol.html", context, status=status)


# -- re-authentication -----------------------------------------------------------------------


@never_cache
@login_required
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def reauth(request: HttpRequest) -> HttpResponse:
    """Password (and code, when the person has a device) once more, before erasure, key
    rotation or the audit export; the session remembers it for five minutes."""
    user = request.user
    needs_code = accounts.has_confirmed_device(user)
    next_url = _safe_next(
        request, request.POST.get("next") or request.GET.get("next"), reverse("frontend:start")
    )
    form = ReauthForm(request.POST or None)
    status = 200
    if request.method == "POST":
        ip = client_ip(request)
        if accounts.login_locked(username=user.get_username(), ip=ip):
            accounts.login_refused_locked(username=user.get_username(), ip=ip)
            form.add_error(None, _locked_message())
            status = 429
        elif form.is_valid():
            password_ok = user.check_password(form.cleaned_data["password"])
            code_ok = not needs_code or (
                password_ok
                and accounts.totp_verify(user=user, token=form.cleaned_data["token"]) is not None
            )
            if password_ok and code_ok:
                accounts.reauth_record(
                    user=user,
                    session=request.session,
                    method="password+totp" if needs_code else "password",
                )
                return HttpResponseRedirect(next_url)
            accounts.login_failed(username=user.get_username(), ip=ip, stage="reauth")
            form.add_error(None, _("Lösenordet eller koden stämmer inte."))
            status = 400
    context = {"form": form, "needs_code": needs_code, "next": next_url}
    return render(request, "frontend/auth/reauth.html", context, status=status)


def reauth_redirect(request: HttpRequest, next_url: str) -> HttpResponse:
    """Send the person to re-authenticate, then back to ``next_url``."""
    messages.info(request, _("Bekräfta att det är du innan du fortsätter."))
    return HttpResponseRedirect(f"{reverse('frontend:reauth')}?next={next_url}")
