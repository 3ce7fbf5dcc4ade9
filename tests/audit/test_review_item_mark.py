"""review_item_mark: the reviewer's verdict on one access, recorded in the trail."""

from __future__ import annotations

import pytest

from audit.models import AccessReview, AuditEvent, Verdict
from audit.services import access_review_start, review_item_mark
from coordination.errors import Invalid, NotFound
from coordination.models import Role
from coordination.services import membership_grant
from tests.audit.scenes import DAY, Clock, build_scene, bulk_rule
from tests.fixtures import Org

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(org: Org, monkeypatch: pytest.MonkeyPatch) -> AccessReview:
    build_scene(org, Clock(monkeypatch))
    with bulk_rule():
        return access_review_start(
            actor=org.user("auditor"), period_start=DAY, period_end=DAY, sample_size=0
        )


def test_marking_an_access_justified_is_stored_and_recorded(org: Org, review: AccessReview) -> None:
    item = review.items.get(position=1)
    before = AuditEvent.objects.count()
    review_item_mark(actor=org.user("auditor"), item=item, verdict=Verdict.JUSTIFIED)
    item.refresh_from_db()
    assert (item.verdict, item.note, item.marked_by) == ("justified", "", org.user("auditor"))
    assert item.marked_at is not None
    entry = AuditEvent.objects.get(seq=before + 1)
    assert entry.action == "access_review.item_marked"
    assert entry.case_id == item.event.case_id  # shows in the case's own history
    assert entry.detail == {
        "review": str(review.pk),
        "position": 1,
        "event_seq": item.event.seq,
        "verdict": "justified",
    }


def test_follow_up_needs_a_note_and_the_note_stays_out_of_the_trail(
    org: Org, review: AccessReview
) -> None:
    item = review.items.get(position=2)
    before = AuditEvent.objects.count()
    with pytest.raises(Invalid):
        review_item_mark(actor=org.user("auditor"), item=item, verdict="follow_up", note="  ")
    item.refresh_from_db()
    assert item.verdict == "" and AuditEvent.objects.count() == before
    note = "Fråga chefen varför ärendet lästes sent."
    review_item_mark(actor=org.user("auditor"), item=item, verdict="follow_up", note=note)
    item.refresh_from_db()
    assert (item.verdict, item.note) == ("follow_up", note)
    assert note not in str(AuditEvent.objects.get(seq=before + 1).detail)


def test_an_unknown_verdict_is_refused(org: Org, review: AccessReview) -> None:
    item = review.items.get(position=1)
    with pytest.raises(Invalid):
        review_item_mark(actor=org.user("auditor"), item=item, verdict="fine")
    item.refresh_from_db()
    assert item.verdict == ""


def test_only_an_auditor_of_the_agency_may_mark(org: Org, review: AccessReview) -> None:
    membership_grant(
        actor=None, user=org.user("nurse"), unit=org.units["region"], role=Role.AUDITOR
    )
    item = review.items.get(position=1)
    before = AuditEvent.objects.count()
    for name in ("officer", "lead", "nurse"):  # nurse audits the region, not Motala
        with pytest.raises(NotFound):
            review_item_mark(actor=org.user(name), item=item, verdict="justified")
    item.refresh_from_db()
    assert item.verdict == ""
    assert AuditEvent.objects.count() == before
