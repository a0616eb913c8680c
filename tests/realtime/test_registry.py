"""The settings registries: one path syntax, every entry loaded by a system check at start-up."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from realtime.registry import registered, registries_check


def test_the_project_registries_pass_the_check():
    assert registries_check() == []


@pytest.mark.parametrize(
    "setting, value, fragment",
    [
        ("REALTIME_TOPIC_KINDS", {"room": "discussions.topics:NoSuchKind"}, "cannot load"),
        ("REALTIME_TOPIC_KINDS", {"salon": "discussions.topics:RoomTopic"}, "has prefix 'room'"),
        ("REALTIME_TOPIC_KINDS", {"room": "discussions.topics.RoomTopic"}, "package.module:attribute"),
        ("REALTIME_COMMANDS", ["discussions.commands"], "package.module:attribute"),
        ("REALTIME_COMMANDS", ["discussions.services:message_post"], "not a dict"),
        ("REALTIME_EVENT_SCHEMAS", ["discussions.commands:COMMANDS"], "not a dict of event kind"),
        ("SCHEDULER_JOBS", ["proposals.scheduler:BATCH"], "not callable"),
        ("DEMO_LOADERS", ["nowhere.demo:demo_load"], "No module named 'nowhere'"),
    ],
)
def test_a_wrong_entry_stops_the_start(settings, setting, value, fragment):
    setattr(settings, setting, value)
    errors = registries_check()
    assert len(errors) == 1 and setting in errors[0].msg and fragment in errors[0].msg
    with pytest.raises(SystemCheckError):
        call_command("check")


def test_load_demo_does_not_swallow_a_missing_loader(settings, db):
    settings.DEMO_LOADERS = ["communes.demo:demo_load", "nowhere.demo:demo_load"]
    with pytest.raises(ImportError):
        call_command("load_demo", skip_checks=True, verbosity=0)


def test_one_path_syntax():
    assert registered("realtime.registry:registered") is registered
    with pytest.raises(ImportError):
        registered("realtime.registry.registered")


def test_a_server_process_loads_every_registry_at_start():
    """A daphne process imports config.asgi: every registry is loaded there, so that the
    process's first socket write does not wait for the domain apps' command modules."""
    import json
    import os
    import subprocess
    import sys

    probe = (
        "import sys, json, config.asgi\n"
        "from realtime import registry, topics\n"
        "cached = [f.cache_info().currsize for f in (topics.topic_kinds, registry.write_commands,"
        " registry.event_schemas, registry.event_about_rules)]\n"
        "from django.conf import settings\n"
        "modules = [p.partition(':')[0] for p in settings.REALTIME_COMMANDS]\n"
        "print(json.dumps({'cached': cached, 'missing': [m for m in modules if m not in sys.modules]}))\n"
    )
    env = {**os.environ, "DJANGO_DEBUG": "1", "SCHEDULER_IN_PROCESS": "0", "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == {"cached": [1, 1, 1, 1], "missing": []}
