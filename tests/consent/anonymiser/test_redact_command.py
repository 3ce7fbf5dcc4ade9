"""``manage.py redact`` (DESIGN §5.2): JSON in, JSON out, offsets into the input."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from consent.management.commands.redact import BadInput

ROOT = Path(__file__).resolve().parents[3]

IDENTIFIERS = {
    "names": ["Lina Andersson"],
    "personnummer": ["19850612-2384"],
    "addresses": ["Storgatan 12"],
    "phones": ["070-123 45 67"],
    "emails": ["lina.andersson@example.se"],
    "schools": ["Charlottenborgsskolan"],
    "other": [],
}


def redact(payload: Any) -> tuple[dict[str, Any], str]:
    out = StringIO()
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    call_command("redact", stdin=StringIO(raw), stdout=out, year=2026)
    return json.loads(out.getvalue()), out.getvalue()


def test_redacts_and_reports_offsets_into_the_input() -> None:
    text = "LINAS nummer är 850612+2384, hon bor på storgatan  12 och går på Charlottenborgsskolan."
    output, raw = redact({"text": text, "identifiers": IDENTIFIERS})

    assert output["text"] == (
        "[namn] nummer är [personnummer], hon bor på [adress] och går på [skola]."
    )
    assert [(text[r["start"] : r["end"]], r["category"]) for r in output["redactions"]] == [
        ("LINAS", "name"),
        ("850612+2384", "personnummer"),
        ("storgatan  12", "address"),
        ("Charlottenborgsskolan", "school"),
    ]
    assert all(set(r) == {"start", "end", "category", "replacement"} for r in output["redactions"])
    assert raw.endswith("\n") and raw.count("\n") == 1


def test_finds_identifiers_not_registered_and_generalises() -> None:
    text = "Grannen nås på +46 73 555 12 34 och kent@example.com. Hon är 34 år och bor i Motala."
    output, _raw = redact({"text": text, "identifiers": {}})
    assert output["text"] == (
        "Grannen nås på [telefon] och [e-post]. Hon är 30–39 år och bor i en kommun i "
        "västra länsdelen."
    )


def test_accepts_missing_lists_and_the_optional_relatives_and_children() -> None:
    payload = {
        "text": "Mikael hämtade Elsa och Oskar.",
        "identifiers": {
            "relatives": ["Mikael"],
            "children": [
                {"name": "Elsa", "birth_date": "2015-08-22"},
                {"name": "Oskar", "personnummer": "20180103-2382"},
            ],
        },
    }
    output, _raw = redact(payload)
    assert output["text"] == "[anhörig] hämtade två barn i åldrarna 5–14 år."


def test_output_keeps_swedish_characters_unescaped() -> None:
    _output, raw = redact({"text": "Åsa i Motala", "identifiers": {}})
    assert "länsdelen" in raw and "\\u" not in raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Ingen indata"),
        ("{inte json", "Indata är inte giltig JSON (rad 1, kolumn 2)."),
        ("[1, 2]", "Indata ska vara ett JSON-objekt"),
        ('{"identifiers": {}}', "”text” saknas eller är inte en text."),
        ('{"text": 5, "identifiers": {}}', "”text” saknas eller är inte en text."),
        ('{"text": "x"}', "”identifiers” saknas."),
        ('{"text": "x", "identifiers": [], "extra": 1}', "Okända nycklar i indata: ”extra”."),
        ('{"text": "x", "identifiers": []}', "”identifiers” ska vara ett objekt."),
        (
            '{"text": "x", "identifiers": {"names": [1]}}',
            "”identifiers.names[0]” ska vara en text.",
        ),
        ('{"text": "x", "identifiers": {"phone": []}}', "Okända nycklar i ”identifiers”"),
    ],
)
def test_bad_input_gets_a_swedish_error_and_no_output(raw: str, message: str) -> None:
    out = StringIO()
    with pytest.raises(BadInput) as error:
        call_command("redact", stdin=StringIO(raw), stdout=out)
    assert message in str(error.value)
    assert out.getvalue() == ""


def _run(stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "manage.py", "redact"],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_from_the_shell_bad_input_exits_2_with_stderr_only() -> None:
    bad = _run(b'{"text": "x", "identifiers": {"names": "Lina"}}')
    assert bad.returncode == 2
    assert bad.stdout == b""
    assert bad.stderr.decode() == "redact: ”identifiers.names” ska vara en lista med texter.\n"

    not_utf8 = _run(b'{"text": "\xff"}')
    assert not_utf8.returncode == 2
    assert not_utf8.stdout == b""
    assert "inte giltig UTF-8" in not_utf8.stderr.decode()


def test_from_the_shell_good_input_exits_0() -> None:
    done = _run(json.dumps({"text": "Ring 070-123 45 67", "identifiers": {}}).encode())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "text": "Ring [telefon]",
        "redactions": [{"start": 5, "end": 18, "category": "phone", "replacement": "[telefon]"}],
    }
