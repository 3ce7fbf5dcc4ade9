"""Frames of protocol v1: what a client may send, checked before anything else runs.

A bad frame becomes a ``FrameError`` with a stable code and a Swedish message; the
connection answers with an error frame and stays open. The codes are listed, with the
frames, in docs/protocol.md.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

# The one encoding of an outgoing frame (a new JSONEncoder per json.dumps call otherwise).
encode = json.JSONEncoder(ensure_ascii=False).encode


def setting(name: str, default: float) -> float:
    return float(getattr(settings, "SAMVERKA", {}).get(name, default))


class FrameError(Exception):
    """A frame that cannot be served: ``code`` for programs, ``message`` for people."""

    def __init__(self, code: str, message: str, ref: Any = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.ref = ref


# Fields of each client frame: name -> (type, required). Unknown extra fields are
# ignored, so later clients can add fields without breaking older servers.
_STR, _INT = "str", "int"
SCHEMAS: dict[str, dict[str, tuple[str, bool]]] = {
    "subscribe": {"room": (_STR, True), "since": (_INT, False)},
    "unsubscribe": {"room": (_STR, True)},
    "send": {"room": (_STR, True), "client_id": (_STR, True), "body": (_STR, True)},
    "edit": {
        "room": (_STR, True),
        "client_id": (_STR, True),
        "message_id": (_STR, True),
        "body": (_STR, True),
    },
    "delete": {"room": (_STR, True), "client_id": (_STR, True), "message_id": (_STR, True)},
    "ping": {},
}
_UUID_FIELDS = ("client_id", "message_id")


@dataclass(frozen=True)
class Frame:
    type: str
    fields: dict[str, Any]
    ref: Any  # what an error frame about this frame echoes: client_id, room, or None


def _sendable(value: str) -> bool:
    """JSON may spell lone UTF-16 surrogates ("\\ud800"): such a string can be neither
    stored nor sent back in a text frame, so it is refused (and never echoed)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _ref(data: dict[str, Any]) -> Any:
    for key in ("client_id", "room"):
        value = data.get(key)
        if isinstance(value, str) and len(value) <= 100 and _sendable(value):
            return value
    return None


def _typed(value: Any, kind: str) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    # JSON true/false arrive as bool, which Python counts as int: not a number here.
    return isinstance(value, int) and not isinstance(value, bool)


def max_frame_bytes() -> int:
    return int(setting("REALTIME_MAX_FRAME_BYTES", 16384))


def parse(text_data: str | None, bytes_data: bytes | None) -> Frame:
    """The checked frame, or ``FrameError``."""
    if text_data is None:
        raise FrameError("binary_frame", _("Binära ramar stöds inte; skicka JSON som text."))
    limit = max_frame_bytes()
    if len(text_data) > limit or len(text_data.encode("utf-8", "surrogatepass")) > limit:
        raise FrameError(
            "frame_too_large", _("Ramen är för stor (högst %(bytes)d byte).") % {"bytes": limit}
        )
    try:
        data = json.loads(text_data)
    except ValueError:
        raise FrameError("malformed_json", _("Ramen är inte giltig JSON.")) from None
    if not isinstance(data, dict):
        raise FrameError("malformed_json", _("Ramen måste vara ett JSON-objekt."))
    ref = _ref(data)
    if "type" not in data:
        raise FrameError("missing_field", _("Fältet %(field)s saknas.") % {"field": "type"}, ref)
    frame_type = data["type"]
    if not isinstance(frame_type, str):
        raise FrameError("wrong_type", _("Fältet %(field)s har fel typ.") % {"field": "type"}, ref)
    schema = SCHEMAS.get(frame_type)
    if schema is None:
        raise FrameError("unknown_type", _("Okänd typ av ram."), ref)
    fields: dict[str, Any] = {}
    for name, (kind, required) in schema.items():
        if name not in data:
            if required:
                raise FrameError(
                    "missing_field", _("Fältet %(field)s saknas.") % {"field": name}, ref
                )
            continue
        value = data[name]
        if not _typed(value, kind):
            raise FrameError(
                "wrong_type", _("Fältet %(field)s har fel typ.") % {"field": name}, ref
            )
        if kind == _STR and not _sendable(value):
            raise FrameError(
                "invalid_value",
                _("Fältet %(field)s innehåller ogiltiga tecken.") % {"field": name},
                ref,
            )
        fields[name] = value
    for name in _UUID_FIELDS:
        if name in fields:
            try:
                fields[name] = uuid.UUID(fields[name])
            except ValueError:
                raise FrameError(
                    "invalid_value",
                    _("Fältet %(field)s ska vara ett UUID.") % {"field": name},
                    ref,
                ) from None
    if fields.get("since", 0) < 0:
        raise FrameError(
            "invalid_value", _("Fältet %(field)s får inte vara negativt.") % {"field": "since"}, ref
        )
    return Frame(type=frame_type, fields=fields, ref=ref)


class TokenBucket:
    """At most ``burst`` at once, refilled at ``per_second``: a per-connection rate limit."""

    def __init__(self, burst: float, per_second: float) -> None:
        self.burst = burst
        self.per_second = per_second
        self.tokens = burst
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def rate_limited(ref: Any) -> FrameError:
    return FrameError(
        "rate_limited", _("Du skickar för snabbt. Vänta en stund och försök igen."), ref
    )
