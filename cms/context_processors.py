from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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
        "footer_links": [
            (_("Accessibilité : partiellement conforme"), "/accessibilite/"),
            (_("Mentions légales"), "/mentions-legales/"),
            (_("Données personnelles"), "/donnees-personnelles/"),
        ],
        "show_council_link": request.user.is_authenticated and requires_mfa(request.user),
        "show_mfa_banner": not settings.MFA_ENFORCED and mfa_missing(request),
        "mfa_setup_url": reverse("mfa_activate_totp"),
        "demo_mode": getattr(settings, "DEMO_MODE", False),
    }
