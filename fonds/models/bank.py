"""The account a grant is paid to. Only the carrier and the quartier's payment
officers read it whole; everyone else who may see it reads it masked."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BankDetails(models.Model):
    """One account given by the carrier of an initiative; a change replaces the current
    one (kept, dated). An account given once a grant exists waits for an instructor's
    confirmation before the next payment."""

    initiative = models.ForeignKey(
        "fonds.Initiative", on_delete=models.CASCADE, related_name="bank_details"
    )
    holder = models.CharField(_("titulaire du compte"), max_length=200)
    iban = models.CharField(_("IBAN"), max_length=34)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    given_at = models.DateTimeField(auto_now_add=True)
    needs_confirmation = models.BooleanField(default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("coordonnées bancaires")
        verbose_name_plural = _("coordonnées bancaires")
        ordering = ["-given_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative"],
                condition=Q(replaced_at__isnull=True),
                name="bank_details_one_current_per_initiative",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(needs_confirmation=True),
                name="bank_details_confirmed_only_when_needed",
            ),
        ]

    def __str__(self):
        return f"{self.holder} — {self.masked}"

    @property
    def masked(self):
        """« FR76 •••• •••• 1234 »: the country and check digits, the last four."""
        return f"{self.iban[:4]} •••• •••• {self.iban[-4:]}"

    @property
    def grouped(self):
        """The whole IBAN in groups of four, as it is printed."""
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))

    @property
    def usable(self):
        """Payments may go to it: given before any grant, or confirmed since."""
        return not self.needs_confirmation or self.confirmed_at is not None
