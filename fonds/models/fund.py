from decimal import Decimal
from typing import NamedTuple

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

MONEY = {"max_digits": 12, "decimal_places": 2}
DATES_MESSAGE = _("Une date de fin précède la date de début.")
# Django %-formats a constraint's message with its name: a percent sign is doubled.
RULES_MESSAGE = _("Le plafond doit être positif et la part de cofinancement entre 0 et 100 %%.")


class Theme(models.Model):
    """A theme of initiatives; administrators edit the list."""

    name = models.CharField(_("nom"), max_length=100, unique=True)
    slug = models.SlugField(_("identifiant d'adresse"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("thème")
        verbose_name_plural = _("thèmes")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class FundTerms(NamedTuple):
    """A fund's money rules for one dossier: the most it may ask, and the least share
    of its expenses it must find elsewhere."""

    max_grant: Decimal
    min_cofunding_percent: Decimal


class FundQuerySet(models.QuerySet):
    def accepting_submissions(self, on=None):
        """Funds open for new initiatives on that day: open status and within the
        submission window. The one place this rule lives."""
        day = on or timezone.localdate()
        return self.filter(
            status=Fund.Status.OPEN,
            submissions_open_on__lte=day,
            submissions_close_on__gte=day,
        )


class Fund(models.Model):
    """A quartier's envelope for one period, with the rules initiatives must meet."""

    class DecisionMode(models.TextChoices):
        COUNCIL = "council", _("Décision du conseil de quartier")
        PUBLIC_VOTE = "public_vote", _("Vote des habitants")

    class Status(models.TextChoices):
        DRAFT = "draft", _("En préparation")
        OPEN = "open", _("Ouvert")
        CLOSED = "closed", _("Clos")

    quartier = models.ForeignKey(
        "fonds.Quartier", verbose_name=_("quartier"), on_delete=models.PROTECT, related_name="funds"
    )
    label = models.CharField(_("intitulé"), max_length=200)
    slug = models.SlugField(_("identifiant d'adresse"), max_length=120, unique=True)
    period_start = models.DateField(_("début de la période"))
    period_end = models.DateField(_("fin de la période"))
    submissions_open_on = models.DateField(_("ouverture des dépôts"))
    submissions_close_on = models.DateField(_("clôture des dépôts"))
    max_grant = models.DecimalField(_("montant maximal par initiative (€)"), **MONEY)
    min_cofunding_percent = models.DecimalField(
        _("part minimale de cofinancement (%)"), max_digits=5, decimal_places=2, default=0
    )
    decision_mode = models.CharField(
        _("mode de décision"), max_length=20, choices=DecisionMode.choices, default="council"
    )
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default="draft")
    history = HistoricalRecords()

    objects = FundQuerySet.as_manager()

    class Meta:
        verbose_name = _("fonds")
        verbose_name_plural = _("fonds")
        ordering = ["-period_start", "quartier__name"]
        # The services' own messages, for the admin's forms that check these first.
        constraints = [
            models.CheckConstraint(
                condition=Q(max_grant__gt=0),
                name="fund_max_grant_positive",
                violation_error_message=RULES_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(min_cofunding_percent__gte=0, min_cofunding_percent__lte=100),
                name="fund_cofunding_percent_range",
                violation_error_message=RULES_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="fund_period_order",
                violation_error_message=DATES_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(submissions_close_on__gte=models.F("submissions_open_on")),
                name="fund_submission_window_order",
                violation_error_message=DATES_MESSAGE,
            ),
        ]

    def __str__(self):
        return f"{self.label} — {self.quartier}"

    def get_absolute_url(self):
        return f"/fonds/{self.slug}/"

    @property
    def terms(self):
        """The money rules a dossier submitted now must meet."""
        return FundTerms(self.max_grant, self.min_cofunding_percent)
