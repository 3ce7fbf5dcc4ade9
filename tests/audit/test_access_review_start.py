"""access_review_start: a random sample plus the accesses each rule flags, recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from audit.models import AccessReview, AuditEvent, ReviewItem, ReviewReason
from audit.services import access_review_start
from coordination.errors import Forbidden, Invalid
from tests.audit.scenes import DAY, Clock, Scene, build_scene, bulk_rule
from tests.fixtures import Org

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def scene(org: Org, clock: Clock) -> Scene:
    return build_scene(org, clock)


def reasons_by_event(review: AccessReview) -> dict[int, list[str]]:
    return {item.event_id: item.reasons for item in review.items.all()}


def test_each_rule_picks_its_accesses_and_names_itself(org: Org, scene: Scene) -> None:
    with bulk_rule(cases=3, minutes=10):
        review = access_review_start(
            actor=org.user("auditor"), period_start=DAY, period_end=DAY, sample_size=0
        )
    picked = reasons_by_event(review)
    ev = scene.events
    assert picked[ev["protected"].pk] == [ReviewReason.PROTECTED_IDENTITY]
    assert picked[ev["no_role"].pk] == [ReviewReason.NO_ROLE]
    assert picked[ev["night"].pk] == [ReviewReason.NIGHT]
    # The third case within four minutes: a bulk read, and a protected case as well.
    assert picked[ev["bulk_3"].pk] == [ReviewReason.PROTECTED_IDENTITY, ReviewReason.BULK]
    bulk_item = review.items.get(event=ev["bulk_3"])
    assert bulk_item.reason_detail == {"bulk": {"cases": 3, "minutes": 10}}
    assert bulk_item.reason_labels() == ["skyddade personuppgifter", "många ärenden på kort tid"]
    # Ordinary daytime work by the case's own people is not flagged ...
    for name in ("ordinary", "bulk_1", "bulk_2"):
        assert ev[name].pk not in picked
    # ... and another agency's accesses are not this agency's review at all.
    assert ev["norr"].pk not in picked
    assert review.accesses_in_period == 7
    assert review.rule_counts == {
        "protected_identity": 2,
        "no_role": 1,
        "bulk": 1,
        "night": 1,
    }
    # Items are numbered in the order the accesses happened.
    seqs = [i.event.seq for i in review.items.order_by("position")]
    assert seqs == sorted(seqs)
    assert [i.position for i in review.items.order_by("position")] == [1, 2, 3, 4]


def test_a_slower_pace_is_not_a_bulk_read(org: Org, scene: Scene) -> None:
    with bulk_rule(cases=3, minutes=3):
        review = access_review_start(
            actor=org.user("auditor"), period_start=DAY, period_end=DAY, sample_size=0
        )
    assert review.rule_counts["bulk"] == 0
    assert ReviewReason.BULK not in {r for rs in reasons_by_event(review).values() for r in rs}


def test_the_random_sample_has_the_asked_size_and_the_review_is_recorded(
    org: Org, scene: Scene
) -> None:
    auditor = org.user("auditor")
    before = AuditEvent.objects.count()
    with bulk_rule():
        review = access_review_start(actor=auditor, period_start=DAY, period_end=DAY, sample_size=3)
    random_items = [i for i in review.items.all() if ReviewReason.RANDOM in i.reasons]
    assert len(random_items) == 3
    assert {i.event.case_id for i in random_items} <= {
        scene.case.pk,
        scene.protected.pk,
        scene.other.pk,
    }
    entries = list(AuditEvent.objects.filter(seq__gt=before))
    assert [e.action for e in entries] == ["access_review.started"]
    entry = entries[0]
    assert entry.actor == "auditor"
    assert entry.detail["review"] == str(review.pk)
    assert entry.detail["items"] == review.items.count()
    assert entry.detail["sample_size"] == 3
    assert entry.detail["period"] == ["2026-03-10", "2026-03-10"]
    # A sample larger than the month takes every access once.
    with bulk_rule():
        everything = access_review_start(
            actor=auditor, period_start=DAY, period_end=DAY, sample_size=50
        )
    assert everything.items.count() == 7


def test_someone_who_is_not_an_auditor_cannot_start_a_review(org: Org, scene: Scene) -> None:
    before = AuditEvent.objects.count()
    for name in ("officer", "lead", "admin"):
        with pytest.raises(Forbidden):
            access_review_start(
                actor=org.user(name), period_start=DAY, period_end=DAY, sample_size=5
            )
    assert not AccessReview.objects.exists()
    assert not ReviewItem.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("start", "end", "size"),
    [
        (DAY, DAY.replace(day=9), 5),  # ends before it starts
        (DAY.replace(year=2025, day=9), DAY, 5),  # more than a year
        (DAY.replace(year=2027), DAY.replace(year=2027), 5),  # not begun
        (DAY, DAY, 501),  # too large a sample
        (DAY, DAY, -1),
    ],
)
def test_a_bad_period_or_sample_is_refused(
    org: Org, scene: Scene, start: dt.date, end: dt.date, size: int
) -> None:
    with pytest.raises(Invalid):
        access_review_start(
            actor=org.user("auditor"), period_start=start, period_end=end, sample_size=size
        )
    assert not AccessReview.objects.exists()
