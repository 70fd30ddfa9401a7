"""Envelopes credited, grants committed, paid and partly released, through the ledger
service. Idempotency keys are fixed, so running the demo again posts nothing twice."""

import datetime
from decimal import Decimal

from django.utils import timezone

from fonds.ledger import ledger_commit, ledger_credit, ledger_disburse, ledger_release
from fonds.models import Initiative

ENVELOPE = Decimal("15000.00")


def demo_ledger(funds, instructor):
    today = timezone.localdate()
    for fund in funds:
        ledger_credit(
            actor=None,
            fund=fund,
            amount=ENVELOPE,
            idempotency_key=f"demo-credit-{fund.slug}",
            memo=f"Enveloppe {today.year} votée au budget primitif",
        )
        admissible = Initiative.objects.filter(
            fund=fund, status=Initiative.Status.ADMISSIBLE
        ).order_by("pk")
        for number, initiative in enumerate(admissible, start=1):
            _grant_story(initiative, number, instructor, today)


def _grant_story(initiative, number, instructor, today):
    fund = initiative.fund
    reference = f"CQ-{fund.quartier.code}-{today.year}-{number:03d}"
    amount = initiative.requested_amount
    commit = ledger_commit(
        actor=None,
        initiative=initiative,
        amount=amount,
        decision_reference=reference,
        idempotency_key=f"demo-commit-{reference}",
    )
    grant = commit.grant
    if number % 2 == 1:
        # A first payment of 70 %, then the balance released once the bilan showed less
        # was spent.
        first = (amount * Decimal("0.7")).quantize(Decimal("0.01"))
        ledger_disburse(
            actor=None,
            grant=grant,
            amount=first,
            payment_reference=f"MANDAT-{reference}-1",
            payment_date=today - datetime.timedelta(days=10),
            idempotency_key=f"demo-disburse-{reference}",
        )
        unspent = (amount - first) / 2
        ledger_release(
            actor=None,
            grant=grant,
            amount=unspent.quantize(Decimal("0.01")),
            memo="Dépenses réelles inférieures au budget",
            idempotency_key=f"demo-release-{reference}",
        )
