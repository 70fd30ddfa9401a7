"""Envelopes credited, and grants (committed by the councils' published decisions)
paid and partly released, through the ledger service. Idempotency keys are fixed, so
running the demo again posts nothing twice."""

import datetime
from decimal import Decimal

from django.utils import timezone

from fonds.ledger import ledger_credit, ledger_disburse, ledger_release
from fonds.models import Grant

ENVELOPE = Decimal("15000.00")


def demo_envelopes(funds):
    today = timezone.localdate()
    for fund in funds:
        ledger_credit(
            actor=None,
            fund=fund,
            amount=ENVELOPE,
            idempotency_key=f"demo-credit-{fund.slug}",
            memo=f"Enveloppe {today.year} votée au budget primitif",
        )


def demo_payments(funds):
    """Every other grant: a first payment of 70 %, then half of the rest released once
    the bilan showed less was spent."""
    today = timezone.localdate()
    grants = Grant.objects.filter(fund__in=funds).order_by("pk")
    for number, grant in enumerate(grants, start=1):
        if number % 2 == 0:
            continue
        reference = grant.decision_reference
        amount = grant.transactions.get(kind="commit").amount
        first = (amount * Decimal("0.7")).quantize(Decimal("0.01"))
        ledger_disburse(
            actor=None,
            grant=grant,
            amount=first,
            payment_reference=f"MANDAT-{reference}-1",
            payment_date=today - datetime.timedelta(days=10),
            idempotency_key=f"demo-disburse-{reference}",
        )
        ledger_release(
            actor=None,
            grant=grant,
            amount=((amount - first) / 2).quantize(Decimal("0.01")),
            memo="Dépenses réelles inférieures au budget",
            idempotency_key=f"demo-release-{reference}",
        )
