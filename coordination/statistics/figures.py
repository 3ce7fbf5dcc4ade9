"""The statistics' figures: what is counted, from which records, per municipality and
month, and the tables cut from one protected publication per calendar year.

A publication holds every municipality of the county (and cases owned by agencies that
belong to no municipality, such as the region) for one calendar year. Each kind of
figure is one cube protected as a whole (``suppression.protect``): the tables of one
municipality, of the county and of the county per municipality, the charts and the
CSV files are all read from it, so no combination of them reveals a count under 5.
Periods are whole calendar years on purpose: a freely chosen period would let two
exports be subtracted from each other.

What is counted, and where it is placed:

* incidents (händelser): by kind, in the month they occurred, for the municipality of
  the unit that owns the case;
* styrgrupper: same-day meetings, in the month they were convened, for the forum's
  municipality; whether that was the same day as the incident was registered;
* konsultativ grupp: cases presented, anonymised or with consent, in the month of the
  meeting, for the forum's municipality;
* referrals (remisser): by sending and receiving agency and by how they ended, for the
  year they were sent, for the municipality of the case;
* actions (åtgärder): by whether they were done by their due date, in the month they
  were due, for the municipality of the case;
* concern reports (orosanmälningar): by the kind of agency that reported, in the month
  they were made, for the child's municipality;
* the four counts Linköping made (children who witnessed violence, children subjected
  to violence, adults subjected to violence, adults who used violence): people, as the
  case's counts say, in the month the case was opened. These four count different
  people, so they are never added together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from coordination.models import (
    Action,
    ActionStatus,
    AgencyKind,
    ForumKind,
    Incident,
    IncidentKind,
    Meeting,
    Municipality,
    Presentation,
    PresentationMode,
)
from coordination.models_consultation import (
    ConcernReport,
    Referral,
    ReferralOutcome,
    ReferralStatus,
)
from coordination.models_statistics import CaseFacts
from coordination.statistics.suppression import ZERO, Dimension, Figure, Protected, protect

NO_MUNICIPALITY = ""  # cases owned by agencies outside any municipality (the region …)
COUNTY = "lan"
MONTHS = tuple(range(1, 13))
MONTH_NAMES = (
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
)
CACHE_SECONDS = 24 * 3600

Counts = dict[tuple[Hashable, ...], int]


@dataclass(frozen=True)
class Column:
    key: str
    label: Any


@dataclass(frozen=True)
class Share:
    """A share derived only from shown figures: numerator / sum of denominator columns."""

    label: Any
    numerator: str
    denominator: tuple[str, ...]


@dataclass(frozen=True)
class Dataset:
    key: str
    title: Any
    description: Any
    columns: tuple[Column, ...]
    rows: str  # "month", or "pair" for referrals
    count: Callable[[int], tuple[Counts, dict[Hashable, str]]]
    columns_summable: bool = True
    share: Share | None = None
    row_label: Any = None  # None: "Månad"


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    start = dt.datetime(year, 1, 1, tzinfo=zone)
    return start, dt.datetime(year + 1, 1, 1, tzinfo=zone)


def _month(moment: dt.datetime) -> int:
    return timezone.localtime(moment).month


def _area(code: str | None) -> str:
    return code or NO_MUNICIPALITY


# --- what each figure counts --------------------------------------------------------------


def count_incidents(year: int) -> tuple[Counts, dict[Hashable, str]]:
    start, end = year_bounds(year)
    rows = Incident.objects.filter(occurred_at__gte=start, occurred_at__lt=end).values_list(
        "case__owning_unit__agency__municipality__code", "occurred_at", "kind"
    )
    counts: Counter[tuple[Hashable, ...]] = Counter(
        (_area(code), _month(at), kind) for code, at, kind in rows
    )
    return dict(counts), {}


SAME_DAY, LATER, NO_INCIDENT = "same_day", "later", "no_incident"


def count_styrgrupper(year: int) -> tuple[Counts, dict[Hashable, str]]:
    start, end = year_bounds(year)
    rows = Meeting.objects.filter(
        ad_hoc=True,
        forum__kind=ForumKind.STEERING_GROUP,
        created_at__gte=start,
        created_at__lt=end,
    ).values_list("forum__municipality__code", "created_at", "incident__created_at")
    counts: Counter[tuple[Hashable, ...]] = Counter()
    for code, convened_at, incident_at in rows:
        if incident_at is None:
            kind = NO_INCIDENT
        elif timezone.localdate(convened_at) == timezone.localdate(incident_at):
            kind = SAME_DAY
        else:
            kind = LATER
        counts[(_area(code), _month(convened_at), kind)] += 1
    return dict(counts), {}


def count_presentations(year: int) -> tuple[Counts, dict[Hashable, str]]:
    start, end = year_bounds(year)
    rows = Presentation.objects.filter(
        meeting__forum__kind=ForumKind.CONSULTATIVE_GROUP,
        meeting__starts_at__gte=start,
        meeting__starts_at__lt=end,
        mode__in=[PresentationMode.ANONYMISED, PresentationMode.CONSENTED],
    ).values_list("meeting__forum__municipality__code", "meeting__starts_at", "mode")
    counts: Counter[tuple[Hashable, ...]] = Counter(
        (_area(code), _month(at), mode) for code, at, mode in rows
    )
    return dict(counts), {}


def referral_column(status: str, outcome: str) -> str:
    if status == ReferralStatus.CLOSED:
        return f"closed:{outcome}"
    return status


def count_referrals(year: int) -> tuple[Counts, dict[Hashable, str]]:
    start, end = year_bounds(year)
    rows = Referral.objects.filter(sent_at__gte=start, sent_at__lt=end).values_list(
        "case__owning_unit__agency__municipality__code",
        "from_unit__agency_id",
        "from_unit__agency__name",
        "to_agency_id",
        "to_agency__name",
        "status",
        "outcome",
    )
    counts: Counter[tuple[Hashable, ...]] = Counter()
    labels: dict[Hashable, str] = {}
    for code, from_id, from_name, to_id, to_name, status, outcome in rows:
        pair = f"{from_id}>{to_id}"
        labels[pair] = f"{from_name} → {to_name}"
        counts[(_area(code), pair, referral_column(status, outcome))] += 1
    return dict(counts), labels


ON_TIME, DONE_LATE, OVERDUE, NOT_DUE = "on_time", "done_late", "overdue", "not_due"


def count_actions(year: int) -> tuple[Counts, dict[Hashable, str]]:
    today = timezone.localdate()
    rows = Action.objects.filter(due_date__year=year).values_list(
        "case__owning_unit__agency__municipality__code", "due_date", "status", "done_at"
    )
    counts: Counter[tuple[Hashable, ...]] = Counter()
    for code, due, status, done_at in rows:
        if status == ActionStatus.DONE and done_at is not None:
            kind = ON_TIME if timezone.localdate(done_at) <= due else DONE_LATE
        else:
            kind = OVERDUE if due < today else NOT_DUE
        counts[(_area(code), due.month, kind)] += 1
    return dict(counts), {}


REPORTER_KINDS = (AgencyKind.SCHOOL, AgencyKind.HEALTH, AgencyKind.POLICE)
OTHER_REPORTER = "other"


def count_concern_reports(year: int) -> tuple[Counts, dict[Hashable, str]]:
    start, end = year_bounds(year)
    rows = ConcernReport.objects.filter(submitted_at__gte=start, submitted_at__lt=end).values_list(
        "municipality__code", "submitted_at", "reporter_unit__agency__kind"
    )
    counts: Counter[tuple[Hashable, ...]] = Counter(
        (
            _area(code),
            _month(at),
            kind if kind in REPORTER_KINDS else OTHER_REPORTER,
        )
        for code, at, kind in rows
    )
    return dict(counts), {}


WITNESSED, SUBJECTED, ADULT_SUBJECTED, ADULT_USED = (
    "children_witnessed",
    "children_subjected",
    "adults_subjected",
    "adults_used_violence",
)


def count_linkoping(year: int) -> tuple[Counts, dict[Hashable, str]]:
    start, end = year_bounds(year)
    rows = CaseFacts.objects.filter(
        case__created_at__gte=start, case__created_at__lt=end
    ).values_list(
        "case__owning_unit__agency__municipality__code",
        "case__created_at",
        "children_witnessed",
        "children_subjected",
        "adult_subjected",
        "adult_used_violence",
    )
    counts: Counter[tuple[Hashable, ...]] = Counter()
    for code, opened, witnessed, subjected, adult_subjected, adult_used in rows:
        key = (_area(code), _month(opened))
        counts[(*key, WITNESSED)] += witnessed
        counts[(*key, SUBJECTED)] += subjected
        counts[(*key, ADULT_SUBJECTED)] += int(adult_subjected)
        counts[(*key, ADULT_USED)] += int(adult_used)
    return {k: v for k, v in counts.items() if v}, {}


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        key="handelser",
        title=_("Händelser"),
        description=_(
            "Registrerade händelser per slag, den månad de inträffade, i den kommun som "
            "äger ärendet."
        ),
        columns=tuple(Column(kind.value, kind.label) for kind in IncidentKind),
        rows="month",
        count=count_incidents,
    ),
    Dataset(
        key="styrgrupper",
        title=_("Styrgrupper"),
        description=_(
            "Påkallade styrgrupper den månad de kallades, och om det skedde samma dag som "
            "händelsen registrerades."
        ),
        columns=(
            Column(SAME_DAY, _("samma dag")),
            Column(LATER, _("senare dag")),
            Column(NO_INCIDENT, _("utan registrerad händelse")),
        ),
        rows="month",
        count=count_styrgrupper,
        share=Share(_("Andel kallade samma dag"), SAME_DAY, (SAME_DAY, LATER)),
    ),
    Dataset(
        key="konsultativ",
        title=_("Konsultativ grupp"),
        description=_(
            "Ärenden som dragits i en konsultativ grupp, avidentifierat eller med samtycke, "
            "den månad mötet hölls."
        ),
        columns=(
            Column(PresentationMode.ANONYMISED.value, _("avidentifierat")),
            Column(PresentationMode.CONSENTED.value, _("med samtycke")),
        ),
        rows="month",
        count=count_presentations,
    ),
    Dataset(
        key="remisser",
        title=_("Remisser"),
        description=_(
            "Remisser som skickats under året, per avsändande och mottagande myndighet, "
            "och hur de slutade."
        ),
        columns=(
            Column(ReferralStatus.SENT.value, _("väntar på svar")),
            Column(ReferralStatus.ACCEPTED.value, _("accepterad, pågår")),
            Column(ReferralStatus.DECLINED.value, _("avböjd")),
            *(
                Column(
                    f"closed:{outcome.value}", format_lazy("{}: {}", _("avslutad"), outcome.label)
                )
                for outcome in ReferralOutcome
            ),
        ),
        rows="pair",
        count=count_referrals,
        row_label=_("Från → till"),
    ),
    Dataset(
        key="atgarder",
        title=_("Åtgärder"),
        description=_(
            "Åtgärder och beslut från styrgrupperna, den månad de skulle vara klara, och om "
            "de blev klara i tid."
        ),
        columns=(
            Column(ON_TIME, _("klar i tid")),
            Column(DONE_LATE, _("klar för sent")),
            Column(OVERDUE, _("inte klar, försenad")),
            Column(NOT_DUE, _("inte klar, tid kvar")),
        ),
        rows="month",
        count=count_actions,
        share=Share(_("Andel klara i tid"), ON_TIME, (ON_TIME, DONE_LATE, OVERDUE)),
    ),
    Dataset(
        key="orosanmalningar",
        title=_("Orosanmälningar"),
        description=_(
            "Orosanmälningar om barn den månad de gjordes, per slag av anmälande myndighet, "
            "i barnets kommun."
        ),
        columns=(
            Column(AgencyKind.SCHOOL.value, _("skola")),
            Column(AgencyKind.HEALTH.value, _("hälso- och sjukvård")),
            Column(AgencyKind.POLICE.value, _("polis")),
            Column(OTHER_REPORTER, _("annan")),
        ),
        rows="month",
        count=count_concern_reports,
    ),
    Dataset(
        key="linkoping",
        title=_("Barn och vuxna i ärendena"),
        description=_(
            "Linköpings fyra räkningar: personer i ärenden som öppnades under månaden, "
            "enligt ärendets uppgifter för statistiken. De räknar olika personer och läggs "
            "därför inte ihop."
        ),
        columns=(
            Column(WITNESSED, _("barn som bevittnat våld")),
            Column(SUBJECTED, _("barn som utsatts för våld")),
            Column(ADULT_SUBJECTED, _("vuxna som utsatts för våld")),
            Column(ADULT_USED, _("vuxna som utövat våld")),
        ),
        rows="month",
        count=count_linkoping,
        columns_summable=False,
    ),
)
DATASET_BY_KEY = {dataset.key: dataset for dataset in DATASETS}


# --- the publication ----------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    code: str
    name: str


def county_areas() -> list[Area]:
    areas = [Area(m.code, m.name) for m in Municipality.objects.order_by("name")]
    areas.append(Area(NO_MUNICIPALITY, str(_("Utan kommun (region och statliga myndigheter)"))))
    return areas


@dataclass
class Cube:
    dataset: Dataset
    protected: Protected | None  # None: nothing to count (no rows at all, e.g. no referrals)
    rows: list[tuple[Hashable, str]]

    def figure(self, **coordinates: Hashable) -> Figure:
        if self.protected is None:
            return ZERO
        return self.protected.figure(**coordinates)


@dataclass
class Publication:
    year: int
    areas: list[Area]
    cubes: dict[str, Cube] = field(default_factory=dict)
    computed_at: dt.datetime | None = None

    def area(self, code: str) -> Area | None:
        return next((a for a in self.areas if a.code == code), None)


def _fingerprint(dataset: Dataset, areas: list[Area], rows: list[Hashable], counts: Counts) -> str:
    text = repr(
        (
            dataset.key,
            [a.code for a in areas],
            rows,
            [c.key for c in dataset.columns],
            dataset.columns_summable,
            sorted((repr(k), v) for k, v in counts.items()),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def build_cube(dataset: Dataset, year: int, areas: list[Area]) -> Cube:
    counts, labels = dataset.count(year)
    if dataset.rows == "month":
        row_keys: list[Hashable] = list(MONTHS)
        rows: list[tuple[Hashable, str]] = [(m, str(MONTH_NAMES[m - 1])) for m in MONTHS]
    else:
        row_keys = sorted(labels, key=lambda k: labels[k])
        rows = [(k, labels[k]) for k in row_keys]
    if not row_keys:
        return Cube(dataset=dataset, protected=None, rows=[])
    dimensions = (
        Dimension("area", tuple(a.code for a in areas)),
        Dimension("row", tuple(row_keys)),
        Dimension("column", tuple(c.key for c in dataset.columns), dataset.columns_summable),
    )
    key = f"statistics:{_fingerprint(dataset, areas, row_keys, counts)}"
    protected = cache.get(key)
    if protected is None:
        protected = protect(dimensions, counts)
        cache.set(key, protected, CACHE_SECONDS)
    return Cube(dataset=dataset, protected=protected, rows=rows)


def publication(year: int, datasets: tuple[Dataset, ...] = DATASETS) -> Publication:
    """Every figure of ``year`` for the whole county, protected."""
    areas = county_areas()
    pub = Publication(year=year, areas=areas, computed_at=timezone.now())
    for dataset in datasets:
        pub.cubes[dataset.key] = build_cube(dataset, year, areas)
    return pub


# --- tables cut from a cube ---------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    key: Hashable
    label: str
    cells: list[Figure]
    total: Figure | None
    share: str | None = None


@dataclass(frozen=True)
class Table:
    """One table of a publication, ready for the page, the chart and the CSV file."""

    dataset: Dataset
    scope: str  # a municipality code, COUNTY, or "per-kommun"
    row_label: str
    columns: list[Column]
    rows: list[TableRow]
    totals: TableRow | None
    key: str = ""

    @property
    def has_totals(self) -> bool:
        return self.dataset.columns_summable


def _share(dataset: Dataset, figures: dict[str, Figure]) -> str | None:
    """The share as text, or None when any figure it needs is not shown."""
    spec = dataset.share
    if spec is None:
        return None
    needed = [figures[spec.numerator], *(figures[c] for c in spec.denominator)]
    if not all(f.shown for f in needed):
        return None
    denominator = sum(figures[c].value for c in spec.denominator)
    if denominator == 0:
        return None
    percent = round(100 * figures[spec.numerator].value / denominator)
    return f"{percent} %"


def _row(
    cube: Cube, key: Hashable, label: str, total: Figure | None, **where: Hashable
) -> TableRow:
    cells = {c.key: cube.figure(column=c.key, **where) for c in cube.dataset.columns}
    return TableRow(
        key=key,
        label=label,
        cells=[cells[c.key] for c in cube.dataset.columns],
        total=total,
        share=_share(cube.dataset, cells),
    )


def shown_rows(cube: Cube, year: int) -> list[tuple[Hashable, str]]:
    """Months up to the current one in the current year (later months are all zero)."""
    if cube.dataset.rows != "month":
        return cube.rows
    today = timezone.localdate()
    if year < today.year:
        return cube.rows
    last = today.month if year == today.year else 0
    return [(k, label) for k, label in cube.rows if isinstance(k, int) and k <= last]


def area_table(pub: Publication, dataset_key: str, code: str) -> Table:
    """Months (or agency pairs) × columns for one municipality, or the county (COUNTY)."""
    cube = pub.cubes[dataset_key]
    dataset = cube.dataset
    where: dict[str, Hashable] = {} if code == COUNTY else {"area": code}
    summable = dataset.columns_summable
    rows = [
        _row(
            cube,
            key,
            label,
            cube.figure(row=key, **where) if summable else None,
            row=key,
            **where,
        )
        for key, label in shown_rows(cube, pub.year)
    ]
    totals = _row(
        cube, "total", str(_("Hela året")), cube.figure(**where) if summable else None, **where
    )
    return Table(
        dataset=dataset,
        scope=code,
        row_label=str(dataset.row_label or _("Månad")),
        columns=list(dataset.columns),
        rows=rows,
        totals=totals if cube.rows else None,
        key=f"{dataset.key}-{code or 'utan-kommun'}",
    )


PER_MUNICIPALITY = "per-kommun"


def _any_count(cube: Cube, code: str) -> bool:
    # Zeros are shown anyway, so leaving out a row of zeros tells nobody anything new.
    return any(cube.figure(area=code, column=c.key).value for c in cube.dataset.columns)


def county_by_area_table(pub: Publication, dataset_key: str) -> Table:
    """The year per municipality × columns, with the county's totals."""
    cube = pub.cubes[dataset_key]
    dataset = cube.dataset
    summable = dataset.columns_summable
    rows = [
        _row(cube, a.code, a.name, cube.figure(area=a.code) if summable else None, area=a.code)
        for a in pub.areas
        if a.code != NO_MUNICIPALITY or _any_count(cube, a.code)
    ]
    totals = _row(cube, "total", str(_("Hela länet")), cube.figure() if summable else None)
    return Table(
        dataset=dataset,
        scope=PER_MUNICIPALITY,
        row_label=str(_("Kommun")),
        columns=list(dataset.columns),
        rows=rows,
        totals=totals,
        key=f"{dataset.key}-{PER_MUNICIPALITY}",
    )
