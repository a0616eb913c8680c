"""The targets of issues 6 and 17 as PASS/FAIL rows, each with the measured value and its ratio."""

from __future__ import annotations

from bench.report.common import g, ratio


class Rows(list):
    def add(self, scn, what, value, target, ok):
        self.append({"scenario": scn, "figure": what, "value": value, "target": target, "pass": ok})

    def at_most(self, scn, what, value, limit, unit=""):
        self.add(scn, what, value, f"<= {limit}{unit}", None if value is None else value <= limit)

    def at_least(self, scn, what, value, limit, unit=""):
        self.add(scn, what, value, f">= {limit}{unit}", None if value is None else value >= limit)


def fanout_rows(rows: Rows, t: dict) -> None:
    p, ps, p2 = t.get("project", {}), t.get("tutorial-pubsub", {}), t.get("project-2proc", {})
    s1, s2 = g(p, "fanout", "s1"), g(p, "fanout", "s2")
    if s1:
        rows.add("1", "delivered %", s1.get("delivered_pct"), "100 %", s1.get("delivered_pct") == 100.0)
        rows.add("1", "duplicates", s1.get("duplicates"), "0", s1.get("duplicates") == 0)
        rows.at_most(
            "1", "p99 project / p99 tutorial-pubsub", ratio(s1.get("p99_ms"), g(ps, "fanout", "s1", "p99_ms")), 0.5
        )
    if s2:
        rows.at_least(
            "2",
            "deliveries/s project / tutorial-pubsub",
            ratio(s2.get("deliveries_per_s"), g(ps, "fanout", "s2", "deliveries_per_s")),
            3,
        )
    b = g(p2, "two", "burst")
    if b:
        wrong = (b.get("order_violations") or 0) + (b.get("seq_gaps") or 0)
        rows.add("3", "delivered %", b.get("delivered_pct"), "100 %", b.get("delivered_pct") == 100.0)
        rows.add("3", "in order (order violations + seq gaps)", wrong, "0", wrong == 0)
        rows.add("3", "duplicates", b.get("duplicates"), "0", b.get("duplicates") == 0)
        r = ratio(b.get("deliveries_per_s"), g(s2, "deliveries_per_s"))
        rows.add("3", "deliveries/s two processes / one", r, "> 1", None if r is None else r > 1)


def storm_rows(rows: Rows, res: dict) -> None:
    t = res.get("targets", {})
    p, pp = t.get("project", {}), t.get("tutorial-pubsub-persist", {})
    s4 = g(p, "votes")
    if s4 and "error" not in s4:
        rows.add("4", "every watcher holds the exact tally", s4.get("all_exact"), "yes", s4.get("all_exact"))
        rows.at_most("4", "max tally frames/s per watcher", s4.get("max_frames_per_s"), 5)
        rows.at_most("4", "ms from last ok to all exact", s4.get("time_to_all_exact_ms"), 500)
        rows.at_most("4", "s from first vote to last ok (one process)", s4.get("last_ok_after_first_send_s"), 1.5)
    s4two = g(t, "project-2proc", "votes")
    if s4two and "error" not in s4two:
        rows.add("4", "two processes: every watcher exact", s4two.get("all_exact"), "yes", s4two.get("all_exact"))
        rows.at_most("4", "two processes: s from first vote to last ok", s4two.get("last_ok_after_first_send_s"), 2.0)
    s5 = g(p, "rsvp")
    if s5 and "error" not in s5:
        cap = res.get("config", {}).get("capacity")
        rows.add("5", "going (ok replies)", s5.get("going_ok"), f"== {cap}", s5.get("going_ok") == cap)
        rows.add("5", "every watcher's last frame exact", s5.get("all_exact"), "yes", s5.get("all_exact"))
        rows.at_most("5", "ms from last ok to all exact", s5.get("time_to_all_exact_ms"), 500)
    s7 = g(p, "storm")
    if s7 and "error" not in s7:
        mine = s7.get("persisted_posts_per_s")
        rows.at_least("7", "persisted posts/s into one room", mine, 500)
        rows.add(
            "7",
            "seq gaps, duplicates",
            (s7.get("seq_gaps") or 0) + (s7.get("duplicates") or 0),
            "0",
            (s7.get("seq_gaps") or 0) + (s7.get("duplicates") or 0) == 0,
        )
        rows.at_least(
            "7",
            "persisted posts/s project / tutorial-pubsub-persist",
            ratio(mine, g(pp, "storm", "persisted_posts_per_s")),
            3,
        )
        rows.at_most(
            "7",
            "S1 p99 project / tutorial-pubsub-persist",
            ratio(g(p, "fanout", "s1", "p99_ms"), g(pp, "fanout", "s1", "p99_ms")),
            0.5,
        )


def socket_rows(rows: Rows, t: dict) -> None:
    p, ps, p2 = t.get("project", {}), t.get("tutorial-pubsub", {}), t.get("project-2proc", {})
    s6 = g(p, "idle")
    if s6 and "error" not in s6:
        per = s6.get("rss_per_conn_kib")
        rows.at_most("6", "RSS KiB per idle socket", per, 25)
        rows.at_most("6", "RSS/socket project / tutorial-pubsub", ratio(per, g(ps, "idle", "rss_per_conn_kib")), 1)
        rows.at_most("6", "seconds to connect and subscribe them", g(s6, "open", "seconds"), 20)
        d = g(s6, "post", "delivered_pct")
        rows.add("6", "one post reaches every idle socket %", d, "100 %", d == 100.0)
        rows.at_most("6", "one post to all: p99 ms", g(s6, "post", "p99_ms"), 1500)
    s8 = g(p2, "reconnect")
    if s8 and "error" not in s8:
        rows.at_most("8", "s from the kill to all caught up", s8.get("all_caught_up_s"), 10)
        rows.add("8", "lost", s8.get("lost"), "0", s8.get("lost") == 0)
        rows.add("8", "duplicated", s8.get("duplicated"), "0", s8.get("duplicated") == 0)
    s9 = g(p, "stalled")
    if s9 and "error" not in s9:
        rows.at_most("9", "RSS growth with stalled readers MiB", s9.get("rss_growth_mib"), 50)
        rows.at_most("9", "healthy p99 with / without stalled readers", s9.get("p99_ratio"), 1.2)
        cut, stalled = s9.get("stalled_cut_4008"), g(s9, "stalled_open", "opened")
        rows.add(
            "9", "stalled readers cut by their bound (4008)", cut, f"{stalled}", cut is not None and cut == stalled
        )
        for burst in ("alone", "with_stalled"):
            d = g(s9, burst, "delivered_pct")
            rows.add("9", f"healthy delivered % ({burst})", d, "100 %", d == 100.0)
    ceiling = g(t.get("ceiling", {}), "fanout", "s2", "deliveries_per_s")
    if ceiling:
        share = ratio(g(p, "fanout", "s2", "deliveries_per_s"), ceiling)
        rows.add("10", "project S2 deliveries/s as a share of the client's ceiling", share, "(context)", None)


def verdicts(res: dict) -> list[dict]:
    """One row per target of the issues: measured value, target, pass/fail (None: not measured)."""
    rows = Rows()
    t = res.get("targets", {})
    fanout_rows(rows, t)
    storm_rows(rows, res)
    socket_rows(rows, t)
    return list(rows)
