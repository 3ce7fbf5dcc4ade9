"""``{% load statistics_nav %}{% statistics_nav_items %}``: the main menu's links to the
statistics (for those who may see any) and to the year's agenda (for everyone)."""

from __future__ import annotations

from typing import Any

from django import template

from coordination import selectors_statistics

register = template.Library()


@register.inclusion_tag("frontend/statistics/_nav.html", takes_context=True)
def statistics_nav_items(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    current = getattr(getattr(request, "resolver_match", None), "view_name", "")
    return {
        "signed_in": signed_in,
        "statistics": signed_in and bool(selectors_statistics.scopes_for(user)),
        "current": current,
    }
