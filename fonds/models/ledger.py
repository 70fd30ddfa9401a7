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
    # A grant still committed when its fund's period closed goes on in the next
    # period's fund as a new grant of the same decision, created by its CARRY_IN.
    carried_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="carried_to"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subvention")
        verbose_name_plural = _("subventions")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision_reference"],
                condition=Q(carried_from__isnull=True),
                name="grant_one_per_decision",
            )
        ]

    def __str__(self):
        return f"{self.decision_reference} — {self.initiative}"


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        BUDGET = "budget", _("Budget de la commune")
        FUND_AVAILABLE = "fund_available", _("Fonds : disponible")
        GRANT_COMMITTED = "grant_committed", _("Subvention : engagée")
        PAID_OUT = "paid_out", _("Versé")
        # Money between a closing fund and the next period's: empty once a closing
        # commits (PostgreSQL checks it at the commit).
        CARRY_OVER = "carry_over", _("Reports en cours")

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
                condition=~Q(
                    kind__in=["fund_available", "grant_committed", "paid_out", "carry_over"]
                )
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
                fields=["kind"],
                condition=Q(kind="carry_over"),
                name="ledger_one_carry_over_account",
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
        REPAYMENT = "repayment", _("Remboursement")
        CARRY_OUT = "carry_out", _("Report vers la période suivante")
        CARRY_IN = "carry_in", _("Report de la période précédente")
        RETURN = "return", _("Retour au budget de la commune")

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
    # A CARRY_IN names the CARRY_OUT of the closed fund it continues.
    pair = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="paired_with"
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
            models.CheckConstraint(
                condition=Q(kind="carry_in", pair__isnull=False)
                | (~Q(kind="carry_in") & Q(pair__isnull=True)),
                name="ledger_carry_in_names_its_carry_out",
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


class FundClosing(models.Model):
    """The end of a fund's period: what was still committed went on to the next
    period's fund, the unspent envelope returned to the commune's budget or went on too.
    Once a fund has its closing, PostgreSQL refuses any new entry in its chain."""

    class Envelope(models.TextChoices):
        RETURN = "return", _("Rendue au budget de la commune")
        CARRY = "carry", _("Reportée sur la période suivante")

    fund = models.OneToOneField(
        "fonds.Fund", on_delete=models.PROTECT, related_name="closing", verbose_name=_("fonds")
    )
    next_fund = models.ForeignKey(
        "fonds.Fund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carried_in",
        verbose_name=_("fonds de la période suivante"),
    )
    envelope = models.CharField(
        _("enveloppe non dépensée"), max_length=10, choices=Envelope.choices
    )
    reason = models.TextField(_("motif"))
    carried_grants = models.DecimalField(_("engagements reportés"), **MONEY)
    unspent = models.DecimalField(_("enveloppe non dépensée"), **MONEY)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    closed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("clôture de période")
        verbose_name_plural = _("clôtures de période")
        constraints = [
            models.CheckConstraint(
                condition=~Q(fund=models.F("next_fund")), name="fund_closing_into_another_fund"
            ),
            models.CheckConstraint(
                condition=Q(carried_grants__gte=0, unspent__gte=0),
                name="fund_closing_amounts_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.fund} — {self.closed_at:%Y-%m-%d}"


class RepaymentRequest(models.Model):
    """Money a carrier is asked to pay back (a bilan refused after payment, an action
    cancelled): the amount, when it is due, why. Each repayment received against it is a
    REPAYMENT of the ledger on its grant; ``repaid`` adds them up."""

    class Status(models.TextChoices):
        OPEN = "open", _("En attente")
        SETTLED = "settled", _("Remboursée")
        CANCELLED = "cancelled", _("Annulée")

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="repayment_requests")
    amount = models.DecimalField(_("montant demandé"), **MONEY)
    repaid = models.DecimalField(_("montant remboursé"), default=0, **MONEY)
    due_on = models.DateField(_("date limite"))
    reason = models.TextField(_("motif"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("demande de remboursement")
        verbose_name_plural = _("demandes de remboursement")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_request_positive"),
            models.CheckConstraint(
                condition=Q(repaid__gte=0, repaid__lte=models.F("amount")),
                name="repayment_request_repaid_within_amount",
            ),
        ]

    def __str__(self):
        return f"{self.grant.decision_reference} — {self.amount}"
