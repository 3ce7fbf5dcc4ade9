"""Django settings for configurations B and C of the realtime benchmark: the least Django
that Daphne and a Channels consumer need. ``BENCH_REDIS_URL`` chooses the Redis channel
layer (C); without it the in-memory layer is used (B). Capacity and expiry are those of
Samverka's own settings, so B, C and D differ only in what the consumer does.
"""

from __future__ import annotations

import os

SECRET_KEY = "bench-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "channels"]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
ASGI_APPLICATION = "bench.channels_app.application"
LOGGING_CONFIG = None


def _redis_host(url: str) -> dict[str, object]:
    # As Samverka's settings: longer than the layer's 5-second blocking read.
    timeout = os.environ.get("BENCH_REDIS_SOCKET_TIMEOUT", "") or "10"
    # As Samverka's settings: with redis-py's default of 100 connections the 101st
    # concurrent group send fails (MaxConnectionsError) and its message is lost.
    connections = int(os.environ.get("SAMVERKA_REDIS_MAX_CONNECTIONS", "1000"))
    return {"address": url, "socket_timeout": float(timeout), "max_connections": connections}


_CAPACITY = int(os.environ.get("SAMVERKA_CHANNEL_CAPACITY", "1500"))
_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "")
if _REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [_redis_host(_REDIS_URL)],
                "capacity": _CAPACITY,
                "expiry": int(os.environ.get("SAMVERKA_CHANNEL_EXPIRY", "60")),
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": _CAPACITY},
        }
    }
