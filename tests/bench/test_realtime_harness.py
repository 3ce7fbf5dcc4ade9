"""The realtime benchmark's harness against configuration A (the floor), with tiny numbers.

These tests check that the harness counts and reports correctly, not how fast anything is.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import realtime_bench
from bench.run import assemble, machine_info, readme_section

TINY = realtime_bench.Params(
    sizes=[8, 12],
    trials=2,
    rate=40.0,
    latency_seconds=0.5,
    throughput_seconds=0.4,
    stall=1.5,
    drain_cap=5.0,
    warmup_sockets=4,
    warmup_seconds=0.2,
)


async def _run(tmp_path: Path, drop_every: int = 0, hold_every: int = 0) -> dict:
    with realtime_bench.configurations("", 2, tmp_path, None) as servers:
        servers.append(
            realtime_bench.FloorServer(2, tmp_path, drop_every=drop_every, hold_every=hold_every)
        )
        return await realtime_bench.run_all(servers, TINY, log=lambda line: None)


async def test_every_delivery_is_counted_and_the_keys_others_read_are_there(
    tmp_path: Path,
) -> None:
    realtime = await _run(tmp_path)

    a8, a12 = realtime["results"]["A"]["8"], realtime["results"]["A"]["12"]
    # 20 sends per trial at 40/s for 0.5 s, each to every member of its room: with 8
    # sockets one room of 8; with 12 sockets rooms of 8 and 4, the members taking turns
    # room by room (8 + 4 senders, then 4 + 4 more), so 12 sends reach 8 and 8 reach 4.
    assert a8["latency_samples"] == 2 * 20 * 8
    assert a12["latency_samples"] == 2 * (12 * 8 + 8 * 4)
    assert a8["lost"] == a12["lost"] == realtime["lost"] == 0
    assert a8["duplicates"] == a8["seq_gaps"] == a8["out_of_order"] == 0 and a8["errors"] == {}
    assert 0 < a8["p50_ms"] <= a8["p95_ms"] <= a8["p99_ms"] <= a8["max_ms"]
    assert a8["deliveries_per_s"] > 0 and len(a8["deliveries_per_s_per_trial"]) == 2
    assert realtime["parameters"]["order"] == "A × 2"

    data = json.loads(json.dumps(assemble(machine=machine_info(), realtime=realtime)))
    for key in ("throughput_ratio_full_vs_channels_redis", "p99_ms", "lost"):
        assert key in data["realtime"]
    assert data["realtime"]["lost"] == 0
    # Configurations C and D did not run: their figures are absent, not invented.
    assert data["realtime"]["throughput_ratio_full_vs_channels_redis"] is None
    assert data["realtime"]["p99_ms"] is None
    assert "verify_vs_sha256" in data["audit"] and "p99_ms" in data["convening"]
    met = {t["target"]: t["met"] for t in data["targets"]}
    assert met["inget förlorat (alla konfigurationer)"] is True
    assert "| A | 8 |" in readme_section(data)


async def test_a_server_that_drops_events_is_caught(tmp_path: Path) -> None:
    realtime = await _run(tmp_path, drop_every=5)

    a8 = realtime["results"]["A"]["8"]
    # Every fifth event of the room is never sent: each of its 8 members misses it.
    assert a8["lost"] > 0 and a8["lost"] % 8 == 0
    assert a8["seq_gaps"] > 0
    assert realtime["lost"] == sum(per["lost"] for per in realtime["results"]["A"].values())


async def test_a_server_that_delivers_out_of_order_loses_nothing(tmp_path: Path) -> None:
    realtime = await _run(tmp_path, hold_every=5)

    a8 = realtime["results"]["A"]["8"]
    # Every fifth event comes after the sixth: late, not lost, and not taken for a replay.
    assert a8["out_of_order"] > 0 and a8["out_of_order"] % 8 == 0
    assert a8["seq_gaps"] >= a8["out_of_order"] // 8
    assert a8["lost"] == realtime["lost"] == 0 and a8["duplicates"] == 0
