"""Errors of the realtime services: each a stable code and a Swedish message.

They extend the domain errors, so the REST API maps them like every other one.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from coordination.errors import Conflict, Forbidden, Invalid


class EmptyMessage(Invalid):
    code = "empty_message"
    default_message = _("Meddelandet är tomt.")


class MessageTooLarge(Invalid):
    code = "message_too_large"
    default_message = _("Meddelandet är för långt.")


class IdentifyingText(Invalid):
    code = "identifying_text"
    default_message = _(
        "Meddelandet innehåller ett personnummer. I ett möte där ärenden dras "
        "avidentifierat får inget skrivas som pekar ut en person."
    )


class ReadOnlyRoom(Forbidden):
    code = "read_only_room"
    default_message = _("Det går inte att skriva i det här rummet.")


class NotYourMessage(Forbidden):
    code = "not_your_message"
    default_message = _("Bara den som skrev meddelandet kan ändra eller ta bort det.")


class MessageDeletedError(Conflict):
    code = "message_deleted"
    default_message = _("Meddelandet är borttaget.")


class MeetingClosed(Conflict):
    code = "meeting_closed"
    default_message = _("Mötet är avslutat; det går inte längre att skriva i det.")
