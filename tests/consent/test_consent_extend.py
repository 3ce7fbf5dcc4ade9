"""consent_extend: a later end date, given and witnessed like a consent; never for a
revoked or expired consent."""

# ruff: noqa: F811

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from audit.models import AuditEvent
from consent import services
from consent.errors import ConsentExpiredError, ConsentRevokedError
from consent.models import Consent
from coordination.errors import Invalid, NotFound
from tests.consent.conftest import days, record_consent

# The module-wide organisation fixtures; the tests' ``org`` parameters are these fixtures.
from tests.consent.module_org import _module_org, org  # noqa: F401
from tests.fixtures import Org


def test_officer_extends_a_valid_consent(
    org: Org, case, django_capture_on_commit_callbacks
) -> None:
    consent = record_consent(org, case, valid_to=days(30))
    with (
        mock.patch("realtime.publish._send") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.consent_extend(
            actor=org.user("lead"),
            consent=consent,
            valid_to=days(90),
            given_how="oral",
            witnessed_by=org.user("officer"),
        )

    consent.refresh_from_db()
    assert consent.valid_to == days(90)
    entry = AuditEvent.objects.get(action="consent.extended")
    assert entry.case_ref == case.reference and entry.actor == "lead"
    assert entry.detail["previous_valid_to"] == days(30).isoformat()
    assert entry.detail["valid_to"] == days(90).isoformat()
    assert entry.detail["witnessed_by"] == "officer"
    (room, event), _kw = send.call_args
    assert room == f"case:{case.id}" and event.kind == "consent.extended"
    assert event.valid_to == days(90).isoformat()


def _refused_and_unchanged(org: Org, consent: Consent, error: type[Exception], **kw: Any) -> None:
    before = (Consent.objects.get(pk=consent.pk).valid_to, AuditEvent.objects.count())
    values: dict[str, Any] = {"valid_to": days(365), "given_how": "written"} | kw
    with pytest.raises(error):
        services.consent_extend(
            actor=kw.pop("actor", org.user("officer")), consent=consent, **values
        )
    assert (Consent.objects.get(pk=consent.pk).valid_to, AuditEvent.objects.count()) == before


def test_end_date_must_move_later(org: Org, case) -> None:
    consent = record_consent(org, case, valid_to=days(30))
    _refused_and_unchanged(org, consent, Invalid, valid_to=days(30))
    _refused_and_unchanged(org, consent, Invalid, valid_to=days(10))


def test_oral_extension_needs_a_witness(org: Org, case) -> None:
    consent = record_consent(org, case)
    _refused_and_unchanged(org, consent, Invalid, given_how="oral")


def test_revoked_consent_cannot_be_extended(org: Org, case) -> None:
    consent = record_consent(org, case)
    services.consent_revoke(actor=org.user("officer"), consent=consent, reason="Ångrade sig")
    _refused_and_unchanged(org, consent, ConsentRevokedError)


def test_expired_consent_cannot_be_extended(org: Org, case) -> None:
    consent = record_consent(org, case, valid_from=days(-60), valid_to=days(1))
    Consent.objects.filter(pk=consent.pk).update(valid_to=days(-1))
    with pytest.raises(ConsentExpiredError) as refused:
        services.consent_extend(
            actor=org.user("officer"), consent=consent, valid_to=days(30), given_how="written"
        )
    assert refused.value.message == "Samtycket har gått ut; registrera ett nytt samtycke."
    assert Consent.objects.get(pk=consent.pk).valid_to == days(-1)


def test_outsider_gets_not_found(org: Org, case) -> None:
    consent = record_consent(org, case)
    with pytest.raises(NotFound):
        services.consent_extend(
            actor=org.user("nurse"), consent=consent, valid_to=days(365), given_how="written"
        )
    assert Consent.objects.get(pk=consent.pk).valid_to == days(180)
