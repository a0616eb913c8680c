"""Summarise py-spy collapsed stacks (``--format raw``): where a server spent its samples."""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

_FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def _short(frame: str) -> str:
    m = _FRAME.match(frame)
    if not m:
        return frame
    f = m.group("file")
    for marker in ("site-packages/", "lib/python3.11/", "/work/"):
        if marker in f:
            f = f.split(marker, 1)[1]
    return f"{m.group('fn')} ({f})"


# Leaves where a thread waits rather than works (py-spy's own idle detection misses some).
IDLE_LEAVES = (
    "EpollSelector.select",
    "_PollLikeSelector.select",
    "Condition.wait",
    "Event.wait",
    "_worker (concurrent",
    "SimpleQueue.get",
    "Queue.get",
    "time.sleep",
    "Lock.acquire",
    "scheduler_run",
)
PROJECT_DIRS = ("realtime/", "accounts/", "discussions/", "events/", "proposals/", "debates/", "communes/", "config/")


def summarise(path: Path, top: int = 25) -> dict:
    """Busy samples only: top frames by self time, by inclusive time, and the project's own frames."""
    self_s, incl, proj = collections.Counter(), collections.Counter(), collections.Counter()
    total = idle = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        n = int(n)
        frames = [_short(f) for f in stack.split(";")]
        if frames[-1].startswith(IDLE_LEAVES):
            idle += n
            continue
        total += n
        self_s[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
            if "(" in f and f.rsplit("(", 1)[1].startswith(PROJECT_DIRS):
                proj[f] += n

    def top_of(c):
        return [(f, round(100 * k / total, 1)) for f, k in c.most_common(top)] if total else []

    return {
        "busy_samples": total,
        "idle_samples": idle,
        "self": top_of(self_s),
        "inclusive": top_of(incl),
        "project_inclusive": top_of(proj),
    }


if __name__ == "__main__":
    s = summarise(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25)
    print(f"{s['busy_samples']} busy samples ({s['idle_samples']} idle left out); % of busy samples")
    for key in ("self", "project_inclusive", "inclusive"):
        print(f"{key}:")
        for f, p in s[key]:
            print(f"  {p:5.1f}  {f}")
