"""The test servers from tests/servers.py: what the suite runs against, and fault helpers."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
import redis
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

from tests.servers import PostgresServer, RedisServer


def test_default_database_is_the_throwaway_postgresql(db: None) -> None:
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    if not os.environ.get("SAMVERKA_TEST_DATABASE_URL"):
        assert settings.DATABASES["default"]["HOST"] == "127.0.0.1"
        assert int(settings.DATABASES["default"]["PORT"]) != 5432  # never the system server


def test_keys_are_in_a_temporary_folder() -> None:
    assert settings.KEY_DIR != settings.BASE_DIR / "var" / "keys"
    assert str(settings.KEY_DIR) == os.environ["SAMVERKA_KEY_DIR"]


async def test_channel_layer_round_trip_through_redis() -> None:
    layer = get_channel_layer()
    assert layer is not None
    assert type(layer).__module__.startswith("channels_redis")
    layer_settings: Any = settings.CHANNEL_LAYERS["default"]
    assert layer_settings["CONFIG"]["hosts"] == [
        {"address": os.environ["REDIS_URL"], "socket_timeout": 10, "max_connections": 1000}
    ]

    group = f"test-{uuid.uuid4().hex}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    try:
        await layer.group_send(group, {"type": "test.message", "text": "hej från Motala"})
        message = await asyncio.wait_for(layer.receive(channel), timeout=5)
    finally:
        await layer.group_discard(group, channel)
        await layer.close_pools()
    assert message == {"type": "test.message", "text": "hej från Motala"}


async def test_a_burst_of_concurrent_group_sends_all_arrive() -> None:
    # redis-py's pool refuses a call once 100 are in flight, unless told otherwise.
    layer: Any = get_channel_layer()  # the project's, this test's own (tests/conftest.py)
    group = f"test-{uuid.uuid4().hex}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    try:
        sends = [layer.group_send(group, {"type": "test.n", "n": n}) for n in range(250)]
        await asyncio.gather(*sends)
        received = [await asyncio.wait_for(layer.receive(channel), timeout=5) for _ in sends]
    finally:
        await layer.group_discard(group, channel)
        await layer.close_pools()
    assert sorted(m["n"] for m in received) == list(range(250))


def _client(server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(
        server.url, socket_timeout=1, socket_connect_timeout=1, retry_on_timeout=False
    )


def test_redis_server_kill_and_restart(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory()
    port = server.port
    client = _client(server)
    assert client.ping()
    client.set("survives", "no")

    server.kill()
    assert not server.running
    with pytest.raises(redis.exceptions.ConnectionError):
        client.ping()

    server.restart()
    assert server.port == port
    assert client.ping()
    assert client.get("survives") is None  # nothing is kept on disk
    client.close()


def test_redis_server_pause_and_resume(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory()
    client = _client(server)
    assert client.ping()

    server.pause()
    with pytest.raises(redis.exceptions.TimeoutError):
        client.ping()
    server.resume()
    assert client.ping()
    client.close()


def test_postgres_server_kill_and_restart(
    postgres_server_factory: Callable[..., PostgresServer],
) -> None:
    server = postgres_server_factory()
    port = server.port
    with psycopg.connect(server.url, connect_timeout=2, autocommit=True) as conn:
        # The servers run with synchronous_commit=off: a commit that must survive a SIGKILL
        # asks for a synchronous one (fsync=off still hands the WAL to the OS).
        conn.execute("SET synchronous_commit = on")
        conn.execute("CREATE TABLE kept (value int)")
        conn.execute("INSERT INTO kept VALUES (42)")

    server.kill()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(server.url, connect_timeout=2)

    server.restart()
    assert server.port == port
    with psycopg.connect(server.url, connect_timeout=2) as conn:
        assert conn.execute("SELECT value FROM kept").fetchone() == (42,)
