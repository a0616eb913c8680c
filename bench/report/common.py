"""Helpers shared by the table, the targets and the charts."""

from __future__ import annotations


def g(d, *path):
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def fmt(v, unit=""):
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


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b
