"""The scenarios of the bench, by family. Each returns a plain dict of figures (see bench/README.md)."""

from bench.scenarios.fanout import fanout, idle, two_processes
from bench.scenarios.resilience import STALLED_SERVER_ENV, reconnect_storm, stalled_readers
from bench.scenarios.storms import rsvp_storm, vote_storm
from bench.scenarios.writes import post_storm

__all__ = [
    "STALLED_SERVER_ENV",
    "fanout",
    "idle",
    "post_storm",
    "reconnect_storm",
    "rsvp_storm",
    "stalled_readers",
    "two_processes",
    "vote_storm",
]
