"""Consent, the catalogue of legal bases, and the record of every disclosure.

Information categories
----------------------
A consent, a legal basis and a disclosure name *categories* of information; the policy
works on *fields*. Each category maps onto fixed field names (``CATEGORY_FIELDS``):

=============  ===================================  ===========================================
category       Swedish                              fields
=============  ===================================  ===========================================
identity       Namn och personnummer                name, nicknames, personnummer
contact        Telefon och e-post                   phone, email
address        Adress                               address
children       Barn                                 children
relatives      Anhöriga                             relatives
school         Skola eller förskola                 school
situation      Situation och händelser              situation (incidents, the brief's account)
risk           Riskbedömningar                      risk (risk assessments and their levels)
health         Hälsa                                health (what the client tells of health)
support        Insatser och stöd                    support (actions, offered and given support)
=============  ===================================  ===========================================

The first six are identity fields held in the encrypted identity vault; the last four are
the content of the case. Nothing in a content field may name the client: that is what the
identity fields are for.

Free text that may name people (a consent's purpose, a revocation's reason, a secrecy
assessment) is encrypted with the case's data key, like incident descriptions, and so
becomes unreadable when the case is erased.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordination.models import Agency, Case, Forum, Meeting, Unit


class InformationCategory(models.TextChoices):
    IDENTITY = "identity", _("namn och personnummer")
    CONTACT = "contact", _("telefon och e-post")
    ADDRESS = "address", _("adress")
    CHILDREN = "children", _("barn")
    RELATIVES = "relatives", _("anhöriga")
    SCHOOL = "school", _("skola eller förskola")
    SITUATION = "situation", _("situation och händelser")
    RISK = "risk", _("riskbedömningar")
    HEALTH = "health", _("hälsa")
    SUPPORT = "support", _("insatser och stöd")


CATEGORY_FIELDS: dict[str, frozenset[str]] = {
    InformationCategory.IDENTITY: frozenset({"name", "nicknames", "personnummer"}),
    InformationCategory.CONTACT: frozenset({"phone", "email"}),
    InformationCategory.ADDRESS: frozenset({"address"}),
    InformationCategory.CHILDREN: frozenset({"children"}),
    InformationCategory.RELATIVES: frozenset({"relatives"}),
    InformationCategory.SCHOOL: frozenset({"school"}),
    InformationCategory.SITUATION: frozenset({"situation"}),
    InformationCategory.RISK: frozenset({"risk"}),
    InformationCategory.HEALTH: frozenset({"health"}),
    InformationCategory.SUPPORT: frozenset({"support"}),
}
FIELD_CATEGORY: dict[str, str] = {
    field: category for category, fields in CATEGORY_FIELDS.items() for field in fields
}


def fields_of(categories: object) -> frozenset[str]:
    """The field names covered by ``categories`` (unknown categories cover nothing)."""
    if not isinstance(categories, list | tuple | set | frozenset):
        return frozenset()
    covered: set[str] = set()
    for category in categories:
        covered |= CATEGORY_FIELDS.get(str(category), frozenset())
    return frozenset(covered)


def categories_of(fields: Iterable[str]) -> list[str]:
    """The categories that ``fields`` belong to, in the catalogue's order."""
    wanted = {FIELD_CATEGORY[f] for f in fields if f in FIELD_CATEGORY}
    return [c for c in InformationCategory.values if c in wanted]


class PurposeCode(models.TextChoices):
    CONSULTATION = "consultation", _("ärendedragning i samverkansforum")
    REFERRAL = "referral", _("remiss eller överlämning")
    COORDINATION = "coordination", _("samordnad planering av stöd (t.ex. SIP)")
    PROTECTION = "protection", _("skydds- och säkerhetsplanering")
    OTHER = "other", _("annat ändamål (beskrivs i texten)")


# Which contexts (consent.policy.Context values) each purpose lets a consent be used in.
# A consent given for a consultation does not let the case be referred, and so on.
PURPOSE_CONTEXTS: dict[str, frozenset[str]] = {
    PurposeCode.CONSULTATION: frozenset({"presentation", "message"}),
    PurposeCode.REFERRAL: frozenset({"referral", "message", "export"}),
    PurposeCode.COORDINATION: frozenset({"presentation", "referral", "message", "export"}),
    PurposeCode.PROTECTION: frozenset({"presentation", "referral", "message", "export"}),
    PurposeCode.OTHER: frozenset({"message", "export"}),
}


class GivenHow(models.TextChoices):
    WRITTEN = "written", _("skriftligt")
    ORAL = "oral", _("muntligt")


class ConsentStatus(models.TextChoices):
    VALID = "valid", _("giltigt")
    PENDING = "pending", _("ej börjat gälla")
    EXPIRED = "expired", _("utgånget")
    REVOKED = "revoked", _("återkallat")


class Consent(models.Model):
    """The client's consent (OSL 12 kap 2 §) to let named recipients have named categories.

    Valid from ``valid_from`` through ``valid_to`` (whole days, local time) unless revoked;
    revocation takes effect the moment it is recorded.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="consents", verbose_name=_("ärende")
    )
    recipient_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="+", verbose_name=_("mottagande myndigheter")
    )
    recipient_forums = models.ManyToManyField(
        Forum, blank=True, related_name="+", verbose_name=_("mottagande samverkansforum")
    )
    categories = models.JSONField(_("uppgifter"), default=list)
    purpose_code = models.CharField(_("ändamål"), max_length=20, choices=PurposeCode.choices)
    purpose_ciphertext = models.BinaryField(blank=True, default=b"", editable=False)
    given_how = models.CharField(_("lämnat"), max_length=10, choices=GivenHow.choices)
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bevittnat av"),
    )
    document_reference = models.CharField(
        _("dokumentreferens"), max_length=100, blank=True, help_text=_("t.ex. diarienummer")
    )
    valid_from = models.DateField(_("gäller från"))
    valid_to = models.DateField(_("gäller till och med"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("återkallat"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_reason_ciphertext = models.BinaryField(blank=True, default=b"", editable=False)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")),
                name="consent_valid_to_after_from",
            )
        ]
        verbose_name = _("samtycke")
        verbose_name_plural = _("samtycken")

    def __str__(self) -> str:
        return f"{self.case.reference} {self.get_purpose_code_display()}"

    def status(self, on: dt.date) -> ConsentStatus:
        """The consent's state on the local date ``on``; a revocation wins at once."""
        if self.revoked_at is not None:
            return ConsentStatus.REVOKED
        if on < self.valid_from:
            return ConsentStatus.PENDING
        if on > self.valid_to:
            return ConsentStatus.EXPIRED
        return ConsentStatus.VALID

    @property
    def fields(self) -> frozenset[str]:
        return fields_of(self.categories)


class DisclosureLevel(models.TextChoices):
    IDENTIFIED = "identified", _("med identitet")
    ANONYMISED = "anonymised", _("avidentifierat")


class LegalBasis(models.Model):
    """One entry of the catalogue of legal bases for disclosure.

    The catalogue is data: the software enforces it, the municipality's lawyers own its
    content and keep it in step with the law (administrators edit it; every edit is
    audited). A basis names the sender kinds and recipient kinds of agency it applies
    between, the level it allows, and the categories it may carry (none listed: any).
    """

    code = models.SlugField(_("kod"), max_length=60, unique=True)
    title = models.CharField(_("benämning"), max_length=200)
    statute_reference = models.CharField(_("lagrum"), max_length=200)
    description = models.TextField(_("beskrivning"), blank=True)
    sender_kinds = models.JSONField(_("från slag av myndighet"), default=list)
    recipient_kinds = models.JSONField(_("till slag av myndighet"), default=list)
    same_agency_only = models.BooleanField(_("bara inom samma myndighet"), default=False)
    level = models.CharField(_("nivå"), max_length=12, choices=DisclosureLevel.choices)
    categories = models.JSONField(
        _("tillåtna uppgifter"), default=list, blank=True, help_text=_("tom lista: alla")
    )
    requires_consent = models.BooleanField(_("kräver samtycke"), default=False)
    client_must_be_informed = models.BooleanField(_("den enskilde ska informeras"), default=False)
    active = models.BooleanField(_("aktiv"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("rättslig grund")
        verbose_name_plural = _("rättsliga grunder")

    def __str__(self) -> str:
        return f"{self.title} ({self.statute_reference})"


class DisclosureContext(models.TextChoices):
    PRESENTATION = "presentation", _("ärendedragning")
    REFERRAL = "referral", _("remiss")
    MESSAGE = "message", _("meddelande")
    EXPORT = "export", _("export")


class Disclosure(models.Model):
    """An utlämnande: case information that crossed a unit or agency boundary.

    Written only by ``consent.services.disclosure_record``, after a person decided it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="disclosures", verbose_name=_("ärende")
    )
    context = models.CharField(_("sammanhang"), max_length=20, choices=DisclosureContext.choices)
    level = models.CharField(_("nivå"), max_length=12, choices=DisclosureLevel.choices)
    categories = models.JSONField(_("uppgifter"), default=list)
    fields = models.JSONField(_("fält"), default=list)
    recipient_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient_forum = models.ForeignKey(
        Forum, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    basis = models.ForeignKey(
        LegalBasis, on_delete=models.PROTECT, related_name="disclosures", verbose_name=_("grund")
    )
    # The code as it was when the disclosure was made, for the audit trail's readers.
    basis_code = models.CharField(_("grundens kod"), max_length=60)
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosures"
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Menprövning: why the decider judged the disclosure lawful; encrypted with the case key.
    assessment_ciphertext = models.BinaryField(editable=False)
    client_must_be_informed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient_agency__isnull=False)
                | models.Q(recipient_forum__isnull=False),
                name="disclosure_has_recipient",
            )
        ]
        verbose_name = _("utlämnande")
        verbose_name_plural = _("utlämnanden")

    def __str__(self) -> str:
        return f"{self.case.reference} {self.basis_code}"

    @property
    def recipient_name(self) -> str:
        if self.recipient_forum_id is not None and self.recipient_forum is not None:
            return self.recipient_forum.name
        if self.recipient_unit is not None:
            return str(self.recipient_unit)
        return self.recipient_agency.name if self.recipient_agency else ""
