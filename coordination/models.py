"""Organisations, people's roles and cases.

Nothing here holds identifying data in plain text: a case's identity lives in the
encrypted vault (``IdentityField``), found again only through a keyed blind index.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CountyPart(models.TextChoices):
    EAST = "östra", _("östra länsdelen")
    CENTRAL = "centrala", _("centrala länsdelen")
    WEST = "västra", _("västra länsdelen")


class Municipality(models.Model):
    code = models.CharField(_("kommunkod"), max_length=4, unique=True)
    name = models.CharField(_("namn"), max_length=100)
    county_part = models.CharField(
        _("länsdel"), max_length=10, choices=CountyPart.choices, blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("kommun")
        verbose_name_plural = _("kommuner")

    def __str__(self) -> str:
        return self.name


class AgencyKind(models.TextChoices):
    SOCIAL_SERVICES = "social_services", _("socialtjänst")
    SCHOOL = "school", _("skola")
    HEALTH = "health", _("hälso- och sjukvård (region)")
    POLICE = "police", _("polis")
    WOMENS_SHELTER = "womens_shelter", _("kvinnojour")
    VICTIM_SUPPORT = "victim_support", _("brottsofferjour")
    PROBATION = "probation", _("frivård")
    PROSECUTOR = "prosecutor", _("åklagare")
    OTHER = "other", _("annan")


class Agency(models.Model):
    """An authority or organisation; secrecy applies at its boundary."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("namn"), max_length=200, unique=True)
    kind = models.CharField(_("slag"), max_length=20, choices=AgencyKind.choices)
    # None means the agency belongs to the region (Region Östergötland, police areas).
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agencies",
        verbose_name=_("kommun"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("myndighet")
        verbose_name_plural = _("myndigheter")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A section or unit of an agency (sektion / enhet)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="units", verbose_name=_("myndighet")
    )
    name = models.CharField(_("namn"), max_length=200)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_units",
        verbose_name=_("chef"),
    )
    deputies = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="deputy_for_units",
        verbose_name=_("ersättare"),
    )

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="unit_unique_name_per_agency")
        ]
        verbose_name = _("enhet")
        verbose_name_plural = _("enheter")

    def __str__(self) -> str:
        return f"{self.agency.name} – {self.name}"


class Role(models.TextChoices):
    CASE_OFFICER = "case_officer", _("handläggare")
    SECTION_LEAD = "section_lead", _("sektionschef")
    FORUM_MEMBER = "forum_member", _("forumrepresentant")
    COORDINATOR = "coordinator", _("samordnare")
    AUDITOR = "auditor", _("granskare")
    ADMIN = "admin", _("systemförvaltare")


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("roll"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")
        ]
        verbose_name = _("medlemskap")
        verbose_name_plural = _("medlemskap")

    def __str__(self) -> str:
        return f"{self.user} – {self.unit.name} ({self.get_role_display()})"


class CaseCategory(models.TextChoices):
    VINR = "VINR", _("våld i nära relation")
    HRV = "HRV", _("hedersrelaterat våld och förtryck")


class Case(models.Model):
    """An ärende, shown everywhere by its pseudonymous reference."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("referens"), max_length=40, unique=True)
    category = models.CharField(
        _("kategori"), max_length=4, choices=CaseCategory.choices, default=CaseCategory.VINR
    )
    owning_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="cases", verbose_name=_("ägande enhet")
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("handläggare"),
    )
    protected_identity = models.BooleanField(_("skyddade personuppgifter"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The case's data key, wrapped by the key-encryption key ``data_key_id``.
    # Erasure empties both: every ciphertext of the case becomes unreadable.
    wrapped_data_key = models.BinaryField(null=True, editable=False)
    data_key_id = models.CharField(max_length=20, blank=True, editable=False)
    erased_at = models.DateTimeField(_("gallrat"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ärende")
        verbose_name_plural = _("ärenden")

    def __str__(self) -> str:
        return self.reference

    @property
    def municipality(self) -> Municipality | None:
        return self.owning_unit.agency.municipality


class CaseReferenceCounter(models.Model):
    """The last number used for case references per prefix, municipality and year."""

    prefix = models.CharField(max_length=20, unique=True)
    last = models.PositiveIntegerField(default=0)


class IdentityField(models.Model):
    """One encrypted field of a case's identity vault (AES-256-GCM, case data key)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="identity_fields")
    name = models.CharField(max_length=30)
    ciphertext = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "name"], name="identity_field_unique")
        ]


class PersonIndex(models.Model):
    """Keyed blind index (HMAC-SHA256) of a normalised personnummer on a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="person_index")
    digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "digest"], name="person_index_unique")
        ]


class IncidentKind(models.TextChoices):
    VIOLENCE = "violence", _("våld")
    THREAT = "threat", _("hot")
    HONOUR = "honour", _("hedersrelaterat våld eller förtryck")
    CHILD_WITNESSED = "child_witnessed", _("barn har bevittnat våld")
    OTHER = "other", _("annan händelse")


class Incident(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField(_("slag"), max_length=20, choices=IncidentKind.choices)
    occurred_at = models.DateTimeField(_("inträffade"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Free text may name people, so it is encrypted with the case key like the vault.
    description_ciphertext = models.BinaryField(blank=True, default=b"")

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("händelse")
        verbose_name_plural = _("händelser")

    def __str__(self) -> str:
        return f"{self.case.reference} {self.get_kind_display()}"


class RiskInstrument(models.TextChoices):
    FREDA_SHORT = "FREDA-kortfrågor", "FREDA-kortfrågor"
    FREDA_DESCRIPTION = "FREDA-beskrivning", "FREDA-beskrivning"
    FREDA_DANGER = "FREDA-farlighetsbedömning", "FREDA-farlighetsbedömning"
    SARA_SV = "SARA:SV", "SARA:SV"
    PATRIARK = "PATRIARK", "PATRIARK"


class RiskLevel(models.IntegerChoices):
    LOW = 1, _("låg")
    MODERATE = 2, _("måttlig")
    HIGH = 3, _("hög")


class RiskAssessment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="risk_assessments")
    instrument = models.CharField(_("instrument"), max_length=30, choices=RiskInstrument.choices)
    assessed_on = models.DateField(_("datum"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("risknivå"), choices=RiskLevel.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        verbose_name = _("riskbedömning")
        verbose_name_plural = _("riskbedömningar")


class ForumKind(models.TextChoices):
    STEERING_GROUP = "steering_group", _("styrgrupp")
    CONSULTATIVE_GROUP = "consultative_group", _("konsultativ grupp")
    INTERNAL_GROUP = "internal_group", _("intern grupp")
    EXTERNAL_GROUP = "external_group", _("extern grupp")
    MANAGEMENT_GROUP = "management_group", _("ledningsgrupp")
    PROTECTION_GROUP = "protection_group", _("skyddsgrupp")


class Forum(models.Model):
    """A samverkansforum: who takes part (by unit) and how often it meets."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("namn"), max_length=200)
    kind = models.CharField(_("slag"), max_length=30, choices=ForumKind.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="forums"
    )
    # Internal forums sit within one authority; inter-agency ones cross secrecy boundaries.
    internal = models.BooleanField(_("inom en myndighet"), default=False)
    member_units = models.ManyToManyField(
        Unit, blank=True, related_name="forums", verbose_name=_("deltagande enheter")
    )
    recurrence = models.CharField(_("återkommer (RRULE)"), max_length=300, blank=True)
    default_duration_minutes = models.PositiveSmallIntegerField(_("längd i minuter"), default=60)

    class Meta:
        ordering = ["name"]
        verbose_name = _("samverkansforum")
        verbose_name_plural = _("samverkansforum")

    def __str__(self) -> str:
        return self.name


class MeetingStatus(models.TextChoices):
    CONVENED = "convened", _("kallat")
    OPEN = "open", _("pågår")
    CLOSED = "closed", _("avslutat")


class Meeting(models.Model):
    """A forum occurrence: scheduled, or called the same day (påkallat)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="meetings")
    starts_at = models.DateTimeField(_("börjar"))
    duration_minutes = models.PositiveSmallIntegerField(_("längd i minuter"), default=60)
    ad_hoc = models.BooleanField(_("påkallat"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.CONVENED
    )
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A styrgrupp meets about one case, called because of one incident.
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="meetings"
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The routine it was convened under: its checklist and escalation rules apply.
    routine = models.ForeignKey(
        "Routine", on_delete=models.PROTECT, null=True, blank=True, related_name="meetings"
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("möte")
        verbose_name_plural = _("möten")

    def __str__(self) -> str:
        return f"{self.forum.name} {self.starts_at:%Y-%m-%d %H:%M}"


class InvitationAnswer(models.TextChoices):
    PENDING = "pending", _("inget svar")
    ACCEPTED = "accepted", _("kommer")
    DECLINED = "declined", _("kommer inte")
    DELEGATED = "delegated", _("delegerat")


class InvitationOrigin(models.TextChoices):
    CALLED = "called", _("kallad")
    DELEGATED = "delegated", _("delegerad")
    ESCALATED = "escalated", _("eskalerad till ersättare")
    ON_CALL = "on_call", _("eskalerad till socialjouren")


class Invitation(models.Model):
    """A kallelse: one person called to one meeting, for one unit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invitations"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answer = models.CharField(
        _("svar"), max_length=10, choices=InvitationAnswer.choices, default=InvitationAnswer.PENDING
    )
    reason = models.CharField(_("skäl"), max_length=500, blank=True)
    delegated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # How the person came to be called, and by which earlier invitation (delegation or
    # escalation), so the answers page can show the chain per section.
    origin = models.CharField(
        _("kallad genom"),
        max_length=10,
        choices=InvitationOrigin.choices,
        default=InvitationOrigin.CALLED,
    )
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="followers"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="invitation_unique")
        ]
        verbose_name = _("kallelse")
        verbose_name_plural = _("kallelser")


class PresentationMode(models.TextChoices):
    INTERNAL = "internal", _("inom myndigheten")
    ANONYMISED = "anonymised", _("avidentifierat")
    CONSENTED = "consented", _("med samtycke")


class Presentation(models.Model):
    """An ärendedragning: a case presented in a meeting, with the brief exactly as shared."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="presentations")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="presentations")
    mode = models.CharField(_("form"), max_length=12, choices=PresentationMode.choices)
    presented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    legal_basis = models.CharField(_("rättslig grund"), max_length=60, blank=True)
    # Encrypted with the case key; for an anonymised presentation this is the confirmed,
    # redacted text and nothing else is shown to members outside the owning unit.
    brief_ciphertext = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "case"], name="presentation_unique")
        ]
        verbose_name = _("ärendedragning")
        verbose_name_plural = _("ärendedragningar")


def _default_office_hours() -> dict[str, list[str]]:
    # Monday to Thursday 08:00–16:30, Friday 08:00–16:00; weekends closed (socialjour).
    hours = {str(day): ["08:00", "16:30"] for day in range(4)}
    hours["4"] = ["08:00", "16:00"]
    return hours


class Routine(models.Model):
    """A municipality's routine for convening a forum, e.g. "Hot och våld i nära relation".

    The text and checklist belong to the municipality, not to the code: a coordinator
    changes them. ``office_hours`` maps an ISO weekday (0 = Monday) to ``[start, end]``
    in local time; outside them an unanswered call goes to the on-call person.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="routines", verbose_name=_("kommun")
    )
    forum = models.ForeignKey(
        Forum, on_delete=models.PROTECT, related_name="routines", verbose_name=_("forum")
    )
    name = models.CharField(_("namn"), max_length=200)
    text = models.TextField(_("rutinens text"))
    # A list of {"key": "...", "text": "..."}; the key stays stable when the text is edited.
    checklist = models.JSONField(_("checklista"), default=list, blank=True)
    # Incident kinds whose registration offers to convene under this routine.
    trigger_kinds = models.JSONField(_("utlösande händelser"), default=list, blank=True)
    escalation_minutes = models.PositiveSmallIntegerField(
        _("eskalera efter minuter utan svar"), default=15
    )
    office_hours = models.JSONField(_("kontorstid"), default=_default_office_hours)
    on_call_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("jourenhet"),
    )
    on_call_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("jourhavande"),
    )
    active = models.BooleanField(_("gäller"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="routine_unique_name_per_municipality"
            )
        ]
        verbose_name = _("rutin")
        verbose_name_plural = _("rutiner")

    def __str__(self) -> str:
        return self.name


class ActionStatus(models.TextChoices):
    OPEN = "open", _("pågår")
    DONE = "done", _("klar")


class Action(models.Model):
    """An åtgärd / beslut a section took responsibility for in a meeting, followed to done.

    The text may name the client, so it is encrypted with the case key (field
    ``action:<id>``) and becomes unreadable when the case is erased.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="actions")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="actions")
    owner_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="actions", verbose_name=_("ansvarig enhet")
    )
    owner_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_actions",
        verbose_name=_("ansvarig person"),
    )
    text_ciphertext = models.BinaryField()
    due_date = models.DateField(_("klart senast"))
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(_("klarmarkerad"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["owner_person", "status"], name="action_owner_status")]
        verbose_name = _("åtgärd")
        verbose_name_plural = _("åtgärder")


class Minutes(models.Model):
    """A meeting's protokoll, frozen at close.

    ``sha256`` is over the canonical JSON of the content and also stands in the audit
    trail. The content may name the client, so it is stored encrypted with the case key
    (field ``minutes:<meeting id>``), like messages and briefs.
    """

    meeting = models.OneToOneField(
        Meeting, on_delete=models.PROTECT, primary_key=True, related_name="minutes"
    )
    content_ciphertext = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("protokoll")
        verbose_name_plural = _("protokoll")


# The konsultativ grupp, referrals and concern reports, and the statistics' per-case
# counts, training events and calendar links live in modules of their own.
from coordination import models_consultation, models_statistics  # noqa: E402, F401
