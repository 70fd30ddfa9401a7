import io
import json

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images.models import Image
from wagtail.models import Site

from accounts.system import system_actor
from cms.models import CommuneSettings
from fonds.models import Quartier
from fonds.services import quartier_create
from fonds.services.quartiers import quartier_set_outline

from .geography import background, outline

# The demo builds the commune as the system: the first roles, quartiers, funds, councils.
SYSTEM = system_actor("demo")

COMMUNE_NAME = "Bellerive-sur-Loire"

QUARTIERS = [
    (
        "Bellevue",
        "Quartier d'habitat social sur les hauteurs, avec son centre social "
        "et son marché du samedi.",
    ),
    ("Centre-Ville", "Le cœur historique : commerces, mairie, médiathèque et la place du Marché."),
    (
        "Les Tilleuls",
        "Quartier résidentiel autour du parc des Tilleuls et de ses jardins familiaux.",
    ),
    (
        "La Gare",
        "Quartier en renouvellement autour de la gare et de l'ancienne friche ferroviaire.",
    ),
    ("Le Port", "Les quais de Loire, la guinguette et les associations nautiques."),
    (
        "Montplaisir",
        "Grands ensembles et maisons de ville, une épicerie solidaire et un tiers-lieu.",
    ),
    ("Les Coteaux", "Vignes, hameaux et lotissements récents à l'est de la commune."),
]


def demo_quartiers():
    """The seven quartiers, each with its outline on the map."""
    existing = {q.name: q for q in Quartier.objects.all()}
    result = []
    for name, description in QUARTIERS:
        quartier = existing.get(name) or quartier_create(
            actor=SYSTEM, name=name, description=description, outline=outline(name)
        )
        if quartier.outline != outline(name):
            quartier_set_outline(actor=SYSTEM, quartier=quartier, outline=outline(name))
        result.append(quartier)
    return result


def demo_commune():
    site = Site.objects.get(is_default_site=True)
    settings = CommuneSettings.for_site(site)
    settings.commune_name = COMMUNE_NAME
    settings.siret = "21490000300010"
    settings.contact_email = "fonds-quartiers@demo.fonds-quartiers.fr"
    if settings.logo_id is None:
        settings.logo = _logo()
    if not settings.map_background:
        drawing = json.dumps(background(), ensure_ascii=False, separators=(",", ":"))
        settings.map_background = ContentFile(drawing.encode(), name="fond-de-carte.geojson")
    settings.save()
    return settings


def _logo():
    """A simple emblem drawn for the demo commune: a river under two roofs."""
    picture = PILImage.new("RGB", (192, 192), "#0b5e57")
    draw = ImageDraw.Draw(picture)
    draw.polygon([(36, 120), (36, 72), (76, 44), (116, 72), (116, 120)], fill="#ffffff")
    draw.polygon([(112, 120), (112, 88), (136, 70), (160, 88), (160, 120)], fill="#f4c95d")
    draw.rectangle([(24, 134), (168, 146)], fill="#8fd3cb")
    draw.rectangle([(40, 154), (152, 164)], fill="#8fd3cb")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return Image.objects.create(
        title=f"Logo de {COMMUNE_NAME}", file=ImageFile(buffer, name="logo-commune.png")
    )
