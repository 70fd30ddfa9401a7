from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_site(sender, **kwargs):
    from .skeleton import ensure_site

    ensure_site()


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site")

    def ready(self):
        from fonds.signals import quartier_created

        from .signals import quartier_page_create

        post_migrate.connect(_ensure_site, sender=self, dispatch_uid="cms-ensure-site")
        quartier_created.connect(quartier_page_create, dispatch_uid="cms-quartier-page")
