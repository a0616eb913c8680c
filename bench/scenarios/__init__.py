"""The scenarios of the bench, by family. Each returns a plain dict of figures (see bench/README.md)."""

from bench.scenarios.fanout import fanout, idle, two_processes
from bench.scenarios.storms import rsvp_storm, vote_storm

__all__ = ["fanout", "idle", "rsvp_storm", "two_processes", "vote_storm"]
