from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcomes and actions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from outcomes.services import reopen_refuse_when_followed
        from proposals.signals import proposal_reopening

        proposal_reopening.connect(reopen_refuse_when_followed, dispatch_uid="outcomes.reopen_refuse_when_followed")
