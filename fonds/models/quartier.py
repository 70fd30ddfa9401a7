from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fonds.outline import validate_outline


class Quartier(models.Model):
    """A neighbourhood of the commune, with its own council and fund."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    slug = models.SlugField(_("identifiant d'adresse"), max_length=120, unique=True)
    code = models.SlugField(
        _("code"),
        max_length=20,
        unique=True,
        help_text=_("Code court en majuscules, utilisé dans les références des décisions."),
    )
    description = models.TextField(_("description"), blank=True)
    outline = models.JSONField(
        _("contour (GeoJSON)"),
        null=True,
        blank=True,
        validators=[validate_outline],
        help_text=_("Polygone GeoJSON du quartier."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("quartier")
        verbose_name_plural = _("quartiers")
        ordering = ["name"]

    def __str__(self):
        return self.name
