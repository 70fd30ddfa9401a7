from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fonds.storage import private_storage

from .fund import MONEY


class Report(models.Model):
    """The carrier's bilan after the action: what happened, who came, what was really
    spent, with receipts and photos. Accepted by an instructor, it closes the dossier."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Déposé, en cours d'examen")
        ACCEPTED = "accepted", _("Accepté")

    initiative = models.OneToOneField(
        "fonds.Initiative", on_delete=models.PROTECT, related_name="report"
    )
    narrative = models.TextField(_("ce qui s'est passé"), max_length=10_000)
    participants = models.PositiveIntegerField(_("nombre de participants"))
    actual_expenses = models.DecimalField(_("dépenses réelles (€)"), **MONEY)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
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
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
