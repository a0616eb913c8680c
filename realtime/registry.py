"""The registries in settings, one path syntax (`module:attribute`), checked at start-up.

settings.REALTIME_TOPIC_KINDS (prefix -> TopicKind class), REALTIME_COMMANDS (COMMANDS maps
of socket writes), REALTIME_EVENT_SCHEMAS (EVENT_SCHEMAS maps of outbound event kinds),
SCHEDULER_JOBS and DEMO_LOADERS (callables) name code in the domain apps; a Django system
check imports every entry when the project starts (`manage.py check`, runserver, migrate,
the test run), so a typo or a missing module fails there, loudly, not on the first frame.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import import_module

from django.conf import settings
from django.core import checks
from pydantic import BaseModel

from realtime.schemas import WriteCommand
from realtime.topics import TopicKind, topic_kinds

PATH_SYNTAX = "'package.module:attribute'"


def registered(path: str):
    """The object at `module:attribute` (ImportError or AttributeError when there is none)."""
    module, separator, attribute = path.partition(":")
    if not separator or not module or not attribute:
        raise ImportError(f"{path!r} is not of the form {PATH_SYNTAX}")
    return getattr(import_module(module), attribute)


@cache
def write_commands() -> dict[str, tuple[type[BaseModel], Callable]]:
    """Socket write commands: type -> (input model, handler)."""
    commands: dict[str, tuple[type[BaseModel], Callable]] = {}
    for path in settings.REALTIME_COMMANDS:
        commands.update(registered(path))
    return commands


@cache
def event_about_rules() -> list[Callable[[str, str, dict], str | None]]:
    """Callables `(topic, kind, data) -> "<prefix>:<id>" | None` naming the object an event
    is about, stored in `TopicEvent.about` (settings.REALTIME_EVENT_ABOUT)."""
    return [registered(path) for path in getattr(settings, "REALTIME_EVENT_ABOUT", [])]


def event_about(topic: str, kind: str, data: dict) -> str | None:
    """The first rule's answer, cut to the column's 64 characters; None when none answers."""
    for rule in event_about_rules():
        about = rule(topic, kind, data)
        if about:
            return about[:64]
    return None


@cache
def event_schemas() -> dict[str, type[BaseModel]]:
    """Outbound event kinds: kind -> the model its `data` matches."""
    schemas: dict[str, type[BaseModel]] = {}
    for path in settings.REALTIME_EVENT_SCHEMAS:
        schemas.update(registered(path))
    return schemas


def registries_load() -> None:
    """Import and cache every registry now, once per server process at start-up: on its first
    socket write a process otherwise imported the domain apps' command modules (25 ms measured),
    and that write waited for it."""
    topic_kinds()
    write_commands()
    event_schemas()
    event_about_rules()


def _entry_problems(setting: str, path: str, check: Callable[[object], str | None]) -> list[checks.CheckMessage]:
    try:
        target = registered(path)
    except (ImportError, AttributeError) as exc:
        return [checks.Error(f"settings.{setting}: cannot load {path!r}: {exc}", id="realtime.E001")]
    problem = check(target)
    if problem:
        return [checks.Error(f"settings.{setting}: {path!r} {problem}", id="realtime.E002")]
    return []


def _callable(target) -> str | None:
    return None if callable(target) else "is not callable"


def _commands(target) -> str | None:
    if not isinstance(target, dict):
        return "is not a dict of commands"
    for name, entry in target.items():
        if not (isinstance(entry, tuple) and len(entry) == 2 and callable(entry[1])):
            return f"maps {name!r} to something other than (input model, handler)"
        if not (isinstance(entry[0], type) and issubclass(entry[0], WriteCommand)):
            return f"maps {name!r} to a model that is not a realtime.schemas.WriteCommand"
    return None


def _schemas(target) -> str | None:
    if not isinstance(target, dict) or not all(
        isinstance(model, type) and issubclass(model, BaseModel) for model in target.values()
    ):
        return "is not a dict of event kind -> pydantic model"
    return None


@checks.register()
def registries_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for prefix, path in settings.REALTIME_TOPIC_KINDS.items():

        def topic_kind(target, prefix=prefix) -> str | None:
            if not (isinstance(target, type) and issubclass(target, TopicKind)):
                return "is not a realtime.topics.TopicKind subclass"
            return None if target.prefix == prefix else f"has prefix {target.prefix!r}, not {prefix!r}"

        errors += _entry_problems("REALTIME_TOPIC_KINDS", path, topic_kind)
    errors += [e for path in settings.REALTIME_COMMANDS for e in _entry_problems("REALTIME_COMMANDS", path, _commands)]
    errors += [
        e for path in settings.REALTIME_EVENT_SCHEMAS for e in _entry_problems("REALTIME_EVENT_SCHEMAS", path, _schemas)
    ]
    for setting in ("SCHEDULER_JOBS", "DEMO_LOADERS", "REALTIME_EVENT_ABOUT"):
        errors += [e for path in getattr(settings, setting, []) for e in _entry_problems(setting, path, _callable)]
    return errors
