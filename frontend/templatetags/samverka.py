"""Template filters shared by Samverka's pages: ``{% load samverka %}``."""

from __future__ import annotations

from django import template

from frontend import labels

register = template.Library()


@register.filter
def basis_label(code: str) -> str:
    """``{{ decision.basis|basis_label }}``: the disclosure basis in plain Swedish."""
    return labels.basis_label(code)
