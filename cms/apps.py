from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _email_frame():
    """The commune's name and colour, from the default site's settings."""
    from wagtail.models import Site

    from .models import CommuneSettings

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return {"commune": "", "colour": "#0b5e57"}
    commune = CommuneSettings.for_site(site)
    return {"commune": commune.commune_name, "colour": commune.primary_colour}


def _ensure_site(sender, **kwargs):
    from .skeleton import ensure_site

    ensure_site()


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site")

    def ready(self):
        from accounts.notifications import set_email_frame
        from fonds.signals import quartier_created

        from .signals import quartier_page_create

        post_migrate.connect(_ensure_site, sender=self, dispatch_uid="cms-ensure-site")
        quartier_created.connect(quartier_page_create, dispatch_uid="cms-quartier-page")
        set_email_frame(_email_frame)
