"""WebSocket routes: protocol v1."""

from django.urls import path

from realtime.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/v1/", RoomConsumer.as_asgi()),
]
