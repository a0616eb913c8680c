import os

from django.urls import re_path

from . import consumers

# tutorial-pubsub-persist: the same route, the consumer that saves each message first.
_CONSUMER = consumers.PersistingChatConsumer if os.environ.get("BENCH_PEER_PERSIST") else consumers.ChatConsumer

websocket_urlpatterns = [
    re_path(r"ws/chat/(?P<room_name>\w+)/$", _CONSUMER.as_asgi()),
]
