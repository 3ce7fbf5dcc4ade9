""" "Vem vet vad, vem gör vad": for one case, every agency involved, what it was told and
on which basis, and what it has promised to do and by when, in plain Swedish for the
client.

Built from the records the work itself leaves behind (disclosures, presentations and
the support offered there, referrals, actions, concern reports and consents), so the
page always agrees with the audit trail. It is read by the people who work with the
case (``consent.policy.may_see_case_overview``); each read is recorded.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record_atomic
from consent import policy
from consent.models import (
    Consent,
    ConsentStatus,
    Disclosure,
    DisclosureContext,
    DisclosureLevel,
    InformationCategory,
    PurposeCode,
)
from coordination import selectors, vault
from coordination.errors import NotFound
from coordination.invitation_mail import person_name
from coordination.models import (
    Action,
    ActionStatus,
    Agency,
    Case,
    PresentationMode,
    Unit,
)
from coordination.models_consultation import (
    ConcernOutcome,
    ConcernReport,
    Referral,
    ReferralStatus,
    Support,
)
from coordination.vault import CaseErased

TOLD = "told"
DOES = "does"


@dataclass(frozen=True)
class Line:
    """One sentence of the overview, with what it is about for the page's anchors."""

    anchor: str  # the element id, e.g. "disclosure-<uuid>"
    kind: str  # disclosure, referral, action, support, concern
    side: str  # TOLD or DOES
    at: dt.datetime | dt.date
    text: str
    basis: str = ""  # "Samtycke från den enskilde (OSL 12 kap. 2 §)"
    what: list[str] = field(default_factory=list)  # the categories, in words
    due: dt.date | None = None
    status: str = ""
    late: bool = False


@dataclass
class AgencyBlock:
    agency: Agency
    owner: bool = False
    units: set[str] = field(default_factory=set)
    told: list[Line] = field(default_factory=list)
    does: list[Line] = field(default_factory=list)

    @property
    def unit_names(self) -> list[str]:
        return sorted(self.units)


@dataclass(frozen=True)
class ConsentLine:
    anchor: str
    text: str
    status: str
    valid: bool


@dataclass(frozen=True)
class Overview:
    case: Case
    officers: list[str]
    agencies: list[AgencyBlock]
    consents: list[ConsentLine]
    today: dt.date
    texts_readable: bool


def _category_words(categories: list[str]) -> list[str]:
    labels = dict(InformationCategory.choices)
    return [str(labels[c]) for c in InformationCategory.values if c in categories]


def _join(words: list[str]) -> str:
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " " + _("och") + " " + words[-1]


def _basis_text(disclosure_or_basis: Any) -> str:
    basis = getattr(disclosure_or_basis, "basis", disclosure_or_basis)
    return f"{basis.title} ({basis.statute_reference})"


class _Blocks:
    def __init__(self, case: Case) -> None:
        self.case = case
        self.by_agency: dict[Any, AgencyBlock] = {}
        owner = self.block(case.owning_unit.agency)
        owner.owner = True
        owner.units.add(case.owning_unit.name)

    def block(self, agency: Agency) -> AgencyBlock:
        found = self.by_agency.get(agency.pk)
        if found is None:
            found = AgencyBlock(agency=agency)
            self.by_agency[agency.pk] = found
        return found

    def add(self, agency: Agency, line: Line, unit: Unit | None = None) -> None:
        block = self.block(agency)
        if unit is not None:
            block.units.add(unit.name)
        (block.told if line.side == TOLD else block.does).append(line)

    def ordered(self) -> list[AgencyBlock]:
        blocks = list(self.by_agency.values())
        for block in blocks:
            block.told.sort(key=lambda line: _sortable(line.at))
            block.does.sort(key=lambda line: _sortable(line.at))
        return sorted(blocks, key=lambda b: (not b.owner, b.agency.name))


def _sortable(at: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(at, dt.datetime):
        return at
    return timezone.make_aware(dt.datetime.combine(at, dt.time.min))


def _day(at: dt.datetime | dt.date) -> str:
    day = timezone.localdate(at) if isinstance(at, dt.datetime) else at
    months = [
        _("januari"),
        _("februari"),
        _("mars"),
        _("april"),
        _("maj"),
        _("juni"),
        _("juli"),
        _("augusti"),
        _("september"),
        _("oktober"),
        _("november"),
        _("december"),
    ]
    return f"{day.day} {months[day.month - 1]} {day.year}"


# --- what each agency was told ------------------------------------------------------------


def _recipient_agencies(disclosure: Disclosure) -> list[tuple[Agency, Unit | None]]:
    if disclosure.recipient_forum is not None:
        units = disclosure.recipient_forum.member_units.select_related("agency").order_by(
            "agency__name", "name"
        )
        return [(unit.agency, unit) for unit in units]
    if disclosure.recipient_agency is not None:
        return [(disclosure.recipient_agency, disclosure.recipient_unit)]
    return []  # pragma: no cover - the database requires a recipient


def _disclosure_text(disclosure: Disclosure, what: list[str]) -> str:
    recipient = disclosure.recipient_name
    when = _day(disclosure.created_at)
    if disclosure.context == DisclosureContext.PRESENTATION and disclosure.recipient_forum:
        where = _("Ditt ärende togs upp i %(forum)s.") % {"forum": disclosure.recipient_forum.name}
    elif disclosure.context == DisclosureContext.REFERRAL:
        where = _("En remiss skickades till %(recipient)s.") % {"recipient": recipient}
    else:
        where = _("Uppgifter lämnades till %(recipient)s.") % {"recipient": recipient}
    if disclosure.level == DisclosureLevel.ANONYMISED:
        told = _(
            "De fick en beskrivning utan ditt namn och utan annat som visar vem du är "
            "(om: %(what)s)."
        ) % {"what": _join(what)}
    else:
        told = _("De fick veta: %(what)s.") % {"what": _join(what)}
    decided = _("Beslutet togs av %(name)s.") % {"name": person_name(disclosure.decided_by)}
    return f"{when}: {where} {told} {decided}"


def _disclosures(case: Case, blocks: _Blocks) -> None:
    rows = (
        Disclosure.objects.filter(case=case)
        .select_related(
            "basis",
            "recipient_agency",
            "recipient_unit__agency",
            "recipient_forum",
            "decided_by",
        )
        .order_by("created_at")
    )
    for disclosure in rows:
        what = _category_words(list(disclosure.categories))
        line = Line(
            anchor=f"disclosure-{disclosure.id}",
            kind="disclosure",
            side=TOLD,
            at=disclosure.created_at,
            text=_disclosure_text(disclosure, what),
            basis=_basis_text(disclosure),
            what=what,
        )
        seen: set[Any] = set()
        for agency, unit in _recipient_agencies(disclosure):
            if agency.pk not in seen:
                seen.add(agency.pk)
                blocks.add(agency, line, unit)
            elif unit is not None:
                blocks.block(agency).units.add(unit.name)


def _concern_reports(case: Case, blocks: _Blocks) -> None:
    reports = ConcernReport.objects.filter(case=case).select_related(
        "reporter_unit__agency", "basis"
    )
    outcomes = dict(ConcernOutcome.choices)
    for report in reports:
        if report.outcome:
            answer = _("De har fått beskedet: %(outcome)s.") % {
                "outcome": outcomes.get(report.outcome, report.outcome)
            }
        elif report.acknowledged_at is not None:
            answer = _("De har fått besked om att anmälan har tagits emot.")
        else:
            answer = _("De har ännu inte fått något besked.")
        text = _("%(when)s: %(unit)s gjorde en orosanmälan till socialtjänsten. %(answer)s") % {
            "when": _day(report.submitted_at),
            "unit": report.reporter_unit.name,
            "answer": answer,
        }
        blocks.add(
            report.reporter_unit.agency,
            Line(
                anchor=f"concern-{report.id}",
                kind="concern",
                side=TOLD,
                at=report.submitted_at,
                text=text,
                basis=_basis_text(report),
            ),
            report.reporter_unit,
        )


# --- what each agency does ----------------------------------------------------------------


def _key(case: Case) -> bytes | None:
    if case.erased_at is not None:
        return None
    try:
        return vault.case_data_key(case)
    except CaseErased:
        return None


def _read(key: bytes | None, case: Case, name: str, ciphertext: bytes | memoryview) -> str | None:
    if key is None or not ciphertext:
        return None
    return str(vault.decrypt_value(key, str(case.id), name, bytes(ciphertext)))


def _actions(case: Case, key: bytes | None, blocks: _Blocks, today: dt.date) -> bool:
    read_any = False
    actions = (
        Action.objects.filter(case=case)
        .select_related("owner_unit__agency", "owner_person", "meeting__forum")
        .order_by("created_at")
    )
    for action in actions:
        text = _read(key, case, f"action:{action.id}", action.text_ciphertext)
        read_any = read_any or text is not None
        who = action.owner_unit.name
        if action.owner_person is not None:
            who = f"{who} ({person_name(action.owner_person)})"
        promise = (
            _("%(who)s ska: %(text)s") % {"who": who, "text": text}
            if text is not None
            else _("%(who)s har tagit på sig en åtgärd (texten går inte längre att läsa).")
            % {"who": who}
        )
        due = _("Klart senast %(due)s.") % {"due": _day(action.due_date)}
        late = False
        if action.status == ActionStatus.DONE and action.done_at is not None:
            status = _("Klart %(day)s.") % {"day": _day(action.done_at)}
        elif action.due_date < today:
            status = _("Inte klart ännu, och tiden har gått ut.")
            late = True
        else:
            status = _("Inte klart ännu.")
        decided = _("Beslutat i %(forum)s %(day)s.") % {
            "forum": action.meeting.forum.name,
            "day": _day(action.created_at),
        }
        blocks.add(
            action.owner_unit.agency,
            Line(
                anchor=f"action-{action.id}",
                kind="action",
                side=DOES,
                at=action.created_at,
                text=f"{promise} {due} {status} {decided}",
                due=action.due_date,
                status=status,
                late=late,
            ),
            action.owner_unit,
        )
    return read_any


def _supports(case: Case, key: bytes | None, blocks: _Blocks) -> bool:
    read_any = False
    supports = (
        Support.objects.filter(presentation__case=case)
        .select_related("unit__agency", "presentation__meeting__forum")
        .order_by("created_at")
    )
    for support in supports:
        text = _read(key, case, f"support:{support.id}", support.text_ciphertext)
        read_any = read_any or text is not None
        presentation = support.presentation
        anonymised = presentation.mode == PresentationMode.ANONYMISED
        offer = (
            _("%(unit)s sa att de kan erbjuda: %(text)s")
            % {"unit": support.unit.name, "text": text}
            if text is not None
            else _("%(unit)s erbjöd stöd (texten går inte längre att läsa).")
            % {"unit": support.unit.name}
        )
        context = _("Vid %(forum)s %(day)s%(how)s.") % {
            "forum": presentation.meeting.forum.name,
            "day": _day(presentation.meeting.starts_at),
            "how": _(", där ärendet drogs utan ditt namn") if anonymised else "",
        }
        blocks.add(
            support.unit.agency,
            Line(
                anchor=f"support-{support.id}",
                kind="support",
                side=DOES,
                at=support.created_at,
                text=f"{offer} {context}",
            ),
            support.unit,
        )
    return read_any


def _referrals(case: Case, blocks: _Blocks) -> None:
    referrals = (
        Referral.objects.filter(case=case)
        .select_related("to_agency", "to_unit", "basis", "disclosure")
        .order_by("sent_at")
    )
    for referral in referrals:
        recipient = referral.recipient_name
        if referral.status == ReferralStatus.SENT:
            status = _("De har ännu inte svarat.")
        elif referral.status == ReferralStatus.ACCEPTED:
            status = _("De tog emot remissen %(day)s och arbetar med den.") % {
                "day": _day(referral.answered_at or referral.sent_at)
            }
        elif referral.status == ReferralStatus.DECLINED:
            status = _("De tackade nej %(day)s.") % {
                "day": _day(referral.answered_at or referral.sent_at)
            }
        else:
            status = _("Avslutad %(day)s: %(outcome)s.") % {
                "day": _day(referral.closed_at or referral.sent_at),
                "outcome": referral.get_outcome_display(),
            }
        text = _("%(when)s skickades en remiss till %(recipient)s. %(status)s") % {
            "when": _day(referral.sent_at),
            "recipient": recipient,
            "status": status,
        }
        blocks.add(
            referral.to_agency,
            Line(
                anchor=f"referral-{referral.id}",
                kind="referral",
                side=DOES,
                at=referral.sent_at,
                text=text,
                basis=_basis_text(referral),
                status=str(referral.get_status_display()),
            ),
            referral.to_unit,
        )


# --- the client's consents ----------------------------------------------------------------


def _consents(case: Case, today: dt.date) -> list[ConsentLine]:
    lines = []
    purposes = dict(PurposeCode.choices)
    consents = (
        Consent.objects.filter(case=case)
        .prefetch_related("recipient_agencies", "recipient_forums")
        .order_by("recorded_at")
    )
    for consent in consents:
        recipients = [a.name for a in consent.recipient_agencies.all()] + [
            f.name for f in consent.recipient_forums.all()
        ]
        status = consent.status(today)
        text = _(
            "Du har samtyckt till att %(recipients)s får veta %(what)s, för %(purpose)s, "
            "från %(start)s till och med %(end)s."
        ) % {
            "recipients": _join(recipients),
            "what": _join(_category_words(list(consent.categories))),
            "purpose": purposes.get(consent.purpose_code, consent.purpose_code),
            "start": _day(consent.valid_from),
            "end": _day(consent.valid_to),
        }
        if status is ConsentStatus.REVOKED:
            assert consent.revoked_at is not None
            state = _("Du tog tillbaka samtycket %(day)s.") % {"day": _day(consent.revoked_at)}
        elif status is ConsentStatus.EXPIRED:
            state = _("Samtycket gäller inte längre.")
        elif status is ConsentStatus.PENDING:
            state = _("Samtycket har inte börjat gälla.")
        else:
            state = _("Samtycket gäller. Du kan ta tillbaka det när du vill.")
        lines.append(
            ConsentLine(
                anchor=f"consent-{consent.id}",
                text=text,
                status=state,
                valid=status is ConsentStatus.VALID,
            )
        )
    return lines


# --- the page -------------------------------------------------------------------------------


def case_overview(*, user: Any, case_id: uuid.UUID | str) -> Overview:
    """The overview of one case for the people who work with it; the read is recorded."""
    case = selectors.case_get(user=user, case_id=case_id)
    if not policy.may_see_case_overview(user, case):
        raise NotFound()
    decision = policy.case_access(user, case)
    today = timezone.localdate()
    blocks = _Blocks(case)
    key = _key(case)
    _disclosures(case, blocks)
    _concern_reports(case, blocks)
    _referrals(case, blocks)
    read_actions = _actions(case, key, blocks, today)
    read_supports = _supports(case, key, blocks)
    officers = [person_name(o) for o in case.officers.order_by("first_name", "last_name")]
    record_atomic(
        actor=user,
        action="case.viewed",
        case=case,
        legal_basis=decision.basis,
        fields=["support"] if (read_actions or read_supports) else [],
        detail={
            "context": "overview",
            "level": str(decision.level),
            "flagged": decision.flagged,
        },
    )
    return Overview(
        case=case,
        officers=officers,
        agencies=blocks.ordered(),
        consents=_consents(case, today),
        today=today,
        texts_readable=key is not None,
    )
