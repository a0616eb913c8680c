from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcomes and actions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from outcomes.services import outcome_texts, outcomes_erase, reopen_refuse_when_followed
        from proposals.signals import proposal_removed, proposal_reopening, proposal_texts

        proposal_reopening.connect(reopen_refuse_when_followed, dispatch_uid="outcomes.reopen_refuse_when_followed")
        proposal_texts.connect(outcome_texts, dispatch_uid="outcomes.outcome_texts")
        proposal_removed.connect(outcomes_erase, dispatch_uid="outcomes.outcomes_erase")
