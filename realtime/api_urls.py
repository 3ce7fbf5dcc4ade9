from django.urls import path

from realtime import api

app_name = "realtime-api"

urlpatterns = [
    path("rooms/<str:room>/events/", api.RoomEventsApi.as_view(), name="room-events"),
]
