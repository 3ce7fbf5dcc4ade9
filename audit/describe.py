"""Plain-Swedish wording for what the trail records: actions, fields, bases and reasons.

Used by the auditor's pages and by the register extract that a client reads, so the
sentences avoid codes and jargon; an unknown code is shown as it is rather than hidden.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FIELD_LABELS: dict[str, Promise] = {
    "name": _("namn"),
    "nicknames": _("andra namn"),
    "personnummer": _("personnummer"),
    "address": _("adress"),
    "phone": _("telefonnummer"),
    "email": _("e-postadress"),
    "children": _("uppgifter om barn"),
    "relatives": _("uppgifter om anhöriga"),
    "school": _("skola eller förskola"),
    "situation": _("situation och händelser"),
    "risk": _("riskbedömningar"),
    "health": _("hälsa"),
    "support": _("insatser och stöd"),
}

# What the person did, as the second half of "<person> <did this>".
ACTION_LABELS: dict[str, Promise] = {
    "case.created": _("registrerade ärendet"),
    "case.viewed": _("läste uppgifter i ärendet"),
    "case.identity_registered": _("registrerade eller ändrade personuppgifter"),
    "case.officer_assigned": _("lade till en handläggare i ärendet"),
    "case.erased": _("gallrade ärendet"),
    "incident.registered": _("registrerade en händelse"),
    "risk_assessment.added": _("registrerade en riskbedömning"),
    "case_facts.recorded": _("registrerade antal barn och vuxna för statistiken"),
    "audit.searched": _("granskade loggen för ärendet"),
    "audit.register_extract": _("tog fram ett registerutdrag"),
    "access_review.item_marked": _("bedömde en åtkomst vid loggkontroll"),
}
PREFIX_LABELS: dict[str, Promise] = {
    "disclosure.": _("lämnade ut uppgifter"),
    "presentation.": _("tog upp ärendet i ett samverkansmöte"),
    "meeting.": _("hanterade ett möte om ärendet"),
    "message.": _("skrev ett meddelande i ärendet"),
    "consent.": _("hanterade ett samtycke"),
    "referral.": _("hanterade en remiss"),
    "action.": _("hanterade en åtgärd i ärendet"),
    "audit.": _("granskade loggen för ärendet"),
}

BASIS_LABELS: dict[str, Promise] = {
    "owning_unit": _("arbetar med ärendet i den enhet som ansvarar för det"),
    "same_authority": _("samverkan inom samma myndighet"),
    "anonymised": _("uppgifterna var avidentifierade"),
    "consent": _("samtycke från den enskilde"),
    "disclosed": _("uppgifterna hade lämnats ut på rättslig grund"),
    "notified": _("underrättelse"),
}

LEVEL_LABELS: dict[str, Promise] = {
    "identified": _("med identitet"),
    "anonymised": _("avidentifierat"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    if label is None:
        label = next((v for k, v in PREFIX_LABELS.items() if action.startswith(k)), None)
    return str(label) if label is not None else str(_("åtgärd: %(action)s") % {"action": action})


_FIELD_ORDER = {name: index for index, name in enumerate(FIELD_LABELS)}


def field_labels(fields: Iterable[str]) -> list[str]:
    """The fields in Swedish, in reading order (name first); unknown ones last, as they are."""
    ordered = sorted(fields, key=lambda f: (_FIELD_ORDER.get(f, len(_FIELD_ORDER)), f))
    return [str(FIELD_LABELS.get(f, f)) for f in ordered]


def basis_labels(codes: Iterable[str]) -> dict[str, str]:
    """Plain wording for each basis code: the built-in ones, then the legal-basis catalogue."""
    wanted = {c for c in codes if c}
    labels = {c: str(BASIS_LABELS[c]) for c in wanted if c in BASIS_LABELS}
    missing = wanted - labels.keys()
    if missing:
        labels.update(_catalogue_titles(missing))
    return {c: labels.get(c, c) for c in wanted}


def _catalogue_titles(codes: set[str]) -> dict[str, str]:
    # The catalogue belongs to the consent app; it is read by app label so the trail's
    # pages keep working (showing codes) where it is not installed.
    try:
        model = apps.get_model("consent", "LegalBasis")
    except LookupError:
        return {}
    titles = {}
    for row in model.objects.filter(code__in=codes):
        title = getattr(row, "title", "") or row.code
        statute = getattr(row, "statute_reference", "")
        titles[row.code] = f"{title} ({statute})" if statute else title
    return titles
