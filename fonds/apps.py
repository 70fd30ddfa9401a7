from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FondsConfig(AppConfig):
    name = "fonds"
    verbose_name = _("Fonds et initiatives")

    def ready(self):
        from . import notifications  # noqa: F401 — the kinds of notification fonds sends
