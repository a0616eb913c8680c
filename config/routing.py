"""The ASGI application itself: HTTP goes to Django, /ws/ to the one live consumer."""

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application
from django.urls import path

django_asgi_app = get_asgi_application()

from accounts.socket_auth import SocketAuthStack  # noqa: E402  (needs the app registry)
from realtime.consumers import LiveConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SocketAuthStack(URLRouter([path("ws/", LiveConsumer.as_asgi())])),
    }
)
