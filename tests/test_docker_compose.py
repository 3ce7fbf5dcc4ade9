"""docker-compose.yml and the production settings agree with each other."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"

# What `docker compose` would substitute; the values only have to be URL-safe.
COMPOSE_VARIABLES = {
    "POSTGRES_PASSWORD": "compose-test-password",
    "DJANGO_SECRET_KEY": "compose-test-secret",
    "DJANGO_ALLOWED_HOSTS": "samverka.example.se",
    "SAMVERKA_KEY_HOST_DIR": "/srv/samverka/keys",
}

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")

# Prints the outcome of importing settings.py; run with a controlled environment.
_IMPORT_SETTINGS = """
import json, sys
try:
    import settings
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
    sys.exit(1)
print(json.dumps({"channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
                  "database": settings.DATABASES["default"]["ENGINE"]}))
"""

# Placeholder values for variables that settings.py demands, by name.
_PLACEHOLDERS = {
    "DATABASE_URL": "postgres://samverka:secret@db.invalid:5432/samverka",
    "REDIS_URL": "redis://redis.invalid:6379/0",
}


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose-style ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` substitution."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if name in variables and (variables[name] or not (op or "").startswith(":")):
            return variables[name]
        if op in (":-", "-"):
            return arg or ""
        if op in (":?", "?"):
            raise AssertionError(f"compose would stop: {name}: {arg}")
        return ""

    return _VARIABLE.sub(substitute, value)


def as_mapping(environment: Any) -> dict[str, str]:
    if environment is None:
        return {}
    if isinstance(environment, dict):
        return {str(k): "" if v is None else str(v) for k, v in environment.items()}
    result = {}
    for item in environment:
        name, _, value = str(item).partition("=")
        result[name] = value
    return result


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    result = compose["services"]
    assert isinstance(result, dict)
    return result


@pytest.fixture(scope="module")
def app_env(services: dict[str, Any]) -> dict[str, str]:
    raw = as_mapping(services["app"].get("environment"))
    return {name: interpolate(value, COMPOSE_VARIABLES) for name, value in raw.items()}


def import_settings(env: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Import settings.py in a fresh interpreter with exactly ``env`` as its environment."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    assert lines, f"no output from importing settings:\n{result.stderr}"
    return result.returncode, json.loads(lines[-1])


def production_required_variables() -> list[str]:
    """The variables settings.py refuses to start without in production, found by trying."""
    env = {"SAMVERKA_ENV": "production"}
    required: list[str] = []
    for _ in range(30):
        code, outcome = import_settings(env)
        if code == 0:
            return required
        assert outcome["error"] == "ImproperlyConfigured", outcome
        match = re.search(r"\b([A-Z][A-Z0-9_]+)\b", outcome["message"])
        assert match, f"the message names no variable: {outcome['message']}"
        name = match.group(1)
        assert name not in required, f"{name} is set but still reported missing"
        required.append(name)
        env[name] = _PLACEHOLDERS.get(name, f"placeholder-{name.lower()}")
    raise AssertionError(f"settings still refuse to load after setting {required}")


def test_services_exist(services: dict[str, Any]) -> None:
    assert {"db", "redis", "app"} <= set(services)
    assert str(services["db"]["image"]).startswith("postgres:15")
    assert str(services["redis"]["image"]).startswith("redis:7")


def test_app_waits_for_healthy_db_and_redis(services: dict[str, Any]) -> None:
    depends_on = services["app"]["depends_on"]
    assert isinstance(depends_on, dict), "depends_on needs conditions, not a list"
    for name in ("db", "redis"):
        assert depends_on[name]["condition"] == "service_healthy"
    for name, spec in depends_on.items():
        assert name in services
        assert spec["condition"] in ("service_healthy", "service_completed_successfully")


def _one_shot_services(services: dict[str, Any]) -> set[str]:
    """Services the app waits on to *finish* (e.g. migrate): they need no health check."""
    depends_on = services["app"].get("depends_on") or {}
    return {
        name
        for name, spec in depends_on.items()
        if isinstance(spec, dict) and spec.get("condition") == "service_completed_successfully"
    }


def test_every_long_running_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    one_shot = _one_shot_services(services)
    for name, service in services.items():
        if name in one_shot:
            assert str(service.get("restart", "no")) == "no", f"{name} runs once"
            continue
        healthcheck = service.get("healthcheck")
        assert healthcheck and healthcheck.get("test"), f"{name} has no healthcheck"
        assert not healthcheck.get("disable"), f"{name} disables its healthcheck"


def test_app_healthcheck_asks_healthz(services: dict[str, Any]) -> None:
    test = services["app"]["healthcheck"]["test"]
    command = " ".join(test) if isinstance(test, list) else str(test)
    assert "urllib" in command
    assert "http://127.0.0.1:8000/healthz" in command


def test_migrations_run_before_the_app(services: dict[str, Any]) -> None:
    one_shot = _one_shot_services(services)
    commands = [
        " ".join(services[name]["command"])
        if isinstance(services[name]["command"], list)
        else str(services[name]["command"])
        for name in one_shot
    ]
    assert any("manage.py migrate" in command for command in commands), commands
    for name in one_shot:
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"


def test_database_url_points_at_the_db_service(
    services: dict[str, Any], app_env: dict[str, str]
) -> None:
    url = urlsplit(app_env["DATABASE_URL"])
    db_env = {
        name: interpolate(value, COMPOSE_VARIABLES)
        for name, value in as_mapping(services["db"]["environment"]).items()
    }
    assert url.scheme in ("postgres", "postgresql")
    assert url.hostname == "db"
    assert url.port == 5432
    assert url.username == db_env["POSTGRES_USER"]
    assert url.password == db_env["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == db_env["POSTGRES_DB"] == "samverka"


def test_redis_url_points_at_the_redis_service(app_env: dict[str, str]) -> None:
    url = urlsplit(app_env["REDIS_URL"])
    assert url.scheme == "redis"
    assert url.hostname == "redis"
    assert (url.port or 6379) == 6379


def test_app_environment_is_production(app_env: dict[str, str]) -> None:
    assert app_env["SAMVERKA_ENV"] == "production"


def test_app_provides_every_variable_production_requires(app_env: dict[str, str]) -> None:
    required = production_required_variables()
    assert "DJANGO_SECRET_KEY" in required  # the probe does find something
    missing = [name for name in required if not app_env.get(name)]
    assert not missing, f"docker-compose.yml app environment lacks {missing}"


def test_settings_load_with_the_app_environment(app_env: dict[str, str]) -> None:
    code, outcome = import_settings(app_env)
    assert code == 0, outcome
    assert outcome["channel_layer"] == "channels_redis.core.RedisChannelLayer"
    assert outcome["database"] == "django.db.backends.postgresql"


def test_production_settings_refuse_a_missing_redis_url(app_env: dict[str, str]) -> None:
    env = {name: value for name, value in app_env.items() if name != "REDIS_URL"}
    code, outcome = import_settings(env)
    assert code != 0
    assert outcome["error"] == "ImproperlyConfigured"
    assert "REDIS_URL" in outcome["message"]


def test_key_folder_is_mounted_read_only(services: dict[str, Any], app_env: dict[str, str]) -> None:
    key_dir = app_env["SAMVERKA_KEY_DIR"]
    assert key_dir == "/run/samverka-keys"
    mounts = services["app"]["volumes"]
    for mount in mounts:
        if isinstance(mount, dict) and mount.get("target") == key_dir:
            assert mount.get("read_only") is True
            return
        if isinstance(mount, str):
            parts = mount.split(":")
            if len(parts) >= 2 and parts[1] == key_dir:
                assert len(parts) == 3 and "ro" in parts[2].split(",")
                return
    raise AssertionError(f"no volume is mounted at {key_dir}")


def test_app_runs_daphne(services: dict[str, Any]) -> None:
    command = services["app"]["command"]
    words = command if isinstance(command, list) else str(command).split()
    assert words[0] == "daphne"
    assert "asgi:application" in words
    assert "8000" in words
    assert any(str(port).split(":")[-1] == "8000" for port in services["app"]["ports"])


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used: set[str] = set()
    for service in services.values():
        for mount in service.get("volumes") or []:
            if isinstance(mount, dict):
                if mount.get("type", "volume") == "volume" and mount.get("source"):
                    used.add(mount["source"])
            else:
                source = str(mount).split(":")[0]
                if source and not source.startswith(("/", ".", "~", "$")):
                    used.add(source)
    assert used, "no named volumes at all"
    assert used <= declared, f"undeclared volumes: {used - declared}"
    for name in ("db", "redis"):
        sources = {str(m).split(":")[0] for m in services[name].get("volumes") or []}
        assert sources & declared, f"{name} keeps its data in no named volume"


def test_dockerfile_runs_daphne_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    assert "collectstatic" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^CMD \["daphne".*"asgi:application"\]', dockerfile, re.MULTILINE)
