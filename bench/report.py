"""The table printed at the end, the targets of issue 6, and the PNG chart."""

from __future__ import annotations

from pathlib import Path


def _g(d, *path):
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def _fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:,.0f}{unit}"
        return f"{v:.3g}{unit}"
    if isinstance(v, int):
        return f"{v:,}{unit}"
    return f"{v}{unit}"


def _ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b


def verdicts(res: dict) -> list[dict]:
    """One row per target of the issue: measured value, target, pass/fail."""
    t = res.get("targets", {})
    p = t.get("project", {})
    ps = t.get("tutorial-pubsub", {})
    p2 = t.get("project-2proc", {})
    rows = []

    def add(scn, what, value, target, ok):
        rows.append(
            {
                "scenario": scn,
                "figure": what,
                "value": value,
                "target": target,
                "pass": None if ok is None else bool(ok),
            }
        )

    s1, s1ps = _g(p, "fanout", "s1"), _g(ps, "fanout", "s1")
    if s1:
        add("1", "delivered %", s1.get("delivered_pct"), "100 %", s1.get("delivered_pct") == 100.0)
        add("1", "duplicates", s1.get("duplicates"), "0", s1.get("duplicates") == 0)
        r = _ratio(s1.get("p99_ms"), _g(s1ps, "p99_ms"))
        add("1", "p99 project / p99 tutorial-pubsub", r, "<= 0.5", None if r is None else r <= 0.5)
    s2, s2ps = _g(p, "fanout", "s2"), _g(ps, "fanout", "s2")
    if s2:
        r = _ratio(s2.get("deliveries_per_s"), _g(s2ps, "deliveries_per_s"))
        add("2", "deliveries/s project / tutorial-pubsub", r, ">= 3", None if r is None else r >= 3)
    b = _g(p2, "two", "burst")
    if b:
        add("3", "delivered %", b.get("delivered_pct"), "100 %", b.get("delivered_pct") == 100.0)
        add(
            "3",
            "in order (order violations + seq gaps)",
            (b.get("order_violations") or 0) + (b.get("seq_gaps") or 0),
            "0",
            (b.get("order_violations") or 0) + (b.get("seq_gaps") or 0) == 0,
        )
        add("3", "duplicates", b.get("duplicates"), "0", b.get("duplicates") == 0)
        r = _ratio(b.get("deliveries_per_s"), _g(s2, "deliveries_per_s"))
        add("3", "deliveries/s two processes / one", r, "> 1", None if r is None else r > 1)
    s4 = _g(p, "votes")
    if s4 and "error" not in s4:
        add("4", "every watcher holds the exact tally", s4.get("all_exact"), "yes", s4.get("all_exact"))
        add(
            "4",
            "max tally frames/s per watcher",
            s4.get("max_frames_per_s"),
            "<= 5",
            (s4.get("max_frames_per_s") or 0) <= 5,
        )
        v = s4.get("time_to_all_exact_ms")
        add("4", "ms from last ok to all exact", v, "<= 500", v is not None and v <= 500)
    s5 = _g(p, "rsvp")
    if s5 and "error" not in s5:
        cap = res.get("config", {}).get("capacity")
        add("5", "going (ok replies)", s5.get("going_ok"), f"== {cap}", s5.get("going_ok") == cap)
        add("5", "every watcher's last frame exact", s5.get("all_exact"), "yes", s5.get("all_exact"))
        v = s5.get("time_to_all_exact_ms")
        add("5", "ms from last ok to all exact", v, "<= 500", v is not None and v <= 500)
    s6, s6ps = _g(p, "idle"), _g(ps, "idle")
    if s6 and "error" not in s6:
        r = _ratio(s6.get("rss_per_conn_kib"), _g(s6ps, "rss_per_conn_kib"))
        add("6", "RSS/conn project / tutorial-pubsub", r, "<= 1", None if r is None else r <= 1)
        d = _g(s6, "post", "delivered_pct")
        add("6", "one post reaches every idle socket %", d, "100 %", d == 100.0)
    return rows


COLUMNS = ["project", "project-2proc", "tutorial-pubsub", "tutorial-core"]

ROWS = [
    ("S1 fan-out latency", None),
    ("  subscribers connected", ("fanout", "s1", "subscribers_connected")),
    ("  seconds to connect them", ("fanout", "open", "seconds")),
    ("  delivered %", ("fanout", "s1", "delivered_pct")),
    ("  duplicates", ("fanout", "s1", "duplicates")),
    ("  out of order", ("fanout", "s1", "order_violations")),
    ("  p50 ms", ("fanout", "s1", "p50_ms")),
    ("  p99 ms", ("fanout", "s1", "p99_ms")),
    ("  post->ok p50 ms", ("fanout", "s1", "post_ok_p50_ms")),
    ("  server CPU % of a core", ("fanout", "s1", "server_cpu_pct")),
    ("  client CPU % of a core", ("fanout", "s1", "client_cpu_pct")),
    ("  load average (1 min)", ("fanout", "s1", "loadavg_1m")),
    ("S2 fan-out throughput (burst)", None),
    ("  deliveries/s", ("fanout", "s2", "deliveries_per_s")),
    ("  delivered %", ("fanout", "s2", "delivered_pct")),
    ("  p99 ms", ("fanout", "s2", "p99_ms")),
    ("  server CPU us/delivery", ("fanout", "s2", "server_cpu_us_per_delivery")),
    ("  client CPU us/delivery", ("fanout", "s2", "client_cpu_us_per_delivery")),
    ("  server CPU % of a core", ("fanout", "s2", "server_cpu_pct")),
    ("  load average (1 min)", ("fanout", "s2", "loadavg_1m")),
    ("S3 two processes + Redis", None),
    ("  latency: delivered %", ("two", "latency", "delivered_pct")),
    ("  latency: p99 ms", ("two", "latency", "p99_ms")),
    ("  burst: delivered %", ("two", "burst", "delivered_pct")),
    ("  burst: duplicates", ("two", "burst", "duplicates")),
    ("  burst: out of order", ("two", "burst", "order_violations")),
    ("  burst: seq gaps", ("two", "burst", "seq_gaps")),
    ("  burst: deliveries/s", ("two", "burst", "deliveries_per_s")),
    ("  burst: server CPU us/delivery", ("two", "burst", "server_cpu_us_per_delivery")),
    ("  burst: server CPU % of a core", ("two", "burst", "server_cpu_pct")),
    ("S4 vote storm", None),
    ("  outcomes", ("votes", "outcomes")),
    ("  all watchers exact", ("votes", "all_exact")),
    ("  max tally frames/s", ("votes", "max_frames_per_s")),
    ("  last ok -> all exact ms", ("votes", "time_to_all_exact_ms")),
    ("  first vote sent -> last ok s", ("votes", "last_ok_after_first_send_s")),
    ("  votes answered per s", ("votes", "writes_per_s")),
    ("  HTTP tally exact", ("votes", "http_tally_exact")),
    ("S5 RSVP storm", None),
    ("  outcomes", ("rsvp", "outcomes")),
    ("  all watchers exact", ("rsvp", "all_exact")),
    ("  last ok -> all exact ms", ("rsvp", "time_to_all_exact_ms")),
    ("  RSVPs answered per s", ("rsvp", "writes_per_s")),
    ("  HTTP attendance exact", ("rsvp", "http_exact")),
    ("S6 idle sockets", None),
    ("  sockets open", ("idle", "open", "opened")),
    ("  seconds to open them", ("idle", "open", "seconds")),
    ("  RSS KiB per connection", ("idle", "rss_per_conn_kib")),
    ("  post delivered %", ("idle", "post", "delivered_pct")),
    ("  post max ms", ("idle", "post", "max_ms")),
]


def table(res: dict) -> str:
    targets = res.get("targets", {})
    cols = [c for c in COLUMNS if c in targets]
    w0 = max(len(r[0]) for r in ROWS) + 2
    widths = [max(16, len(c) + 2) for c in cols]
    lines = ["".join([" " * w0] + [c.rjust(w) for c, w in zip(cols, widths, strict=False)])]
    header = None
    for label, path in ROWS:
        if path is None:
            header = label
            continue
        vals = []
        for c in cols:
            v = _g(targets[c], *path)
            if isinstance(v, dict):
                v = ",".join(f"{k.replace('ok:', '')}={n}" for k, n in v.items()) or "-"
            vals.append(_fmt(v))
        if all(v == "-" for v in vals):
            continue
        if header is not None:
            lines.append(header)
            header = None
        lines.append("".join([label.ljust(w0)] + [v.rjust(w) for v, w in zip(vals, widths, strict=False)]))
    lines.append("")
    lines.append("Targets of issue 6")
    for r in verdicts(res):
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[r["pass"]]
        lines.append(f"  [{mark}] S{r['scenario']} {r['figure']}: {_fmt(r['value'])} (target {r['target']})")
    for name, t in targets.items():
        for scn, v in t.items():
            if isinstance(v, dict) and v.get("error"):
                lines.append(f"  {name} {scn}: ERROR {v['error'][:200]}")
    found = findings(res)
    if found:
        lines.append("")
        lines.append("Findings (sockets refused, server errors)")
        lines += [f"  {f}" for f in found]
    return "\n".join(lines)


def findings(res: dict) -> list[str]:
    out = []
    for name, t in res.get("targets", {}).items():
        for scn, v in t.items():
            if not isinstance(v, dict):
                continue
            opens = []
            for key in ("open", "watchers_open", "writers_open"):
                o = v.get(key)
                opens += o if isinstance(o, list) else ([o] if isinstance(o, dict) else [])
            for o in opens:
                if o.get("failed"):
                    errs = "; ".join(f"{k} x{n}" for k, n in o.get("errors", {}).items())
                    out.append(
                        f"{name} {scn}: {o['failed']} of {o['failed'] + o['opened']} sockets failed to open ({errs})"
                    )
            if v.get("server_errors"):
                errs = ", ".join(f"'{k}' x{n}" for k, n in v["server_errors"].items())
                out.append(f"{name} {scn}: server log: {errs}")
    return out


def chart(res: dict, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = res.get("targets", {})
    names = [c for c in COLUMNS if c in targets]
    colors = {
        "project": "#2b7a3d",
        "project-2proc": "#6bbf59",
        "tutorial-pubsub": "#3b6ea8",
        "tutorial-core": "#b04a3b",
    }
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    fig.suptitle(f"Communecter Live bench {res.get('started', '')}{' (quick)' if res.get('quick') else ''}")

    def bars(ax, values, title, ylabel):
        xs = [n for n in names if values.get(n) is not None]
        ys = [values[n] for n in xs]
        ax.bar(xs, ys, color=[colors.get(n, "grey") for n in xs])
        for x, y in zip(xs, ys, strict=False):
            ax.annotate(_fmt(float(y)), (x, y), ha="center", va="bottom", fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel)
        ax.tick_params(axis="x", labelsize=8)

    ax = axes[0][0]
    xs = [
        n
        for n in names
        if _g(targets[n], "fanout", "s1", "p50_ms") is not None
        or _g(targets[n], "two", "latency", "p50_ms") is not None
    ]
    p50 = [(_g(targets[n], "fanout", "s1", "p50_ms") or _g(targets[n], "two", "latency", "p50_ms")) for n in xs]
    p99 = [(_g(targets[n], "fanout", "s1", "p99_ms") or _g(targets[n], "two", "latency", "p99_ms")) for n in xs]
    idx = range(len(xs))
    ax.bar([i - 0.2 for i in idx], p50, 0.4, label="p50")
    ax.bar([i + 0.2 for i in idx], p99, 0.4, label="p99")
    ax.set_xticks(list(idx), xs, fontsize=8)
    ax.set_title("S1 fan-out latency, S3 for project-2proc (ms, lower is better)", fontsize=10)
    ax.legend()

    thr = {
        n: (_g(targets[n], "fanout", "s2", "deliveries_per_s") or _g(targets[n], "two", "burst", "deliveries_per_s"))
        for n in names
    }
    bars(axes[0][1], thr, "S2/S3 burst throughput (deliveries/s, higher is better)", "deliveries/s")
    bars(
        axes[1][0],
        {n: _g(targets[n], "idle", "rss_per_conn_kib") for n in names},
        "S6 RSS growth per idle socket (KiB, lower is better)",
        "KiB",
    )

    ax = axes[1][1]
    p = targets.get("project", {})
    labels, vals = [], []
    for lab, keys in [
        ("S4 votes: last ok -> all exact", ("votes", "time_to_all_exact_ms")),
        ("S5 RSVP: last ok -> all exact", ("rsvp", "time_to_all_exact_ms")),
    ]:
        v = _g(p, *keys)
        if v is not None:
            labels.append(lab)
            vals.append(v)
    if labels:
        ax.barh(labels, vals, color="#2b7a3d")
        ax.axvline(500, color="red", linestyle="--", label="target 500 ms")
        ax.legend()
    ax.set_title("S4/S5 project state convergence (ms)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
