"""``make bench``: every benchmark in one run, written to ``bench/results/latest.json``, a
chart (``latest.png``) and the "Latest benchmark figures" section of README.md.

1. audit: append rate with 4 writers and verification rate, beside the raw SHA-256 and
   Ed25519 rates of the same run (bench/audit_bench.py, in its own process);
2. anonymiser: briefs per second over the corpus, p99 per brief (bench/anonymiser_bench.py);
3. realtime: configurations A–D in turn, 5 trials each (bench/realtime_bench.py);
4. convening: from the convene service to the call on 10 section leads' sockets
   (bench/convening_bench.py), on the same full stack as realtime D.

Every figure that has a baseline is given as a ratio to it, measured in the same run on
the same machine. ``--quick`` runs tiny configurations for trying the machinery out.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import anonymiser_bench, convening_bench, realtime_bench  # noqa: E402
from bench.full_stack import PYTHON, ROOM_SIZE, FullStack  # noqa: E402

RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
SHARED_LOAD = 1.5
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def machine_info() -> dict[str, Any]:
    load = os.getloadavg()[0]
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m_at_start": round(load, 2),
        # Other work on the machine slows every configuration; the ratios stay comparable.
        "shared": load > SHARED_LOAD,
    }


def run_audit(writers: int, per_writer: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="samverka-bench-audit-") as tmp:
        out = Path(tmp) / "audit.json"
        subprocess.run(
            [
                PYTHON,
                str(ROOT / "bench" / "audit_bench.py"),
                "--writers",
                str(writers),
                "--per-writer",
                str(per_writer),
                "--out",
                str(out),
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        data: dict[str, Any] = json.loads(out.read_text())
    return data


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def assemble(
    *,
    machine: dict[str, Any],
    realtime: dict[str, Any] | None,
    audit: dict[str, Any] | None = None,
    anonymiser: dict[str, Any] | None = None,
    convening: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``latest.json``: the full figures, and the keys other programs read at fixed places."""
    realtime = realtime or {}
    ratio = _get(realtime, "paired_throughput_ratios", "200", "median")
    p99 = _get(realtime, "results", "D", "200", "p99_ms")
    lost = realtime.get("lost")
    verify_vs_sha = _get(audit or {}, "verification", "verify_vs_sha256")
    convening_p99 = (convening or {}).get("p99_ms")
    rate = _get(realtime, "parameters", "open_loop_sends_per_s")
    data: dict[str, Any] = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "realtime": {
            # D/C deliveries per second at 200 sockets: median of the per-trial ratios.
            "throughput_ratio_full_vs_channels_redis": ratio,
            # D at 200 sockets, open loop at `open_loop_sends_per_s`, pooled over trials.
            "p99_ms": p99,
            # Every configuration, every trial.
            "lost": lost,
            **realtime,
        },
        "audit": {
            "verify_vs_sha256": verify_vs_sha,
            "append_entries_per_s_4_writers": _get(
                audit or {}, "append", "concurrent", "entries_per_s"
            ),
            "verify_entries_per_s": _get(audit or {}, "verification", "verify_entries_per_s"),
            "sha256_entry_per_s": _get(audit or {}, "primitives", "sha256_entry_per_s"),
            "ed25519_sign_per_s": _get(audit or {}, "primitives", "ed25519_sign_per_s"),
            "ed25519_verify_per_s": _get(audit or {}, "primitives", "ed25519_verify_per_s"),
            "details": audit,
        },
        "anonymiser": anonymiser,
        "convening": {"p99_ms": convening_p99, **(convening or {})},
    }
    data["targets"] = [
        _target("D ≥ 0.5 × C leveranser/s vid 200 uttag", ratio, lambda v: v >= 0.5, "{:.2f} × C"),
        _target(
            f"p99 ≤ 50 ms, D, 200 uttag, {rate:g} sändningar/s"
            if rate
            else "p99 ≤ 50 ms (D, 200 uttag)",
            p99,
            lambda v: v <= 50,
            "{:.0f} ms",
        ),
        _target("inget förlorat (alla konfigurationer)", lost, lambda v: v == 0, "{} förlorade"),
        _target("granskning ≥ 20 % av rå SHA-256", verify_vs_sha, lambda v: v >= 0.2, "{:.1%}"),
        _target("sammankallning p99 ≤ 100 ms", convening_p99, lambda v: v <= 100, "{:.0f} ms"),
    ]
    return data


def _target(what: str, value: Any, test: Any, fmt: str) -> dict[str, Any]:
    return {
        "target": what,
        "value": value,
        "measured": "ej mätt" if value is None else fmt.format(value),
        "met": value is not None and bool(test(value)),
    }


def readme_section(data: dict[str, Any]) -> str:
    machine = data["machine"]
    lines = [
        README_START,
        "## Latest benchmark figures",
        "",
        f"`make bench`, {data['measured_at']}, {machine['cpus']} cores, load average "
        f"{machine['load_average_1m_at_start']} at the start"
        + (
            " (a machine shared with other work: absolute figures are low, ratios hold)"
            if machine["shared"]
            else ""
        )
        + ". Full figures in `bench/results/latest.json`, chart in `bench/results/latest.png`.",
        "",
        "| Target | Measured | Met |",
        "| --- | --- | --- |",
    ]
    for target in data["targets"]:
        lines.append(
            f"| {target['target']} | {target['measured']} | {'yes' if target['met'] else 'no'} |"
        )
    results = _get(data, "realtime", "results") or {}
    if results:
        lines += [
            "",
            "Realtime, rooms of 8, open loop for latency, closed loop for throughput "
            "(A websockets floor, B Daphne + in-memory layer, C Daphne + Redis layer, "
            "D Samverka's full path):",
            "",
            "| Config | Sockets | p50 ms | p99 ms | Deliveries/s | KiB/connection | CPU ms/delivery | Lost |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name, per in results.items():
            for n, f in per.items():
                lines.append(
                    f"| {name} | {n} | {_fmt(f['p50_ms'])} | {_fmt(f['p99_ms'])} | "
                    f"{_fmt(f['deliveries_per_s'], 0)} | {_fmt(f['memory_per_connection_kib'])} | "
                    f"{_fmt(f['server_cpu_ms_per_delivery'], 3)} | {f['lost']} |"
                )
        notes = []
        for name, per in results.items():
            for n, f in per.items():
                if f.get("failed_trials"):
                    notes.append(
                        f"{name} at {n} sockets: {f['failed_trials']} of {f['trials']} trials could "
                        f"not connect every socket within {_get(data, 'realtime', 'parameters', 'connect_cap_seconds')} s"
                    )
                if f.get("out_of_order"):
                    notes.append(
                        f"{name} at {n} sockets: {f['out_of_order']} deliveries came after one "
                        "with a higher number (out of order, not lost)"
                    )
                late = f.get("undelivered_at_close", 0) - f.get("lost", 0)
                if late:
                    notes.append(
                        f"{name} at {n} sockets: {late} deliveries still arriving when the wait ended "
                        "(late, not lost; their latencies are missing, so its percentiles are low)"
                    )
        if notes:
            lines += ["", "Notes: " + "; ".join(notes) + "."]
    audit = data.get("audit") or {}
    anonymiser = data.get("anonymiser") or {}
    convening = data.get("convening") or {}
    extra = []
    if audit.get("verify_entries_per_s"):
        extra.append(
            f"Audit: {_fmt(audit['append_entries_per_s_4_writers'], 0)} entries/s appended by 4 writers, "
            f"{_fmt(audit['verify_entries_per_s'], 0)} entries/s verified; raw SHA-256 "
            f"{_fmt(audit['sha256_entry_per_s'], 0)}/s, Ed25519 sign {_fmt(audit['ed25519_sign_per_s'], 0)}/s, "
            f"verify {_fmt(audit['ed25519_verify_per_s'], 0)}/s."
        )
    if anonymiser:
        extra.append(
            f"Anonymiser: {_fmt(anonymiser['briefs_per_s'], 1)} briefs/s over "
            f"{anonymiser['documents']} corpus texts, p99 {_fmt(anonymiser['p99_ms'])} ms per brief."
        )
    if convening.get("p99_ms") is not None:
        extra.append(
            f"Convening: call on {convening['leads']} section leads' sockets p50 "
            f"{_fmt(convening['p50_ms'])} ms, p99 {_fmt(convening['p99_ms'])} ms "
            f"(the service itself p50 {_fmt(convening['service_p50_ms'])} ms)."
        )
    if extra:
        lines += ["", *extra]
    lines.append(README_END)
    return "\n".join(lines)


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}".replace(",", " ")


def update_readme(data: dict[str, Any], path: Path = README) -> None:
    text = path.read_text(encoding="utf-8")
    section = readme_section(data)
    if README_START in text and README_END in text:
        head, _sep, rest = text.partition(README_START)
        _old, _sep, tail = rest.partition(README_END)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny configurations, no README")
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    args = parser.parse_args()
    quick = args.quick
    machine = machine_info()
    print(f"Maskin: {machine}", flush=True)

    print("Granskningsloggen …", flush=True)
    audit = run_audit(4, 50 if quick else 400)
    print("Anonymiseraren …", flush=True)
    anonymiser = anonymiser_bench.measure(0.5 if quick else 4.0)

    params = realtime_bench.Params(
        sizes=[16, 24] if quick else [50, 200, 500],
        trials=1 if quick else 5,
        latency_seconds=1.0,
        throughput_seconds=1.0 if quick else 1.5,
        stall=6.0,
        # Long enough for the open loop's backlog to arrive before the closed loop starts,
        # so the throughput window measures the configuration, not the backlog; what is
        # still arriving after this is reported as late, not as lost.
        drain_cap=30.0,
        connect_cap=30.0,
    )
    rooms = (max(params.sizes) + ROOM_SIZE - 1) // ROOM_SIZE
    print("Realtid (A B C D växelvis) …", flush=True)
    with FullStack(rooms=rooms) as stack:
        with realtime_bench.configurations("ABCD", rooms, stack.workdir, stack) as servers:
            realtime = asyncio.run(realtime_bench.run_all(servers, params))
        print("Sammankallning …", flush=True)
        convening = convening_bench.run(stack, 5 if quick else 20)

    data = assemble(
        machine=machine,
        realtime=realtime,
        audit=audit,
        anonymiser=anonymiser,
        convening=convening,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    from bench import chart  # matplotlib: installed for `make bench` only

    chart.render(data, out.with_suffix(".png"))
    if not quick:
        update_readme(data)
    for target in data["targets"]:
        print(f"{'✓' if target['met'] else '✗'} {target['target']}: {target['measured']}")
    print(f"Skrivet till {out} och {out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
