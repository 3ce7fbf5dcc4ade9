"""The ``escalator`` service in docker-compose.yml runs the command it should, and its
health check tells a living loop from a stuck one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from coordination.management.commands.escalate_invitations import Command

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def escalator() -> dict[str, Any]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return services["escalator"]


def test_it_runs_the_loop_with_a_heartbeat_after_migrations(escalator: dict[str, Any]) -> None:
    command = escalator["command"]
    assert command[:3] == ["python", "manage.py", "escalate_invitations"]
    options = Command().create_parser("manage.py", "escalate_invitations").parse_args(command[3:])
    assert options.loop is True
    assert options.heartbeat is not None
    assert escalator["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert escalator["depends_on"]["db"]["condition"] == "service_healthy"
    assert escalator["environment"]["SAMVERKA_ENV"] == "production"


def _check(escalator: dict[str, Any], heartbeat: Path) -> int:
    test = escalator["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    options = Command().create_parser("manage.py", "x").parse_args(escalator["command"][3:])
    script = test[3].replace(str(options.heartbeat), str(heartbeat))
    return subprocess.run([sys.executable, "-c", script], check=False, timeout=30).returncode


def test_the_health_check_follows_the_heartbeat(escalator: dict[str, Any], tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    assert _check(escalator, heartbeat) != 0  # no pass yet
    heartbeat.touch()
    assert _check(escalator, heartbeat) == 0
    stale = time.time() - 600
    os.utime(heartbeat, (stale, stale))
    assert _check(escalator, heartbeat) != 0
