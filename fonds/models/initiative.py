from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fonds.storage import private_storage

from .fund import MONEY, FundTerms


class InitiativeQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status__in=Initiative.PUBLIC_STATUSES)


class Initiative(models.Model):
    """A resident's or an association's proposal asking a fund for a grant."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Déposée")
        INCOMPLETE = "incomplete", _("À compléter")
        ADMISSIBLE = "admissible", _("Recevable")
        INADMISSIBLE = "inadmissible", _("Irrecevable")
        WITHDRAWN = "withdrawn", _("Retirée")
        ON_AGENDA = "on_agenda", _("Inscrite à l'ordre du jour")
        GRANTED = "granted", _("Subvention accordée")
        REFUSED = "refused", _("Refusée par le conseil")
        CLOSED = "closed", _("Réalisée, bilan accepté")

    class CarrierKind(models.TextChoices):
        PERSON = "person", _("Un·e habitant·e ou un collectif")
        ASSOCIATION = "association", _("Une association")

    # Shown to everyone; the others only to the author and the people who handle them.
    PUBLIC_STATUSES = (
        Status.SUBMITTED,
        Status.INCOMPLETE,
        Status.ADMISSIBLE,
        Status.ON_AGENDA,
        Status.GRANTED,
        Status.REFUSED,
        Status.CLOSED,
    )
    # Residents support a dossier until the council decides on it.
    SUPPORTABLE_STATUSES = (
        Status.SUBMITTED,
        Status.INCOMPLETE,
        Status.ADMISSIBLE,
        Status.ON_AGENDA,
    )
    EDITABLE_STATUSES = (Status.DRAFT, Status.INCOMPLETE)
    WITHDRAWABLE_STATUSES = (
        Status.DRAFT,
        Status.SUBMITTED,
        Status.INCOMPLETE,
        Status.ADMISSIBLE,
        Status.ON_AGENDA,
    )

    fund = models.ForeignKey(
        "fonds.Fund", verbose_name=_("fonds"), on_delete=models.PROTECT, related_name="initiatives"
    )
    # None for a dossier filed at the counter for a resident without an account, until
    # they claim it online with the code of their receipt.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.PROTECT,
        related_name="initiatives",
        null=True,
        blank=True,
    )
    filed_at_counter = models.BooleanField(_("déposée au guichet"), default=False)
    # How to reach a resident who filed at the counter (an email, or a postal address
    # for the letters staff send).
    contact_email = models.EmailField(_("adresse électronique du déposant"), blank=True)
    contact_address = models.TextField(_("adresse postale du déposant"), blank=True)
    # The receipt's claim code, hashed; emptied once the dossier is claimed.
    claim_code_hash = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    carrier_kind = models.CharField(
        _("porteur"), max_length=20, choices=CarrierKind.choices, default=CarrierKind.PERSON
    )
    carrier_name = models.CharField(_("nom du porteur"), max_length=200)
    rna = models.CharField(_("numéro RNA"), max_length=10, blank=True)
    siret = models.CharField(_("numéro SIRET"), max_length=14, blank=True)
    # A residents' group without legal status names an association that receives the
    # money on its behalf and signs its bilan: the beneficiary, the group the carrier.
    host_name = models.CharField(_("association hôte"), max_length=200, blank=True)
    host_siret = models.CharField(_("SIRET de l'association hôte"), max_length=14, blank=True)
    host_rna = models.CharField(_("RNA de l'association hôte"), max_length=10, blank=True)
    title = models.CharField(_("titre"), max_length=150)
    summary = models.CharField(_("résumé"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    theme = models.ForeignKey(
        "fonds.Theme",
        verbose_name=_("thème"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="initiatives",
    )
    place_name = models.CharField(_("lieu"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    starts_on = models.DateField(_("date de début"), null=True, blank=True)
    ends_on = models.DateField(_("date de fin"), null=True, blank=True)
    expected_participants = models.PositiveIntegerField(
        _("participants attendus"), null=True, blank=True
    )
    requested_amount = models.DecimalField(_("montant demandé (€)"), default=0, **MONEY)
    photo = models.ImageField(
        _("photo"), storage=private_storage, upload_to="photos/%Y/", blank=True
    )
    submitted_at = models.DateTimeField(_("déposée le"), null=True, blank=True)
    # The fund's money rules in force when the dossier was first submitted: a change of
    # the fund's rules applies to the dossiers submitted after it (see ``terms``).
    submitted_max_grant = models.DecimalField(
        _("plafond en vigueur au dépôt (€)"), null=True, blank=True, **MONEY
    )
    submitted_min_cofunding_percent = models.DecimalField(
        _("cofinancement minimal en vigueur au dépôt (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    # The history is never rewritten (PostgreSQL refuses it): it keeps no carrier's name,
    # which erasure must be able to remove (the initiative's row holds it).
    history = HistoricalRecords(
        excluded_fields=["carrier_name", "contact_email", "contact_address", "claim_code_hash"]
    )

    objects = InitiativeQuerySet.as_manager()

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["-submitted_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_amount__gte=0), name="initiative_requested_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="initiative_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="initiative_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    submitted_max_grant__isnull=True, submitted_min_cofunding_percent__isnull=True
                )
                | Q(submitted_max_grant__gt=0, submitted_min_cofunding_percent__gte=0),
                name="initiative_submitted_terms_together",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_public(self):
        return self.status in self.PUBLIC_STATUSES

    @property
    def public_carrier(self):
        """Who carries the dossier, as every public page, file and feed names it: an
        association by its name, a person never — their name stays with the people who
        handle the dossier."""
        if self.carrier_kind == self.CarrierKind.ASSOCIATION:
            return self.carrier_name
        return _("Des habitant·es du quartier")

    @property
    def beneficiary(self):
        """Who receives the money, as decisions, the ledger and the exports name it: the
        host association of a residents' group, else the carrier as public pages name it."""
        return self.host_name or self.public_carrier

    @property
    def beneficiary_number(self):
        """The beneficiary's SIRET or RNA, where there is one."""
        if self.host_name:
            return self.host_siret or self.host_rna
        if self.carrier_kind == self.CarrierKind.ASSOCIATION:
            return self.siret or self.rna
        return ""

    @property
    def quartier(self):
        return self.fund.quartier

    @property
    def terms(self):
        """The fund's money rules this dossier answers to: those in force when it was
        first submitted, else (a draft) the fund's rules today."""
        if self.submitted_max_grant is not None:
            return FundTerms(self.submitted_max_grant, self.submitted_min_cofunding_percent)
        return self.fund.terms


class BudgetLine(models.Model):
    """One line of an initiative's budget: an expense, or co-funding from elsewhere."""

    class Kind(models.TextChoices):
        EXPENSE = "expense", _("Dépense")
        COFUNDING = "cofunding", _("Cofinancement")

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="budget_lines"
    )
    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("libellé"), max_length=200)
    amount = models.DecimalField(_("montant (€)"), **MONEY)
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ligne de budget")
        verbose_name_plural = _("lignes de budget")
        ordering = ["kind", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_line_amount_positive")
        ]

    def __str__(self):
        return f"{self.label}: {self.amount} €"


class Attachment(models.Model):
    """A PDF joined to an initiative (a quote, a statute, a letter of support)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="attachments")
    label = models.CharField(_("intitulé"), max_length=200)
    file = models.FileField(_("fichier"), storage=private_storage, upload_to="pieces/%Y/")
    size = models.PositiveIntegerField(_("taille (octets)"))
    # A quote or an insurance certificate names people and prices: it stays with the
    # people who handle the dossier unless the carrier chooses to publish it.
    public = models.BooleanField(
        _("pièce publique"),
        default=False,
        help_text=_(
            "Publique : tout le monde peut la lire sur la page de l'initiative. "
            "Sinon : seuls vous, les instructeurs du quartier et le conseil de quartier la lisent."
        ),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.label


class Support(models.Model):
    """A resident's support for an initiative: one per resident and initiative."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supports"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("soutien")
        verbose_name_plural = _("soutiens")
        constraints = [
            models.UniqueConstraint(fields=["initiative", "user"], name="support_one_per_user")
        ]

    def __str__(self):
        return f"{self.user} → {self.initiative}"
