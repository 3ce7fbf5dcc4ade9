"""Template tags of the styrgrupp pages: ``{% load meetings %}``.

``{% styrgrupp_panel view %}`` puts the incident form and the offer to convene on the
case page; ``{% inbox_count as n %}`` gives the header its number of unanswered calls.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.translation import gettext as _

from coordination import selectors_meetings
from coordination.errors import NotFound
from coordination.services.meetings import name_of

register = template.Library()


@register.inclusion_tag("frontend/meetings/_case_panel.html", takes_context=True)
def styrgrupp_panel(context: template.Context, view: Any) -> dict[str, Any]:
    from frontend.views_meetings import incident_form

    request = context.get("request")
    user = getattr(request, "user", None)
    case = view.case
    panel = None
    if not view.erased and user is not None:
        try:
            panel = selectors_meetings.case_styrgrupp(user=user, case=case)
        except NotFound:
            panel = None
    return {
        "case": case,
        "panel": panel,
        "form": incident_form() if panel is not None else None,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.simple_tag(takes_context=True)
def inbox_count(context: template.Context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return selectors_meetings.inbox_count(user=user)


@register.filter
def duration(value: dt.timedelta | None) -> str:
    """``1 h 05 min``, ``12 min``; a dash when unknown."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    if minutes < 0:
        return "–"
    hours, minutes = divmod(minutes, 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


@register.filter
def percent(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{round(value * 100)} %"


@register.filter
def person(user: Any) -> str:
    return name_of(user)


@register.filter
def lookup(mapping: dict[str, Any], key: Any) -> Any:
    return mapping.get(str(key), []) if mapping else []
