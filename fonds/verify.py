"""Replaying the ledger: every fund's hash chain and every account's balance."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from .ledger import GENESIS, chain_hash
from .models import Fund, LedgerAccount, LedgerLeg, LedgerTransaction

BATCH = 5000


@dataclass
class Report:
    transactions: int = 0
    heads: dict = field(default_factory=dict)  # fund slug -> (sequence, hash)
    error: str | None = None

    @property
    def ok(self):
        return self.error is None


def _batches(fund):
    last = 0
    while True:
        batch = list(
            LedgerTransaction.objects.filter(fund=fund, sequence__gt=last).order_by("sequence")[
                :BATCH
            ]
        )
        if not batch:
            return
        legs = defaultdict(list)
        for leg in LedgerLeg.objects.filter(transaction__in=[tx.pk for tx in batch]).order_by("pk"):
            legs[leg.transaction_id].append(leg)
        yield batch, legs
        last = batch[-1].sequence


def verify_ledger():
    """Replay every chain; stop at the first row that differs and say which."""
    report = Report()
    balances = defaultdict(Decimal)
    for fund in Fund.objects.order_by("pk"):
        expected_sequence, running = 1, GENESIS
        for batch, legs in _batches(fund):
            for tx in batch:
                where = f"fund {fund.slug}, transaction id {tx.pk} (sequence {tx.sequence})"
                tx_legs = legs.get(tx.pk, [])
                if tx.sequence != expected_sequence:
                    report.error = f"{where}: expected sequence {expected_sequence}"
                elif tx.previous_hash != running:
                    report.error = f"{where}: previous hash does not match the chain"
                elif chain_hash(running, tx, tx_legs) != tx.hash:
                    report.error = f"{where}: content does not match its hash"
                elif sum((leg.amount for leg in tx_legs), Decimal(0)) != 0 or len(tx_legs) < 2:
                    report.error = f"{where}: legs do not balance"
                if report.error:
                    return report
                for leg in tx_legs:
                    balances[leg.account_id] += leg.amount
                running = tx.hash
                expected_sequence += 1
                report.transactions += 1
        head = LedgerAccount.objects.filter(
            fund=fund, kind=LedgerAccount.Kind.FUND_AVAILABLE
        ).first()
        if head is not None and (head.head_sequence, head.head_hash) != (
            expected_sequence - 1,
            running,
        ):
            report.error = f"fund {fund.slug}: stored chain head differs from the replay"
            return report
        report.heads[fund.slug] = (expected_sequence - 1, running)
    for account in LedgerAccount.objects.order_by("pk"):
        if account.balance != balances.get(account.pk, Decimal(0)):
            report.error = (
                f"account id {account.pk} ({account.kind}): stored balance {account.balance} "
                f"differs from the replay {balances.get(account.pk, Decimal(0))}"
            )
            return report
    return report
