"""The two peers of issue 6: the Django Channels tutorial chat, on two channel layers.

One Django project, one settings module; ``BENCH_PEER_LAYER`` picks the layer:
``core`` -> channels_redis.core.RedisChannelLayer (tutorial-core),
``pubsub`` -> channels_redis.pubsub.RedisPubSubChannelLayer (tutorial-pubsub).
"""
