"""ASGI entry point: HTTP goes to Django, /ws/ to the one live consumer."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from accounts.socket_auth import SocketAuthStack  # noqa: E402
from realtime.consumers import LiveConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SocketAuthStack(URLRouter([path("ws/", LiveConsumer.as_asgi())])),
    }
)

if settings.SCHEDULER_IN_PROCESS:
    from realtime.scheduler import scheduler_thread_start

    scheduler_thread_start()
