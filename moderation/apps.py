from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Co-moderation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moderation.services import case_decide_on_close
        from proposals.signals import proposal_resolved

        proposal_resolved.connect(case_decide_on_close, dispatch_uid="moderation.case_decide_on_close")
