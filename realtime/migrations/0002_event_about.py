"""TopicEvent.about: what an event on another topic is about (`proposal:<id>`), indexed where
set, so a hidden or removed proposal's events are found by lookup. Existing events are filled
once here by the same rules (settings.REALTIME_EVENT_ABOUT) appends use from now on."""

from django.db import migrations, models


def about_fill(apps, schema_editor):
    from realtime.registry import event_about

    TopicEvent = apps.get_model("realtime", "TopicEvent")
    # Read everything first, then write: SQLite gives no isolation between a cursor being read
    # and writes on the same connection. Only the (id, about) pairs found are kept in memory.
    found = []
    for event in TopicEvent.objects.only("id", "topic", "kind", "data").iterator(chunk_size=2000):
        about = event_about(event.topic, event.kind, event.data)
        if about:
            found.append(TopicEvent(id=event.id, about=about))
    TopicEvent.objects.bulk_update(found, ["about"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("realtime", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="topicevent",
            name="about",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AddIndex(
            model_name="topicevent",
            index=models.Index(condition=models.Q(("about__isnull", False)), fields=["about"], name="topic_event_about"),
        ),
        migrations.RunPython(about_fill, migrations.RunPython.noop),
    ]
