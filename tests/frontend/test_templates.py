"""Every template works under a strict Content-Security-Policy: no inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "var", "node_modules", ".git"}

_SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
_STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
_JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def _templates() -> list[Path]:
    found = []
    for path in ROOT.rglob("templates/**/*.html"):
        if not SKIP.intersection(path.relative_to(ROOT).parts):
            found.append(path)
    return sorted(found)


TEMPLATES = _templates()


def test_the_frontend_templates_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in TEMPLATES}
    for name in ("base.html", "login.html", "start.html", "case.html"):
        assert f"frontend/templates/frontend/{name}" in names
    for name in ("404.html", "403.html", "500.html"):
        assert f"frontend/templates/{name}" in names


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_template_has_no_inline_script_or_style(path: Path) -> None:
    text = path.read_text(encoding="utf-8")

    for attributes in _SCRIPT.findall(text):
        assert re.search(r"\ssrc\s*=", attributes), f"inline <script> in {path}"
    assert not _STYLE_ATTRIBUTE.search(text), f"style= attribute in {path}"
    assert not _STYLE_ELEMENT.search(text), f"<style> element in {path}"
    assert not _EVENT_HANDLER.search(text), f"inline event handler (on...=) in {path}"
    assert not _JAVASCRIPT_URL.search(text), f"javascript: URL in {path}"
