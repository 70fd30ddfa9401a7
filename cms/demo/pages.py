from wagtail.models import Page, Site

from cms.models import HomePage, StandardPage

HOME_INTRO = (
    "<p>Chaque quartier de Bellerive-sur-Loire dispose d'un <b>fonds d'initiative citoyenne</b>. "
    "Habitantes, habitants et associations y proposent leurs projets ; le conseil de quartier "
    "les examine et vote en séance publique ; chaque euro accordé, versé ou restitué est inscrit "
    "dans un grand livre que chacun peut vérifier.</p>"
)

STANDARD_PAGES = [
    (
        "accessibilite",
        "Déclaration d'accessibilité",
        "La commune s'engage à rendre ce site accessible conformément à l'article 47 de la loi "
        "n° 2005-102 du 11 février 2005.",
        [
            ("heading", "État de conformité"),
            (
                "paragraph",
                "<p>Ce site est <b>partiellement conforme</b> au référentiel général "
                "d'amélioration de l'accessibilité (RGAA 4.1). Chaque page est contrôlée "
                "automatiquement à chaque modification du code.</p>",
            ),
            ("heading", "Retour d'information et contact"),
            (
                "paragraph",
                "<p>Si vous n'arrivez pas à accéder à un contenu ou à un service, "
                "écrivez-nous : nous vous répondrons et vous proposerons une autre manière d'y "
                "accéder.</p>",
            ),
            ("heading", "Voies de recours"),
            (
                "paragraph",
                "<p>Si vous n'obtenez pas de réponse satisfaisante, vous pouvez "
                "saisir le Défenseur des droits.</p>",
            ),
        ],
    ),
    (
        "mentions-legales",
        "Mentions légales",
        "Éditeur, directeur de publication et hébergement du site.",
        [
            ("heading", "Éditeur"),
            (
                "paragraph",
                "<p>Mairie de Bellerive-sur-Loire, place de la Mairie. "
                "Directeur de la publication : le maire.</p>",
            ),
            ("heading", "Logiciel"),
            ("paragraph", "<p>Ce site utilise fonds-quartiers, logiciel libre.</p>"),
        ],
    ),
    (
        "donnees-personnelles",
        "Données personnelles",
        "Quelles données nous traitons, pourquoi, combien de temps, et vos droits.",
        [
            ("heading", "Responsable du traitement"),
            (
                "paragraph",
                "<p>La commune de Bellerive-sur-Loire, pour la gestion des fonds "
                "d'initiative citoyenne (mission d'intérêt public).</p>",
            ),
            ("heading", "Vos droits"),
            (
                "paragraph",
                "<p>Vous pouvez accéder à vos données, les rectifier, les exporter "
                "ou demander leur effacement depuis votre profil ou en écrivant à la mairie.</p>",
            ),
        ],
    ),
]


def demo_pages():
    home = _home_page()
    for slug, title, intro, body in STANDARD_PAGES:
        if not home.get_children().filter(slug=slug).exists():
            home.add_child(instance=StandardPage(title=title, slug=slug, intro=intro, body=body))
    return home


def _home_page():
    """The home page, made the root of the default site."""
    home = HomePage.objects.first()
    if home is not None:
        return home
    root = Page.get_first_root_node()
    home = root.add_child(
        instance=HomePage(
            title="Les fonds d'initiative citoyenne de nos quartiers",
            slug="accueil",
            intro=HOME_INTRO,
            call_to_action="Proposer une initiative",
        )
    )
    site = Site.objects.filter(is_default_site=True).first()
    old_root = site.root_page if site else None
    if site is None:
        site = Site(hostname="localhost", port=80, is_default_site=True)
    site.root_page = home
    site.site_name = "Bellerive-sur-Loire"
    site.save()
    # Wagtail's placeholder "Welcome" page is replaced by the home page.
    if old_root is not None and old_root.specific_class is Page and old_root.depth == 2:
        old_root.delete()
    return home
