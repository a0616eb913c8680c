from django.contrib import admin

from realtime.models import Topic, TopicEvent, WriteReceipt


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "head"]
    search_fields = ["name"]


@admin.register(TopicEvent)
class TopicEventAdmin(admin.ModelAdmin):
    list_display = ["topic", "seq", "kind", "at"]
    list_filter = ["kind"]
    search_fields = ["topic"]


@admin.register(WriteReceipt)
class WriteReceiptAdmin(admin.ModelAdmin):
    list_display = ["user", "ref", "action", "created_at"]
    # The stored result may echo a secret vote back to its author: never list it to others.
    exclude = ["result"]
