"""Lists of trail entries as CSV (for a spreadsheet) and JSON (for programs)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from audit import describe
from audit.models import AuditEvent
from audit.services.trail import entry_dict

# Spreadsheet programs run cells that begin like a formula; a leading apostrophe stops that.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


COLUMNS: list[tuple[str, Callable[[AuditEvent, dict[Any, str]], Any]]] = [
    ("Löpnummer", lambda e, names: e.seq),
    ("Tidpunkt", lambda e, names: timezone.localtime(e.at).isoformat(timespec="seconds")),
    ("Händelse", lambda e, names: e.action),
    ("Beskrivning", lambda e, names: describe.action_label(e.action)),
    ("Ärende", lambda e, names: e.case_ref),
    ("Utförare", lambda e, names: e.actor),
    ("Namn", lambda e, names: names.get(e.actor_user_id, "")),
    ("Myndighet", lambda e, names: e.actor_agency),
    ("Enhet", lambda e, names: e.actor_unit),
    ("Rättslig grund", lambda e, names: e.legal_basis),
    ("Mottagare", lambda e, names: e.recipients),
    ("Uppgifter", lambda e, names: describe.field_labels(e.fields)),
    ("Flaggad", lambda e, names: "ja" if e.detail.get("flagged") is True else ""),
    ("Hash", lambda e, names: e.hash),
]


def csv_response(rows: list[AuditEvent], names: dict[Any, str], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    # Semicolons and a byte-order mark: what Swedish spreadsheet programs open directly.
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([title for title, _get in COLUMNS])
    for event in rows:
        writer.writerow([_cell(get(event, names)) for _title, get in COLUMNS])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def json_response(
    rows: list[AuditEvent], *, view: str, filters: dict[str, Any], filename: str
) -> HttpResponse:
    body = {
        "view": view,
        "filters": filters,
        "exported_at": timezone.now().isoformat(),
        "entries": [entry_dict(e) for e in rows],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    return response
