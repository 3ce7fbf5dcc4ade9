"""Domain errors: a stable machine-readable code and a Swedish message for the person."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "error"
    status = 400
    default_message: Any = _("Åtgärden kunde inte utföras.")

    def __init__(self, message: Any = None, *, detail: dict[str, Any] | None = None) -> None:
        self.message = str(message or self.default_message)
        self.detail = detail or {}
        super().__init__(self.message)


class NotFound(DomainError):
    """Gives the same answer whether the thing does not exist or may not be seen."""

    code = "not_found"
    status = 404
    default_message = _("Finns inte, eller så saknar du behörighet.")


class Forbidden(DomainError):
    """The thing may be seen, but this person may not do this to it."""

    code = "forbidden"
    status = 403
    default_message = _("Du saknar behörighet för den här åtgärden.")


class Invalid(DomainError):
    code = "invalid"
    status = 400
    default_message = _("Uppgifterna är inte giltiga.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("Åtgärden går inte att utföra i ärendets nuvarande läge.")


class CaseErasedError(Conflict):
    code = "case_erased"
    default_message = _("Ärendet är gallrat; uppgifterna går inte längre att läsa.")
