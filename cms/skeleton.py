"""The pages every site has from its first migration: the home page, served at the
root of the default site, and the list of decisions at its stable address /decisions/."""

from wagtail.models import Page, Site

HOME_TITLE = "Les fonds d'initiative citoyenne de nos quartiers"


def ensure_site():
    """Create what is missing, touch nothing that exists; return the home page."""
    from .models import DecisionIndexPage, HomePage

    root = Page.get_first_root_node()
    if root is None:
        return None
    home = HomePage.objects.first()
    if home is None:
        home = root.add_child(
            instance=HomePage(
                title=HOME_TITLE,
                title_en="Our quartiers' citizen initiative funds",
                slug="accueil",
                call_to_action="Proposer une initiative",
                call_to_action_en="Submit an initiative",
            )
        )
    _make_root_of_default_site(home)
    if not DecisionIndexPage.objects.exists():
        home.add_child(
            instance=DecisionIndexPage(
                title="Les décisions publiées",
                title_en="Published decisions",
                slug="decisions",
                intro=(
                    "Chaque décision des conseils de quartier, avec son décompte, son montant "
                    "et le procès-verbal de la séance."
                ),
                intro_en=(
                    "Every decision of the quartier councils, with its tally, its amount and "
                    "the minutes of the session."
                ),
            )
        )
    return home


def _make_root_of_default_site(home):
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None and site.root_page_id == home.pk:
        return
    old_root = site.root_page if site else None
    if site is None:
        site = Site(hostname="localhost", port=80, is_default_site=True, site_name="")
    site.root_page = home
    site.save()
    # Wagtail's placeholder "Welcome" page gives way to the home page.
    if old_root is not None and old_root.specific_class is Page and old_root.depth == 2:
        old_root.delete()
