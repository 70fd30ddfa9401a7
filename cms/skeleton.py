"""The pages every site has from its first migration: the home page at the root of the
default site, and the pages behind the main navigation — the quartiers, the decisions
at their stable address /decisions/, the statistics and the news."""

from urllib.parse import urlsplit

from django.conf import settings
from wagtail.models import Page, Site

HOME = {
    "title": "Les fonds d'initiative citoyenne de nos quartiers",
    "title_en": "Our quartiers' citizen initiative funds",
    "slug": "accueil",
    "call_to_action": "Proposer une initiative",
    "call_to_action_en": "Submit an initiative",
}

# (page model name, fields) for each page under the home page.
SECTIONS = [
    (
        "QuartierIndexPage",
        {
            "slug": "quartiers",
            "title": "Les quartiers",
            "title_en": "The quartiers",
            "intro": "<p>Chaque quartier a son conseil et son fonds d'initiative citoyenne.</p>",
            "intro_en": "<p>Every quartier has its council and its citizen initiative fund.</p>",
        },
    ),
    (
        "DecisionIndexPage",
        {
            "slug": "decisions",
            "title": "Les décisions publiées",
            "title_en": "Published decisions",
            "intro": (
                "Chaque décision des conseils de quartier, avec son décompte, son montant et "
                "le procès-verbal de la séance."
            ),
            "intro_en": (
                "Every decision of the quartier councils, with its tally, its amount and the "
                "minutes of the session."
            ),
        },
    ),
    (
        "StatisticsPage",
        {
            "slug": "statistiques",
            "title": "Où va l'argent des fonds",
            "title_en": "Where the funds' money goes",
            "intro": "Les initiatives, les subventions et les versements par quartier, thème "
            "et année.",
            "intro_en": "Initiatives, grants and payments by quartier, theme and year.",
        },
    ),
    (
        "NewsIndexPage",
        {
            "slug": "actualites",
            "title": "Actualités",
            "title_en": "News",
            "intro": "Les nouvelles des fonds et des conseils de quartier.",
            "intro_en": "News from the funds and the quartier councils.",
        },
    ),
]


def ensure_site():
    """Create what is missing, touch nothing that exists; return the home page."""
    from django.apps import apps

    from .models import HomePage

    root = Page.get_first_root_node()
    if root is None:
        return None
    home = HomePage.objects.first()
    if home is None:
        home = root.add_child(instance=HomePage(**HOME))
    _make_root_of_default_site(home)
    for model_name, fields in SECTIONS:
        model = apps.get_model("cms", model_name)
        if not model.objects.exists():
            home.add_child(instance=model(**fields))
    return home


def _make_root_of_default_site(home):
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None and site.root_page_id == home.pk:
        return
    old_root = site.root_page if site else None
    if site is None:
        site = Site(is_default_site=True, site_name="")
    address = urlsplit(settings.SITE_URL)
    site.hostname = address.hostname or "localhost"
    site.port = address.port or (443 if address.scheme == "https" else 80)
    site.root_page = home
    site.save()
    # Wagtail's placeholder "Welcome" page gives way to the home page.
    if old_root is not None and old_root.specific_class is Page and old_root.depth == 2:
        old_root.delete()
