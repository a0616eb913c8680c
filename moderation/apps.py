from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Co-moderation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from communes.models import Referent
        from moderation.services import case_decide_on_close
        from moderation.topics import referent_removed
        from proposals.signals import proposal_resolved

        proposal_resolved.connect(case_decide_on_close, dispatch_uid="moderation.case_decide_on_close")
        post_delete.connect(referent_removed, sender=Referent, dispatch_uid="moderation.referent_removed")
