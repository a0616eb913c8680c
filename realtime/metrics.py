"""Prometheus metrics of the live transport (served at /metrics by config/metrics.py).

With PROMETHEUS_MULTIPROC_DIR set in the environment before start, every process of a host
writes its values there and a scrape of any of them sums them all (gauges: over live processes).
Names start with `cl_`; docs/DEPLOY.md lists them and deploy/grafana/ draws them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Latencies of socket writes and database waits: from a millisecond to the 10 s lock timeout.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

SOCKETS_OPEN = Gauge("cl_sockets_open", "WebSockets open", multiprocess_mode="livesum")
TOPICS_SERVED = Gauge("cl_topics_served", "Topics followed by at least one local socket", multiprocess_mode="livesum")
SUBSCRIPTIONS = Gauge("cl_subscriptions", "Socket subscriptions to topics", multiprocess_mode="livesum")
FRAMES_SENT = Counter("cl_frames_sent", "Frames sent to sockets", ["kind"])
FRAMES_DROPPED = Counter(
    "cl_frames_dropped", "Frames not sent (duplicate seq, superseded state, slow consumer)", ["kind", "reason"]
)
STATE_COMPUTES = Counter(
    "cl_state_computes",
    "State snapshots computed, or deferred while a process holds the topic's claim for the interval",
    ["outcome"],
)
STATE_DELTAS_SENT = Counter("cl_state_deltas_sent", "State frames sent as a delta on the socket's previous one")
DELIVERIES = Counter("cl_deliveries", "Sequenced events handed to local subscribers")
REPLAY_REQUESTS = Counter("cl_replay_requests", "subscribe with since")
REPLAY_RESETS = Counter("cl_replay_resets", "subscribe with since answered reset: true")
REPLAY_READS = Counter("cl_replay_reads", "Database reads of replay heads and pages (shared by concurrent subscribes)")
REPLAY_READ_REQUESTS = Counter("cl_replay_read_requests", "Replay heads and pages asked for (one read serves many)")
SHARED_READS = Counter(
    "cl_shared_reads", "Database reads made for many sockets at once (realtime.shared_reads)", ["reader"]
)
SHARED_READ_KEYS = Counter("cl_shared_read_keys", "Keys those reads answered (tokens, topic readers)", ["reader"])
GAP_REPAIRS = Counter("cl_gap_repairs", "Events read from the database to fill a gap in what Redis delivered")
SWEEPS = Counter("cl_sweeps", "Periodic comparisons of served topics' heads with the database")
REDIS_RECONNECTS = Counter("cl_redis_reconnects", "Redis pub/sub connections lost and opened again")
SLOW_CONSUMER_CLOSES = Counter("cl_slow_consumer_closes", "Sockets closed with 4008 (outbound buffer overflowed)")
RESTART_CLOSES = Counter("cl_restart_closes", "Sockets closed with 4012 while draining for a restart")
GC_PAUSE = Histogram(
    "cl_gc_pause_seconds",
    "Garbage collections (the whole process stops), by generation (2: full)",
    ["generation"],
    buckets=LATENCY_BUCKETS,
)
LOOP_LAG = Histogram(
    "cl_event_loop_lag_seconds",
    "How late the event loop woke a 100 ms timer: the wait every socket of the process shares",
    buckets=LATENCY_BUCKETS,
)
COMMANDS = Counter("cl_commands", "Socket commands by outcome (ok or the error code)", ["command", "outcome"])
WRITE_LATENCY = Histogram(
    "cl_write_seconds", "Socket write commands, frame received to reply sent", ["command"], buckets=LATENCY_BUCKETS
)
# Where a socket write's time goes under group commit (realtime.batching): `queued`, per write,
# command parsed to its batch starting on a database thread (the group-commit window, then the
# wait for the thread: on SQLite, for the write running there); then per batch, whose writes
# share them: `turn`, to holding its turn (the rate-limit tokens from Redis, the SQLite writers'
# turn, BEGIN); `run`, its writes, its commit and what it publishes on commit; `answered`, commit
# to the writers woken on the event loop. `kind` is the topic's (`room`: the chat). docs/DEPLOY.md §5.
WRITE_STAGE = Histogram(
    "cl_write_stage_seconds",
    "Socket writes' time by stage (queued per write; turn, run, answered per batch) and topic kind",
    ["stage", "kind"],
    buckets=LATENCY_BUCKETS,
)
FANOUT_SECONDS = Histogram(
    "cl_fanout_seconds",
    "One event's fan-out to the process's subscribers, first socket to last",
    buckets=LATENCY_BUCKETS,
)
DB_POOL_WAIT = Histogram(
    "cl_db_pool_wait_seconds", "Wait for a database thread before a call starts", buckets=LATENCY_BUCKETS
)
RATE_LIMITED = Counter("cl_rate_limited", "Writes refused with rate_limited")
SCHEDULER_RUNS = Counter("cl_scheduler_runs", "Scheduler job runs", ["job", "outcome"])
SCHEDULER_LAG = Histogram(
    "cl_scheduler_lag_seconds", "How late a scheduler job started after it was due", ["job"], buckets=LATENCY_BUCKETS
)
