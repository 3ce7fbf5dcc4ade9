"""access_review_finish: closes a fully marked review and records its digest."""

from __future__ import annotations

import pytest

from audit.models import AccessReview, AuditEvent, ReviewStatus
from audit.services import access_review_finish, access_review_start, review_item_mark
from audit.services.reviews import review_digest
from coordination.errors import Conflict, NotFound
from tests.audit.scenes import DAY, Clock, build_scene, bulk_rule
from tests.fixtures import Org

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(org: Org, monkeypatch: pytest.MonkeyPatch) -> AccessReview:
    build_scene(org, Clock(monkeypatch))
    with bulk_rule():
        return access_review_start(
            actor=org.user("auditor"), period_start=DAY, period_end=DAY, sample_size=1
        )


def mark_all(org: Org, review: AccessReview) -> None:
    for item in review.items.order_by("position"):
        if item.position == 2:
            review_item_mark(
                actor=org.user("auditor"), item=item, verdict="follow_up", note="Kontrollera."
            )
        else:
            review_item_mark(actor=org.user("auditor"), item=item, verdict="justified")


def test_a_review_with_unmarked_accesses_cannot_be_finished(org: Org, review: AccessReview) -> None:
    review_item_mark(
        actor=org.user("auditor"), item=review.items.get(position=1), verdict="justified"
    )
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict) as refused:
        access_review_finish(actor=org.user("auditor"), review=review)
    total = review.items.count()
    assert refused.value.detail == {"unmarked": list(range(2, total + 1))}
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN and review.digest == ""
    assert AuditEvent.objects.count() == before


def test_finishing_records_the_digest_and_freezes_the_review(
    org: Org, review: AccessReview
) -> None:
    mark_all(org, review)
    before = AuditEvent.objects.count()
    access_review_finish(
        actor=org.user("auditor"), review=review, conclusion="Två frågor till chefen."
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.FINISHED
    assert review.finished_by == org.user("auditor") and review.finished_at is not None
    assert review.conclusion == "Två frågor till chefen."
    assert len(review.digest) == 64 and review.digest == review_digest(review)
    entry = AuditEvent.objects.get(seq=before + 1)
    assert entry.action == "access_review.finished"
    total = review.items.count()
    assert entry.detail == {
        "review": str(review.pk),
        "items": total,
        "justified": total - 1,
        "follow_up": 1,
        "digest": review.digest,
    }
    # The digest changes with any note, so the printed review can be checked against it.
    item = review.items.get(position=2)
    item.note = "Ändrad i efterhand."
    item.save()
    assert review_digest(review) != entry.detail["digest"]
    # Nothing more may be marked or finished.
    with pytest.raises(Conflict):
        review_item_mark(actor=org.user("auditor"), item=item, verdict="justified")
    with pytest.raises(Conflict):
        access_review_finish(actor=org.user("auditor"), review=review)
    assert AuditEvent.objects.count() == before + 1


def test_only_an_auditor_may_finish(org: Org, review: AccessReview) -> None:
    mark_all(org, review)
    with pytest.raises(NotFound):
        access_review_finish(actor=org.user("lead"), review=review)
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
