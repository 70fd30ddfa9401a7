"""The pages editors write and the commune's identity. Pages show live data from
``fonds`` and ``votes`` through ``cms.selectors`` and own none of it."""

import re

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import FileExtensionValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Page
from wagtail.search import index

from fonds.anchors import current_anchor
from fonds.maps import (
    MAX_BACKGROUND_BYTES,
    allow_map_tiles,
    read_background,
    site_background_url,
    site_tile_url,
)

from . import selectors

STABLE_DECISIONS_SLUG = "decisions"
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_siret(value):
    try:
        siret.validate(value)
    except StdnumError as error:
        raise ValidationError(_("Ce numéro SIRET n'est pas valide.")) from error


def _luminance(colour):
    """Relative luminance of a #rrggbb colour, as WCAG 2.1 defines it."""
    channels = []
    for start in (1, 3, 5):
        value = int(colour[start : start + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first, second):
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def validate_colour(value):
    if not HEX_COLOUR.match(value or ""):
        raise ValidationError(_("Indiquez une couleur au format #RRVVBB, par exemple #0b5e57."))


def validate_background(file):
    """A background layer must be GeoJSON the maps can draw (``fonds.maps``)."""
    file.seek(0)
    read_background(file.read(MAX_BACKGROUND_BYTES + 1))
    file.seek(0)


@register_setting(icon="site")
class CommuneSettings(BaseSiteSetting):
    """Who runs this site: the commune's name, identity, colours and contact."""

    commune_name = models.CharField(_("nom de la commune"), max_length=120, default="Ma commune")
    siret = models.CharField(
        _("SIRET de la commune"), max_length=14, blank=True, validators=[validate_siret]
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    primary_colour = models.CharField(
        _("couleur principale"),
        max_length=7,
        default="#0b5e57",
        validators=[validate_colour],
        help_text=_(
            "Couleur des liens, des boutons et du pied de page ; le texte blanc posé dessus "
            "doit rester lisible (contraste d'au moins 4,5:1)."
        ),
    )
    accent_colour = models.CharField(
        _("couleur d'accent"),
        max_length=7,
        default="#f4c95d",
        validators=[validate_colour],
        help_text=_(
            "Couleur des repères et des jauges ; le texte sombre posé dessus doit rester lisible."
        ),
    )
    contact_email = models.EmailField(_("adresse de contact"), blank=True)
    address = models.CharField(_("adresse postale"), max_length=300, blank=True)
    map_tile_url = models.CharField(
        _("adresse des tuiles de carte"),
        max_length=300,
        blank=True,
        help_text=_("Modèle d'adresse des tuiles, par exemple https://…/{z}/{x}/{y}.png"),
    )
    map_background = models.FileField(
        _("fond de carte (GeoJSON)"),
        upload_to="carte/",
        blank=True,
        validators=[FileExtensionValidator(["geojson", "json"]), validate_background],
        help_text=_(
            "Sans serveur de tuiles : un dessin de la commune (rues, rivière, parcs) en "
            "GeoJSON, tracé sous les quartiers. Chaque élément a une propriété « kind » : "
            "road, main_road, railway, water ou park. 512 Ko au plus."
        ),
    )

    panels = [
        FieldPanel("commune_name"),
        FieldPanel("siret"),
        FieldPanel("logo"),
        MultiFieldPanel(
            [FieldPanel("primary_colour"), FieldPanel("accent_colour")], heading=_("Couleurs")
        ),
        FieldPanel("contact_email"),
        FieldPanel("address"),
        MultiFieldPanel(
            [FieldPanel("map_tile_url"), FieldPanel("map_background")], heading=_("Cartes")
        ),
    ]

    class Meta:
        verbose_name = _("identité de la commune")

    def clean(self):
        super().clean()
        errors = {}
        text = "#1d2328"
        if HEX_COLOUR.match(self.primary_colour or "") and (
            contrast_ratio(self.primary_colour, "#ffffff") < 4.5
        ):
            errors["primary_colour"] = _(
                "Cette couleur est trop claire : le texte blanc n'y serait pas lisible "
                "(contraste inférieur à 4,5:1)."
            )
        if HEX_COLOUR.match(self.accent_colour or "") and (
            contrast_ratio(self.accent_colour, text) < 4.5
        ):
            errors["accent_colour"] = _(
                "Cette couleur est trop sombre : le texte n'y serait pas lisible "
                "(contraste inférieur à 4,5:1)."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def primary_dark_colour(self):
        """The primary colour darkened by a third, for hover states and the footer."""
        value = self.primary_colour if HEX_COLOUR.match(self.primary_colour or "") else "#0b5e57"
        parts = [int(int(value[i : i + 2], 16) * 2 / 3) for i in (1, 3, 5)]
        return "#" + "".join(f"{part:02x}" for part in parts)


@site_tile_url
def commune_tile_url(request):
    """The tile server the commune chose in its settings, for every map of the site
    (``fonds.maps`` knows the settings only through this registration)."""
    return CommuneSettings.for_request(request).map_tile_url


@site_background_url
def commune_background_url(request):
    """The address of the commune's background layer, if it gave one."""
    if not CommuneSettings.for_request(request).map_background:
        return ""
    return reverse("map_background")


# ---------------------------------------------------------------------------
# Content blocks


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt = blocks.CharBlock(
        label=_("Texte alternatif"),
        required=False,
        max_length=250,
        help_text=_("Ce que l'image apporte ; laissez vide si elle est purement décorative."),
    )
    caption = blocks.CharBlock(label=_("Légende"), required=False, max_length=250)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "cms/blocks/image.html"


class FaqBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Titre"), required=False, max_length=200)
    questions = blocks.ListBlock(
        blocks.StructBlock(
            [
                ("question", blocks.CharBlock(label=_("Question"), max_length=300)),
                ("answer", blocks.RichTextBlock(label=_("Réponse"))),
            ],
            label=_("Question et réponse"),
        ),
        label=_("Questions"),
    )

    class Meta:
        icon = "help"
        label = _("Foire aux questions")
        template = "cms/blocks/faq.html"


class DataTableBlock(blocks.StructBlock):
    caption = blocks.CharBlock(
        label=_("Titre du tableau"),
        max_length=250,
        help_text=_("Lu en premier par les lecteurs d'écran."),
    )
    table = TableBlock(label=_("Tableau"), table_options={"startRows": 3, "startCols": 3})

    class Meta:
        icon = "table"
        label = _("Tableau")
        template = "cms/blocks/table.html"


def body_blocks():
    return [
        ("heading", blocks.CharBlock(label=_("Intertitre"), form_classname="title")),
        ("paragraph", blocks.RichTextBlock(label=_("Paragraphe"))),
        ("image", ImageBlock()),
        ("faq", FaqBlock()),
        ("table", DataTableBlock()),
    ]


# ---------------------------------------------------------------------------
# Pages


class TranslatedPage(Page):
    """A page whose editors may give an English version of its texts. When the reader
    chose English and an English text exists it is shown; otherwise the French one is,
    marked ``lang="fr"`` so that screen readers pronounce it right."""

    title_en = models.CharField(_("titre en anglais"), max_length=255, blank=True)

    class Meta:
        abstract = True

    @property
    def tr(self):
        return Localized(self)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["tr"] = self.tr
        return context


class Localized:
    """The texts of a page in the reader's language, falling back to French."""

    def __init__(self, page):
        self._page = page
        self._english = (get_language() or "fr").startswith("en")

    def __getattr__(self, name):
        if name.startswith("lang_"):
            return self._fallback_lang(name.removeprefix("lang_"))
        if self._english:
            value = getattr(self._page, f"{name}_en", None)
            if value:
                return value
        return getattr(self._page, name)

    def _fallback_lang(self, name):
        """``fr`` when the reader wants English but this text has no English version, so
        its French shows (``tr.lang_title``, ``tr.lang_body``…); else empty."""
        english = getattr(self._page, f"{name}_en", None)
        if self._english and getattr(self._page, name, None) and not english:
            return "fr"
        return ""


class MapPage:
    """A page showing a map: the commune's tile server joins its Content-Security-Policy."""

    def serve(self, request, *args, **kwargs):
        return allow_map_tiles(request, super().serve(request, *args, **kwargs))


def english_panel(*names):
    """The editor's panel for the English versions of a page's texts."""
    return MultiFieldPanel(
        [FieldPanel("title_en"), *(FieldPanel(name) for name in names)],
        heading=_("Version anglaise"),
    )


class SectionPage(TranslatedPage):
    """A page of the main navigation whose content is live data, under a title and a
    standfirst."""

    intro = models.CharField(_("chapeau"), max_length=300, blank=True)
    intro_en = models.CharField(_("chapeau en anglais"), max_length=300, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), english_panel("intro_en")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    max_count = 1

    class Meta:
        abstract = True


def _paginate(request, items, per_page):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _query_without_page(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# The pages' own reads, handed to the selectors (which do not import this module).


def live_quartier_pages():
    """The live quartier pages, by quartier id."""
    return {page.quartier_id: page for page in QuartierPage.objects.live()}


def public_news():
    """The published news, newest first."""
    return NewsPage.objects.live().public().order_by("-date", "-pk")


class HomePage(MapPage, TranslatedPage):
    """The site's home page: the figures of every fund, the quartiers on a map, the
    latest decisions and news, and the call to submit an initiative."""

    intro = RichTextField(_("introduction"), blank=True)
    intro_en = RichTextField(_("introduction en anglais"), blank=True)
    call_to_action = models.CharField(_("appel à participer"), max_length=200, blank=True)
    call_to_action_en = models.CharField(
        _("appel à participer en anglais"), max_length=200, blank=True
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("call_to_action"),
        english_panel("intro_en", "call_to_action_en"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "cms.StandardPage",
        "cms.QuartierIndexPage",
        "cms.NewsIndexPage",
        "cms.DecisionIndexPage",
        "cms.StatisticsPage",
    ]
    max_count = 1

    class Meta:
        verbose_name = _("page d'accueil")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(
            selectors.home_context(
                request, pages=live_quartier_pages(), latest_news=public_news()[:3]
            )
        )
        return context


class StandardPage(TranslatedPage):
    """A page editors write: rules, FAQ, accessibility statement, legal notice."""

    intro = models.CharField(_("chapeau"), max_length=300, blank=True)
    intro_en = models.CharField(_("chapeau en anglais"), max_length=300, blank=True)
    body = StreamField(body_blocks(), verbose_name=_("contenu"), blank=True)
    body_en = StreamField(body_blocks(), verbose_name=_("contenu en anglais"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("body"),
        english_panel("intro_en", "body_en"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("page de contenu")


class QuartierIndexPage(MapPage, TranslatedPage):
    """Every quartier with its fund, linking to each quartier's page."""

    intro = RichTextField(_("introduction"), blank=True)
    intro_en = RichTextField(_("introduction en anglais"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        english_panel("intro_en"),
    ]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.QuartierPage"]
    max_count = 1

    class Meta:
        verbose_name = _("liste des quartiers")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.quartiers_context(request, pages=live_quartier_pages()))
        return context


class QuartierPage(MapPage, TranslatedPage):
    """One quartier: what editors say of it, and live from the other modules its council,
    its fund, its initiatives and its decisions."""

    quartier = models.OneToOneField(
        "fonds.Quartier",
        verbose_name=_("quartier"),
        on_delete=models.PROTECT,
        related_name="page",
    )
    intro = RichTextField(_("présentation"), blank=True)
    intro_en = RichTextField(_("présentation en anglais"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("quartier"),
        FieldPanel("intro"),
        english_panel("intro_en"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["cms.QuartierIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("page de quartier")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.quartier_context(request, self.quartier_id))
        from votes.selectors import public_sessions

        context["public_sessions"] = list(public_sessions(quartier=self.quartier_id)[:3])
        return context


class NewsIndexPage(SectionPage):
    """The news of the funds and councils, newest first."""

    subpage_types = ["cms.NewsPage"]

    class Meta:
        verbose_name = _("liste des actualités")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["page_obj"] = _paginate(request, public_news().child_of(self), 10)
        return context


class NewsPage(TranslatedPage):
    """One piece of news."""

    date = models.DateField(_("date de publication"), default=timezone.localdate)
    intro = models.CharField(_("chapeau"), max_length=300, blank=True)
    intro_en = models.CharField(_("chapeau en anglais"), max_length=300, blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image_alt = models.CharField(
        _("texte alternatif de l'image"),
        max_length=250,
        blank=True,
        help_text=_("Laissez vide si l'image est purement décorative."),
    )
    body = StreamField(body_blocks(), verbose_name=_("contenu"), blank=True)
    body_en = StreamField(body_blocks(), verbose_name=_("contenu en anglais"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("date"),
        FieldPanel("intro"),
        FieldPanel("image"),
        FieldPanel("image_alt"),
        FieldPanel("body"),
        english_panel("intro_en", "body_en"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("actualité")
        ordering = ["-date"]


class DecisionIndexPage(SectionPage):
    """Every published decision of the councils, filtered by quartier, outcome and year;
    served at the stable address /decisions/."""

    class Meta:
        verbose_name = _("liste des décisions")

    def clean(self):
        super().clean()
        if self.slug != STABLE_DECISIONS_SLUG:
            raise ValidationError(
                {
                    "slug": _(
                        "La liste des décisions garde l'adresse /decisions/ que d'autres "
                        "sites citent : son identifiant d'adresse reste « decisions »."
                    )
                }
            )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        filters = selectors.decision_filters(request.GET)
        context.update(filters)
        context["page_obj"] = _paginate(request, filters["decisions"], 30)
        context["query"] = _query_without_page(request)
        context["ledger_anchor"] = current_anchor()
        return context


class StatisticsPage(SectionPage):
    """Where the money went: per quartier, theme and year, each chart with its table."""

    class Meta:
        verbose_name = _("page de statistiques")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["statistics"] = selectors.statistics()
        return context
