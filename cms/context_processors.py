from django.conf import settings
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from accounts.middleware import mfa_missing
from accounts.predicates import requires_mfa


def frame(request):
    """What the base layout needs on every page: the main navigation, the footer
    links and whether to show the MFA banner."""
    return {
        "main_nav": [
            (_("Accueil"), "/"),
            (_("Quartiers"), "/quartiers/"),
            (_("Initiatives"), "/initiatives/"),
            (_("Fonds et grand livre"), "/fonds/"),
            (_("Décisions"), "/decisions/"),
            (_("Statistiques"), "/statistiques/"),
            (_("Actualités"), "/actualites/"),
            (_("Proposer une initiative"), "/initiatives/nouvelle/"),
        ],
        "footer_links": SimpleLazyObject(_footer_links),
        "show_council_link": request.user.is_authenticated and requires_mfa(request.user),
        "show_mfa_banner": not settings.MFA_ENFORCED and mfa_missing(request),
        "mfa_setup_url": reverse("mfa_activate_totp"),
        "demo_mode": getattr(settings, "DEMO_MODE", False),
    }


FOOTER_PAGES = [
    ("accessibilite", _("Accessibilité : partiellement conforme")),
    ("mentions-legales", _("Mentions légales")),
    ("donnees-personnelles", _("Données personnelles")),
]
# Served by cms.privacy_views from the register of processing, with or without a page.
ALWAYS_LINKED = {"donnees-personnelles"}


def _footer_links():
    """The footer's links to the accessibility statement and the legal notice, for those
    the editors have published under the home page, and to the privacy page."""
    published = set(
        Page.objects.live()
        .filter(depth=3, slug__in=[slug for slug, _label in FOOTER_PAGES])
        .values_list("slug", flat=True)
    )
    return [
        (label, f"/{slug}/")
        for slug, label in FOOTER_PAGES
        if slug in published or slug in ALWAYS_LINKED
    ]
