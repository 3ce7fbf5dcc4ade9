"""Protection of small counts: every figure from 1 to 4 is shown as "<5", and further
figures are hidden ("..") until no hidden figure can be worked out from the shown ones.

A publication is a *cube*: counts over named dimensions (for instance municipality ×
month × kind of incident) together with every total over the dimensions that may be
summed. Every table, chart and CSV file of a publication is cut from one protected
cube, so whatever combination of them is put side by side, the rules below hold.

Rules
-----
* 0 is shown as 0, the common practice in Swedish official statistics: a zero discloses
  nobody, and hiding every zero would hide that nothing happened.
* Primary suppression: every figure from 1 to 4, a cell or a total, is shown as "<5".
* Secondary suppression: further figures are hidden ("..", always a figure of at least
  5), each time the smallest one in the finest table that helps, until

  1. no equation "total = sum of its parts" has exactly one unknown member;
  2. no hidden figure is a linear combination of shown figures: exact integer
     elimination over every equation of the cube at once, so no total, difference or
     sum of differences, in any table of the publication, reveals one;
  3. propagating bounds through all equations ("<5" is 0–4, ".." at least 5, a shown
     figure exact) narrows no hidden figure to a single value;
  4. within any one equation, reading "<5" as 1–4 narrows no hidden figure to a single
     value. Where only zeros are left to hide — say a yearly total under 5 spread over
     four months, which would make each of them exactly 1 — a zero in that equation is
     shown as "<5" as well (with every zero total above it), so that reading fails.
     That is why "<5" means 0–4 and is explained so in the legend.

Not covered: two publications computed at different times (after new registrations)
compared with each other, and integer reasoning stronger than bound propagation.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

SMALL_LIMIT = 5  # counts 1 .. SMALL_LIMIT - 1 are never shown
SMALL_TEXT = "<5"
HIDDEN_TEXT = ".."
SMALL_BOUNDS = (0, SMALL_LIMIT - 1)  # what "<5" tells a reader
HIDDEN_BOUNDS = (SMALL_LIMIT, math.inf)  # what ".." tells a reader

Key = tuple[Hashable, ...]
Level = tuple[int, ...]  # indices of the dimensions a table keeps (the others are summed)
Item = tuple[Level, Key]
Line = tuple[Item, list[Item]]  # a total and its parts along one dimension
Box = dict[Item, tuple[float, float]]


class Status(enum.StrEnum):
    SHOWN = "shown"
    SMALL = "small"  # shown as "<5": 1–4, or a zero hidden under rule 4
    HIDDEN = "hidden"  # shown as "..": a figure of at least 5, hidden for the others


@dataclass(frozen=True)
class Dimension:
    name: str
    members: tuple[Hashable, ...]
    # Whether a total over this dimension means something (months: yes; the four
    # Linköping counts, which count different people: no).
    summable: bool = True


@dataclass(frozen=True)
class Figure:
    """One published number: its text is the only thing that may leave the server."""

    value: int
    status: Status

    @property
    def shown(self) -> bool:
        return self.status is Status.SHOWN

    @property
    def number(self) -> int | None:
        return self.value if self.shown else None

    @property
    def text(self) -> str:
        if self.status is Status.SMALL:
            return SMALL_TEXT
        if self.status is Status.HIDDEN:
            return HIDDEN_TEXT
        return str(self.value)

    def __str__(self) -> str:
        return self.text


ZERO = Figure(0, Status.SHOWN)


@dataclass
class Protected:
    """A protected cube: ask it for any cell or total by naming the kept dimensions."""

    dimensions: tuple[Dimension, ...]
    values: dict[Item, int]
    status: dict[Item, Status]
    levels: tuple[Level, ...]
    lines: list[Line]
    rounds: int = 0

    def _index(self, name: str) -> int:
        for index, dimension in enumerate(self.dimensions):
            if dimension.name == name:
                return index
        raise KeyError(name)

    def item(self, **coordinates: Hashable) -> Item:
        level = tuple(sorted(self._index(name) for name in coordinates))
        if level not in self.levels:
            raise KeyError(f"not published: {sorted(coordinates)}")
        return level, tuple(coordinates[self.dimensions[i].name] for i in level)

    def figure(self, **coordinates: Hashable) -> Figure:
        """The figure for ``coordinates`` (dimension name → member); dimensions not named
        are summed over. Asking for a total the cube does not publish is an error."""
        item = self.item(**coordinates)
        return Figure(self.values[item], self.status[item])

    def suppressed(self) -> dict[Item, Status]:
        return {item: s for item, s in self.status.items() if s is not Status.SHOWN}


def published_levels(dimensions: Sequence[Dimension]) -> tuple[Level, ...]:
    """Every table the cube publishes: all subsets of dimensions that keep the ones that
    may not be summed, finest first."""
    fixed = {i for i, d in enumerate(dimensions) if not d.summable}
    free = [i for i, d in enumerate(dimensions) if d.summable]
    levels = []
    for size in range(len(free), -1, -1):
        for chosen in itertools.combinations(free, size):
            levels.append(tuple(sorted(fixed | set(chosen))))
    return tuple(levels)


def _project(key: Key, level_of_key: Level, level: Level) -> Key:
    position = {dim: i for i, dim in enumerate(level_of_key)}
    return tuple(key[position[dim]] for dim in level)


@dataclass
class _Cube:
    dimensions: tuple[Dimension, ...]
    levels: tuple[Level, ...]
    base: Level
    values: dict[Item, int] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    lines_of: dict[Item, list[int]] = field(default_factory=dict)
    order: dict[Item, int] = field(default_factory=dict)

    def above(self, base_item: Item) -> list[Item]:
        """The base item and every total that contains it."""
        return [(level, _project(base_item[1], self.base, level)) for level in self.levels]

    def first_base_under(self, item: Item) -> Item:
        """The first base item (in the members' order) under ``item``."""
        level, key = item
        parts = []
        for dim in self.base:
            if dim in level:
                parts.append(key[level.index(dim)])
            else:
                parts.append(self.dimensions[dim].members[0])
        return self.base, tuple(parts)


def _build(dimensions: tuple[Dimension, ...], counts: Mapping[Key, int]) -> _Cube:
    levels = published_levels(dimensions)
    base = tuple(range(len(dimensions)))
    cube = _Cube(dimensions=dimensions, levels=levels, base=base)
    for dimension in dimensions:
        if not dimension.members:
            raise ValueError(f"dimension {dimension.name} has no members")
        if len(set(dimension.members)) != len(dimension.members):
            raise ValueError(f"dimension {dimension.name} repeats a member")
    for level in levels:
        domains = [dimensions[i].members for i in level]
        for key in itertools.product(*domains):
            item = (level, key)
            cube.order[item] = len(cube.order)
            cube.values[item] = 0
    for key, count in counts.items():
        if count < 0:
            raise ValueError("counts are never negative")
        base_item = (base, tuple(key))
        if base_item not in cube.values:
            raise ValueError("a count names a member its dimension does not have")
        if count:
            for item in cube.above(base_item):
                cube.values[item] += count
    published = set(levels)
    for level in levels:
        for dim in base:
            if dim in level:
                continue
            finer = tuple(sorted((*level, dim)))
            if finer not in published:
                continue
            position = finer.index(dim)
            for key in itertools.product(*[dimensions[i].members for i in level]):
                total = (level, key)
                parts = []
                for member in dimensions[dim].members:
                    finer_key = list(_expand(key, level, finer))
                    finer_key[position] = member
                    parts.append((finer, tuple(finer_key)))
                index = len(cube.lines)
                cube.lines.append((total, parts))
                for item in (total, *parts):
                    cube.lines_of.setdefault(item, []).append(index)
    return cube


def _expand(key: Key, level: Level, finer: Level) -> list[Hashable]:
    """``key`` of ``level`` spread over the positions of ``finer`` (new ones None)."""
    spread: list[Hashable] = [None] * len(finer)
    for i, dim in enumerate(level):
        spread[finer.index(dim)] = key[i]
    return spread


def protect(
    dimensions: Sequence[Dimension], counts: Mapping[Key, int], *, max_rounds: int = 100_000
) -> Protected:
    """Protect the cube of ``counts`` (base cells keyed by one member per dimension;
    members not named count 0)."""
    dims = tuple(dimensions)
    cube = _build(dims, counts)
    status: dict[Item, Status] = {
        item: Status.SMALL if 0 < value < SMALL_LIMIT else Status.SHOWN
        for item, value in cube.values.items()
    }
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - reported below
        # The cheap rules first; the exact elimination only once they all hold.
        if _fix_single_unknowns(cube, status):
            continue
        pinned = _pinned_by_bounds(cube, status)
        if pinned:
            _hide_for_each(cube, status, pinned)
            continue
        lines = _lines_pinned_reading_small_as_positive(cube, status)
        if lines and _hide_in_each_line(cube, status, lines):
            continue
        determined = _determined_linearly(cube, status)
        if determined:
            _hide_for(cube, status, determined[0])
            continue
        break
    else:  # pragma: no cover - each round hides one more figure, so this cannot happen
        raise RuntimeError("suppression did not settle")
    return Protected(
        dimensions=dims,
        values=cube.values,
        status=status,
        levels=cube.levels,
        lines=cube.lines,
        rounds=rounds,
    )


def _hidden(status: Mapping[Item, Status], item: Item) -> bool:
    return status[item] is not Status.SHOWN


def _preference(cube: _Cube, item: Item) -> tuple[int, int, int]:
    # The finest table first (hide another municipality's cell rather than a county
    # total), then the smallest number, then a fixed order so results are reproducible.
    return (-len(item[0]), cube.values[item], cube.order[item])


def _best_in(cube: _Cube, status: Mapping[Item, Status], members: Iterable[Item]) -> Item | None:
    """The shown non-zero member that is best to hide, if any."""
    shown = [m for m in members if not _hidden(status, m) and cube.values[m] > 0]
    if not shown:
        return None
    return min(shown, key=lambda m: _preference(cube, m))


def _hide_zero(cube: _Cube, status: dict[Item, Status], item: Item) -> None:
    """Show a zero as "<5": a base zero under ``item``, and every zero total above it
    (a total shown as 0 would give the zero away)."""
    base_item = item if item[0] == cube.base else cube.first_base_under(item)
    if item[0] != cube.base:
        # Prefer a base zero whose totals are already hidden or non-zero.
        base_item = _quiet_zero_under(cube, status, item) or base_item
    for above in cube.above(base_item):
        if cube.values[above] == 0 and not _hidden(status, above):
            status[above] = Status.SMALL


def _quiet_zero_under(cube: _Cube, status: Mapping[Item, Status], item: Item) -> Item | None:
    level, key = item
    domains = [
        [key[level.index(dim)]] if dim in level else list(cube.dimensions[dim].members)
        for dim in cube.base
    ]
    best: tuple[int, int, Item] | None = None
    for base_key in itertools.product(*domains):
        base_item = (cube.base, base_key)
        if cube.values[base_item] != 0:
            continue
        exposed = sum(
            1 for a in cube.above(base_item) if cube.values[a] == 0 and not _hidden(status, a)
        )
        rank = (exposed, cube.order[base_item], base_item)
        if best is None or rank[:2] < best[:2]:
            best = rank
    return best[2] if best else None


def _fix_single_unknowns(cube: _Cube, status: dict[Item, Status]) -> bool:
    """Rule 1, repeated until it holds; True when something was hidden."""
    changed = False
    again = True
    while again:
        again = False
        for total, parts in cube.lines:
            members = [total, *parts]
            if sum(1 for m in members if _hidden(status, m)) != 1:
                continue
            candidate = _best_in(cube, status, members)
            if candidate is not None:
                status[candidate] = Status.HIDDEN
            else:
                zero = next(m for m in parts if not _hidden(status, m))
                _hide_zero(cube, status, zero)
            changed = again = True
    return changed


def _hide_for(cube: _Cube, status: dict[Item, Status], item: Item) -> bool:
    """Hide one more figure in an equation through ``item``, so that it can no longer
    be worked out; False when every equation through it holds only unknowns."""
    candidates = []
    for index in cube.lines_of.get(item, []):
        total, parts = cube.lines[index]
        best = _best_in(cube, status, [total, *parts])
        if best is not None:
            candidates.append(best)
    if candidates:
        status[min(candidates, key=lambda m: _preference(cube, m))] = Status.HIDDEN
        return True
    # Every equation through the item holds nothing but unknowns and zeros.
    for index in cube.lines_of.get(item, []):
        total, parts = cube.lines[index]
        zeros = [m for m in parts if not _hidden(status, m)]
        if zeros:
            _hide_zero(cube, status, zeros[0])
            return True
    return False


def _hide_for_each(cube: _Cube, status: dict[Item, Status], items: list[Item]) -> None:
    """``_hide_for`` each item whose equations nothing hidden in this round touched yet
    (one hidden figure often frees several neighbours, so the rest wait for a re-check)."""
    touched: set[Item] = set()
    hid = False
    for item in items:
        if item in touched:
            continue
        if _hide_for(cube, status, item):
            hid = True
            touched.update(_neighbours(cube, item))
    if hid:
        return
    # The figures are pinned from further away: hide the best shown figure of any
    # equation that has an unknown in it.
    open_members = [m for total, parts in _open_lines(cube, status) for m in (total, *parts)]
    best = _best_in(cube, status, open_members)
    if best is None:  # pragma: no cover - bounds are only ever pinned by shown figures
        raise RuntimeError("nothing left to hide")
    status[best] = Status.HIDDEN


def _hide_in_line(cube: _Cube, status: dict[Item, Status], line: Line) -> bool:
    total, parts = line
    best = _best_in(cube, status, [total, *parts])
    if best is not None:
        status[best] = Status.HIDDEN
        return True
    zeros = [m for m in parts if not _hidden(status, m)]
    if not zeros:
        # Every figure of the equation is "<5" already (say four months of 1 under a
        # yearly 4): nothing shown is left to hide. "<5" may stand for a zero, which is
        # all a reader can rely on here.
        return False
    _hide_zero(cube, status, zeros[0])
    return True


def _hide_in_each_line(cube: _Cube, status: dict[Item, Status], lines: list[Line]) -> bool:
    touched: set[Item] = set()
    hid = False
    for line in lines:
        total, parts = line
        if touched.intersection((total, *parts)):
            continue
        if _hide_in_line(cube, status, line):
            hid = True
            for member in (total, *parts):
                touched.update(_neighbours(cube, member))
    return hid


def _neighbours(cube: _Cube, item: Item) -> set[Item]:
    """The item and every member of an equation through it."""
    near = {item}
    for index in cube.lines_of.get(item, []):
        total, parts = cube.lines[index]
        near.add(total)
        near.update(parts)
    return near


# --- rule 2: exact linear determination ---------------------------------------------------


class Span:
    """The row space of integer vectors (dict index → coefficient), kept in echelon form
    by each row's smallest index; exact, with no fractions (rows are divided by their
    greatest common divisor to keep the numbers small)."""

    def __init__(self) -> None:
        self.pivots: dict[int, dict[int, int]] = {}

    def reduce(self, vector: Mapping[int, int]) -> dict[int, int]:
        row = {k: v for k, v in vector.items() if v}
        while row:
            first = min(row)
            pivot = self.pivots.get(first)
            if pivot is None:
                return row
            a, b = row[first], pivot[first]
            merged: dict[int, int] = {}
            for k in row.keys() | pivot.keys():
                if k == first:
                    continue
                value = b * row.get(k, 0) - a * pivot.get(k, 0)
                if value:
                    merged[k] = value
            row = _normalised(merged)
        return row

    def add(self, vector: Mapping[int, int]) -> None:
        row = self.reduce(vector)
        if row:
            self.pivots[min(row)] = row

    def contains(self, vector: Mapping[int, int]) -> bool:
        return not self.reduce(vector)


def _normalised(row: dict[int, int]) -> dict[int, int]:
    if not row:
        return row
    divisor = math.gcd(*row.values())
    if divisor > 1:
        return {k: v // divisor for k, v in row.items()}
    return row


def _determined_linearly(cube: _Cube, status: Mapping[Item, Status]) -> list[Item]:
    """Hidden figures that are a linear combination of the shown ones."""
    unknown = sorted(
        (item for item in cube.values if item[0] == cube.base and _hidden(status, item)),
        key=lambda m: cube.order[m],
    )
    vectors: dict[Item, dict[int, int]] = defaultdict(dict)
    for index, cell in enumerate(unknown):
        for above in cube.above(cell):
            vectors[above][index] = 1
    span = Span()
    for item, vector in vectors.items():
        if not _hidden(status, item):
            span.add(vector)
    determined = [
        item
        for item in cube.values
        if _hidden(status, item) and span.contains(vectors.get(item, {}))
    ]
    return sorted(determined, key=lambda m: _preference(cube, m))


# --- rules 3 and 4: bounds ----------------------------------------------------------------


def start_box(
    values: Mapping[Item, int],
    status: Mapping[Item, Status],
    small: tuple[float, float] = SMALL_BOUNDS,
) -> Box:
    """What a reader of the publication knows of each figure."""
    box: Box = {}
    for item, value in values.items():
        state = status[item]
        if state is Status.SHOWN:
            box[item] = (value, value)
        elif state is Status.SMALL:
            box[item] = small
        else:
            box[item] = HIDDEN_BOUNDS
    return box


def _line_step(box: Box, total: Item, parts: list[Item]) -> bool:
    """Tighten one equation's bounds once; True when something changed."""
    changed = False
    low_sum = sum(box[p][0] for p in parts)
    unbounded = sum(1 for p in parts if box[p][1] == math.inf)
    high_finite = sum(box[p][1] for p in parts if box[p][1] != math.inf)
    high_sum = math.inf if unbounded else high_finite
    t_low, t_high = box[total]
    new_total = (max(t_low, low_sum), min(t_high, high_sum))
    if new_total != box[total]:
        box[total] = new_total
        changed = True
    t_low, t_high = new_total
    for part in parts:
        p_low, p_high = box[part]
        if p_high == math.inf:
            others_high = math.inf if unbounded > 1 else high_finite
        else:
            others_high = high_sum - p_high if not unbounded else math.inf
        others_low = low_sum - p_low
        new_part = (max(p_low, t_low - others_high), min(p_high, t_high - others_low))
        if new_part != box[part]:
            box[part] = new_part
            changed = True
    return changed


def propagate(lines: Sequence[Line], box: Box, *, max_steps: int = 1_000_000) -> Box:
    """Tighten ``box`` through every equation until nothing changes (a work list: an
    equation is looked at again only when one of its members narrowed)."""
    lines_of: dict[Item, list[int]] = defaultdict(list)
    for index, (total, parts) in enumerate(lines):
        for item in (total, *parts):
            lines_of[item].append(index)
    queue = list(range(len(lines)))
    queued = set(queue)
    steps = 0
    while queue and steps < max_steps:
        steps += 1
        index = queue.pop()
        queued.discard(index)
        total, parts = lines[index]
        before = {m: box[m] for m in (total, *parts)}
        if not _line_step(box, total, parts):
            continue
        for member, old in before.items():
            if box[member] == old:
                continue
            for other in lines_of[member]:
                if other not in queued:
                    queued.add(other)
                    queue.append(other)
    return box


def _open_lines(cube: _Cube, status: Mapping[Item, Status]) -> list[Line]:
    """Equations with an unknown member (the others only repeat shown figures)."""
    return [
        (total, parts)
        for total, parts in cube.lines
        if _hidden(status, total) or any(_hidden(status, p) for p in parts)
    ]


def _pinned_by_bounds(cube: _Cube, status: Mapping[Item, Status]) -> list[Item]:
    box = propagate(_open_lines(cube, status), start_box(cube.values, status))
    return sorted(
        (item for item, (low, high) in box.items() if _hidden(status, item) and low >= high),
        key=lambda m: _preference(cube, m),
    )


def line_pinned_reading_small_as_positive(
    line: Line, values: Mapping[Item, int], status: Mapping[Item, Status]
) -> bool:
    """Whether one equation, read with "<5" as 1–4, narrows a hidden member to one value
    (an equation that cannot hold under that reading tells the reader nothing)."""
    total, parts = line
    members = [total, *parts]
    if not any(status[m] is not Status.SHOWN for m in members):
        return False
    box = start_box({m: values[m] for m in members}, status, small=(1, SMALL_LIMIT - 1))
    for _pass in range(50):
        if not _line_step(box, total, parts):
            break
    if any(low > high for low, high in box.values()):
        return False
    return any(status[m] is not Status.SHOWN and box[m][0] >= box[m][1] for m in members)


def _lines_pinned_reading_small_as_positive(
    cube: _Cube, status: Mapping[Item, Status]
) -> list[Line]:
    return [
        line
        for line in _open_lines(cube, status)
        if line_pinned_reading_small_as_positive(line, cube.values, status)
    ]
