"""The redaction preview: the case officer's draft, what the anonymiser removed and why.

Nothing is shared from here. The officer sees the redacted text with every replacement
marked, a table of what was removed and why, and the rarity warnings, and confirms the
exact version they saw; booking a presentation uses the confirmation later.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from consent.anonymiser import case_brief
from coordination import selectors
from coordination.errors import DomainError, NotFound
from coordination.models import Case

MAX_TEXT_LENGTH = 20_000


class RedactionForm(forms.Form):
    text = forms.CharField(
        label=_("Ditt utkast"),
        help_text=_(
            "Skriv som du skulle beskriva ärendet. Namn, nummer, adresser och andra "
            "uppgifter som pekar ut personen tas bort eller görs mer allmänna i "
            "förhandsgranskningen."
        ),
        max_length=MAX_TEXT_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "true"}),
    )
    reviewed = forms.BooleanField(
        label=_(
            "Jag har granskat avidentifieringen och bedömer att ingen i gruppen kan "
            "förstå vem det gäller."
        ),
        required=False,
    )
    fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)


def _case(request: HttpRequest, case_id: uuid.UUID) -> Case:
    try:
        return selectors.case_get(user=request.user, case_id=case_id)
    except NotFound as exc:
        # The same page whether the case does not exist or may not be seen.
        raise Http404() from exc


def _preview_context(draft: case_brief.Draft) -> dict[str, Any]:
    result = draft.result
    rows = [
        {
            "number": number,
            "label": redaction.label,
            "removed": draft.source[redaction.start : redaction.end],
            "replacement": redaction.replacement,
            "reason": redaction.reason,
            "generalised": redaction.generalised,
        }
        for number, redaction in enumerate(result.redactions, start=1)
    ]
    warnings = [
        {
            "code": warning.code,
            "message": warning.message,
            "details": [result.text[start:end] for start, end in warning.spans],
        }
        for warning in result.warnings
    ]
    return {
        "draft": draft,
        "segments": result.segments(),
        "rows": rows,
        "warnings": warnings,
        "summary": result.summary,
    }


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def redaction_preview(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    context: dict[str, Any] = {"case": case, "confirmed": False}
    if request.method != "POST":
        context["form"] = RedactionForm()
        return render(request, "consent/redaction_preview.html", context)

    form = RedactionForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "consent/redaction_preview.html", context, status=400)
    text = form.cleaned_data["text"]
    confirming = request.POST.get("action") == "confirm"
    try:
        if confirming and not form.cleaned_data["reviewed"]:
            form.add_error(
                "reviewed", _("Kryssa i att du har granskat avidentifieringen för att bekräfta.")
            )
            case, draft = case_brief.brief_preview(user=request.user, case_id=case.id, text=text)
        elif confirming:
            case, draft = case_brief.brief_confirm(
                user=request.user,
                case_id=case.id,
                text=text,
                fingerprint=form.cleaned_data["fingerprint"],
            )
            context["confirmed"] = True
        else:
            case, draft = case_brief.brief_preview(user=request.user, case_id=case.id, text=text)
    except NotFound as exc:
        raise Http404() from exc
    except DomainError as error:
        if error.detail.get("field") != "text":
            form.add_error(None, error.message)
            return render(request, "consent/redaction_preview.html", context, status=400)
        # The text changed since the preview: show the new preview, unconfirmed.
        form.add_error(None, error.message)
        case, draft = case_brief.brief_preview(user=request.user, case_id=case.id, text=text)
    context.update(_preview_context(draft), case=case)
    status = 400 if form.errors else 200
    return render(request, "consent/redaction_preview.html", context, status=status)
