"""consent_revoke: takes effect at once, audited, and open connections are told."""

# ruff: noqa: F811

from __future__ import annotations

from unittest import mock

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from consent import policy, services
from consent.errors import ConsentRevokedError
from consent.models import Consent, ConsentStatus
from coordination import services as org_services
from coordination import vault
from coordination.errors import CaseErasedError, Invalid, NotFound
from tests.consent.conftest import make_forum, make_meeting, present, record_consent

# The module-wide organisation fixtures; the tests' ``org`` parameters are these fixtures.
from tests.consent.module_org import _module_org, org  # noqa: F401
from tests.fixtures import Org


def test_revocation_is_immediate_audited_and_announced(
    org: Org, case, django_capture_on_commit_callbacks
) -> None:
    forum = make_forum(org)
    meeting = make_meeting(forum)
    present(meeting, case, "consented", org.user("officer"))
    consent = record_consent(org, case, forums=[forum])
    teacher = org.user("teacher")
    assert policy.case_access(teacher, case, policy.Context.PRESENTATION, meeting=meeting).allowed

    with (
        mock.patch("realtime.publish._send") as send,
        mock.patch("realtime.publish._announce_access_changed") as access_changed,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.consent_revoke(
            actor=org.user("lead"), consent=consent, reason="Klienten vill inte längre."
        )

    consent.refresh_from_db()
    assert consent.status(timezone.localdate()) is ConsentStatus.REVOKED
    assert consent.revoked_by == org.user("lead") and consent.revoked_at is not None
    # The reason may name people: it is stored encrypted with the case key.
    assert b"Klienten" not in bytes(consent.revoked_reason_ciphertext)
    assert (
        vault.decrypt_value(
            vault.case_data_key(case),
            str(case.id),
            f"consent:{consent.id}:revoked_reason",
            bytes(consent.revoked_reason_ciphertext),
        )
        == "Klienten vill inte längre."
    )
    assert not policy.case_access(
        teacher, case, policy.Context.PRESENTATION, meeting=meeting
    ).allowed

    entry = AuditEvent.objects.get(action="consent.revoked")
    assert entry.case_ref == case.reference and entry.actor == "lead"
    assert entry.detail == {"consent": str(consent.id)}

    (room, event), _kw = send.call_args
    assert room == f"case:{case.id}" and event.kind == "consent.revoked"
    # Everyone the consent reached: the school, the region and the forum's members.
    (reached,), _kw = access_changed.call_args
    expected = {
        org.user(name).pk for name in ("teacher", "nurse", "officer", "colleague", "lead")
    } | {org.user(name).pk for name in ("deputy", "vuxen_officer", "vuxen_lead")}
    assert set(reached) == expected
    assert org.user("norr_officer").pk not in reached


def test_revoking_twice_is_refused(org: Org, case) -> None:
    consent = record_consent(org, case)
    services.consent_revoke(actor=org.user("officer"), consent=consent, reason="Ångrade sig")
    before = AuditEvent.objects.count()
    with pytest.raises(ConsentRevokedError) as refused:
        services.consent_revoke(actor=org.user("officer"), consent=consent, reason="Igen")
    assert refused.value.message == "Samtycket är redan återkallat."
    assert AuditEvent.objects.count() == before


def test_a_reason_is_required(org: Org, case) -> None:
    consent = record_consent(org, case)
    with pytest.raises(Invalid):
        services.consent_revoke(actor=org.user("officer"), consent=consent, reason="  ")
    assert Consent.objects.get(pk=consent.pk).revoked_at is None
    assert not AuditEvent.objects.filter(action="consent.revoked").exists()


def test_outsider_gets_not_found(org: Org, case) -> None:
    consent = record_consent(org, case)
    for outsider in ("teacher", "nurse", "norr_officer", "auditor"):
        with pytest.raises(NotFound):
            services.consent_revoke(actor=org.user(outsider), consent=consent, reason="x")
    assert Consent.objects.get(pk=consent.pk).revoked_at is None


def test_erased_case_refuses_changes(org: Org, case) -> None:
    consent = record_consent(org, case)
    org_services.case_erase(actor=org.user("lead"), case=case, reason="Gallring")
    consent.refresh_from_db()
    with pytest.raises(CaseErasedError):
        services.consent_revoke(actor=org.user("lead"), consent=consent, reason="x")
