"""The anonymiser benchmark: briefs per second over the labelled corpus, and p99 per brief.

The baseline, measured in the same run on the same texts, is the least an anonymiser
could do: replace every registered identifier string with ``str.replace``. The engine
does far more (formats of every identifier, pattern detectors, generalisation, rarity
warnings); the ratio says what that costs.

    python bench/anonymiser_bench.py [--seconds 4]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _naive(text: str, needles: list[str]) -> str:
    for needle in needles:
        text = text.replace(needle, "[borttaget]")
    return text


def measure(seconds: float = 4.0) -> dict[str, Any]:
    from consent.anonymiser.engine import redact
    from consent.anonymiser.recall import load

    documents = load()
    for document in documents:  # warm-up: compiled patterns, caches
        redact(document.text, document.identifiers, today=document.today)

    per_brief: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for document in documents:
            t = time.perf_counter()
            redact(document.text, document.identifiers, today=document.today)
            per_brief.append((time.perf_counter() - t) * 1000.0)
    engine_seconds = time.perf_counter() - start

    needles = [sorted(_strings(d.identifiers), key=len, reverse=True) for d in documents]
    naive_count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < min(seconds, 1.0):
        for document, words in zip(documents, needles, strict=True):
            _naive(document.text, words)
            naive_count += 1
    naive_seconds = time.perf_counter() - start

    ordered = sorted(per_brief)
    engine_rate = len(per_brief) / engine_seconds
    naive_rate = naive_count / naive_seconds
    return {
        "documents": len(documents),
        "characters_per_brief_mean": round(sum(len(d.text) for d in documents) / len(documents)),
        "briefs": len(per_brief),
        "briefs_per_s": round(engine_rate, 1),
        "p50_ms": round(ordered[len(ordered) // 2], 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
        "max_ms": round(ordered[-1], 3),
        "baseline_str_replace_briefs_per_s": round(naive_rate, 1),
        "engine_vs_str_replace": round(engine_rate / naive_rate, 5),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    print(json.dumps(measure(args.seconds), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
