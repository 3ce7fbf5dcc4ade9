"""Properties that hold for any consent and any disclosure attempt (Hypothesis).

* A consent is valid exactly from its first through its last day, unless revoked; its
  days run pending → valid → expired, never back.
* A revoked, expired or not yet valid consent never discloses anything: not in a
  meeting, not through a disclosure already made on it, not for a new disclosure.
* Every recorded disclosure has a basis, and that basis allowed it.
"""

# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from consent import policy, services
from consent.errors import DisclosureRefused
from consent.models import (
    Consent,
    ConsentStatus,
    Disclosure,
    DisclosureContext,
    InformationCategory,
    LegalBasis,
    PurposeCode,
    fields_of,
)
from coordination.errors import Invalid
from tests.consent.conftest import agency, make_forum, make_meeting, make_police, present

# The module-wide organisation fixtures; the tests' ``org`` parameters are these fixtures.
from tests.consent.module_org import _module_org, org  # noqa: F401
from tests.fixtures import Org, make_case

DB_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
dates = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))
categories = st.sets(st.sampled_from(InformationCategory.values), min_size=1)


# --- validity windows ------------------------------------------------------------------------


@settings(max_examples=300)
@given(start=dates, length=st.integers(0, 400), on=dates, revoked=st.booleans())
def test_status_is_valid_exactly_inside_the_window(
    start: dt.date, length: int, on: dt.date, revoked: bool
) -> None:
    end = start + dt.timedelta(days=length)
    consent = Consent(
        valid_from=start, valid_to=end, revoked_at=timezone.now() if revoked else None
    )
    valid = consent.status(on) is ConsentStatus.VALID
    assert valid == (not revoked and start <= on <= end)
    if revoked:
        assert consent.status(on) is ConsentStatus.REVOKED


@settings(max_examples=100)
@given(start=dates, length=st.integers(0, 60))
def test_days_run_pending_then_valid_then_expired(start: dt.date, length: int) -> None:
    consent = Consent(valid_from=start, valid_to=start + dt.timedelta(days=length))
    order = [ConsentStatus.PENDING, ConsentStatus.VALID, ConsentStatus.EXPIRED]
    days = [start + dt.timedelta(days=d) for d in range(-3, length + 4)]
    ranks = [order.index(consent.status(day)) for day in days]
    assert ranks == sorted(ranks)
    assert ranks.count(1) == length + 1


@DB_SETTINGS
@given(start=st.integers(-30, 30), length=st.integers(-5, 60))
def test_recorded_windows_are_checked(org: Org, case: Any, start: int, length: int) -> None:
    today = timezone.localdate()
    valid_from = today + dt.timedelta(days=start)
    valid_to = valid_from + dt.timedelta(days=length)
    with transaction.atomic():
        try:
            consent = services.consent_record(
                actor=org.user("officer"),
                case=case,
                agencies=[agency(org, "region")],
                categories=["situation"],
                purpose_code="consultation",
                given_how="written",
                valid_from=valid_from,
                valid_to=valid_to,
            )
        except Invalid as refused:
            assert refused.detail["field"] == "valid_to"
            assert valid_to < valid_from or valid_to < today
            assert not Consent.objects.filter(case=case).exists()
        else:
            assert valid_from <= valid_to and today <= valid_to
            expected = ConsentStatus.VALID if valid_from <= today else ConsentStatus.PENDING
            assert consent.status(today) is expected
        transaction.set_rollback(True)


# --- a consent that does not hold never discloses --------------------------------------------


@DB_SETTINGS
@given(
    start=st.integers(-60, 30),
    length=st.integers(0, 90),
    revoked=st.booleans(),
    chosen=categories,
    names_forum=st.booleans(),
    agency_keys=st.sets(st.sampled_from(["skola", "region", "norr"])),
    purpose=st.sampled_from(PurposeCode.values),
)
def test_a_consent_that_does_not_hold_never_discloses(
    org: Org,
    case: Any,
    start: int,
    length: int,
    revoked: bool,
    chosen: set[str],
    names_forum: bool,
    agency_keys: set[str],
    purpose: str,
) -> None:
    assume(names_forum or agency_keys)
    today = timezone.localdate()
    with transaction.atomic():
        forum = make_forum(org)
        meeting = make_meeting(forum)
        present(meeting, case, "consented", org.user("officer"))
        consent = Consent.objects.create(
            case=case,
            categories=[c for c in InformationCategory.values if c in chosen],
            purpose_code=purpose,
            given_how="written",
            valid_from=today + dt.timedelta(days=start),
            valid_to=today + dt.timedelta(days=start + length),
            recorded_by=org.user("officer"),
            revoked_at=timezone.now() if revoked else None,
        )
        consent.recipient_agencies.set([agency(org, k) for k in agency_keys])
        if names_forum:
            consent.recipient_forums.set([forum])
        Disclosure.objects.create(
            case=case,
            context="referral",
            level="identified",
            categories=consent.categories,
            fields=sorted(consent.fields),
            recipient_agency=agency(org, "region"),
            basis=LegalBasis.objects.get(code="consent"),
            basis_code="consent",
            consent=consent,
            decided_by=org.user("officer"),
            assessment_ciphertext=b"-",
        )
        holds = not revoked and start <= 0 <= start + length

        for person in ("teacher", "nurse", "vuxen_lead"):
            decision = policy.case_access(
                org.user(person), case, policy.Context.PRESENTATION, meeting=meeting
            )
            if not holds:
                assert decision == policy.DENY
        nurse_referral = policy.case_access(org.user("nurse"), case, policy.Context.REFERRAL)
        answer = policy.may_disclose(
            org.user("officer"),
            case,
            agency(org, "region"),
            LegalBasis.objects.get(code="consent"),
            consent.fields,
            context=policy.Context.REFERRAL,
        )
        if holds:
            assert nurse_referral.fields == consent.fields
        else:
            assert nurse_referral == policy.DENY
            assert policy.disclosed_fields(org.user("nurse"), case) == frozenset()
            assert isinstance(answer, policy.Refusal)
            assert answer.code in {"consent_revoked", "consent_expired", "consent_pending"}
        transaction.set_rollback(True)


# --- every disclosure has a basis, and the basis allowed it ----------------------------------

RECIPIENTS = ["skola", "region", "region_unit", "norr", "vuxen_unit", "bou_unit", "forum", "polis"]


def _recipient(org: Org, key: str, forum: Any) -> Any:
    if key == "forum":
        return forum
    if key.endswith("_unit"):
        return org.units[key.removesuffix("_unit")]
    if key == "polis":
        return org.units["polis"]
    return agency(org, key)


def _recipient_agencies(disclosure: Disclosure) -> list[Any]:
    if disclosure.recipient_forum is not None:
        return [u.agency for u in disclosure.recipient_forum.member_units.all()]
    assert disclosure.recipient_agency is not None
    return [disclosure.recipient_agency]


def test_every_disclosure_has_a_basis_that_allowed_it(org: Org) -> None:
    make_police(org)
    forum = make_forum(org)
    cases = {False: make_case(org), True: make_case(org, protected=True)}
    for subject in cases.values():
        valid = services.consent_record(
            actor=org.user("officer"),
            case=subject,
            agencies=[agency(org, "region"), agency(org, "skola")],
            forums=[forum],
            categories=["identity", "situation", "risk"],
            purpose_code="coordination",
            given_how="written",
            valid_from=timezone.localdate(),
            valid_to=timezone.localdate() + dt.timedelta(days=30),
        )
        revoked = services.consent_record(
            actor=org.user("officer"),
            case=subject,
            agencies=[agency(org, "norr")],
            categories=["identity", "situation", "health"],
            purpose_code="coordination",
            given_how="written",
            valid_from=timezone.localdate(),
            valid_to=timezone.localdate() + dt.timedelta(days=30),
        )
        services.consent_revoke(actor=org.user("officer"), consent=revoked, reason="Ångrade sig")
        assert valid.status(timezone.localdate()) is ConsentStatus.VALID

    recorded: list[str] = []

    @settings(DB_SETTINGS, max_examples=60)
    @given(
        protected=st.booleans(),
        code=st.sampled_from(sorted(LegalBasis.objects.values_list("code", flat=True))),
        key=st.sampled_from(RECIPIENTS),
        chosen=st.one_of(
            st.sets(st.sampled_from(["identity", "situation", "risk"]), min_size=1, max_size=2),
            st.sets(st.sampled_from(InformationCategory.values)),
        ),
        context=st.sampled_from(DisclosureContext.values),
    )
    # Known lawful and unlawful attempts always run, whatever else is drawn.
    @example(False, "consent", "region", {"situation"}, "referral")
    @example(True, "consent", "forum", {"risk"}, "presentation")
    @example(True, "consent", "region", {"identity"}, "referral")
    @example(False, "anonymised", "skola", {"situation", "health"}, "message")
    @example(False, "police_crime_suspicion", "polis", {"identity"}, "export")
    @example(False, "same_authority", "vuxen_unit", {"identity", "address"}, "referral")
    @example(False, "same_authority", "norr", {"identity"}, "referral")
    def attempt(protected: bool, code: str, key: str, chosen: set[str], context: str) -> None:
        subject = cases[protected]
        before = (Disclosure.objects.count(), AuditEvent.objects.count())
        with transaction.atomic():
            try:
                row = services.disclosure_record(
                    actor=org.user("officer"),
                    case=subject,
                    recipient=_recipient(org, key, forum),
                    basis=code,
                    categories=sorted(chosen),
                    assessment="Bedömningen är gjord.",
                    context=context,
                )
            except DisclosureRefused:
                assert (Disclosure.objects.count(), AuditEvent.objects.count()) == before
            else:
                _assert_lawful(row, protected)
                recorded.append(row.basis_code)
            transaction.set_rollback(True)

    attempt()
    assert {"consent", "anonymised", "police_crime_suspicion", "same_authority"} <= set(recorded)


def _assert_lawful(row: Disclosure, protected: bool) -> None:
    row = Disclosure.objects.select_related("basis", "consent", "case__owning_unit__agency").get(
        pk=row.pk
    )
    basis = row.basis
    assert basis is not None and row.basis_code == basis.code and basis.active
    sender = row.case.owning_unit.agency
    assert sender.kind in basis.sender_kinds
    for recipient in _recipient_agencies(row):
        assert recipient.kind in basis.recipient_kinds
        if basis.same_agency_only:
            assert recipient.pk == sender.pk
    fields = set(row.fields)
    assert fields and fields == set(fields_of(row.categories))
    if basis.categories:
        assert fields <= fields_of(basis.categories)
    if basis.level == "anonymised" or protected:
        assert not fields & policy.IDENTITY_FIELDS
    if basis.requires_consent:
        assert row.consent is not None
        assert row.consent.status(timezone.localdate()) is ConsentStatus.VALID
        assert fields <= row.consent.fields
    else:
        assert row.consent is None
    entry = AuditEvent.objects.get(action="disclosure.recorded", detail__disclosure=str(row.id))
    assert entry.legal_basis == basis.code and entry.fields == sorted(fields)
