from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page


def validate_siret(value):
    try:
        siret.validate(value)
    except StdnumError as error:
        raise ValidationError(_("Ce numéro SIRET n'est pas valide.")) from error


@register_setting(icon="site")
class CommuneSettings(BaseSiteSetting):
    """Who runs this site: the commune's name, identity and contact."""

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
    contact_email = models.EmailField(_("adresse de contact"), blank=True)
    map_tile_url = models.CharField(
        _("adresse des tuiles de carte"),
        max_length=300,
        blank=True,
        help_text=_("Modèle d'adresse des tuiles, par exemple https://…/{z}/{x}/{y}.png"),
    )

    panels = [
        FieldPanel("commune_name"),
        FieldPanel("siret"),
        FieldPanel("logo"),
        FieldPanel("contact_email"),
        FieldPanel("map_tile_url"),
    ]

    class Meta:
        verbose_name = _("identité de la commune")


class HomePage(Page):
    """The site's home page: what the funds are and how to take part."""

    intro = RichTextField(_("introduction"), blank=True)
    call_to_action = models.CharField(_("appel à participer"), max_length=200, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("call_to_action")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.StandardPage"]
    max_count = 1

    class Meta:
        verbose_name = _("page d'accueil")


class StandardPage(Page):
    """A page editors write: rules, FAQ, accessibility statement, legal notice."""

    intro = models.CharField(_("chapeau"), max_length=300, blank=True)
    body = StreamField(
        [
            ("heading", blocks.CharBlock(label=_("Intertitre"), form_classname="title")),
            ("paragraph", blocks.RichTextBlock(label=_("Paragraphe"))),
        ],
        verbose_name=_("contenu"),
        blank=True,
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("page de contenu")
