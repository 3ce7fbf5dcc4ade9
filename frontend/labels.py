"""Plain-Swedish labels for codes that the domain records (e.g. disclosure bases)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from consent.policy import Basis

# Why a person may see a case, as the person reads it;
# bases from the legal-basis catalogue fall back to their code.
BASIS_LABELS: dict[str, Promise] = {
    Basis.OWNING_UNIT: _("Du arbetar med ärendet i den ägande enheten"),
    Basis.SAME_AUTHORITY: _("Ärendet tas upp i ett internt forum inom den ägande myndigheten"),
    Basis.ANONYMISED: _(
        "Ärendet visas avidentifierat: ingen utanför den ägande enheten kan se vem det gäller"
    ),
    Basis.CONSENT: _("Klienten har samtyckt till att uppgifterna lämnas ut"),
}


def basis_label(code: str) -> str:
    """The basis in plain language; an unknown code is shown as it is."""
    label = BASIS_LABELS.get(str(code))
    return str(label) if label is not None else str(code)
