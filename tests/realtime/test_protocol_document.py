"""docs/protocol.md describes what the code does: every frame, error code and event kind."""

from __future__ import annotations

import re
from pathlib import Path

from coordination import errors as domain_errors
from realtime import consumers, errors, events, frames

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")


def _codes_raised_in(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return set(re.findall(r'(?:FrameError|_error)\(\s*"([a-z_]+)"', text))


def _event_kinds() -> set[str]:
    import consent.events  # noqa: F401 - registers its Event subclasses

    found: set[str] = set()
    pending = list(events.Event.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith(("realtime.", "consent.")):
            found.add(cls.kind)
    return found


def test_every_client_frame_type_is_documented() -> None:
    for frame_type, fields in frames.SCHEMAS.items():
        assert f'{{"type": "{frame_type}"' in DOCUMENT, frame_type
        for field in fields:
            assert f'"{field}"' in DOCUMENT, (frame_type, field)


def test_every_server_frame_type_is_documented() -> None:
    text = Path(consumers.__file__).read_text(encoding="utf-8")
    sent = set(re.findall(r'"type": "([a-z_]+)"', text))
    assert sent >= {"event", "subscribed", "ack", "error", "pong", "presence", "unsubscribed"}
    for frame_type in sent:
        assert f'{{"type": "{frame_type}"' in DOCUMENT, frame_type


def test_every_error_code_is_documented() -> None:
    codes = _codes_raised_in(Path(frames.__file__)) | _codes_raised_in(Path(consumers.__file__))
    codes |= {
        cls.code
        for module in (errors, domain_errors)
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, domain_errors.DomainError)
        and cls.code not in {"error", "forbidden", "invalid", "conflict"}
    }
    assert {
        "malformed_json",
        "rate_limited",
        "not_found",
        "access_lost",
        "message_too_large",
    } <= codes
    table = DOCUMENT.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    for code in codes:
        assert f"| `{code}` |" in table, code


def test_every_event_kind_is_documented() -> None:
    kinds = _event_kinds()
    assert {"message.created", "message.edited", "message.deleted", "case.created"} <= kinds
    for kind in kinds:
        assert f"`{kind}`" in DOCUMENT, kind
    assert '{"kind": "withheld"}' in DOCUMENT


def test_the_documented_limits_are_the_settings() -> None:
    from django.conf import settings

    assert f"{settings.SAMVERKA['REALTIME_MAX_FRAME_BYTES']:,}".replace(",", " ") in DOCUMENT
    assert f"{settings.SAMVERKA['REALTIME_MAX_MESSAGE_CHARS']:,}".replace(",", " ") in DOCUMENT
    assert "| 4403 |" in DOCUMENT and str(consumers.CLOSE_ACCESS_LOST) == "4403"
