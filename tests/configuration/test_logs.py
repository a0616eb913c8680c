"""The log formats: one JSON object per line (fields from `extra=`), or readable lines with the fields."""

from __future__ import annotations

import json
import logging
import sys

from config.logs import JsonFormatter, ReadableFormatter


def record(**extra) -> logging.LogRecord:
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    item = logging.LogRecord("realtime.commands", logging.INFO, __file__, 1, "post %s", ("ok",), exc_info)
    item.__dict__.update(extra)
    return item


def test_json_lines_carry_the_fields_and_the_exception_on_one_line():
    line = JsonFormatter().format(record(socket="p:s1", user=7, command="post", outcome="ok", duration_ms=1.5))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["msg"] == "post ok" and parsed["level"] == "info" and parsed["logger"] == "realtime.commands"
    assert (parsed["socket"], parsed["user"], parsed["command"], parsed["outcome"]) == ("p:s1", 7, "post", "ok")
    assert "ValueError: boom" in parsed["exc"]
    assert not {"args", "msg_args", "exc_info", "levelno", "pathname"} & set(parsed)


def test_readable_lines_append_the_fields():
    line = ReadableFormatter().format(record(user=7, outcome="ok"))
    assert "INFO realtime.commands post ok [user=7 outcome=ok]" in line.splitlines()[0]
