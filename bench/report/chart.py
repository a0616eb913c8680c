"""Charts, one PNG per scenario family: fan-out (S1-S3, S10), writes (S4, S5, S7), sockets (S6, S8, S9)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bench.report.common import fmt, g  # noqa: E402
from bench.report.table import COLUMNS  # noqa: E402

COLORS = {
    "project": "#2b7a3d",
    "project-2proc": "#6bbf59",
    "tutorial-pubsub": "#3b6ea8",
    "tutorial-pubsub-persist": "#7a5ba8",
    "tutorial-core": "#b04a3b",
    "ceiling": "#888888",
}


def bars(ax, values: dict, title: str, ylabel: str, limit=None):
    xs = [n for n in COLUMNS if values.get(n) is not None]
    ys = [values[n] for n in xs]
    ax.bar(xs, ys, color=[COLORS.get(n, "grey") for n in xs])
    for x, y in zip(xs, ys, strict=False):
        ax.annotate(fmt(float(y)), (x, y), ha="center", va="bottom", fontsize=8)
    if limit is not None:
        ax.axhline(limit, color="red", linestyle="--", label=f"target {fmt(float(limit))}")
        ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelsize=7, rotation=15)


def per_target(targets: dict, *paths) -> dict:
    """The first of ``paths`` that has a value, per target."""
    out = {}
    for name, t in targets.items():
        for path in paths:
            v = g(t, *path)
            if isinstance(v, int | float) and not isinstance(v, bool):
                out[name] = v
                break
    return out


def fanout_chart(fig, targets):
    axes = fig.subplots(1, 3)
    bars(
        axes[0],
        per_target(targets, ("fanout", "s1", "p99_ms"), ("two", "latency", "p99_ms")),
        "S1/S3 p99 ms (lower is better)",
        "ms",
    )
    thr = per_target(targets, ("fanout", "s2", "deliveries_per_s"), ("two", "burst", "deliveries_per_s"))
    bars(axes[1], thr, "S2/S3 burst deliveries/s (ceiling: the load client's own)", "deliveries/s")
    bars(
        axes[2],
        per_target(targets, ("fanout", "s2", "server_cpu_us_per_delivery")),
        "S2 server CPU µs per delivery",
        "µs",
    )


def writes_chart(fig, targets):
    axes = fig.subplots(1, 3)
    bars(
        axes[0],
        per_target(targets, ("storm", "persisted_posts_per_s")),
        "S7 persisted posts/s into one room",
        "posts/s",
        500,
    )
    bars(axes[1], per_target(targets, ("storm", "p99_ms")), "S7 delivery p99 ms during the storm", "ms")
    writes = per_target(targets, ("votes", "last_ok_after_first_send_s"))
    bars(axes[2], writes, "S4 first vote -> last ok (s)", "s", 1.5)


def sockets_chart(fig, targets):
    axes = fig.subplots(1, 3)
    bars(axes[0], per_target(targets, ("idle", "rss_per_conn_kib")), "S6 RSS KiB per idle socket", "KiB", 25)
    bars(axes[1], per_target(targets, ("reconnect", "all_caught_up_s")), "S8 kill -> all caught up (s)", "s", 10)
    ax = axes[2]
    s9 = targets.get("project", {}).get("stalled") or {}
    labels = ["p99 ms alone", "p99 ms with stalled", "RSS MiB alone", "RSS MiB with stalled"]
    vals = [
        g(s9, "alone", "p99_ms"),
        g(s9, "with_stalled", "p99_ms"),
        g(s9, "alone", "rss_growth_mib"),
        g(s9, "with_stalled", "rss_growth_mib"),
    ]
    shown = [(lab, v) for lab, v in zip(labels, vals, strict=True) if v is not None]
    if shown:
        ax.barh([lab for lab, _ in shown], [v for _, v in shown], color="#2b7a3d")
    ax.set_title("S9 stalled readers (project)", fontsize=10)


FAMILIES = {"": fanout_chart, "-writes": writes_chart, "-sockets": sockets_chart}


def chart(res: dict, path: Path) -> list[Path]:
    """Writes ``path`` (fan-out) and ``<stem>-writes.png``, ``<stem>-sockets.png``; returns them."""
    targets = res.get("targets", {})
    written = []
    for suffix, draw in FAMILIES.items():
        fig = plt.figure(figsize=(15, 5))
        fig.suptitle(f"Communecter Live bench {res.get('started', '')}{' (quick)' if res.get('quick') else ''}")
        draw(fig, targets)
        fig.tight_layout()
        out = path.with_name(path.stem + suffix + path.suffix)
        fig.savefig(out, dpi=90)
        plt.close(fig)
        written.append(out)
    return written
