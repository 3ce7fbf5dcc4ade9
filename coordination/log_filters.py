"""Log records never carry identity data: every record is made safe when it is created.

The code logs pseudonymous references only, but some text comes from outside: Django
logs the path of every refused request ("Not Found: /arenden/19850612-2384/" when
someone types a personnummer into the address bar), and exception texts may quote input.
So every record's message (and its traceback text) is searched for personnummer and
samordningsnummer in any spelling, e-mail addresses and phone numbers, which are masked;
and a request's path is replaced by the route it matched, or by a placeholder when it
matched none (so no typed name survives either).

Installed from settings.py as the log record factory, so it holds for every logger and
every handler, pytest's capture included.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_PERSONNUMMER = re.compile(r"(?<![\w-])(?:\d{2})?\d{6}[-+ ]?\d{4}(?![\w-])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*")
_PHONE = re.compile(r"(?<![\w+])(?:\+46|0046|0)[\s-]?[1-9]\d{0,2}(?:[\s-]?\d){5,8}(?![\w-])")
UNMATCHED = "[adress utan träff]"

_installed = False


def mask(text: str) -> str:
    text = _EMAIL.sub("[e-post]", text)
    text = _PERSONNUMMER.sub("[personnummer]", text)
    return _PHONE.sub("[telefon]", text)


# Loggers whose string arguments starting with "/" are request paths.
_REQUEST_LOGGERS = ("django.request", "django.server", "django.security", "daphne")


def safe_path(path: str) -> str:
    """The route a path matched (its ids as <uuid:case_id>), or a placeholder."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path.split("?", 1)[0])
    except (Resolver404, Exception):
        return UNMATCHED
    return "/" + str(match.route) if match.route else UNMATCHED


def _is_path(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("/")


def _make_safe(record: logging.LogRecord) -> logging.LogRecord:
    if record.name.startswith(_REQUEST_LOGGERS) and isinstance(record.args, tuple):
        record.args = tuple(safe_path(str(a)) if _is_path(a) else a for a in record.args)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the template, drop the arguments
        message = str(record.msg)
    record.msg = mask(message)
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
    return record


def install() -> None:
    """Make every log record safe when it is created (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _make_safe(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True


access_logger = logging.getLogger("samverka.access")


def _websocket_route(path: str) -> str:
    from realtime.routing import websocket_urlpatterns

    known = {"/" + str(pattern.pattern) for pattern in websocket_urlpatterns}
    return path if path in known else UNMATCHED


class AccessLog:
    """ASGI middleware: one access-log line per request or WebSocket, naming the route
    (never the raw path, which may hold whatever someone typed). Daphne's own access log
    writes raw paths, so Daphne runs with ``--verbosity 0`` and this one takes its place.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ["-"])[0]
        path = scope.get("path", "")
        route = safe_path(path) if kind == "http" else _websocket_route(path)
        status: list[int] = []

        async def watch(message: Any) -> None:
            if message.get("type") == "http.response.start":
                status.append(int(message.get("status", 0)))
            elif message.get("type") == "websocket.accept":
                access_logger.info("%s WSCONNECT %s", client, route)
            elif message.get("type") == "websocket.close" and not status:
                status.append(int(message.get("code", 1000)))
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if kind == "http":
                access_logger.info(
                    "%s %s %s %s",
                    client,
                    scope.get("method", "-"),
                    route,
                    status[0] if status else "-",
                )
            else:
                access_logger.info("%s WSDISCONNECT %s", client, route)
