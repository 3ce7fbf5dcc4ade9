"""REST API of rooms: a room's history, page by page, as the person may see it."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from realtime import selectors

MAX_LIMIT = 500


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    event = serializers.DictField()


class RoomEventsApi(APIView):
    """Events of a room with seq > ``since``, oldest first; follow ``next_since`` to page."""

    class InputSerializer(serializers.Serializer):
        since = serializers.IntegerField(min_value=0, default=0)
        limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=100)

    class OutputSerializer(serializers.Serializer):
        room = serializers.CharField()
        events = EventSerializer(many=True)
        latest_seq = serializers.IntegerField()
        next_since = serializers.IntegerField()
        has_more = serializers.BooleanField()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since", int, description="Senaste seq du redan har (0 = från början)."
            ),
            OpenApiParameter(
                "limit", int, description=f"Högst så många händelser (1–{MAX_LIMIT})."
            ),
        ],
        responses=OutputSerializer,
        operation_id="room_events_list",
    )
    def get(self, request: Request, room: str) -> Response:
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since = query.validated_data["since"]
        target, batch = selectors.room_history(
            user=request.user, room=room, since=since, limit=query.validated_data["limit"]
        )
        events = [{"seq": e.seq, "event": e.event} for e in batch.events]
        body = {
            "room": target.wire,
            "events": events,
            "latest_seq": batch.latest,
            "next_since": events[-1]["seq"] if events else since,
            "has_more": batch.has_more,
        }
        return Response(self.OutputSerializer(body).data)
