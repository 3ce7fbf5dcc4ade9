"""What the statistics count, from the records the work leaves behind, and that every
table, chart and CSV file of a year comes from one protected publication."""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter

from django.utils import timezone

from coordination.models import Incident
from coordination.selectors_statistics import statistics_csv, statistics_page
from coordination.statistics import figures
from coordination.statistics.figures import COUNTY, PER_MUNICIPALITY, area_table
from coordination.statistics.suppression import HIDDEN_TEXT, SMALL_TEXT
from tests.coordination.statistics_data import THREATS_NOW, VIOLENCE_NOW, Year

MOTALA, NORRKOPING = "0583", "0581"


def _month(moment: object) -> int:
    return timezone.localtime(moment).month  # type: ignore[arg-type]


def test_incidents_are_counted_by_kind_and_month_for_the_case_s_municipality(year: Year) -> None:
    this_year = timezone.localdate().year
    pub = figures.publication(this_year, (figures.DATASET_BY_KEY["handelser"],))
    cube = pub.cubes["handelser"]
    expected = Counter(
        (_month(i.occurred_at), i.kind)
        for i in Incident.objects.all()
        if timezone.localtime(i.occurred_at).year == this_year
    )
    for (month, kind), count in expected.items():
        assert cube.figure(area=MOTALA, row=month, column=kind).value == count
    assert cube.figure(area=MOTALA).value == sum(expected.values())
    # Nothing happened in Norrköping's incident register in this test.
    assert cube.figure(area=NORRKOPING).value == 0


def test_the_same_day_share_comes_from_the_styrgrupp_s_times(year: Year) -> None:
    pub = figures.publication(timezone.localdate().year)
    cube = pub.cubes["styrgrupper"]
    month = _month(year.meeting.created_at)
    same_day = timezone.localdate(year.meeting.created_at) == timezone.localdate(
        year.styrgrupp.incident.created_at
    )
    column = figures.SAME_DAY if same_day else figures.LATER
    assert cube.figure(area=MOTALA, row=month, column=column).value == 1
    assert cube.figure().value == 1
    # One meeting is "<5", so its share is not shown anywhere: it would give it away.
    table = area_table(pub, "styrgrupper", MOTALA)
    assert all(row.share is None for row in table.rows)


def test_actions_are_counted_by_whether_they_were_done_in_time(year: Year) -> None:
    pub = figures.publication(timezone.localdate().year)
    cube = pub.cubes["atgarder"]
    today = timezone.localdate()
    assert cube.figure(area=MOTALA, column=figures.ON_TIME).value == (
        1 if year.action_done.due_date.year == today.year else 0
    )
    due_open = year.action_open.due_date
    if due_open.year == today.year:
        assert cube.figure(area=MOTALA, row=due_open.month, column=figures.NOT_DUE).value == 1


def test_presentations_referrals_and_concern_reports_count_for_norrkoping(year: Year) -> None:
    starts = timezone.localtime(year.presentation.meeting.starts_at)
    pub = figures.publication(starts.year)
    cube = pub.cubes["konsultativ"]
    assert cube.figure(area=NORRKOPING, row=starts.month, column="consented").value == 1
    this_year = timezone.localdate().year
    pub = figures.publication(this_year)
    referrals = pub.cubes["remisser"]
    pair = f"{year.konsult.norr.agency_id}>{year.konsult.region.agency_id}"
    assert referrals.figure(area=NORRKOPING, row=pair, column="accepted").value == 1
    assert referrals.rows == [
        (pair, f"{year.konsult.norr.agency.name} → {year.konsult.region.agency.name}")
    ]
    reports = pub.cubes["orosanmalningar"]
    month = _month(year.report.submitted_at)
    assert reports.figure(area=NORRKOPING, row=month, column="school").value == 1


def test_the_four_linkoping_counts_are_people_and_are_never_added_up(year: Year) -> None:
    pub = figures.publication(timezone.localdate().year)
    cube = pub.cubes["linkoping"]
    month = _month(year.styrgrupp.case.created_at)
    assert cube.figure(area=MOTALA, row=month, column=figures.WITNESSED).value == 1
    assert cube.figure(area=MOTALA, row=month, column=figures.ADULT_SUBJECTED).value == 1
    assert cube.figure(area=MOTALA, row=month, column=figures.ADULT_USED).value == 0
    table = area_table(pub, "linkoping", MOTALA)
    assert not table.has_totals
    assert all(row.total is None for row in table.rows)


def test_small_counts_are_under_5_in_the_page_the_chart_and_the_csv(year: Year) -> None:
    coordinator = year.user("coordinator")
    page = statistics_page(user=coordinator, scope=MOTALA)
    section = next(s for s in page.sections if s.dataset.key == "handelser")
    month = _month(year.incidents[-1].occurred_at)
    row = next(r for r in section.table.rows if r.key == month)
    threat = row.cells[[c.key for c in section.table.columns].index("threat")]
    assert THREATS_NOW < 5 and threat.text == SMALL_TEXT
    # 6 violence, 2 threats, a shown total of 8 would give the 2 away: the 6 is hidden.
    violence = row.cells[[c.key for c in section.table.columns].index("violence")]
    assert VIOLENCE_NOW >= 5 and violence.text == HIDDEN_TEXT
    assert "&lt;5" in section.chart
    export = statistics_csv(user=coordinator, year=page.year, scope=MOTALA, dataset_key="handelser")
    lines = list(csv.reader(io.StringIO(export.content.lstrip("\ufeff")), delimiter=";"))
    csv_row = next(line for line in lines if line[0] == row.label.capitalize())
    assert csv_row[1:6] == [figure.text for figure in row.cells]
    assert SMALL_TEXT in csv_row and "2" not in csv_row[1:]


def test_no_combination_of_the_exported_tables_gives_a_small_count_back(year: Year) -> None:
    """Every CSV a coordinator can download for the year (each municipality, the county,
    the county per municipality), read back and put together: subtracting any shown
    total from the sum of its shown parts never isolates a single hidden figure."""
    from audit.models import AuditEvent

    coordinator = year.user("coordinator")
    coordinator.is_superuser = True  # an administrator may download every municipality
    coordinator.save(update_fields=["is_superuser"])
    this_year = timezone.localdate().year
    for dataset in figures.DATASETS:
        exports = {}
        scopes = [COUNTY, MOTALA, NORRKOPING]
        for scope in scopes:
            exports[scope] = _read(
                statistics_csv(
                    user=coordinator, year=this_year, scope=scope, dataset_key=dataset.key
                ).content
            )
        exports[PER_MUNICIPALITY] = _read(
            statistics_csv(
                user=coordinator,
                year=this_year,
                scope=COUNTY,
                dataset_key=dataset.key,
                per_municipality=True,
            ).content
        )
        _assert_no_single_unknown(exports, dataset.columns_summable)
    assert AuditEvent.objects.filter(action="statistics.exported").count() == 4 * len(
        figures.DATASETS
    )


def _read(content: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=";"))[1:]


def _assert_no_single_unknown(exports: dict[str, list[list[str]]], summable: bool) -> None:
    hidden = {SMALL_TEXT, HIDDEN_TEXT}
    for scope, rows in exports.items():
        body, total = rows[:-1], rows[-1]
        width = len(total)
        for line in [*body, total]:
            # A row: its cells and (if any) its total.
            cells = line[1 : width - 1] if summable else line[1:]
            if summable and line[width - 1] not in hidden:
                assert sum(1 for c in cells if c in hidden) != 1, (scope, line)
        for column in range(1, width):
            values = [line[column] for line in body] + [total[column]]
            if values[-1] not in hidden:
                assert sum(1 for v in values[:-1] if v in hidden) != 1, (scope, column)
    # Across scopes: the test's county is Motala and Norrköping, so each county figure
    # is the sum of theirs.
    county, motala, norrkoping = exports[COUNTY], exports[MOTALA], exports[NORRKOPING]
    for r, c in itertools.product(range(len(county)), range(1, len(county[0]))):
        parts = [motala[r][c], norrkoping[r][c]]
        if county[r][c] not in hidden:
            assert sum(1 for p in parts if p in hidden) != 1, (r, c, county[r][c], parts)
