"""The table printed at the end: each figure for every target of the run, then the targets."""

from __future__ import annotations

from bench.report.common import fmt, g
from bench.report.verdicts import verdicts

COLUMNS = ["project", "project-2proc", "tutorial-pubsub", "tutorial-pubsub-persist", "tutorial-core", "ceiling"]

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
    ("  client CPU % of a core", ("fanout", "s2", "client_cpu_pct")),
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
    ("  opening: server CPU % of a core", ("idle", "opening", "server_cpu_pct")),
    ("  opening: client CPU % of a core", ("idle", "opening", "client_cpu_pct")),
    ("  post delivered %", ("idle", "post", "delivered_pct")),
    ("  post p99 ms", ("idle", "post", "p99_ms")),
    ("  post max ms", ("idle", "post", "max_ms")),
    ("S7 post storm into one room", None),
    ("  posts sent", ("storm", "posts_sent")),
    ("  persisted", ("storm", "persisted")),
    ("  persisted posts/s", ("storm", "persisted_posts_per_s")),
    ("  post->ok p50 ms", ("storm", "post_ok_p50_ms")),
    ("  post->ok p99 ms", ("storm", "post_ok_p99_ms")),
    ("  post errors", ("storm", "post_errors")),
    ("  delivered %", ("storm", "delivered_pct")),
    ("  delivery p99 ms", ("storm", "p99_ms")),
    ("  deliveries/s", ("storm", "deliveries_per_s")),
    ("  seq gaps", ("storm", "seq_gaps")),
    ("  duplicates", ("storm", "duplicates")),
    ("  server CPU % of a core", ("storm", "server_cpu_pct")),
    ("  load average (1 min)", ("storm", "loadavg_1m")),
    ("S8 reconnect storm (process A killed)", None),
    ("  sockets", ("reconnect", "sockets")),
    ("  reconnected", ("reconnect", "reconnected")),
    ("  caught up", ("reconnect", "caught_up")),
    ("  kill -> all caught up s", ("reconnect", "all_caught_up_s")),
    ("  kill -> caught up p50 s", ("reconnect", "caught_up_p50_s")),
    ("  lost", ("reconnect", "lost")),
    ("  duplicated", ("reconnect", "duplicated")),
    ("  process B CPU s", ("reconnect", "process_b_cpu_s")),
    ("S9 stalled readers", None),
    ("  healthy p99 ms alone", ("stalled", "alone", "p99_ms")),
    ("  healthy p99 ms with stalled", ("stalled", "with_stalled", "p99_ms")),
    ("  healthy delivered % with stalled", ("stalled", "with_stalled", "delivered_pct")),
    ("  RSS growth MiB alone", ("stalled", "alone", "rss_growth_mib")),
    ("  RSS growth MiB with stalled", ("stalled", "with_stalled", "rss_growth_mib")),
    ("  load average (1 min)", ("stalled", "with_stalled", "loadavg_1m")),
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
            v = g(targets[c], *path)
            if isinstance(v, dict):
                v = ",".join(f"{k.replace('ok:', '')}={n}" for k, n in v.items()) or "-"
            vals.append(fmt(v))
        if all(v == "-" for v in vals):
            continue
        if header is not None:
            lines.append(header)
            header = None
        lines.append("".join([label.ljust(w0)] + [v.rjust(w) for v, w in zip(vals, widths, strict=False)]))
    lines.append("")
    lines.append("Targets of issues 6 and 17")
    for r in verdicts(res):
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[r["pass"]]
        lines.append(f"  [{mark}] S{r['scenario']} {r['figure']}: {fmt(r['value'])} (target {r['target']})")
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
            for key in ("open", "watchers_open", "writers_open", "subscribers_open", "stalled_open"):
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
