"""ASGI entry point of the peers, as in the tutorial (mysite/asgi.py).

Run: ``BENCH_PEER_LAYER=pubsub python -m daphne -b 127.0.0.1 -p 8001 bench.peers.asgi:application``
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.settings")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

# Initialize Django ASGI application early to ensure the AppRegistry
# is populated before importing code that may import ORM models.
django_asgi_app = get_asgi_application()

from bench.peers.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
