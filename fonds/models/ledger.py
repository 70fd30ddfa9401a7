"""The ledger: double entry, append-only, one hash chain per fund.

Accounts: the commune's budget line (the source of every envelope), each fund's
*available* account, each grant's *committed* account and each fund's *paid out*
account. A transaction moves one positive amount between two accounts; its legs sum to
zero. Balances are cached on the account rows, changed only by the ledger service under
row locks; PostgreSQL refuses any negative available or committed balance, any leg set
that does not sum to zero, and any UPDATE, DELETE or TRUNCATE of transactions and legs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .fund import MONEY


class Grant(models.Model):
    """Money granted to an initiative by a published decision; its committed account
    holds what is still to be paid."""

    initiative = models.ForeignKey(
        "fonds.Initiative", on_delete=models.PROTECT, related_name="grants"
    )
    fund = models.ForeignKey("fonds.Fund", on_delete=models.PROTECT, related_name="grants")
    decision_reference = models.CharField(_("référence de la décision"), max_length=60)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subvention")
        verbose_name_plural = _("subventions")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["decision_reference"], name="grant_one_per_decision")
        ]

    def __str__(self):
        return f"{self.decision_reference} — {self.initiative}"


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        BUDGET = "budget", _("Budget de la commune")
        FUND_AVAILABLE = "fund_available", _("Fonds : disponible")
        GRANT_COMMITTED = "grant_committed", _("Subvention : engagée")
        PAID_OUT = "paid_out", _("Versé")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    fund = models.ForeignKey(
        "fonds.Fund", null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    grant = models.OneToOneField(
        Grant, null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    balance = models.DecimalField(default=0, **MONEY)
    # The head of the fund's hash chain lives on its available account, which every
    # transaction of the fund locks.
    head_sequence = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("compte du grand livre")
        verbose_name_plural = _("comptes du grand livre")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["fund_available", "grant_committed", "paid_out"])
                | Q(balance__gte=0),
                name="ledger_account_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="budget") | Q(balance__lte=0),
                name="ledger_budget_balance_not_positive",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="budget"), name="ledger_one_budget_account"
            ),
            models.UniqueConstraint(
                fields=["kind", "fund"],
                condition=Q(kind__in=["fund_available", "paid_out"]),
                name="ledger_one_account_per_fund_and_kind",
            ),
            models.CheckConstraint(
                condition=(Q(kind="grant_committed") & Q(grant__isnull=False))
                | (~Q(kind="grant_committed") & Q(grant__isnull=True)),
                name="ledger_grant_account_has_grant",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        CREDIT = "credit", _("Crédit de l'enveloppe")
        COMMIT = "commit", _("Engagement")
        DISBURSE = "disburse", _("Versement")
        RELEASE = "release", _("Libération")
        REVERSAL = "reversal", _("Contre-passation")

    fund = models.ForeignKey("fonds.Fund", on_delete=models.PROTECT, related_name="transactions")
    sequence = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    grant = models.ForeignKey(
        Grant, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    payment_date = models.DateField(_("date du paiement"), null=True, blank=True)
    memo = models.CharField(_("libellé"), max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("opération du grand livre")
        verbose_name_plural = _("opérations du grand livre")
        ordering = ["fund", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "sequence"], name="ledger_sequence_per_fund"),
            models.UniqueConstraint(fields=["idempotency_key"], name="ledger_idempotency_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(
                condition=~Q(kind="reversal") | Q(reverses__isnull=False),
                name="ledger_reversal_names_its_original",
            ),
            models.UniqueConstraint(
                fields=["grant"], condition=Q(kind="commit"), name="ledger_one_commit_per_grant"
            ),
        ]

    def __str__(self):
        return f"{self.fund_id}/{self.sequence} {self.kind} {self.amount}"


class LedgerLeg(models.Model):
    """One side of a transaction: a signed amount on one account (positive: money
    arrives in the account)."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="legs"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="legs")
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_leg_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "transaction"])]

    def __str__(self):
        return f"{self.account_id}: {self.amount}"
