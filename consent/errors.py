"""Domain errors of consent and disclosure, each with a stable code and a Swedish message."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from coordination.errors import Conflict, Forbidden


class DisclosureRefused(Forbidden):
    """The policy refused a disclosure; ``code`` says which condition was missing."""

    code = "disclosure_refused"

    def __init__(self, message: Any = None, *, code: str = "", detail: Any = None) -> None:
        super().__init__(message, detail=detail)
        if code:
            self.code = code


class ConsentRevokedError(Conflict):
    code = "consent_revoked"
    default_message = _("Samtycket är återkallat.")


class ConsentExpiredError(Conflict):
    code = "consent_expired"
    default_message = _("Samtycket har gått ut; registrera ett nytt samtycke.")
