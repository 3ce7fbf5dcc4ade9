"""ASGI entry point: HTTP through Django, WebSockets through Channels (protocol v1)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from coordination.log_filters import AccessLog  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = AccessLog(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)

# Everything loaded so far lives as long as the process: set it aside from the garbage
# collector, so that a full collection (which stops every request and connection) goes
# through what requests leave behind, not through Django and the application each time.
gc.freeze()
