"""Generic fixtures shared by the whole suite (Django model fixtures live in factories.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.servers import PostgresServer, RedisServer

pytest_plugins = ["tests.fixtures", "tests.audit.harness"]


@pytest.fixture(autouse=True)
def _a_channel_layer_of_its_own() -> Iterator[None]:
    """Each test gets channel layers of its own. channels_redis keeps a lock per channel
    bound to the event loop that took it; one still held when a test's loop closed (a
    receive cancelled midway) would refuse every later receive on a shared layer."""
    from channels.layers import channel_layers

    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


@pytest.fixture
def redis_server_factory() -> Iterator[Callable[..., RedisServer]]:
    """Start extra throwaway Redis servers for a test; each is stopped and removed after it.

    ``redis_server_factory()`` returns a started :class:`RedisServer`; keyword arguments go
    to its constructor (``port=...`` to choose the port).
    """
    started: list[RedisServer] = []

    def make(**kwargs: Any) -> RedisServer:
        server = RedisServer(**kwargs)
        started.append(server)
        server.start()
        return server

    yield make
    for server in reversed(started):
        server.close()


@pytest.fixture
def postgres_server_factory() -> Iterator[Callable[..., PostgresServer]]:
    """Start extra throwaway PostgreSQL servers for a test; each is stopped and removed after.

    ``postgres_server_factory()`` returns a started :class:`PostgresServer` whose ``url``
    names its (empty) ``samverka`` database; keyword arguments go to its constructor.
    """
    started: list[PostgresServer] = []

    def make(**kwargs: Any) -> PostgresServer:
        server = PostgresServer(**kwargs)
        started.append(server)
        server.start()
        return server

    yield make
    for server in reversed(started):
        server.close()
