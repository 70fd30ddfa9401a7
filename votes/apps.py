from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VotesConfig(AppConfig):
    name = "votes"
    verbose_name = _("Conseils et votes")

    def ready(self):
        from .services.councils import register_invitation_kind

        register_invitation_kind()
        from .verify import register_ledger_checks

        register_ledger_checks()  # `ledger verify` compares decisions and minutes too
        from . import (
            carrier,  # noqa: F401 — shows the council's questions in « Mon espace »
            notifications,  # noqa: F401 — the kinds of notification votes sends
        )
