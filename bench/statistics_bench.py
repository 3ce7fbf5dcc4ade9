"""Benchmark of the small-count protection: seconds to protect one county-year cube.

A cube like the incidents one: 13 municipalities and "no municipality" × 12 months ×
5 kinds, counts drawn (with a fixed seed) around each municipality's size, so that a
third or more of the cells are under five, as in Östergötland's small municipalities.
The baseline, measured in the same run on the same counts, is building the cube and its
totals with primary suppression only: what any "<5" table costs. The ratio says what
the secondary suppression and its three checks add. The page caches a protected cube
per year and data, so this is the cost of the first view after a change.

    python bench/statistics_bench.py [--cubes 5] [--out bench/results/statistics.json]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Cases per month, roughly by population (Linköping and Norrköping large, Ydre tiny).
SIZES = [60, 45, 12, 10, 8, 6, 5, 4, 3, 3, 2, 2, 1, 1]
KIND_SHARES = [0.4, 0.3, 0.1, 0.15, 0.05]


def _poisson(rng: random.Random, mean: float) -> int:
    limit, product, count = math.exp(-mean), 1.0, 0
    while True:
        product *= rng.random()
        if product < limit:
            return count
        count += 1


def cube(seed: int) -> tuple[list[Any], dict[tuple[Any, ...], int]]:
    from coordination.statistics.suppression import Dimension

    rng = random.Random(seed)
    areas = [f"m{i:02d}" for i in range(len(SIZES))]
    counts = {
        (area, month, kind): _poisson(rng, size * share)
        for area, size in zip(areas, SIZES, strict=True)
        for month in range(1, 13)
        for kind, share in enumerate(KIND_SHARES)
    }
    dims = [
        Dimension("area", tuple(areas)),
        Dimension("month", tuple(range(1, 13))),
        Dimension("kind", tuple(range(len(KIND_SHARES)))),
    ]
    return dims, counts


def measure(cubes: int) -> dict[str, Any]:
    from coordination.statistics import suppression

    protect_seconds, baseline_seconds, rounds, small, hidden, small_cells = [], [], [], [], [], []
    for seed in range(cubes):
        dims, counts = cube(seed)
        start = time.perf_counter()
        built = suppression._build(tuple(dims), counts)
        _primary = {
            item: suppression.Status.SMALL if 0 < v < 5 else suppression.Status.SHOWN
            for item, v in built.values.items()
        }
        baseline_seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        protected = suppression.protect(dims, counts)
        protect_seconds.append(time.perf_counter() - start)
        suppressed = protected.suppressed().values()
        rounds.append(protected.rounds)
        small.append(sum(1 for s in suppressed if s is suppression.Status.SMALL))
        hidden.append(sum(1 for s in suppressed if s is suppression.Status.HIDDEN))
        small_cells.append(sum(1 for v in counts.values() if 0 < v < 5))
    protect_median = statistics.median(protect_seconds)
    baseline_median = statistics.median(baseline_seconds)
    return {
        "cubes": cubes,
        "figures_per_cube": len(protected.values),
        "base_cells_under_5_median": statistics.median(small_cells),
        "protect_seconds_median": round(protect_median, 3),
        "protect_seconds_max": round(max(protect_seconds), 3),
        "baseline_seconds_median": round(baseline_median, 4),
        "ratio_to_baseline": round(protect_median / baseline_median, 1),
        "rounds_median": statistics.median(rounds),
        "shown_as_under_5_median": statistics.median(small),
        "hidden_median": statistics.median(hidden),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cubes", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "statistics.json")
    args = parser.parse_args()
    result = {
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "protection": measure(args.cubes),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
