from django.contrib import admin

from debates.models import Debate, Question, Turn


@admin.register(Debate)
class DebateAdmin(admin.ModelAdmin):
    list_display = ["room", "premoderation", "turn_limit", "auto_end", "fairness"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["id", "debate", "status", "upvotes", "pinned", "answered", "created_at"]
    list_filter = ["status"]


@admin.register(Turn)
class TurnAdmin(admin.ModelAdmin):
    list_display = ["id", "debate", "user", "started_at", "ended_at", "ended_by", "seconds"]
