"""Throwaway PostgreSQL and Redis servers for the test suite (a pytest plugin).

Loaded with ``-p tests.servers`` (see ``addopts`` in pyproject.toml). Before pytest-django
reads the settings, :func:`pytest_load_initial_conftests` starts one PostgreSQL and one
Redis server for the session on free ports on 127.0.0.1 and points ``DATABASE_URL`` and
``REDIS_URL`` at them. ``SAMVERKA_TEST_DATABASE_URL`` / ``SAMVERKA_TEST_REDIS_URL`` name
servers of your own instead. ``SAMVERKA_KEY_DIR`` always points at a fresh temporary
folder, so tests never touch ``var/keys``. Everything is stopped and deleted in
:func:`pytest_unconfigure`.

:class:`PostgresServer` and :class:`RedisServer` are also meant for fault tests, which
start their own extra instances (see the ``*_server_factory`` fixtures in conftest.py) and
kill, pause or restart them.

This module must not import Django: it runs before Django is configured.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

import pytest

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

POSTGRES_PACKAGE_HINT = (
    "PostgreSQL server binaries (initdb, postgres) were not found. Install the Debian "
    "package: apt-get install postgresql  (or set SAMVERKA_TEST_PG_BIN to the folder that "
    "holds initdb, or SAMVERKA_TEST_DATABASE_URL to a server of your own)."
)
REDIS_PACKAGE_HINT = (
    "redis-server was not found. Install the Debian package: apt-get install redis-server  "
    "(or set SAMVERKA_TEST_REDIS_URL to a server of your own)."
)


class ServerError(RuntimeError):
    """A test server could not be found, started or stopped."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _version_key(path: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,)
    parts = Path(path).parent.name.split(".")
    return tuple(int(p) for p in parts if p.isdigit())


def find_postgres_bin_dir() -> Path | None:
    """The folder holding initdb and postgres, newest Debian version first."""
    override = os.environ.get("SAMVERKA_TEST_PG_BIN")
    if override:
        candidate = Path(override)
        return candidate if (candidate / "initdb").exists() else None
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for directory in dirs:
        if (Path(directory) / "initdb").exists() and (Path(directory) / "postgres").exists():
            return Path(directory)
    initdb = shutil.which("initdb")
    if initdb and (Path(initdb).parent / "postgres").exists():
        return Path(initdb).parent
    return None


def find_redis_server() -> Path | None:
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    default = Path("/usr/bin/redis-server")
    return default if default.exists() else None


def _group_alive(pgid: int) -> bool:
    """Whether a process group still has a live (not zombie) member."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ..." -- comm may contain spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


class _Server:
    """A server process in its own process group, with a log file in its work folder."""

    name: ClassVar[str] = "server"

    def __init__(self, port: int | None, base_dir: Path | None) -> None:
        self._auto_port = port is None
        self.port = port if port is not None else free_port()
        self._own_dir = base_dir is None
        self.base_dir = (
            Path(tempfile.mkdtemp(prefix=f"samverka-{self.name}-"))
            if base_dir is None
            else Path(base_dir)
        )
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.base_dir / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._paused = False
        self._started_once = False

    # -- to be provided by subclasses ---------------------------------------------------
    @property
    def url(self) -> str:
        raise NotImplementedError

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _prepare(self) -> None:
        """Runs before each start (e.g. initdb on the first one)."""

    def _is_ready(self) -> bool:
        raise NotImplementedError

    def _after_ready(self) -> None:
        """Runs once the server accepts connections."""

    def _popen_kwargs(self) -> dict[str, Any]:
        return {}

    _stop_signal: ClassVar[signal.Signals] = signal.SIGTERM

    # -- life cycle ----------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the server and wait until it accepts connections."""
        if self.running:
            raise ServerError(f"{self.name} on port {self.port} is already running")
        attempts = 3 if (self._auto_port and not self._started_once) else 1
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
            except ServerError:
                # Someone may have taken the free port between choosing and binding it.
                if attempt + 1 == attempts or self._port_in_use_reason() is None:
                    raise
                self.port = free_port()
            else:
                self._started_once = True
                return

    def _port_in_use_reason(self) -> str | None:
        log = self.log_tail()
        return "in use" if "in use" in log.lower() else None

    def _start_once(self, timeout: float) -> None:
        self._prepare()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in _reap()
        self.process = subprocess.Popen(
            self._command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: kill()/pause() reach every child
            cwd=self.base_dir,
            **self._popen_kwargs(),
        )
        self._paused = False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self._reap()
                raise ServerError(
                    f"{self.name} on port {self.port} exited with {code} while starting:\n"
                    f"{self.log_tail()}"
                )
            if self._is_ready():
                self._after_ready()
                return
            time.sleep(0.05)
        self.kill()
        raise ServerError(
            f"{self.name} on port {self.port} did not accept connections within {timeout}s:\n"
            f"{self.log_tail()}"
        )

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Shut down cleanly (a paused server is resumed first); SIGKILL if it hangs."""
        if self.process is None:
            return
        if self.process.poll() is None:
            if self._paused:
                self.resume()
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(self._stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout)
        # Children of a stopped server (e.g. PostgreSQL backends) must not outlive it.
        pgid = self.process.pid
        self._signal_group(signal.SIGKILL)
        self._wait_group_gone(pgid)
        self._reap()

    def kill(self) -> None:
        """SIGKILL the server and every process in its group, as a crash would."""
        if self.process is None:
            return
        pgid = self.process.pid
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(STOP_TIMEOUT)
        self._wait_group_gone(pgid)
        self._reap()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP to its whole process group): connections hang."""
        if not self.running:
            raise ServerError(f"{self.name} on port {self.port} is not running")
        self._signal_group(signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        """Undo :meth:`pause` (SIGCONT)."""
        self._signal_group(signal.SIGCONT)
        self._paused = False

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        """Stop (if still running) and start again on the same port with the same data."""
        self.stop()
        self._auto_port = False  # same port, on purpose
        self.start(timeout)

    def close(self) -> None:
        """Stop the server and delete its folder if this object made it."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def _wait_group_gone(self, pgid: int, timeout: float = 5.0) -> None:
        """Wait until no live (non-zombie) process is left in the group."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.02)

    def _reap(self) -> None:
        """Forget the exited process (its pid may be reused) and close the log."""
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        self._paused = False

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> _Server:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} port={self.port} pid={self.pid}>"


class RedisServer(_Server):
    """``redis-server`` on 127.0.0.1 that keeps nothing on disk."""

    name = "redis"

    def __init__(
        self,
        port: int | None = None,
        base_dir: Path | None = None,
        binary: Path | str | None = None,
    ) -> None:
        found = Path(binary) if binary else find_redis_server()
        if found is None or not found.exists():
            raise ServerError(REDIS_PACKAGE_HINT)
        self.binary = found
        super().__init__(port, base_dir)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _command(self) -> list[str]:
        return [
            str(self.binary),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.base_dir),
            "--daemonize",
            "no",
        ]

    def _is_ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False


class PostgresServer(_Server):
    """A PostgreSQL cluster in a temporary folder, tuned for speed over durability.

    As root, initdb and postgres run as the ``postgres`` user (initdb refuses root), with
    the folder handed to that user. The database ``database`` is created on first start;
    connect as ``postgres`` without a password (trust authentication).
    """

    name = "postgres"
    _stop_signal = signal.SIGINT  # "fast" shutdown

    def __init__(
        self,
        port: int | None = None,
        base_dir: Path | None = None,
        bin_dir: Path | str | None = None,
        database: str = "samverka",
    ) -> None:
        found = Path(bin_dir) if bin_dir else find_postgres_bin_dir()
        if found is None or not (found / "initdb").exists() or not (found / "postgres").exists():
            raise ServerError(POSTGRES_PACKAGE_HINT)
        self.bin_dir = found
        self.database = database
        super().__init__(port, base_dir)
        self.data_dir = self.base_dir / "data"
        self.socket_dir = self.base_dir / "sock"
        self._run_as: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._run_as = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ServerError(
                    "Running as root, but there is no 'postgres' user to run PostgreSQL as "
                    "(initdb refuses root). Install the Debian package postgresql, which "
                    "creates it."
                ) from exc

    @property
    def url(self) -> str:
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _user_kwargs(self) -> dict[str, Any]:
        if self._run_as is None:
            return {}
        return {
            "user": self._run_as.pw_uid,
            "group": self._run_as.pw_gid,
            "extra_groups": [],
            "env": {**os.environ, "HOME": self._run_as.pw_dir, "USER": "postgres"},
        }

    def _popen_kwargs(self) -> dict[str, Any]:
        return self._user_kwargs()

    def _chown_tree(self) -> None:
        if self._run_as is None:
            return
        uid, gid = self._run_as.pw_uid, self._run_as.pw_gid
        os.chown(self.base_dir, uid, gid)
        for root, dirs, files in os.walk(self.base_dir):
            for entry in dirs + files:
                os.chown(os.path.join(root, entry), uid, gid)

    def _prepare(self) -> None:
        self.socket_dir.mkdir(exist_ok=True)
        self._chown_tree()
        if (self.data_dir / "PG_VERSION").exists():
            return
        result = subprocess.run(
            [
                str(self.bin_dir / "initdb"),
                "--pgdata",
                str(self.data_dir),
                "--username",
                "postgres",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            cwd=self.base_dir,
            **self._user_kwargs(),
        )
        if result.returncode != 0:
            raise ServerError(
                "initdb failed:\n" + (result.stdout + result.stderr).decode(errors="replace")
            )

    def _command(self) -> list[str]:
        return [
            str(self.bin_dir / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={self.socket_dir}",
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "max_connections=200",
            "-c",
            "logging_collector=off",
        ]

    def _is_ready(self) -> bool:
        result = subprocess.run(
            [
                str(self.bin_dir / "pg_isready"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--username",
                "postgres",
                "--dbname",
                "postgres",
                "--timeout",
                "1",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def _after_ready(self) -> None:
        if self._started_once:
            return
        result = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--username",
                "postgres",
                "--dbname",
                "postgres",
                "--no-psqlrc",
                "--quiet",
                "--tuples-only",
                "--command",
                f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
        if result.returncode == 0 and not result.stdout.strip():
            result = subprocess.run(
                [
                    str(self.bin_dir / "createdb"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--username",
                    "postgres",
                    self.database,
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                check=False,
            )
        if result.returncode != 0:
            raise ServerError(
                f"could not create database {self.database!r}:\n"
                + (result.stdout + result.stderr).decode(errors="replace")
            )

    def _port_in_use_reason(self) -> str | None:
        log = self.log_tail().lower()
        return "in use" if ("in use" in log or "could not bind" in log) else None


# -- the session's servers -----------------------------------------------------------------

_session_servers: list[_Server] = []
_session_dirs: list[Path] = []
_startup_error: str | None = None


def _cleanup_session() -> None:
    while _session_servers:
        server = _session_servers.pop()
        with contextlib.suppress(Exception):
            server.close()
    while _session_dirs:
        shutil.rmtree(_session_dirs.pop(), ignore_errors=True)


atexit.register(_cleanup_session)  # in case pytest dies before pytest_unconfigure


def _start_session_servers() -> None:
    postgres_url = os.environ.get("SAMVERKA_TEST_DATABASE_URL")
    if not postgres_url:
        postgres = PostgresServer()
        _session_servers.append(postgres)
        postgres.start()
        postgres_url = postgres.url
    redis_url = os.environ.get("SAMVERKA_TEST_REDIS_URL")
    if not redis_url:
        redis = RedisServer()
        _session_servers.append(redis)
        redis.start()
        redis_url = redis.url
    os.environ["DATABASE_URL"] = postgres_url
    os.environ["REDIS_URL"] = redis_url


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(args: list[str]) -> None:
    """Runs before pytest-django's hook of the same name, which imports the settings."""
    global _startup_error

    # Development settings, keys in a fresh folder, never var/keys.
    if os.environ.get("SAMVERKA_ENV") == "production":
        os.environ["SAMVERKA_ENV"] = "development"
    key_dir = Path(tempfile.mkdtemp(prefix="samverka-keys-"))
    _session_dirs.append(key_dir)
    os.environ["SAMVERKA_KEY_DIR"] = str(key_dir)
    os.environ.setdefault("DJANGO_SECRET_KEY", "test-" + secrets.token_urlsafe(40))

    if any(arg in ("-h", "--help", "--version", "-V") for arg in args):
        return
    try:
        _start_session_servers()
    except ServerError as exc:
        _cleanup_session()
        # pytest.exit() raised this early escapes as a traceback with status 1, so the
        # run is ended from pytest_configure instead; meanwhile nothing may reach the
        # developer's own database or Redis.
        _startup_error = str(exc)
        os.environ["DATABASE_URL"] = "postgres://unavailable.invalid:1/samverka"
        os.environ["REDIS_URL"] = "redis://unavailable.invalid:1/0"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if _startup_error is not None:
        pytest.exit(f"Test servers could not be started. {_startup_error}", returncode=3)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        "samverka test servers: "
        f"DATABASE_URL={_without_password(os.environ.get('DATABASE_URL', ''))} "
        f"REDIS_URL={_without_password(os.environ.get('REDIS_URL', ''))}"
    ]


def pytest_unconfigure(config: pytest.Config) -> None:
    _cleanup_session()
