from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fonds.storage import private_storage

from .fund import MONEY


class Report(models.Model):
    """The carrier's bilan after the action: what happened, who came, what was really
    spent, with receipts and photos. An instructor accepts it (what the grant did not pay
    is released and the dossier closed), asks the carrier to complete it, or refuses it
    (nothing is released until a decision says so)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Déposé, en cours d'examen")
        COMPLETION_ASKED = "completion_asked", _("À compléter par le porteur")
        ACCEPTED = "accepted", _("Accepté")
        REFUSED = "refused", _("Refusé")

    initiative = models.OneToOneField(
        "fonds.Initiative", on_delete=models.PROTECT, related_name="report"
    )
    narrative = models.TextField(_("ce qui s'est passé"), max_length=10_000)
    public_summary = models.TextField(
        _("résumé public"),
        max_length=1_000,
        blank=True,
        help_text=_("Publié sur la page de l'initiative, avec les photos."),
    )
    photos_consent = models.BooleanField(
        _("les personnes photographiées ont donné leur accord"), default=False
    )
    # The host association of a residents' group signs its bilan: who signed for it.
    host_signatory = models.CharField(
        _("signé pour l'association hôte par"), max_length=200, blank=True
    )
    participants = models.PositiveIntegerField(_("nombre de participants"))
    actual_expenses = models.DecimalField(_("dépenses réelles (€)"), **MONEY)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    # The instructor's last message to the carrier: what to complete, or why refused.
    review_reason = models.TextField(_("message de l'examen"), max_length=2_000, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bilan")
        verbose_name_plural = _("bilans")
        constraints = [
            models.CheckConstraint(
                condition=Q(actual_expenses__gte=0), name="report_expenses_not_negative"
            )
        ]

    def __str__(self):
        return f"Bilan — {self.initiative}"


class ReportDocument(models.Model):
    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Justificatif de dépense")
        PHOTO = "photo", _("Photo")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(storage=private_storage, upload_to="bilans/%Y/")
    size = models.PositiveIntegerField()
    # An instructor may take a photo off the public page, with the reason.
    hidden_reason = models.CharField(_("motif du masquage"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
