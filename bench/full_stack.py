"""Samverka's full path for the benchmarks: throwaway PostgreSQL and Redis, a migrated
database seeded with people, case rooms and sessions, and Daphne processes serving
``asgi:application`` with production settings (``SAMVERKA_ENV=production``).

Seeding runs in a subprocess (``python -m bench.full_stack seed``) so the process that
drives the benchmark needs no Django. The servers come from tests/servers.py and listen
on free ports; the system's PostgreSQL and Redis are never used.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DAPHNE = str(Path(sys.executable).with_name("daphne"))
ROOM_SIZE = 8


def wait_listening(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited while starting:\n{tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen within {timeout}s:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Process:
    """A server process in its own process group (so it is stopped with its children)."""

    command: list[str]
    env: dict[str, str]
    log: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_listening(self.port, self.process, self.log, timeout)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FullStack:
    """PostgreSQL, Redis and a seeded database; Daphne processes are started on demand."""

    rooms: int
    leads: int = 10
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="samverka-bench-")))
    seed: dict[str, Any] = field(default_factory=dict)
    pg_version: str = ""
    _servers: list[Any] = field(default_factory=list)

    def __enter__(self) -> FullStack:
        from tests.servers import PostgresServer, RedisServer

        postgres = PostgresServer()  # its own folder, handed to the postgres user
        redis = RedisServer()
        self._servers = [postgres, redis]
        try:
            postgres.start()
            redis.start()
            self.database_url = postgres.url
            self.redis_url = redis.url
            self.redis_pid = redis.pid
            self.postgres_pid = postgres.pid
            self.secret_key = secrets.token_urlsafe(50)
            self.key_dir = self.workdir / "keys"
            self._prepare()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for server in reversed(self._servers):
            with contextlib.suppress(Exception):
                server.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def env(self, *, production: bool = True, **extra: str) -> dict[str, str]:
        """The environment of a process of the full path (Daphne or a service caller)."""
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "DJANGO_SECRET_KEY": self.secret_key,
            "SAMVERKA_KEY_DIR": str(self.key_dir),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "settings",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PYTHONUNBUFFERED": "1",
            "SAMVERKA_ENV": "production" if production else "development",
            **extra,
        }
        env.pop("DJANGO_DEBUG", None)
        return env

    def _prepare(self) -> None:
        # Development mode once, so the key files are made; production from then on.
        setup_env = self.env(production=False, DJANGO_DEBUG="0")
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=setup_env,
            check=True,
        )
        out = self.workdir / "seed.json"
        subprocess.run(
            [
                PYTHON,
                "-m",
                "bench.full_stack",
                "seed",
                "--rooms",
                str(self.rooms),
                "--leads",
                str(self.leads),
                "--out",
                str(out),
            ],
            cwd=ROOT,
            env=setup_env,
            check=True,
        )
        self.seed = json.loads(out.read_text())
        self.pg_version = self.seed.pop("postgresql", "")
        # The cookie a browser would send (production names it differently), read from
        # the settings the servers will run with, which proves they load.
        self.session_cookie = subprocess.run(
            [PYTHON, "-c", _PRINT_COOKIE_NAME],
            cwd=ROOT,
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def daphne(self, name: str, **extra: str) -> Process:
        port = free_port()
        return Process(
            [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "asgi:application"],
            {**self.env(), **extra},
            self.workdir / f"{name}.log",
            port,
        )


_PRINT_COOKIE_NAME = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SESSION_COOKIE_NAME)"
)


# -- seeding (runs inside Django) ---------------------------------------------------------


def _seed(rooms: int, leads: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    import keystore
    from coordination import services
    from coordination.models import AgencyKind, ForumKind, Membership, Role
    from coordination.services import accounts

    # Production generates no keys: make every key file now.
    keystore.key_encryption_keys(settings.KEY_DIR)
    keystore.blind_index_key(settings.KEY_DIR)
    keystore.audit_signing_key(settings.KEY_DIR)
    user_model = get_user_model()

    def session_for(user: Any) -> str:
        """A session as after signing in with password and TOTP code."""
        device = TOTPDevice.objects.create(user=user, name=accounts.DEVICE_NAME, confirmed=True)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        store[accounts.SECOND_FACTOR_SESSION_KEY] = accounts.TOTP
        store.create()
        assert store.session_key is not None
        return store.session_key

    def person(username: str, first: str, last: str) -> Any:
        user = user_model(username=username, first_name=first, last_name=last)
        user.set_unusable_password()
        user.save()
        return user

    municipality = services.municipality_upsert(
        actor=None, code="0583", name="Motala", county_part="västra"
    )
    agency = services.agency_create(
        actor=None,
        name="Motala socialkontor",
        kind=AgencyKind.SOCIAL_SERVICES,
        municipality=municipality,
    )
    unit = services.unit_create(actor=None, agency=agency, name="Barn och unga")
    seeded_rooms = []
    for r in range(rooms):
        members = [
            person(f"bench-{r:03d}-{m}", f"Handläggare{m}", f"Rum{r:03d}") for m in range(ROOM_SIZE)
        ]
        Membership.objects.bulk_create(
            [Membership(user=u, unit=unit, role=Role.CASE_OFFICER) for u in members]
        )
        case = services.case_create(actor=members[0], unit=unit, officers=members[1:])
        seeded_rooms.append(
            {"room": f"case:{case.id}", "sessions": [session_for(u) for u in members]}
        )

    # The convening benchmark: a styrgrupp with `leads` sections, each with its lead.
    lead_units, lead_sessions = [], []
    for n in range(leads):
        section = services.unit_create(actor=None, agency=agency, name=f"Sektion {n + 1}")
        lead = person(f"bench-lead-{n}", "Chef", f"Sektion{n + 1}")
        services.membership_grant(actor=None, user=lead, unit=section, role=Role.SECTION_LEAD)
        services.unit_set_leads(actor=None, unit=section, lead=lead)
        lead_units.append(section)
        lead_sessions.append(session_for(lead))
    forum = services.forum_create(
        actor=None,
        name="Styrgruppen (benchmark)",
        kind=ForumKind.STEERING_GROUP,
        municipality=municipality,
        internal=True,
        member_units=lead_units,
    )
    routine = services.routine_create(
        actor=None,
        municipality=municipality,
        forum=forum,
        name="Hot och våld i nära relation",
        text="Kalla styrgruppen samma dag.",
    )
    convener = person("bench-convener", "Sammankallande", "Handläggare")
    Membership.objects.create(user=convener, unit=unit, role=Role.CASE_OFFICER)
    convene_case = services.case_create(actor=convener, unit=unit)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    return {
        "rooms": seeded_rooms,
        "leads": lead_sessions,
        "convene": {
            "actor_id": str(convener.pk),
            "case_id": str(convene_case.id),
            "routine_id": str(routine.pk),
            "unit_ids": [str(u.pk) for u in lead_units],
        },
        "postgresql": row[0] if row else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Seed the full path's benchmark database.")
    parser.add_argument("command", choices=["seed"])
    parser.add_argument("--rooms", type=int, required=True)
    parser.add_argument("--leads", type=int, default=10)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    data = _seed(args.rooms, args.leads)
    Path(args.out).write_text(json.dumps(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
