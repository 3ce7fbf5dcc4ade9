"""Template tags of the konsultativ grupp, referrals and concern reports:
``{% load consultation %}``.

``{% consultation_start %}`` puts the person's återkoppling tasks, incoming referrals and
concern reports, their own reports and their forums on the start page;
``{% consultation_panel view %}`` puts bookings and referrals on the case page.
"""

from __future__ import annotations

from typing import Any

from django import template

from coordination import selectors_consultation

register = template.Library()


def _user(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("frontend/consultation/_start.html", takes_context=True)
def consultation_start(context: template.Context) -> dict[str, Any]:
    user = _user(context)
    start = selectors_consultation.start_consultation(user=user) if user is not None else None
    return {"start": start, "request": context.get("request")}


@register.inclusion_tag("frontend/consultation/_case_panel.html", takes_context=True)
def consultation_panel(context: template.Context, view: Any) -> dict[str, Any]:
    user = _user(context)
    panel = None
    if user is not None:
        panel = selectors_consultation.case_consultation(user=user, case=view.case)
    return {"panel": panel, "request": context.get("request")}
