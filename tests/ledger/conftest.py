"""Fixtures and helpers for the ledger's tests. The quartier, fund, people and theme
fixtures come from the fonds tests; the helpers here make funds, initiatives and
grants in a few queries and read the ledger's state back."""

import itertools
from decimal import Decimal

from django.db import connection

from fonds.ledger import ledger_commit, ledger_credit
from fonds.models import Initiative, LedgerAccount, LedgerLeg, LedgerTransaction
from tests.fonds import conftest as fonds_fixtures
from tests.system import SYSTEM

# The fonds tests' fixtures, for this folder too.
quartier = fonds_fixtures.quartier
other_quartier = fonds_fixtures.other_quartier
fund = fonds_fixtures.fund
other_fund = fonds_fixtures.other_fund
open_fund = fonds_fixtures.open_fund
people = fonds_fixtures.people
theme = fonds_fixtures.theme

_counter = itertools.count(1)


def unique(prefix):
    """A fresh idempotency key or decision reference."""
    return f"{prefix}-{next(_counter)}"


def make_funds(quartier, count, start=0):
    """``count`` open funds in ``quartier``, labelled "Fonds n<start>"…"""
    return [
        fonds_fixtures._open_fund(quartier, label=f"Fonds n{i:02d}")
        for i in range(start, start + count)
    ]


def make_initiative(fund, author, requested, title="Un jardin partagé"):
    """An admissible initiative asking ``requested`` euros, written directly."""
    return Initiative.objects.create(
        fund=fund,
        author=author,
        status=Initiative.Status.ADMISSIBLE,
        carrier_name="Les Jardiniers",
        title=title,
        requested_amount=Decimal(requested),
    )


def credit(fund, amount, key=None):
    return ledger_credit(
        actor=SYSTEM, fund=fund, amount=Decimal(amount), idempotency_key=key or unique("credit")
    )


def grant_for(initiative, amount, key=None):
    """Commit ``amount`` to ``initiative`` (as the system) and return the grant."""
    tx = ledger_commit(
        actor=SYSTEM,
        initiative=initiative,
        amount=Decimal(amount),
        decision_reference=unique("DEC"),
        idempotency_key=key or unique("commit"),
    )
    return tx.grant


def balances():
    """{account id: balance} for every ledger account."""
    return dict(LedgerAccount.objects.values_list("pk", "balance"))


def ledger_state():
    """Everything a posting could write, to compare before and after a refusal."""
    return {
        "balances": balances(),
        "transactions": LedgerTransaction.objects.count(),
        "legs": LedgerLeg.objects.count(),
        "heads": list(
            LedgerAccount.objects.filter(kind="fund_available")
            .order_by("pk")
            .values_list("pk", "head_sequence", "head_hash")
        ),
    }


def balances_differing_from_legs():
    """Accounts whose cached balance is not the sum of their legs, replayed in SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, a.balance, COALESCE(SUM(l.amount), 0)
              FROM fonds_ledgeraccount a LEFT JOIN fonds_ledgerleg l ON l.account_id = a.id
             GROUP BY a.id, a.balance
            HAVING a.balance <> COALESCE(SUM(l.amount), 0)
            """
        )
        return cursor.fetchall()


def transactions_without_two_legs():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.id FROM fonds_ledgertransaction t
              LEFT JOIN fonds_ledgerleg l ON l.transaction_id = t.id
             GROUP BY t.id HAVING COUNT(l.id) < 2 OR COALESCE(SUM(l.amount), 0) <> 0
            """
        )
        return [row[0] for row in cursor.fetchall()]


def negative_accounts():
    return list(
        LedgerAccount.objects.filter(
            kind__in=["fund_available", "grant_committed", "paid_out"], balance__lt=0
        ).values_list("pk", "kind", "balance")
    )
