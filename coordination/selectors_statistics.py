"""Reads of the statistics for coordinators: one municipality or the county, one
calendar year, every table with its chart, and CSV exports (each export is recorded).

Who may see which municipality is decided by ``consent.policy``; what may be shown of
any figure by ``coordination.statistics.suppression`` (through ``figures``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from audit.services import record_atomic
from consent import policy
from coordination.errors import NotFound
from coordination.models import Municipality
from coordination.statistics import charts, export, figures
from coordination.statistics.figures import COUNTY, DATASET_BY_KEY, DATASETS, Publication, Table

YEARS_BACK = 3


@dataclass(frozen=True)
class Scope:
    code: str  # a municipality code, or figures.COUNTY
    name: str


@dataclass(frozen=True)
class Section:
    dataset: figures.Dataset
    table: Table
    chart: SafeString
    by_municipality: Table | None  # the county's view only


@dataclass(frozen=True)
class StatisticsPage:
    year: int
    years: list[int]
    scope: Scope
    scopes: list[Scope]
    sections: list[Section]
    computed_at: Any


def _years() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - YEARS_BACK - 1, -1))


def scopes_for(user: Any) -> list[Scope]:
    found: list[Scope] = []
    if policy.may_see_statistics(user, None):
        found.append(Scope(COUNTY, _("Östergötlands län")))
    for municipality in policy.statistics_municipalities(user).order_by("name"):
        found.append(Scope(municipality.code, municipality.name))
    return found


def _scope(user: Any, code: str | None) -> tuple[Scope, list[Scope]]:
    scopes = scopes_for(user)
    if not scopes:
        raise NotFound()
    if not code:
        # A coordinator starts with their own municipality, others with the county.
        own = [s for s in scopes if s.code != COUNTY]
        return (own[0] if own else scopes[0]), scopes
    for scope in scopes:
        if scope.code == code:
            municipality = (
                None if code == COUNTY else Municipality.objects.filter(code=code).first()
            )
            if code != COUNTY and municipality is None:
                raise NotFound()
            if not policy.may_see_statistics(user, municipality):
                raise NotFound()
            return scope, scopes
    raise NotFound()


def _year(year: int | None) -> int:
    years = _years()
    if year is None:
        return years[0]
    if year not in years:
        raise NotFound()
    return year


def _chart(table: Table, year: int) -> SafeString:
    dataset = table.dataset
    title = f"{dataset.title} {year}"
    chart_id = f"chart-{dataset.key}"
    if dataset.rows == "month":
        return charts.grouped_bars(
            chart_id=chart_id,
            title=title,
            series=[str(c.label) for c in table.columns],
            groups=[charts.Group(row.label[:3], row.cells) for row in table.rows],
        )
    totals = table.totals.cells if table.totals is not None else []
    return charts.horizontal_bars(
        chart_id=chart_id,
        title=title,
        bars=[(str(c.label), figure) for c, figure in zip(table.columns, totals, strict=False)],
    )


def statistics_page(
    *, user: Any, year: int | None = None, scope: str | None = None
) -> StatisticsPage:
    chosen, scopes = _scope(user, scope)
    year = _year(year)
    pub = figures.publication(year)
    sections = []
    for dataset in DATASETS:
        table = figures.area_table(pub, dataset.key, chosen.code)
        sections.append(
            Section(
                dataset=dataset,
                table=table,
                chart=_chart(table, year),
                by_municipality=(
                    figures.county_by_area_table(pub, dataset.key)
                    if chosen.code == COUNTY
                    else None
                ),
            )
        )
    return StatisticsPage(
        year=year,
        years=_years(),
        scope=chosen,
        scopes=scopes,
        sections=sections,
        computed_at=pub.computed_at,
    )


@dataclass(frozen=True)
class CsvExport:
    filename: str
    content: str


def statistics_csv(
    *, user: Any, year: int, scope: str, dataset_key: str, per_municipality: bool = False
) -> CsvExport:
    """One table as CSV, through the same protection as the page; the export is recorded."""
    chosen, _scopes = _scope(user, scope)
    year = _year(year)
    dataset = DATASET_BY_KEY.get(dataset_key)
    if dataset is None:
        raise NotFound()
    if per_municipality and chosen.code != COUNTY:
        raise NotFound()
    pub: Publication = figures.publication(year, (dataset,))
    table = (
        figures.county_by_area_table(pub, dataset.key)
        if per_municipality
        else figures.area_table(pub, dataset.key, chosen.code)
    )
    record_atomic(
        actor=user,
        action="statistics.exported",
        detail={
            "year": year,
            "scope": chosen.code,
            "table": dataset.key,
            "per_municipality": per_municipality,
        },
    )
    place = "lan" if chosen.code == COUNTY else chosen.code
    suffix = "-per-kommun" if per_municipality else ""
    return CsvExport(
        filename=f"samverka-{dataset.key}-{place}{suffix}-{year}.csv",
        content=export.table_csv(table),
    )
