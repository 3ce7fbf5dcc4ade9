"""Small-count protection: no published figure, and no combination of published figures,
reveals a count under 5.

The attacks are written here independently of the engine: they read only what a
publication shows (a number, "<5" or "..") and what a reader knows about the tables
(which totals sum which cells).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.statistics.suppression import (
    HIDDEN_TEXT,
    SMALL_TEXT,
    Dimension,
    Protected,
    Status,
    protect,
)

Item = tuple[tuple[int, ...], tuple[Hashable, ...]]


# --- what a reader can do -----------------------------------------------------------------


def published_items(pub: Protected) -> list[Item]:
    items = []
    for level in pub.levels:
        domains = [pub.dimensions[i].members for i in level]
        for key in itertools.product(*domains):
            items.append((level, key))
    return items


def base_cells(pub: Protected) -> list[tuple[Hashable, ...]]:
    return list(itertools.product(*[d.members for d in pub.dimensions]))


def cells_under(pub: Protected, item: Item) -> list[int]:
    level, key = item
    return [
        index
        for index, cell in enumerate(base_cells(pub))
        if all(cell[dim] == key[i] for i, dim in enumerate(level))
    ]


def text_of(pub: Protected, item: Item) -> str:
    level, key = item
    coordinates = {pub.dimensions[dim].name: key[i] for i, dim in enumerate(level)}
    return pub.figure(**coordinates).text


def equations(pub: Protected) -> list[tuple[Item, list[Item]]]:
    """Every "total = sum of its parts" a reader can write down from the table headings."""
    found = []
    levels = set(pub.levels)
    for level in pub.levels:
        for dim in range(len(pub.dimensions)):
            if dim in level:
                continue
            finer = tuple(sorted((*level, dim)))
            if finer not in levels:
                continue
            for key in itertools.product(*[pub.dimensions[i].members for i in level]):
                parts = []
                for member in pub.dimensions[dim].members:
                    spread = dict(zip(level, key, strict=True))
                    spread[dim] = member
                    parts.append((finer, tuple(spread[i] for i in finer)))
                found.append(((level, key), parts))
    return found


class Basis:
    """Row-reduced rows over the rationals: exact, independent of the engine's integer
    elimination."""

    def __init__(self) -> None:
        self.rows: dict[int, list[Fraction]] = {}  # pivot column -> row with 1 there

    def reduce(self, row: list[Fraction]) -> list[Fraction]:
        row = row[:]
        for column, pivot in self.rows.items():
            if row[column] != 0:
                factor = row[column]
                row = [a - factor * b for a, b in zip(row, pivot, strict=True)]
        return row

    def add(self, row: list[Fraction]) -> None:
        row = self.reduce(row)
        column = next((i for i, v in enumerate(row) if v != 0), None)
        if column is None:
            return
        row = [v / row[column] for v in row]
        for other, pivot in list(self.rows.items()):
            if pivot[column] != 0:
                factor = pivot[column]
                self.rows[other] = [a - factor * b for a, b in zip(pivot, row, strict=True)]
        self.rows[column] = row

    def contains(self, row: list[Fraction]) -> bool:
        return not any(self.reduce(row))


def linearly_revealed(pub: Protected) -> list[Item]:
    """Hidden figures that are an exact linear combination of the shown ones."""
    width = len(base_cells(pub))

    def vector(item: Item) -> list[Fraction]:
        row = [Fraction(0)] * width
        for index in cells_under(pub, item):
            row[index] = Fraction(1)
        return row

    basis = Basis()
    hidden = []
    for item in published_items(pub):
        if text_of(pub, item) in (SMALL_TEXT, HIDDEN_TEXT):
            hidden.append(item)
        else:
            basis.add(vector(item))
    return [item for item in hidden if basis.contains(vector(item))]


def peeled(pub: Protected) -> list[Item]:
    """Hidden figures found by repeatedly solving equations with one unknown."""
    known = {i for i in published_items(pub) if text_of(pub, i) not in (SMALL_TEXT, HIDDEN_TEXT)}
    found: list[Item] = []
    changed = True
    while changed:
        changed = False
        for total, parts in equations(pub):
            unknown = [m for m in (total, *parts) if m not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                found.append(unknown[0])
                changed = True
    return found


def bounds_of(pub: Protected, small: tuple[float, float]) -> dict[Item, tuple[float, float]]:
    box: dict[Item, tuple[float, float]] = {}
    for item in published_items(pub):
        text = text_of(pub, item)
        if text == SMALL_TEXT:
            box[item] = small
        elif text == HIDDEN_TEXT:
            box[item] = (5, math.inf)
        else:
            box[item] = (int(text), int(text))
    return box


def tighten(box: dict[Item, tuple[float, float]], total: Item, parts: list[Item]) -> bool:
    changed = False
    lows = [box[p][0] for p in parts]
    highs = [box[p][1] for p in parts]
    t_low = max(box[total][0], sum(lows))
    t_high = min(box[total][1], sum(highs))
    if (t_low, t_high) != box[total]:
        box[total] = (t_low, t_high)
        changed = True
    for i, part in enumerate(parts):
        others_high = sum(h for j, h in enumerate(highs) if j != i)
        others_low = sum(lo for j, lo in enumerate(lows) if j != i)
        new = (
            max(box[part][0], t_low - others_high),
            min(box[part][1], t_high - others_low),
        )
        if new != box[part]:
            box[part] = new
            changed = True
    return changed


def pinned_by_bounds(pub: Protected) -> list[Item]:
    """Hidden figures narrowed to one value by bounds through all equations, reading
    "<5" as 0–4 and ".." as at least 5."""
    box = bounds_of(pub, (0, 4))
    eqs = equations(pub)
    for _round in range(200):
        if not any([tighten(box, total, parts) for total, parts in eqs]):
            break
    return [
        item
        for item, (low, high) in box.items()
        if text_of(pub, item) in (SMALL_TEXT, HIDDEN_TEXT) and low == high
    ]


def pinned_in_one_equation_reading_small_as_positive(pub: Protected) -> list[Item]:
    """Within single equations, reading "<5" as 1–4 (equations that cannot hold under
    that reading tell the reader that some "<5" is a zero, and so nothing). Equations in
    which every figure is hidden already are left out: nothing shown is left to hide
    there, and "<5" may stand for a zero (the publication's legend says so)."""
    found = []
    for total, parts in equations(pub):
        if all(text_of(pub, m) in (SMALL_TEXT, HIDDEN_TEXT) for m in (total, *parts)):
            continue
        box = bounds_of(pub, (1, 4))
        for _round in range(50):
            if not tighten(box, total, parts):
                break
        if any(box[m][0] > box[m][1] for m in (total, *parts)):
            continue
        found += [
            m
            for m in (total, *parts)
            if text_of(pub, m) in (SMALL_TEXT, HIDDEN_TEXT) and box[m][0] == box[m][1]
        ]
    return found


# --- tables to protect ----------------------------------------------------------------------


@st.composite
def cubes(draw: Any) -> tuple[list[Dimension], dict[tuple[Hashable, ...], int]]:
    areas = draw(st.integers(1, 4))
    months = draw(st.integers(1, 4))
    kinds = draw(st.integers(1, 3))
    dimensions = [
        Dimension("area", tuple(f"a{i}" for i in range(areas))),
        Dimension("month", tuple(range(1, months + 1))),
        Dimension("kind", tuple(f"k{i}" for i in range(kinds)), summable=draw(st.booleans())),
    ]
    count = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 30))
    counts = {key: draw(count) for key in itertools.product(*[d.members for d in dimensions])}
    return dimensions, counts


PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cubes())
def test_every_count_from_1_to_4_is_shown_as_under_5(cube: Any) -> None:
    dimensions, counts = cube
    pub = protect(dimensions, counts)
    for item in published_items(pub):
        value = pub.values[item]
        text = text_of(pub, item)
        if 1 <= value <= 4:
            assert text == SMALL_TEXT
        elif text == HIDDEN_TEXT:
            assert value >= 5  # ".." is never a small count in disguise
        elif text == SMALL_TEXT:
            assert value == 0  # a zero hidden so that it cannot give a small count away
        else:
            assert text == str(value)


@PROPERTY
@given(cubes())
def test_no_hidden_figure_is_a_linear_combination_of_shown_ones(cube: Any) -> None:
    dimensions, counts = cube
    pub = protect(dimensions, counts)
    assert linearly_revealed(pub) == []
    assert peeled(pub) == []


@PROPERTY
@given(cubes())
def test_no_hidden_figure_is_pinned_by_bounds(cube: Any) -> None:
    dimensions, counts = cube
    pub = protect(dimensions, counts)
    assert pinned_by_bounds(pub) == []
    assert pinned_in_one_equation_reading_small_as_positive(pub) == []


@PROPERTY
@given(cubes())
def test_the_same_counts_are_protected_the_same_way(cube: Any) -> None:
    dimensions, counts = cube
    first = protect(dimensions, counts)
    second = protect(dimensions, dict(reversed(list(counts.items()))))
    assert first.status == second.status


# --- cases a reader would try first ---------------------------------------------------------


def _table(rows: list[list[int]]) -> tuple[list[Dimension], dict[tuple[Hashable, ...], int]]:
    dims = [
        Dimension("row", tuple(range(len(rows)))),
        Dimension("column", tuple(range(len(rows[0])))),
    ]
    counts: dict[tuple[Hashable, ...], int] = {
        (r, c): v for r, row in enumerate(rows) for c, v in enumerate(row)
    }
    return dims, counts


def test_a_lone_small_cell_takes_a_neighbour_with_it_in_its_row_and_column() -> None:
    dims, counts = _table([[3, 20, 30], [40, 50, 60], [70, 80, 90]])
    pub = protect(dims, counts)
    assert pub.figure(row=0, column=0).text == SMALL_TEXT
    # The row total and the column total are still shown ...
    assert pub.figure(row=0).text == "53"
    assert pub.figure(column=0).text == "113"
    # ... so one more cell in the row and one in the column is hidden, and the 3 cannot
    # be got back by subtraction.
    assert pub.figure(row=0, column=1).text == HIDDEN_TEXT
    assert pub.figure(row=1, column=0).text == HIDDEN_TEXT
    assert linearly_revealed(pub) == []


def test_four_ones_under_a_total_under_5_do_not_give_themselves_away() -> None:
    # A small municipality: four incidents in the year, in four different months. With
    # the zeros of the other months shown, "<5" in four months under a yearly "<5" would
    # mean exactly one in each.
    dims = [
        Dimension("area", ("small", "large")),
        Dimension("month", tuple(range(1, 7))),
    ]
    counts: dict[tuple[Hashable, ...], int] = {("small", m): 1 for m in (1, 2, 3, 4)}
    counts |= {("large", m): 10 + m for m in range(1, 7)}
    pub = protect(dims, counts)
    small_row = [pub.figure(area="small", month=m).text for m in range(1, 7)]
    assert small_row.count(SMALL_TEXT) >= 5
    assert pinned_in_one_equation_reading_small_as_positive(pub) == []
    assert linearly_revealed(pub) == []


def test_a_total_that_would_pin_two_small_cells_is_hidden() -> None:
    # 4 + 4 = 8: a shown row total of 8 over two "<5" would make both exactly 4.
    dims, counts = _table([[4, 4, 0], [10, 20, 30], [5, 6, 7]])
    pub = protect(dims, counts)
    assert pub.figure(row=0).text != "8"
    assert pinned_by_bounds(pub) == []


def test_zero_is_shown_as_zero() -> None:
    dims, counts = _table([[0, 20], [30, 40]])
    pub = protect(dims, counts)
    assert pub.figure(row=0, column=0).text == "0"
    assert pub.suppressed() == {}


def test_counts_that_the_dimensions_do_not_have_are_refused() -> None:
    dims, _counts = _table([[1, 2]])
    with pytest.raises(ValueError, match="member"):
        protect(dims, {(5, 5): 1})
    with pytest.raises(ValueError, match="negative"):
        protect(dims, {(0, 0): -1})


def test_a_dimension_that_may_not_be_summed_has_no_total() -> None:
    dims = [
        Dimension("month", (1, 2)),
        Dimension("count", ("children", "adults"), summable=False),
    ]
    pub = protect(dims, {(1, "children"): 7, (1, "adults"): 9, (2, "children"): 8})
    assert pub.figure(count="children").text == "15"
    with pytest.raises(KeyError):
        pub.figure(month=1)  # children and adults are different people


def test_the_attacks_find_what_hiding_only_the_small_counts_would_leave_open() -> None:
    # The same table with only the primary "<5" and nothing else hidden: each attack
    # above gets a count back, so their silence on protected tables means something.
    dims, counts = _table([[3, 20, 30], [40, 4, 60], [4, 4, 90]])
    pub = protect(dims, counts)
    pub.status = {
        item: Status.SMALL if 1 <= value <= 4 else Status.SHOWN
        for item, value in pub.values.items()
    }
    assert ((0, 1), (0, 0)) in linearly_revealed(pub)
    assert peeled(pub)
    assert pinned_by_bounds(pub)
