"""The chart of a benchmark run: ``bench/results/latest.png`` from ``latest.json``.

python bench/chart.py [bench/results/latest.json] [bench/results/latest.png]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

RESULTS = Path(__file__).resolve().parent / "results"
COLOURS = {"A": "#8c8c8c", "B": "#4c72b0", "C": "#55a868", "D": "#c44e52"}


def _bars(ax: Any, realtime: dict[str, Any], key: str, title: str, log: bool = False) -> None:
    results = realtime.get("results", {})
    names = list(results)
    sizes = realtime.get("parameters", {}).get("sizes", [])
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        values = [results[name].get(str(n), {}).get(key) or 0 for n in sizes]
        positions = [j + (i - (len(names) - 1) / 2) * width for j in range(len(sizes))]
        ax.bar(positions, values, width, label=name, color=COLOURS.get(name))
    ax.set_xticks(range(len(sizes)), [f"{n} uttag" for n in sizes])
    ax.set_title(title, fontsize=10)
    if log:
        ax.set_yscale("log")
    ax.grid(axis="y", alpha=0.3)


def render(data: dict[str, Any], out: Path) -> None:
    realtime = data.get("realtime", {})
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    _bars(axes[0][0], realtime, "p99_ms", "p99 per leverans (ms, log), öppen slinga", log=True)
    axes[0][0].axhline(50, color="black", linestyle="--", linewidth=0.8)
    axes[0][0].legend(title="konfiguration", fontsize=8)
    _bars(
        axes[0][1],
        realtime,
        "deliveries_per_s",
        "leveranser per sekund, sluten slinga (log)",
        log=True,
    )
    _bars(axes[1][0], realtime, "memory_per_connection_kib", "minne per anslutning (KiB)")

    ax = axes[1][1]
    ax.axis("off")
    rows = [
        [t["target"], t["measured"], "ja" if t["met"] else "nej"] for t in data.get("targets", [])
    ]
    if rows:
        table = ax.table(
            cellText=rows,
            colLabels=["mål", "uppmätt", "nått"],
            loc="center",
            cellLoc="left",
            colWidths=[0.55, 0.3, 0.15],
        )
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        table.scale(1, 1.4)
    machine = data.get("machine", {})
    fig.suptitle(
        f"Samverka benchmark {data.get('measured_at', '')} — {machine.get('cpus')} kärnor, "
        f"belastning vid start {machine.get('load_average_1m_at_start')}"
        + (" (delad maskin)" if machine.get("shared") else ""),
        fontsize=11,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main() -> int:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS / "latest.json"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else RESULTS / "latest.png"
    render(json.loads(source.read_text()), out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
