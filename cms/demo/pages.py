import datetime
import io

from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images.models import Image

from cms.models import (
    HomePage,
    NewsIndexPage,
    NewsPage,
    QuartierIndexPage,
    QuartierPage,
    StandardPage,
)
from cms.skeleton import ensure_site
from fonds.models import Quartier

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
        # What the site does with personal data is generated from the register of
        # processing (cms.privacy_register); the editors add what only they know.
        [
            ("heading", "Délégué à la protection des données"),
            (
                "paragraph",
                "<p>Le délégué à la protection des données de la commune répond à vos "
                "questions : dpo@bellerive-sur-loire.example, ou par courrier à la mairie.</p>",
            ),
        ],
    ),
]


HOME_INTRO_EN = (
    "<p>Every quartier of Bellerive-sur-Loire has its own <b>citizen initiative fund</b>. "
    "Residents and associations submit their projects; the quartier council examines them and "
    "votes in a public session; every euro granted, paid or released is written in a ledger "
    "anyone can check.</p>"
)

ENGLISH = {
    "accessibilite": (
        "Accessibility statement",
        "The commune commits to making this site accessible under article 47 of French law "
        "no. 2005-102 of 11 February 2005.",
        [
            ("heading", "Compliance status"),
            (
                "paragraph",
                "<p>This site is <b>partially compliant</b> with the French accessibility "
                "framework (RGAA 4.1). Every page is checked automatically whenever the code "
                "changes.</p>",
            ),
            ("heading", "Feedback and contact"),
            (
                "paragraph",
                "<p>If you cannot reach some content or service, write to us: we will answer "
                "and offer another way to reach it.</p>",
            ),
            ("heading", "Remedies"),
            (
                "paragraph",
                "<p>If our answer does not satisfy you, you may refer the matter to the "
                "Défenseur des droits.</p>",
            ),
        ],
    ),
    "mentions-legales": (
        "Legal notice",
        "Publisher, publication director and hosting of the site.",
        [
            ("heading", "Publisher"),
            (
                "paragraph",
                "<p>Town hall of Bellerive-sur-Loire, place de la Mairie. "
                "Publication director: the mayor.</p>",
            ),
            ("heading", "Software"),
            ("paragraph", "<p>This site runs fonds-quartiers, free software.</p>"),
        ],
    ),
    "donnees-personnelles": (
        "Personal data",
        "Which data we process, why, for how long, and your rights.",
        [
            ("heading", "Data protection officer"),
            (
                "paragraph",
                "<p>The commune's data protection officer answers your questions: "
                "dpo@bellerive-sur-loire.example, or by post to the town hall.</p>",
            ),
        ],
    ),
}

FAQ = [
    (
        "Qui peut proposer une initiative ?",
        "<p>Toute habitante, tout habitant du quartier, un collectif ou une association.</p>",
    ),
    (
        "Combien puis-je demander ?",
        "<p>Jusqu'à 3 000 € par initiative ; au moins 10 % du budget doit venir d'ailleurs "
        "(participation des habitants, mécénat, autre financeur).</p>",
    ),
    (
        "Qui décide ?",
        "<p>Le conseil de quartier, en séance publique, à la majorité des voix exprimées, "
        "si le quorum est atteint. Un membre intéressé au projet ne vote pas.</p>",
    ),
    (
        "Quand suis-je payé ?",
        "<p>Un premier versement suit la décision ; le solde, le bilan accepté.</p>",
    ),
]

CALENDAR = [
    ["Étape", "Délai", "Qui"],
    ["Dépôt du dossier", "Toute l'année", "Porteur de projet"],
    ["Instruction", "15 jours", "Service de la vie des quartiers"],
    ["Décision", "Séance suivante du conseil", "Conseil de quartier"],
    ["Bilan", "Trois mois après l'action", "Porteur de projet"],
]

NEWS = [
    (
        "ouverture-des-fonds",
        320,
        "Les fonds d'initiative citoyenne sont ouverts",
        "The citizen initiative funds are open",
        "Chaque quartier dispose de 15 000 € pour les projets de ses habitants.",
        "Each quartier has €15,000 for its residents' projects.",
    ),
    (
        "premiere-seance",
        240,
        "Première séance du conseil de Bellevue",
        "First session of the Bellevue council",
        "Trois projets examinés, deux subventions accordées, un dossier ajourné.",
        "Three projects examined, two grants awarded, one deferred.",
    ),
    (
        "fete-des-voisins",
        150,
        "La fête des voisins a réuni 200 personnes",
        "200 people at the neighbours' party",
        "Le premier projet financé par le fonds du Centre-Ville a eu lieu place du Marché.",
        "The first project funded by the Centre-Ville fund took place on the market square.",
    ),
    (
        "bilan-jardins",
        60,
        "Les jardins partagés rendent leur bilan",
        "The shared gardens report back",
        "Douze bacs, quarante jardiniers et une récolte partagée : le bilan est accepté.",
        "Twelve beds, forty gardeners and a shared harvest: the report is accepted.",
    ),
    (
        "seance-de-novembre",
        5,
        "Séance publique du conseil de Bellevue",
        "Public session of the Bellevue council",
        "Le conseil se réunit à la maison de quartier ; la séance est ouverte à tous.",
        "The council meets at the community centre; the session is open to all.",
    ),
]


def demo_pages():
    """The home page and what editors write: legal pages, rules and FAQ, news."""
    home = _home_page()
    for slug, title, intro, body in STANDARD_PAGES:
        title_en, intro_en, body_en = ENGLISH[slug]
        _child(
            home,
            StandardPage,
            slug,
            title=title,
            intro=intro,
            body=body,
            title_en=title_en,
            intro_en=intro_en,
            body_en=body_en,
        )
    _rules_page(home)
    _news()
    return home


def demo_quartier_pages(quartiers=None):
    """A page for each quartier, under the list of quartiers."""
    _home_page()
    index = QuartierIndexPage.objects.get()
    existing = set(QuartierPage.objects.values_list("quartier_id", flat=True))
    for quartier in quartiers or Quartier.objects.order_by("name"):
        if quartier.pk in existing:
            continue
        index.add_child(
            instance=QuartierPage(
                title=f"Quartier {quartier.name}",
                title_en=f"{quartier.name} quartier",
                slug=quartier.slug,
                quartier=quartier,
                intro=(
                    f"<p>Le conseil de quartier {quartier.name} se réunit en séance publique "
                    "à la maison de quartier. Venez y présenter votre projet.</p>"
                ),
                intro_en=(
                    f"<p>The {quartier.name} council meets in public at the community centre. "
                    "Come and present your project.</p>"
                ),
            )
        )
    return index


def _child(parent, page_class, slug, **fields):
    page = page_class.objects.child_of(parent).filter(slug=slug).first()
    if page is None:
        page = parent.add_child(instance=page_class(slug=slug, **fields))
    return page


def _home_page():
    home = ensure_site()
    if not home.intro:
        home.intro = HOME_INTRO
        home.intro_en = HOME_INTRO_EN
        home.save()
    return HomePage.objects.get(pk=home.pk)


def _rules_page(home):
    return _child(
        home,
        StandardPage,
        "comment-ca-marche",
        title="Comment ça marche",
        title_en="How it works",
        intro="Le règlement des fonds en quelques questions, et le calendrier d'un dossier.",
        intro_en="The funds' rules in a few questions, and the calendar of an application.",
        body=[
            ("image", {"image": _illustration(), "alt": "", "caption": "Le quartier Bellevue"}),
            (
                "faq",
                {
                    "title": "Questions fréquentes",
                    "questions": [
                        {"question": question, "answer": answer} for question, answer in FAQ
                    ],
                },
            ),
            (
                "table",
                {
                    "caption": "Le calendrier d'un dossier",
                    "table": {
                        "data": CALENDAR,
                        "first_row_is_table_header": True,
                        "first_col_is_header": True,
                    },
                },
            ),
        ],
    )


def _illustration():
    """A drawing of the quartier: towers, a garden and the river."""
    title = "Illustration : le quartier Bellevue"
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    picture = PILImage.new("RGB", (800, 400), "#e7f1f0")
    draw = ImageDraw.Draw(picture)
    for left, height in ((80, 220), (200, 260), (320, 200)):
        draw.rectangle([(left, 320 - height), (left + 90, 320)], fill="#0b5e57")
    for left in range(460, 740, 40):
        draw.ellipse([(left, 270), (left + 30, 300)], fill="#1f6b36")
    draw.rectangle([(0, 330), (800, 400)], fill="#8fd3cb")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name="quartier-bellevue.png"))


def _news():
    index = NewsIndexPage.objects.get()
    today = timezone.localdate()
    for slug, days_ago, title, title_en, intro, intro_en in NEWS:
        _child(
            index,
            NewsPage,
            slug,
            title=title,
            title_en=title_en,
            intro=intro,
            intro_en=intro_en,
            date=today - datetime.timedelta(days=days_ago),
            body=[("paragraph", f"<p>{intro}</p>")],
            body_en=[("paragraph", f"<p>{intro_en}</p>")],
        )
    return index
